"""The mouth corner read from the image: the demo face's planted corner lift against its truth,
with the real face model placing the reference."""

import numpy as np
import pytest

from realtime.signals.features import FaceFrame
from realtime.signals.units import IOD_MM
from realtime.sources.demo_face import DemoConfig, DemoFace
from realtime.tracking.face_patch import subpixel_peak, subpixel_peak_2d
from realtime.tracking.landmarker import Landmarker
from realtime.tracking.mouth_corner import CORNER, MESH_GAIN, MouthCorner

IDENTITY = np.eye(2, 3)


def test_a_peak_on_a_diagonal_ridge_is_found_between_pixels():
    # A correlation peak stretched along a diagonal (one oblique edge in the patch), its top at
    # (row 5.3, col 6.6): the 2-D fit finds it; per-axis parabolas miss it by a pixel.
    y, x = np.mgrid[0:11, 0:13].astype(float)
    dy, dx = y - 5.3, x - 6.6
    along, across = (dx + dy) / np.sqrt(2), (dx - dy) / np.sqrt(2)
    r = 1.0 - 0.02 * along ** 2 - 0.5 * across ** 2
    i, j = np.unravel_index(int(np.argmax(r)), r.shape)
    row, col = subpixel_peak_2d(r, i, j)
    assert row == pytest.approx(5.3, abs=0.02) and col == pytest.approx(6.6, abs=0.02)
    per_axis = np.array(subpixel_peak(r, i, j))
    assert np.abs(per_axis - [5.3, 6.6]).max() > 0.25


@pytest.fixture(scope="module")
def lifted(model_path):
    """The demo face with the right mouth corner lifted 1.5 mm with each blink: the reference
    (frame 0), its landmarks, and the frame where the lift peaks with its truth (mm)."""
    demo = DemoFace(DemoConfig(seconds=20, seed=4, pattern="blink-mouth", synkinesis="right", strength=1.5))
    ref = demo.render(0)
    with Landmarker(model_path) as lm:
        landmarks = lm.detect(ref)[0][:, :2].astype(np.float64)
    trace = np.asarray(demo.truth.responses[0].trace)
    peak = int(np.argmax(trace))
    return demo, ref, landmarks, peak, float(trace[peak])


def _read(reader, frame_rgb, landmarks, guess_iod=(0.0, 0.0)):
    """(2, 2) corner movement (mm) with the mesh's right corner moved by ``guess_iod`` x gain."""
    lm = {s: landmarks.copy() for s in ("left", "right")}
    u, v = reader.frame.u, reader.frame.v
    lm["right"][CORNER["right"]] += MESH_GAIN * reader.frame.iod_px * (guess_iod[0] * u + guess_iod[1] * v)
    return reader.measure(reader.crop(frame_rgb, IDENTITY), lm) * IOD_MM


def test_a_planted_lift_reads_at_its_size_on_its_side_only(lifted):
    demo, ref, landmarks, peak, lift_mm = lifted
    reader = MouthCorner(ref, landmarks, FaceFrame.from_landmarks(landmarks))
    moved = _read(reader, demo.render(peak), landmarks)
    assert moved[1, 1] == pytest.approx(lift_mm, rel=0.15)          # right corner up
    assert abs(moved[1, 0]) < 0.2 and np.abs(moved[0]).max() < 0.2   # not out, and the left still


def test_where_the_mesh_puts_the_search_does_not_move_the_reading(lifted):
    # The mesh jitters from frame to frame; the image's reading must not follow it. With a
    # per-axis peak the reading jumped by 0.5 mm between neighbouring search positions.
    demo, ref, landmarks, _, _ = lifted
    reader = MouthCorner(ref, landmarks, FaceFrame.from_landmarks(landmarks))
    still = demo.render(1)
    reads = np.array([_read(reader, still, landmarks, (g, -g / 2))[1] for g in np.linspace(-0.012, 0.012, 9)])
    assert np.isfinite(reads).all()
    assert np.abs(reads).max() < 0.1 and np.ptp(reads, axis=0).max() < 0.1, reads
