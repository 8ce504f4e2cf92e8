"""Resting symmetry in mm: how far each side's resting face sits from the other's, and how
precisely one test measured it.

A paralysed side droops at rest (mouth corner and brow lower, the eye's opening changed, the
cheek and nose wing flatter); as tone returns the two sides draw level, usually weeks before
the first voluntary movement. Per measure and side the resting level is read from the rest
phase of a test, in mm (heights from the line between the irises, the eye's opening from lid
to lid), and the left-minus-right difference is given in mm and in % of the two sides' mean,
with its measurement noise: the standard error of that difference over the rest phase, from
the spread of the medians of consecutive blocks of it (slow drifts of head pose or lighting
count), never below the spread of single frames over their number or ``MIN_NOISE``.

The frames of a session hold signals (``features.activations``: displacements from the rest
level), so each frame's features are rebuilt from them and the rest level they were taken
against (``frame_features``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.baseline import MIN_NOISE
from realtime.landmarks import SIDES
from realtime.signals.features import F, S
from realtime.signals.units import EYE_WIDTH_MM, IOD_MM


@dataclass(frozen=True)
class RestMeasure:
    key: str
    label: str        # in words, for the pages
    feature: str      # features.FEATURES name
    mm_per_unit: float
    droop: int        # the sign of (palsied side - other side) at rest: -1 lower, +1 wider


# Each measure's feature is in IOD except the eye's opening, a fraction of the eye's width.
# A palsied side droops: its mouth corner, brow, cheek and nose wing sit lower, and its eye is
# wider open (the lower lid sags, the upper is not held down).
REST_MEASURES: tuple[RestMeasure, ...] = (
    RestMeasure("mouth_corner", "mouth-corner height", "corner_height", IOD_MM, -1),
    RestMeasure("eye", "eye opening (palpebral fissure)", "eye_aperture", EYE_WIDTH_MM, +1),
    RestMeasure("brow", "brow height", "brow_height", IOD_MM, -1),
    RestMeasure("cheek", "cheek fullness (malar height)", "cheek_height", IOD_MM, -1),
    RestMeasure("nose_wing", "nasolabial fullness (nose-wing height)", "ala_height", IOD_MM, -1),
)
MEASURE_BY_KEY = {m.key: m for m in REST_MEASURES}
MIN_FRAMES = 10          # fewer measured rest frames than this: no resting symmetry
BLOCKS = 5               # consecutive blocks of the rest phase whose medians give the noise
MIN_BLOCK_FRAMES = 5
# The median's standard error is sqrt(pi/2) times the mean's.
MEDIAN_SE = float(np.sqrt(np.pi / 2))


def droop_direction(affected: str) -> np.ndarray:
    """(len(REST_MEASURES),): the sign each measure's left-minus-right difference takes when the
    ``affected`` side droops (its recovery moves the difference the other way)."""
    sign = 1.0 if affected == SIDES[0] else -1.0
    return np.array([sign * m.droop for m in REST_MEASURES], float)


def frame_features(sig: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The features ``REST_MEASURES`` use, rebuilt per frame from signals (T, 2, N_SIGNALS) and
    the rest level (2, N_FEATURES) they were measured against; returns (T, 2, N_FEATURES) with
    NaN in the features no measure uses (the inverse of ``features.activations`` for these)."""
    sig = np.asarray(sig, float)
    lv = np.asarray(level, float)[None]
    out = np.full(sig.shape[:-1] + (lv.shape[-1],), np.nan)
    out[..., F["brow_height"]] = lv[..., F["brow_height"]] + sig[..., S["brow_raise"]]
    out[..., F["eye_aperture"]] = lv[..., F["eye_aperture"]] * (1.0 - sig[..., S["eye_closure"]])
    out[..., F["cheek_height"]] = lv[..., F["cheek_height"]] + sig[..., S["cheek_raise"]]
    out[..., F["ala_height"]] = lv[..., F["ala_height"]] + sig[..., S["nose_wrinkle"]]
    # smile = (d_lateral + d_height) / sqrt 2 and pucker = -d_lateral
    out[..., F["corner_lateral"]] = lv[..., F["corner_lateral"]] - sig[..., S["pucker"]]
    out[..., F["corner_height"]] = (lv[..., F["corner_height"]] + np.sqrt(2) * sig[..., S["smile"]]
                                    + sig[..., S["pucker"]])
    return out


def median_and_noise(x: np.ndarray, blocks: int = BLOCKS) -> tuple[float, float]:
    """The median of a rest-phase series (finite values, in time order) and its standard error
    (see the module docstring). NaN, NaN with fewer than ``MIN_FRAMES`` values."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if len(x) < MIN_FRAMES:
        return float("nan"), float("nan")
    mid = float(np.median(x))
    sd = 1.4826 * float(np.median(np.abs(x - mid)))
    se = MEDIAN_SE * sd / np.sqrt(len(x))
    k = min(blocks, len(x) // MIN_BLOCK_FRAMES)
    if k >= 2:
        meds = np.array([np.median(b) for b in np.array_split(x, k)])
        se = max(se, float(np.std(meds, ddof=1)) / np.sqrt(k))
    return mid, se


def rest_asymmetry(t: np.ndarray, sig: np.ndarray, level: np.ndarray | None, window: tuple[float, float],
                   blinks: np.ndarray | None = None) -> dict | None:
    """Per measure: each side's resting level (mm), left minus right in mm and %, and the noise
    of that difference in mm and %. t: (T,) s; sig: (T, 2, N_SIGNALS), NaN without a face;
    level: (2, N_FEATURES) the rest level the signals are relative to (None: not known, no
    result); window: the rest phase (s); blinks: (T,) frames left out of the eye's opening.
    Returns None when the rest phase has fewer than ``MIN_FRAMES`` measured frames."""
    if level is None:
        return None
    t = np.asarray(t, float)
    inside = (t >= window[0]) & (t < window[1]) & np.isfinite(sig).all(axis=(1, 2))
    if inside.sum() < MIN_FRAMES:
        return None
    feats = frame_features(np.asarray(sig)[inside], level)
    no_blink = np.ones(int(inside.sum()), bool) if blinks is None else ~np.asarray(blinks, bool)[inside]
    measures = {}
    for m in REST_MEASURES:
        keep = no_blink if m.feature == "eye_aperture" else np.ones(len(no_blink), bool)
        x = feats[keep, :, F[m.feature]] * m.mm_per_unit      # (n, 2) mm
        sides = [median_and_noise(x[:, s])[0] for s in range(len(SIDES))]
        diff, noise = median_and_noise(x[:, 0] - x[:, 1])
        noise = max(noise, MIN_NOISE * IOD_MM) if np.isfinite(noise) else noise
        scale = float(np.mean(np.abs(sides)))
        pct = 100.0 / scale if np.isfinite(scale) and scale > MIN_NOISE * IOD_MM else float("nan")
        measures[m.key] = {"label": m.label, **{side: _round(v) for side, v in zip(SIDES, sides)},
                           "left_minus_right_mm": _round(diff), "noise_mm": _round(noise),
                           "left_minus_right_pct": _round(diff * pct, 2), "noise_pct": _round(noise * pct, 2)}
    return {"window_s": [float(window[0]), float(window[1])], "frames": int(inside.sum()),
            "unit": "mm", "measures": measures}


def _round(v: float, nd: int = 3) -> float | None:
    return round(float(v), nd) if np.isfinite(v) else None


__all__ = ["REST_MEASURES", "droop_direction", "frame_features", "median_and_noise", "rest_asymmetry"]
