"""The bundle's face-mesh network run directly on a fixed region of the image.

Every composite is drawn in the reference crop (composite.py), so the face sits in the same
place in every one of them: the face detector and the region tracking that FaceLandmarker runs
on each call find the same box every time. This runs only the landmark network
(``face_landmarks_detector.tflite`` from the same ``face_landmarker.task`` bundle) on that box,
with the same crop rule as MediaPipe's landmark graph (box around the landmarks, rotated so
the eye corners 33 and 263 are level, scaled 1.5x, square) and inputs scaled to 0..1. Measured
in the benchmark: about half the CPU time of a FaceLandmarker call, which is what lets the four
composites of a frame fit in a 30 fps budget on two cores.

One instance must only be used by one thread at a time (an interpreter holds its tensors).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.tracking.landmarker import quiet_native_stderr
from realtime.tracking.model_asset import ModelError, check_model_file

_NETWORK = "face_landmarks_detector.tflite"
_SIZE = 256            # the network's input side, pixels
_N_LANDMARKS = 478
_ROI_SCALE = 1.5       # MediaPipe's face landmark graph: box x1.5, square on the long side
_EYE_CORNERS = (33, 263)


def available() -> bool:
    """Whether the interpreter is installed (there is no wheel for Linux on ARM)."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


def roi_from_landmarks(landmarks: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The network's input box for a face: centre (2,) px, side length px, rotation radians.

    ``landmarks``: (478, 2+) pixel coordinates. The box is the landmarks' extent measured in
    the face's own rotated frame, so a tilted head gets an upright crop."""
    pts = np.asarray(landmarks, np.float64)[:, :2]
    d = pts[_EYE_CORNERS[1]] - pts[_EYE_CORNERS[0]]
    angle = float(np.arctan2(d[1], d[0]))
    c, s = np.cos(angle), np.sin(angle)
    to_face = np.array([[c, s], [-s, c]])           # image -> face-aligned axes
    local = pts @ to_face.T
    lo, hi = local.min(axis=0), local.max(axis=0)
    centre = ((lo + hi) / 2) @ to_face               # back to image axes
    side = float(max(hi - lo) * _ROI_SCALE)
    return centre, side, angle


def read_network(model_path: str | Path) -> bytes:
    """The landmark network's bytes from inside a ``face_landmarker.task`` bundle."""
    path = check_model_file(Path(model_path), "model path")
    try:
        with zipfile.ZipFile(path) as bundle:
            return bundle.read(_NETWORK)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelError(f"face model {path} has no readable {_NETWORK} ({exc}); replace the file or "
                         "point SYNKINESIS_FACE_MODEL at a good copy of face_landmarker.task") from None


@dataclass(frozen=True)
class Box:
    """The network's square input box in an image, and the maps in and out of it."""
    sampling: np.ndarray   # (2, 3) network pixel index (u, v, 1) -> image pixel index
    to_image: np.ndarray   # (2, 3) network output (continuous coords) -> image continuous coords
    z_scale: float         # network z units -> image pixels

    @classmethod
    def around(cls, landmarks: np.ndarray) -> "Box":
        """The box MediaPipe's landmark graph would crop for a face with these landmarks."""
        centre, side, angle = roi_from_landmarks(landmarks)
        # Landmarks are continuous coordinates (a pixel's centre at +0.5), in the image and in
        # the network's output alike: image = centre + R(angle) @ (crop - SIZE/2) * side/SIZE.
        k = side / _SIZE
        c, s = np.cos(angle), np.sin(angle)
        rot = np.array([[c, -s], [s, c]]) * k
        to_image = np.hstack([rot, (centre - rot @ np.full(2, _SIZE / 2))[:, None]])
        # warpAffine indexes pixel centres: shift by half a pixel on both sides.
        sampling = np.hstack([rot, (centre - 0.5 - rot @ np.full(2, _SIZE / 2 - 0.5))[:, None]])
        return cls(sampling, to_image, k)

    def sample(self, rgb: np.ndarray, warp: np.ndarray | None = None) -> np.ndarray:
        """The box's pixels, (256, 256, 3) float32 in 0..1. With ``warp`` (2, 3), the box is
        in the coordinates of a reference image and ``warp`` maps reference pixels to ``rgb``
        pixels (registration.py): the frame is resampled once, straight into the box."""
        m = self.sampling
        if warp is not None:
            w = np.asarray(warp, np.float64)
            m = np.hstack([w[:, :2] @ m[:, :2], (w[:, :2] @ m[:, 2] + w[:, 2])[:, None]])
        crop = cv2.warpAffine(rgb, m, (_SIZE, _SIZE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
        return np.multiply(crop, np.float32(1.0 / 255.0), dtype=np.float32)

    def sample_mask(self, mask: np.ndarray) -> np.ndarray:
        """A (H, W) float mask of the image resampled into the box, (256, 256) float32."""
        return cv2.warpAffine(np.asarray(mask, np.float32), self.sampling, (_SIZE, _SIZE),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT)


class RoiLandmarker:
    """Face mesh in a fixed box. ``detect(rgb)`` returns (478, 3) float32 pixels (x, y in the
    image, z scaled like x), or None when the network says there is no face in the box;
    ``run(pixels)`` does the same from pixels already sampled into the box (``Box.sample``)."""

    def __init__(self, network: bytes, box: Box, *, min_presence: float = 0.5):
        # optional dependency: no wheel on Linux ARM (see available())
        from ai_edge_litert.interpreter import Interpreter

        try:
            with quiet_native_stderr():
                self._net = Interpreter(model_content=network, num_threads=1)
                self._net.allocate_tensors()
        except Exception as exc:  # the interpreter raises bare ValueError/RuntimeError
            raise ModelError(f"face landmark network could not be loaded ({str(exc).splitlines()[0][:120]}); "
                             "replace face_landmarker.task") from None
        self.box = box
        self._input = self._net.get_input_details()[0]["index"]
        outs = {tuple(d["shape"]): d["index"] for d in self._net.get_output_details()}
        self._landmarks_out = outs[(1, 1, 1, _N_LANDMARKS * 3)]
        self._presence_out = outs[(1, 1, 1, 1)]
        self._min_logit = float(np.log(min_presence / (1 - min_presence)))

    def detect(self, rgb: np.ndarray) -> np.ndarray | None:
        return self.run(self.box.sample(rgb))

    def run(self, pixels: np.ndarray) -> np.ndarray | None:
        """``pixels``: (256, 256, 3) float32 in 0..1, the box as the network sees it."""
        self._net.set_tensor(self._input, pixels[None])
        self._net.invoke()
        if float(self._net.get_tensor(self._presence_out).ravel()[0]) < self._min_logit:
            return None
        raw = self._net.get_tensor(self._landmarks_out).reshape(_N_LANDMARKS, 3).astype(np.float64)
        out = np.empty((_N_LANDMARKS, 3), np.float32)
        t = self.box.to_image
        out[:, :2] = raw[:, :2] @ t[:, :2].T + t[:, 2]
        out[:, 2] = raw[:, 2] * self.box.z_scale
        return out

    def close(self) -> None:
        self._net = None
