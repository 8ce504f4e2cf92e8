"""MediaPipe FaceLandmarker behind a small, thread-confined wrapper.

IMAGE mode is used by default: VIDEO mode smooths landmarks across frames, which delays
the eye signal by several frames (measured in tests/realtime/test_tracker.py and the
benchmark), and the lag between a voluntary and an involuntary movement is one of the
things this product reports. One instance must only be used by one thread at a time.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from realtime.tracking.model_asset import ModelError, check_model_file


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence the model's C++ start-up chatter (glog/TFLite lines on fd 2), which users read
    as errors. Python-level errors are raised, not printed, so nothing useful is lost."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@dataclass
class FaceObservation:
    """One face as FaceLandmarker sees it in a whole frame."""
    landmarks: np.ndarray            # (478, 3) pixels (x, y; z scaled like x)
    blendshapes: dict[str, float]    # MediaPipe's 52 expression scores, 0..1 (Left/Right: subject's sides)
    yaw_deg: float                   # head turn, degrees (0: facing the camera)
    pitch_deg: float                 # head nod, degrees
    roll_deg: float

    def expression(self) -> float:
        """How far from neutral: the sum of the expression scores (gaze and the neutral score
        itself left out)."""
        return float(sum(v for k, v in self.blendshapes.items()
                         if k != "_neutral" and not k.startswith("eyeLook")))


def head_pose(matrix: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from the 4x4 canonical-face -> camera transform."""
    r = matrix[:3, :3] / np.linalg.norm(matrix[:3, :3], axis=0)
    yaw = np.degrees(np.arcsin(np.clip(-r[2, 0], -1, 1)))
    pitch = np.degrees(np.arctan2(r[2, 1], r[2, 2]))
    roll = np.degrees(np.arctan2(r[1, 0], r[0, 0]))
    return float(yaw), float(pitch), float(roll)


class Landmarker:
    """One FaceLandmarker. ``detect`` returns faces as (478, 3) float arrays in pixels
    (x, y in the image; z scaled like x), largest face first."""

    def __init__(self, model_path: str | Path, *, mode: str = "image", num_faces: int = 2):
        # mediapipe takes ~1 s to import: only when a model is loaded (--help, errors stay fast)
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        path = check_model_file(Path(model_path), "model path")
        running = {"image": vision.RunningMode.IMAGE, "video": vision.RunningMode.VIDEO}[mode]
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)), running_mode=running,
            num_faces=num_faces, output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
            min_face_detection_confidence=0.5, min_face_presence_confidence=0.5,
            min_tracking_confidence=0.5)
        try:
            with quiet_native_stderr():
                self._lm = vision.FaceLandmarker.create_from_options(options)
                # The first inference logs the delegate choice; run it here, quietly.
                self._lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB,
                                         data=np.zeros((64, 64, 3), np.uint8))) if mode == "image" else None
        except Exception as exc:  # mediapipe raises bare RuntimeError/ValueError on bad bundles
            raise ModelError(f"face model {path} could not be loaded ({str(exc).splitlines()[0][:120]}); "
                             "replace the file or point SYNKINESIS_FACE_MODEL at a good copy") from None
        self.mode = mode
        self._last_ms = -1
        # One graph must not be entered by two threads at once; calls from different
        # threads one after another are fine.
        self._lock = threading.Lock()

    def detect(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> list[np.ndarray]:
        """Faces in an RGB uint8 image of shape (H, W, 3), largest first: (478, 3) pixels."""
        return [o.landmarks for o in self.observe(rgb, timestamp_ms)]

    def observe(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> list["FaceObservation"]:
        """Faces with their expression scores and head pose, largest first."""
        h, w = rgb.shape[:2]
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with self._lock:
            if self._lm is None:
                raise RuntimeError("Landmarker used after close()")
            if self.mode == "video":
                # detect_for_video needs strictly increasing integer milliseconds.
                ts = self._last_ms + 1 if timestamp_ms is None else max(int(timestamp_ms), self._last_ms + 1)
                self._last_ms = ts
                result = self._lm.detect_for_video(image, ts)
            else:
                result = self._lm.detect(image)
        out = []
        for i, face in enumerate(result.face_landmarks):
            a = np.array([(p.x, p.y, p.z) for p in face], dtype=np.float32)
            a[:, 0] *= w
            a[:, 1] *= h
            a[:, 2] *= w
            shapes = {c.category_name: float(c.score) for c in result.face_blendshapes[i]} \
                if result.face_blendshapes else {}
            pose = head_pose(np.asarray(result.facial_transformation_matrixes[i])) \
                if result.facial_transformation_matrixes else (np.nan, np.nan, np.nan)
            out.append(FaceObservation(a, shapes, *pose))
        out.sort(key=lambda o: -float(np.ptp(o.landmarks[:, 0]) * np.ptp(o.landmarks[:, 1])))
        return out

    def close(self) -> None:
        with self._lock:
            if self._lm is not None:
                self._lm.close()
                self._lm = None

    def __enter__(self) -> "Landmarker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def nearest_face(faces: list[np.ndarray], centre: np.ndarray | None) -> np.ndarray | None:
    """The face to follow: the one nearest the last known centre, else the largest."""
    if not faces:
        return None
    if centre is None:
        return faces[0]
    return min(faces, key=lambda f: float(np.linalg.norm(f[:, :2].mean(axis=0) - centre)))
