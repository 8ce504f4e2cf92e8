"""Skin texture of the chin and neck (tracking/texture.py): the maths on known arrays, then the
real face model's landmarks on the demo face with a planted dimpling and bands."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.signals.features import FaceFrame
from realtime.sources.demo_face import DemoConfig, DemoFace
from realtime.tracking.landmarker import Landmarker
from realtime.tracking.texture import SkinTexture, band_contrast, rms_over

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_contrast_ignores_global_lighting_and_sees_relief():
    rng = np.random.default_rng(0)
    skin = 120 + rng.normal(0, 3, (200, 200)).astype(np.float32)
    c = band_contrast(skin, 100.0)
    np.testing.assert_allclose(band_contrast(1.6 * skin, 100.0), c, atol=1e-5)   # brighter light
    inner = np.zeros(skin.shape, bool)
    inner[40:160, 40:160] = True
    xx = np.arange(200, dtype=np.float32)[None, :]
    ridged = skin * (1 + 0.1 * np.cos(2 * np.pi * xx / 10))    # cords 10 px apart, 10 % contrast
    flat, bands = rms_over(band_contrast(skin, 100.0) ** 2, inner), rms_over(band_contrast(ridged, 100.0) ** 2, inner)
    assert bands > 3 * flat
    assert np.isnan(rms_over(c ** 2, np.zeros(skin.shape, bool)))


@pytest.fixture(scope="module")
def reference(model_path):
    still = DemoFace(DemoConfig(seconds=1, noise=0)).render(0)
    with Landmarker(model_path) as lm:
        return still, lm.detect(still)[0]


def _peak(pattern: str, side: str):
    face = DemoFace(DemoConfig(seconds=12, seed=5, pattern=pattern, synkinesis=side, noise=0))
    return face.render(int(np.argmax(face.truth.responses[0].trace)))


@pytest.mark.parametrize("pattern, region, side", [("pucker-chin", 0, "left"), ("brow-neck", 1, "right")])
def test_planted_texture_shows_on_its_side_and_region_only(reference, pattern, region, side):
    still, lm = reference
    tex = SkinTexture(still, lm, FaceFrame.from_landmarks(lm))
    at = {"left": lm[:, :2], "right": lm[:, :2]}          # the landmarks do not move: texture only
    first = tex.measure(tex.crop(still, IDENTITY), at)
    rest = first.values
    assert np.isfinite(rest).all() and first.reasons == {}
    assert set(first.outlines) == {"chin_left", "chin_right", "neck_left", "neck_right"}
    chin = first.outlines[f"chin_{side}"]          # drawn on the chin, below the lip, on its side
    assert (chin[:, 1] > lm[17, 1]).all() and (chin[:, 1] < lm[152, 1]).all()
    assert ((chin[:, 0] - lm[17, 0]) * (1 if side == "left" else -1) > 0).all()
    now = tex.measure(tex.crop(_peak(pattern, side), IDENTITY), at).values
    change = now / rest - 1                       # (side, region)
    s = 0 if side == "left" else 1
    assert change[s, region] > 0.3, change
    others = np.delete(change.ravel(), s * 2 + region)
    assert np.abs(others).max() < 0.1, change


def test_a_neck_below_the_picture_is_unmeasurable_not_a_change(reference):
    still, lm = reference
    tex = SkinTexture(still, lm, FaceFrame.from_landmarks(lm))
    # the same face filmed lower in the picture: the neck falls off its bottom edge
    shift = 0.17 * still.shape[0]
    lower = np.zeros_like(still)
    lower[int(shift):] = still[:still.shape[0] - int(shift)]
    warp = IDENTITY + [[0, 0, 0], [0, 0, int(shift)]]
    got = tex.measure(tex.crop(lower, warp), {"left": lm[:, :2], "right": lm[:, :2]})
    value, why = got.values, got.reasons
    assert np.isnan(value[:, 1]).all() and set(why) == {"neck_left", "neck_right"}
    assert all("outside the picture" in r for r in why.values())
    assert np.isfinite(value[:, 0]).all()        # the chin is still in view


def test_a_face_too_small_for_texture_says_so(model_path):
    small = DemoFace(DemoConfig(seconds=1, width=200, height=150, noise=0)).render(0)
    with Landmarker(model_path) as lm:
        pts = lm.detect(small)[0]
    tex = SkinTexture(small, pts, FaceFrame.from_landmarks(pts))
    got = tex.measure(tex.crop(small, IDENTITY), {"left": pts[:, :2], "right": pts[:, :2]})
    value, why = got.values, got.reasons
    assert np.isnan(value).all() and all("face too small" in r for r in why.values())
