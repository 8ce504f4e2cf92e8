"""The brow's movement read from the image, on demo-face frames whose brow movement is known."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.signals.features import F
from realtime.signals.units import IOD_MM
from realtime.sources.demo_face import BROW_RAISE_IOD, DemoConfig, DemoFace
from realtime.tracking.landmarker import Landmarker
from realtime.tracking.meter import FaceMeter, Reference


def brow_mm(model_path, face: DemoFace, frames: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 2) brow_height change from frame 0 in mm (left, right), and whether each was
    read from the image."""
    ref_rgb = face.render(0)
    with Landmarker(model_path, num_faces=1) as lm:
        ref = Reference(ref_rgb, lm.detect(ref_rgb)[0])
    with FaceMeter(model_path, ref) as meter:
        rest = meter.measure(ref_rgb).features[:, F["brow_height"]]
        out = [meter.measure(face.render(i), k + 1, (k + 1) / 30) for k, i in enumerate(frames)]
    return (np.array([(m.features[:, F["brow_height"]] - rest) * IOD_MM for m in out]),
            np.array([m.brow_from_image for m in out]))


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_brow_pulled_down_reads_its_size_on_its_side_only(model_path, side):
    face = DemoFace(DemoConfig(seconds=12, seed=4, pattern="pucker-brow-down", synkinesis=side, blinks_per_min=0))
    i = int(np.argmax(np.abs(face.truth.responses[0].trace)))
    planted = face.truth.responses[0].trace[i]                   # mm, negative: down
    (moved,), (from_image,) = brow_mm(model_path, face, [i])
    k = 0 if side == "left" else 1
    # the composite mesh alone read 0.34-0.60 of it
    assert moved[k] == pytest.approx(planted, rel=0.15), (moved, planted)
    assert abs(moved[1 - k]) < 0.1 * abs(planted), moved
    assert all(from_image)


def test_a_brow_raise_reads_its_size_on_both_sides(model_path):
    face = DemoFace(DemoConfig(seconds=12, seed=4, pattern="brow-neck", synkinesis="none", blinks_per_min=0))
    i = int(np.argmax(face.truth.brow_raise))
    planted = BROW_RAISE_IOD * IOD_MM * face.truth.brow_raise[i]
    (moved,), _ = brow_mm(model_path, face, [i])
    assert moved == pytest.approx([planted, planted], rel=0.15), (moved, planted)
