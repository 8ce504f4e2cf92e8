"""Resting asymmetry in mm from the rest phase's signals: known levels, a planted droop and
white noise of known size (pure maths on synthetic arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.clinical.rest_symmetry import REST_MEASURES, frame_features, median_and_noise, rest_asymmetry
from realtime.signals.features import FEATURES, F, S, activations
from realtime.signals.units import EYE_WIDTH_MM, IOD_MM

# A face at rest, in face units (IOD; the eye's opening as a fraction of its width).
FACE = {"brow_height": 0.30, "eye_aperture": 0.32, "cheek_height": -0.45, "ala_height": -0.62,
        "corner_lateral": 0.42, "corner_height": -0.95, "lower_lip_height": -1.05, "chin_height": -1.45,
        # skin texture contrast (tracking/texture.py), not a rest-symmetry measure
        "chin_texture": 0.05, "neck_texture": 0.04}
LEVEL = np.array([[FACE[f] for f in FEATURES]] * 2)


def rest_frames(droop_mm: float, noise_mm: float, n: int = 300, seed: int = 0):
    """Frames of a rest phase whose subject's left mouth corner sits ``droop_mm`` lower and
    whose left eye is 1 mm wider, with white noise of ``noise_mm`` on every feature."""
    rng = np.random.default_rng(seed)
    truth = LEVEL.copy()
    truth[0, F["corner_height"]] -= droop_mm / IOD_MM
    truth[0, F["eye_aperture"]] += 1.0 / EYE_WIDTH_MM
    feats = truth[None] + rng.normal(0, noise_mm / IOD_MM, (n, 2, len(FEATURES)))
    return np.arange(n) / 30.0, feats


def test_frame_features_inverts_the_activations():
    _, feats = rest_frames(2.0, 0.5)
    base = LEVEL + 0.01
    back = frame_features(activations(feats, base), base)
    for m in REST_MEASURES:
        np.testing.assert_allclose(back[..., F[m.feature]], feats[..., F[m.feature]], atol=1e-12)


def test_planted_droop_reads_in_mm_and_percent():
    t, feats = rest_frames(droop_mm=2.0, noise_mm=0.3)
    # the signals are relative to a rest level measured elsewhere (the first seconds)
    base = np.median(feats[:30], axis=0)
    out = rest_asymmetry(t, activations(feats, base), base, (0.0, 10.0))
    mc = out["measures"]["mouth_corner"]
    assert mc["left_minus_right_mm"] == pytest.approx(-2.0, abs=0.1)
    assert mc["left"] == pytest.approx((LEVEL[0, F["corner_height"]]) * IOD_MM - 2.0, abs=0.1)
    mean_height = abs(LEVEL[0, F["corner_height"]]) * IOD_MM - 1.0
    assert mc["left_minus_right_pct"] == pytest.approx(-200.0 / mean_height, abs=0.2)
    eye = out["measures"]["eye"]
    assert eye["left_minus_right_mm"] == pytest.approx(1.0, abs=0.1)
    assert out["measures"]["brow"]["left_minus_right_mm"] == pytest.approx(0.0, abs=0.1)
    assert out["frames"] == 300


def test_noise_is_the_standard_error_of_the_difference():
    # white noise of 0.5 mm per side: the difference of medians over n frames has an SE of
    # sqrt(pi/2) * 0.5 * sqrt(2) / sqrt(n)
    n = 300
    expected = np.sqrt(np.pi / 2) * 0.5 * np.sqrt(2) / np.sqrt(n)
    diffs, noises = [], []
    for seed in range(200):
        t, feats = rest_frames(0.0, 0.5, n=n, seed=seed)
        m = rest_asymmetry(t, activations(feats, LEVEL), LEVEL, (0.0, 10.0))["measures"]["brow"]
        diffs.append(m["left_minus_right_mm"])
        noises.append(m["noise_mm"])
    assert np.std(diffs) == pytest.approx(expected, rel=0.15)
    # the reported noise is the SE, never below it on average (blocks only add drift)
    assert np.median(noises) == pytest.approx(expected, rel=0.25)


def test_a_slow_drift_raises_the_noise():
    x = np.random.default_rng(1).normal(0, 0.1, 300)
    _, still = median_and_noise(x)
    _, drifting = median_and_noise(x + np.linspace(0, 2.0, 300))
    assert drifting > 3 * still


def test_blinks_and_faceless_frames_are_left_out():
    t, feats = rest_frames(0.0, 0.2)
    sig = activations(feats, LEVEL)
    blinks = np.zeros(len(t), bool)
    blinks[100:110] = True
    sig[100:110, 0, S["eye_closure"]] = 1.0          # the left eye shut in a blink
    sig[200:240] = np.nan                            # no face
    out = rest_asymmetry(t, sig, LEVEL, (0.0, 10.0), blinks)
    assert out["frames"] == 260
    assert out["measures"]["eye"]["left_minus_right_mm"] == pytest.approx(1.0, abs=0.1)


def test_too_few_rest_frames_or_no_level_give_none():
    t, feats = rest_frames(0.0, 0.2)
    sig = activations(feats, LEVEL)
    assert rest_asymmetry(t, sig, None, (0.0, 10.0)) is None
    assert rest_asymmetry(t, sig, LEVEL, (0.0, 0.2)) is None
