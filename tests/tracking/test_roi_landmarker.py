"""The landmark network run directly on a fixed box, against FaceLandmarker on the same frames."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from realtime.sources.demo_face import DemoConfig, DemoFace
from realtime.tracking.landmarker import Landmarker
from realtime.tracking.model_asset import ModelError
from realtime.tracking.roi_landmarker import (
    Box,
    RoiLandmarker,
    read_network,
    roi_from_landmarks,
)


def test_box_of_a_tilted_rectangle_is_exact():
    # Points on a 40 x 20 rectangle centred at (100, 50), tilted by 30 degrees; the eye
    # corners 33 -> 263 run along its long side.
    angle = np.radians(30)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    local = np.zeros((478, 2))
    local[:4] = [[-20, -10], [20, -10], [20, 10], [-20, 10]]
    local[33], local[263] = [-15, 0], [15, 0]
    pts = local @ rot.T + [100, 50]
    centre, side, a = roi_from_landmarks(pts)
    np.testing.assert_allclose(centre, [100, 50], atol=1e-9)
    assert side == pytest.approx(60.0)          # long side 40, x1.5
    assert a == pytest.approx(angle)


def test_agrees_with_face_landmarker_and_sees_no_face_in_a_blank(model_path):
    pytest.importorskip("ai_edge_litert.interpreter")   # no wheel for Linux on ARM
    demo = DemoFace(DemoConfig(seconds=2, seed=3, synkinesis="left", head_motion=False))
    frames = [demo.render(i) for i in range(0, demo.n_frames, 6)]
    with Landmarker(model_path, num_faces=1) as full:
        tasks = [full.detect(f)[0] for f in frames]
    net = RoiLandmarker(read_network(model_path), Box.around(tasks[0]))
    ours = [net.detect(f) for f in frames]
    assert all(o is not None and o.shape == (478, 3) and o.dtype == np.float32 for o in ours)
    err = np.array([np.linalg.norm(o[:, :2] - t[:, :2], axis=1) for o, t in zip(ours, tasks)])
    iod = np.linalg.norm(tasks[0][473, :2] - tasks[0][468, :2])
    assert np.median(err) < 0.02 * iod and np.percentile(err, 99) < 0.06 * iod
    # z follows FaceLandmarker's scale (pixels, like x)
    assert np.corrcoef(ours[0][:, 2], tasks[0][:, 2])[0, 1] > 0.99
    assert net.detect(np.full_like(frames[0], 90)) is None


def test_bundle_without_the_network_says_what_to_do(tmp_path):
    bad = tmp_path / "face_landmarker.task"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("face_detector.tflite", b"\0" * 64)
    with pytest.raises(ModelError, match="SYNKINESIS_FACE_MODEL"):
        read_network(bad)


def test_corrupt_network_says_what_to_do():
    pytest.importorskip("ai_edge_litert.interpreter")
    with pytest.raises(ModelError, match="replace"):
        RoiLandmarker(b"not a model" * 10, Box.around(np.random.default_rng(0).random((478, 2)) * 100))


def test_sampling_through_a_registration_warp_equals_warping_first():
    """Box.sample(frame, warp) resamples once; it must match aligning the frame to the
    reference first and then sampling the box (up to interpolation)."""
    import cv2
    rng = np.random.default_rng(1)
    ref = cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (0, 0), 3)
    pts = np.c_[rng.uniform(100, 220, 478), rng.uniform(60, 180, 478)]
    box = Box.around(pts)
    warp = np.array([[1.02, 0.03, 5.0], [-0.02, 0.99, -3.0]])      # reference -> frame
    frame = cv2.warpAffine(ref, warp, (320, 240), borderMode=cv2.BORDER_REPLICATE)
    direct = box.sample(frame, warp)
    assert direct.shape == (256, 256, 3) and direct.dtype == np.float32
    inner = (slice(40, 216), slice(40, 216))     # away from the borders
    assert np.abs(direct[inner] - box.sample(ref)[inner]).mean() < 0.01
