"""The real face model on demo-face frames."""

import numpy as np
import pytest

from realtime.sources.demo_face import DemoConfig, DemoFace
from realtime.tracking.landmarker import Landmarker, nearest_face
from realtime.tracking.model_asset import ModelError


@pytest.fixture(scope="module")
def face_image():
    return DemoFace(DemoConfig(seconds=1)).render(0)


def test_one_face_with_478_points_in_pixels(model_path, face_image):
    with Landmarker(model_path) as lm:
        faces = lm.detect(face_image)
    assert len(faces) == 1 and faces[0].shape == (478, 3)
    left_iris, right_iris = faces[0][473, :2], faces[0][468, :2]
    assert left_iris[0] > right_iris[0]          # subject's left is on the image's right
    assert 60 < np.linalg.norm(left_iris - right_iris) < 200


def test_no_face_is_empty_not_an_error(model_path):
    with Landmarker(model_path) as lm:
        assert lm.detect(np.full((480, 640, 3), 128, np.uint8)) == []


def test_two_faces_largest_first_and_nearest_followed(model_path, face_image):
    small = face_image[::2, ::2]
    canvas = np.full((480, 960, 3), 200, np.uint8)
    canvas[:, :640] = face_image
    canvas[100:340, 660:980 - 20] = small[:, :300]
    with Landmarker(model_path) as lm:
        faces = lm.detect(canvas)
    assert len(faces) == 2
    assert np.ptp(faces[0][:, 0]) > np.ptp(faces[1][:, 0])
    small_centre = faces[1][:, :2].mean(axis=0)
    assert nearest_face(faces, small_centre) is faces[1]
    assert nearest_face(faces, None) is faces[0]


def test_video_mode_timestamps_always_increase(model_path, face_image):
    with Landmarker(model_path, mode="video") as lm:
        assert lm.detect(face_image, 100)
        assert lm.detect(face_image, 100)   # equal timestamp: bumped, no wedge
        assert lm.detect(face_image, 50)    # going back: bumped too
        assert lm._last_ms == 102


def test_corrupt_model_gives_clear_error(tmp_path, model_path):
    bad = tmp_path / "bad.task"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 1000)
    with pytest.raises(ModelError):
        Landmarker(bad)


def test_valid_zip_with_wrong_contents_gives_clear_error(tmp_path):
    import zipfile
    bad = tmp_path / "wrong.task"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("face_detector.tflite", b"not a model")
    with pytest.raises(ModelError, match="could not be loaded"):
        Landmarker(bad)
