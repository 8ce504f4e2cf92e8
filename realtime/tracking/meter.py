"""From one video frame to per-side features: register, composite, track, measure."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from realtime.landmarks import (
    FOREHEAD,
    NOSE_BRIDGE,
    REGIONS,
    SIDES,
    UPPER_REGION,
)
from realtime.signals.features import FaceFrame, frame_features
from realtime.tracking.composite import KEYS, BoxComposites, Composer
from realtime.tracking.landmarker import Landmarker, nearest_face
from realtime.tracking.registration import Registrar, apply_warp, similarity_seed
from realtime.tracking.roi_landmarker import Box, RoiLandmarker, available, read_network

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
    """Measures frames against one reference.

    ``mode`` picks how a composite is tracked: "roi" (default) runs the bundle's landmark
    network directly on the reference face's fixed box (roi_landmarker.py, half the cost);
    "image" and "video" run the full FaceLandmarker in that running mode (kept for the
    benchmark's comparison; VIDEO mode smooths over frames and delays the eye signal).

    ``workers`` threads run the four composite model calls of a frame in parallel (the model
    releases the GIL). With ``in_flight=2`` there are two sets of model instances, so the model
    calls of two consecutive frames can overlap (``submit`` the next frame before taking the
    previous ``result``): on two cores that keeps both busy while one frame is being
    registered. Registration itself stays sequential, seeded by the previous frame's warp.
    """

    def __init__(self, model_path: str | Path, reference: Reference, *, workers: int = 2,
                 full_landmarker: Landmarker | None = None, mode: str = "roi", in_flight: int = 1):
        self.reference = reference
        self.frame = FaceFrame.from_landmarks(reference.landmarks)
        self.composer = Composer(reference.image, reference.landmarks, self.frame)
        self.registrar = Registrar(reference.image, self.composer.registration_mask)
        self._own_full = full_landmarker is None
        self._full = full_landmarker or Landmarker(model_path)
        if mode == "roi" and not available():
            mode = "image"        # same measurement through FaceLandmarker, at twice the CPU
        self.mode = mode
        if mode == "roi":
            network = read_network(model_path)
            self.boxed = BoxComposites(self.composer, reference.image, Box.around(reference.landmarks))
            make = lambda: RoiLandmarker(network, self.boxed.box)  # noqa: E731
        else:
            make = lambda: Landmarker(model_path, num_faces=1, mode=mode)  # noqa: E731
        self._sets = [{k: make() for k in KEYS} for _ in range(max(1, in_flight))]
        self._next_set = 0
        threads = workers * len(self._sets)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="composite") if threads > 1 else None
        self._centre = reference.landmarks[:, :2].mean(axis=0)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for models in self._sets:
            for m in models.values():
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

    def _track_key(self, models: dict, aligned: np.ndarray, key: str, timestamp_ms: int) -> np.ndarray | None:
        if self.mode == "roi":   # ``aligned`` is the frame in the network's box; landmarks in reference px
            face = models[key].run(self.boxed.composite(aligned, key))
            return None if face is None else face[:, :2]
        faces = models[key].detect(self.composer.composite(aligned, key), timestamp_ms)
        return self.composer.to_reference(faces[0]) if faces else None

    def submit(self, rgb: np.ndarray, index: int = 0, timestamp_s: float = 0.0) -> "PendingMeasurement":
        """Register the frame now and start its model calls; take ``result()`` later, in
        submission order, with at most ``in_flight`` frames outstanding."""
        t0 = time.perf_counter()
        warp = self.registrar.register(rgb)
        if warp is None:
            warp = self._reacquire(rgb)
        t1 = time.perf_counter()
        m = FrameMeasurement(index, timestamp_s, False, "no_face" if warp is None else "lost", warp=warp,
                             registration_cc=self.registrar.last_cc,
                             timings_ms={"registration": (t1 - t0) * 1e3})
        if warp is None:
            return PendingMeasurement(self, m, None, t1)
        aligned = self.boxed.view(rgb, warp) if self.mode == "roi" else self.composer.aligned(rgb, warp)
        t2 = time.perf_counter()
        m.timings_ms["alignment"] = (t2 - t1) * 1e3
        models = self._sets[self._next_set]
        self._next_set = (self._next_set + 1) % len(self._sets)
        ts = int(round(timestamp_s * 1000))
        if self._pool is not None:
            calls = [self._pool.submit(self._track_key, models, aligned, k, ts) for k in KEYS]
        else:
            calls = [_Done(self._track_key(models, aligned, k, ts)) for k in KEYS]
        return PendingMeasurement(self, m, calls, t2)

    def measure(self, rgb: np.ndarray, index: int = 0, timestamp_s: float = 0.0) -> FrameMeasurement:
        return self.submit(rgb, index, timestamp_s).result()

    def _finish(self, m: FrameMeasurement, results: list, t2: float) -> FrameMeasurement:
        t3 = time.perf_counter()
        m.timings_ms["composites_and_tracking"] = (t3 - t2) * 1e3
        if any(r is None for r in results):
            return m
        per_side = _side_landmarks(dict(zip(KEYS, results)))
        self._centre = apply_warp(m.warp, self.reference.landmarks[:, :2]).mean(axis=0)
        m.features = frame_features(per_side, self.frame)
        m.landmarks = per_side
        m.face, m.status = True, "ok"
        m.timings_ms["features"] = (time.perf_counter() - t3) * 1e3
        return m


class _Done:
    """An already computed value with the ``result()`` of a future."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


class PendingMeasurement:
    """A frame whose model calls may still be running; ``result()`` waits for them."""

    def __init__(self, meter: FaceMeter, m: FrameMeasurement, calls, started: float):
        self._meter, self._m, self._calls, self._started = meter, m, calls, started
        self._done: FrameMeasurement | None = m if calls is None else None

    def result(self) -> FrameMeasurement:
        if self._done is None:
            self._done = self._meter._finish(self._m, [c.result() for c in self._calls], self._started)
        return self._done
