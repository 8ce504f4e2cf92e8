"""From one video frame to per-side features: register, composite, track, measure."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .composite import KEYS, Composer
from .landmarks import FOREHEAD, LOWER_REGION, NOSE_BRIDGE, REGIONS, SIDES, UPPER_REGION
from .registration import Registrar, apply_warp, similarity_seed
from .signals import FaceFrame, frame_features
from .tracker import Landmarker, nearest_face

# Landmarks that expressions move least: used to re-seed registration after a loss.
_STABLE = FOREHEAD + NOSE_BRIDGE + [133, 362, 33, 263]


@dataclass
class Reference:
    """The subject's neutral frame: RGB image (H, W, 3) uint8 and its landmarks (478, 3) px."""
    image: np.ndarray
    landmarks: np.ndarray
    timestamp_s: float = 0.0


@dataclass
class FrameMeasurement:
    index: int
    timestamp_s: float
    face: bool
    status: str                                  # "ok", "no_face", "lost"
    features: np.ndarray | None = None           # (2, N_FEATURES), see signals.py
    warp: np.ndarray | None = None               # (2, 3) reference px -> frame px
    landmarks: dict[str, np.ndarray] = field(default_factory=dict)  # side -> (478, 2) reference px
    registration_cc: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)   # stage -> wall time


def _side_landmarks(per_key: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each side's mesh: upper-face points from the upper composite, the rest from the lower."""
    out = {}
    for side in SIDES:
        lm = per_key[f"lower_{side}"].copy()
        upper = [i for g in UPPER_REGION for i in REGIONS[side][g]]
        lm[upper] = per_key[f"upper_{side}"][upper]
        out[side] = lm
    return out


class FaceMeter:
    """Measures frames against one reference. ``workers`` threads run the four composite
    model calls in parallel (the model releases the GIL)."""

    def __init__(self, model_path: str | Path, reference: Reference, *, workers: int = 2,
                 full_landmarker: Landmarker | None = None):
        self.reference = reference
        self.frame = FaceFrame.from_landmarks(reference.landmarks)
        self.composer = Composer(reference.image, reference.landmarks, self.frame.iod_px)
        self.registrar = Registrar(reference.image, self.composer.registration_mask)
        self._own_full = full_landmarker is None
        self._full = full_landmarker or Landmarker(model_path)
        self._models = {k: Landmarker(model_path, num_faces=1) for k in KEYS}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="composite") if workers > 1 else None
        self._centre = reference.landmarks[:, :2].mean(axis=0)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for m in self._models.values():
            m.close()
        if self._own_full:
            self._full.close()

    def __enter__(self) -> "FaceMeter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _reacquire(self, rgb: np.ndarray) -> np.ndarray | None:
        face = nearest_face(self._full.detect(rgb), self._centre)
        if face is None:
            return None
        seed = similarity_seed(self.reference.landmarks[_STABLE, :2], face[_STABLE, :2])
        if seed is None:
            return None
        return self.registrar.register(rgb, seed)

    def _track_key(self, aligned: np.ndarray, key: str) -> np.ndarray | None:
        faces = self._models[key].detect(self.composer.composite(aligned, key))
        return self.composer.to_reference(faces[0]) if faces else None

    def measure(self, rgb: np.ndarray, index: int = 0, timestamp_s: float = 0.0) -> FrameMeasurement:
        t0 = time.perf_counter()
        warp = self.registrar.register(rgb)
        if warp is None:
            warp = self._reacquire(rgb)
        t1 = time.perf_counter()
        timings = {"registration": (t1 - t0) * 1e3}
        if warp is None:
            return FrameMeasurement(index, timestamp_s, False, "no_face",
                                    registration_cc=self.registrar.last_cc, timings_ms=timings)
        aligned = self.composer.aligned(rgb, warp)
        t2 = time.perf_counter()
        if self._pool is not None:
            results = list(self._pool.map(lambda k: self._track_key(aligned, k), KEYS))
        else:
            results = [self._track_key(aligned, k) for k in KEYS]
        t3 = time.perf_counter()
        timings["alignment"] = (t2 - t1) * 1e3
        timings["composites_and_tracking"] = (t3 - t2) * 1e3
        if any(r is None for r in results):
            return FrameMeasurement(index, timestamp_s, False, "lost", warp=warp,
                                    registration_cc=self.registrar.last_cc, timings_ms=timings)
        per_side = _side_landmarks(dict(zip(KEYS, results)))
        self._centre = apply_warp(warp, self.reference.landmarks[:, :2]).mean(axis=0)
        features = frame_features(per_side, self.frame)
        timings["features"] = (time.perf_counter() - t3) * 1e3
        return FrameMeasurement(index, timestamp_s, True, "ok", features=features, warp=warp,
                                landmarks=per_side, registration_cc=self.registrar.last_cc,
                                timings_ms=timings)
