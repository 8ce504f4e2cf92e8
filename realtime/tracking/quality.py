"""Does the measurement hold in this frame? A quality verdict for every measured frame.

The measurement (registration to the subject's own neutral frame, per-region composites,
landmarks read in the reference's coordinates) holds only inside an envelope: the head roughly
facing the camera, a face large and sharp enough, the registration locked, nothing over the
face and one face in view. ``FrameQuality`` holds what is measured about a frame, ``judge``
says whether it is inside ``ENVELOPE`` (and if not, why), ``ADVICE`` tells the user what to do.

The image measures (sharpness, occlusion) are made by ``QualityGauge`` in one fixed view of the
face: the current frame registered to the reference, as the landmark network sees it.

Occlusion is read from the landmarks, not from the texture alone. An expression moves the
face's features but keeps them: the network's lid, brow, nostril and lip contours still lie on
image edges. A hand or an object over a feature hides it: the network still draws the contour
(it guesses it from the rest of the face), but there is no edge under it any more. So each
feature's *edge support* (mean image gradient across its contour, best within a few pixels)
is compared with the reference's; a feature whose support falls below ``OCCLUDED_SUPPORT`` of
its reference value is counted as occluded. Comparing the texture of the frame with the
reference's (band-pass correlation per cell of a grid, with a small search, plus texture energy)
was tried first: at 1 % false alarms on TUNE it caught only 30-45 % of the synthetic occluders,
because an open or laughing mouth changes the texture as much as a hand does.

How the limits in ``ENVELOPE`` were measured (real clips, tuned on TUNE only: single_face,
face_noface, noface_face, cap12_edit, cap13_edit2; 2026-11-23). The criterion throughout: the
measurement error must stay below the smallest change the co-activation flags (5 % of the
fissure for eye_closure, 0.02 IOD elsewhere), at the 90th percentile of frames.

- min_iod_px 28: TUNE clips downscaled to inter-iris distances of 14-32 px and analysed; the
  error is each frame's signal minus the same frame's at full resolution. 90th percentile of
  |error| eye_closure / smile (IOD): 14 px 0.22 / 0.066, 18 px 0.097 / 0.038, 24 px 0.054 /
  0.021, 28 px 0.042 / 0.014, 32 px 0.037 / 0.018.
- max_yaw_deg 12: real head turns in TUNE (MediaPipe's pose, every frame), frames whose eye is
  still (blendshapes eyeBlink and eyeSquint < 0.35 and steady): the still eye's eye_closure
  departs from its own still level by (median) 0.038, 0.033, 0.020, 0.034, 0.043, 0.089, 0.209
  at |yaw| 0-2, 2-5, 5-8, 8-10, 10-12, 12-15, 15-20 degrees (jitter stays ~0.002-0.004: a turn
  biases the eye, it does not make it noisy). Real turns only (TUNE reaches 17 degrees); no
  synthetic yaw was needed.
- max_pitch_deg 20: the same still-eye departure by |pitch|: 0.010-0.042 up to 20 degrees, 0.072
  at 20-30. A webcam above the screen already reads about -10.
- max_roll_deg 30: TUNE clips rotated in the image plane, swinging +/-15 and +/-30 degrees after
  the rest stretch: error 90th percentile 0.011-0.014 (eye) at every angle up to 30 (the
  registration is affine, so roll itself costs nothing); not tested beyond 30.
- min_sharpness 0.6: TUNE clips blurred (Gaussian 0.01-0.04 IOD) after the rest stretch, so the
  reference stays sharp: eye error 90th percentile 0.006-0.008 at relative sharpness >= 0.8,
  0.035-0.037 at 0.6-0.8, 0.081 at 0.5-0.6, 0.14-0.28 below 0.5. Natural TUNE frames: 1st
  percentile 0.66-0.80. A clip blurred throughout (reference included) is not seen: 1.3 px of
  blur on a 46 px face still costs 0.075 (eye, 90th percentile).
- min_registration_cc 0.9 and max_registration_error 0.1: in TUNE, cc < 0.9 occurs only while a
  face leaves or enters; in noface_face the registration locked onto a cartoon at cc 0.82 (the
  network, seeing mostly the reference in each composite, still reported a face there). The
  registration is compared with the full-frame landmarks at each probe (median over forehead,
  nose bridge and eye corners, in IOD): TUNE 99th percentile 0.05 (frontal clips) to 0.11 (webcam
  clips with head turns); a still eye departed 0.087 (median) beyond 0.1.
- occlusion (any feature below 0.3 of its reference edge support): on TUNE frames with nothing
  over the face, 6 of 554 otherwise measurable frames had a feature below 0.3 (the subject's left
  lip half, with the head turned 4-12 degrees). Synthetic occluders (skin-coloured ellipses, drawn
  hands with finger shadows, dark objects, 1-1.6x hand size) pasted on TUNE frames were caught
  (any reason, or the frame lost) over the mouth 95 %, eyes 88-91 %, nose 81 %, but over a cheek
  22-57 % and the chin 18 %: bare skin has no feature edge to lose. Real hands are harder: fingers
  bring edges of their own, and the hand on the chin and jaw in cap12_edit (TUNE, frames
  1100-1300) was not seen at all. Bare skin is therefore watched for the edges a hand brings
  instead (skin_cover.py; its patches are reported in ``occluded`` beside the contours): 89 % of
  cap12_edit's hand frames caught, no hand-free frame of the real clips dropped.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from realtime.landmarks import EYE_OUTLINE, FACE_OVAL, IRIS_CENTRE, LIP_HALF
from realtime.tracking.skin_cover import REGIONS as SKIN_REGIONS
from realtime.tracking.skin_cover import SkinCover, lab


@dataclass
class FrameQuality:
    iod_px: float            # inter-iris distance of the face in the frame, pixels
    yaw_deg: float           # head turn (0: facing the camera); NaN until the first pose probe
    pitch_deg: float         # head nod (camera-relative; a webcam above the screen reads ~-10)
    roll_deg: float          # in-plane tilt of the eye line in the frame
    registration_cc: float   # ECC correlation of the registration to the reference (0..1)
    sharpness: float         # face sharpness relative to the reference frame (1 = as sharp)
    occlusion: float         # fraction 0..1 of ``OCCLUDABLE`` (features, skin patches) that look covered
    faces: int               # faces in the frame (from the last full-frame probe)
    registration_error: float = math.nan   # registration vs full-frame landmarks at the last probe, IOD
    warp_distortion: float = math.nan      # how far the registration warp is from a similarity (see below)
    occluded: tuple[str, ...] = ()           # what looks covered (``OCCLUDABLE``: contours, skin patches)

    def to_json(self) -> dict:
        out = {}
        for k, v in asdict(self).items():
            if isinstance(v, float):
                v = round(v, 4) if math.isfinite(v) else None
            out[k] = v
        return out


@dataclass(frozen=True)
class Envelope:
    """Limits inside which a frame is measurable (how each was measured: module docstring)."""
    max_yaw_deg: float
    max_pitch_deg: float
    max_roll_deg: float
    min_iod_px: float
    min_registration_cc: float
    max_registration_error: float
    max_warp_distortion: float
    min_sharpness: float
    max_occlusion: float
    max_faces: int = 1


# Measured on the TUNE clips of realtime.checks.real_clips only (see the module docstring).
ENVELOPE = Envelope(max_yaw_deg=12.0, max_pitch_deg=20.0, max_roll_deg=30.0, min_iod_px=28.0,
                    min_registration_cc=0.9, max_registration_error=0.1, max_warp_distortion=0.06,
                    min_sharpness=0.6,
                    max_occlusion=0.0)

# Reason keys, in the order they are checked: the first failing one is reported. Causes come
# before their symptoms: a turned or tilted head breaks the registration, and blur (or a turned
# head) also takes the edges away from the features, which is how occlusion is seen.
REASONS = ("two faces", "no face", "too small", "turned", "tilted", "registration", "blurred", "occluded")

ADVICE: dict[str, str] = {
    "two faces": "only one face in view, please: ask others to step out of the picture",
    "no face": "bring your face into the picture",
    "too small": "move closer to the camera (or use a higher camera resolution)",
    "registration": "hold still and face the camera; if this persists, recalibrate",
    "turned": "turn towards the camera",
    "tilted": "hold your head level and look straight into the camera",
    "occluded": "take your hand (or anything else) away from your face",
    "blurred": "hold still, add light, or clean and focus the camera",
}


def failing(q: FrameQuality, env: Envelope = ENVELOPE) -> list[str]:
    """Every reason the frame is outside the envelope, in ``REASONS`` order. Unknown values
    (NaN: e.g. no pose probed yet) are not held against the frame."""
    def over(x: float, limit: float) -> bool:
        return math.isfinite(x) and abs(x) > limit

    def under(x: float, limit: float) -> bool:
        return math.isfinite(x) and x < limit

    checks = {
        "two faces": q.faces > env.max_faces,
        "no face": q.faces == 0,
        "too small": under(q.iod_px, env.min_iod_px),
        "registration": under(q.registration_cc, env.min_registration_cc)
                        or over(q.registration_error, env.max_registration_error)
                        or over(q.warp_distortion, env.max_warp_distortion),
        "turned": over(q.yaw_deg, env.max_yaw_deg),
        "tilted": over(q.pitch_deg, env.max_pitch_deg) or over(q.roll_deg, env.max_roll_deg),
        "occluded": over(q.occlusion, env.max_occlusion),
        "blurred": under(q.sharpness, env.min_sharpness),
    }
    return [r for r in REASONS if checks[r]]


def judge(q: FrameQuality, env: Envelope = ENVELOPE) -> str:
    """"" when the frame is measurable, else the first reason key (see ``REASONS``)."""
    bad = failing(q, env)
    return bad[0] if bad else ""


def size_and_roll(warp: np.ndarray, ref_landmarks: np.ndarray) -> tuple[float, float]:
    """(inter-iris distance px, roll degrees) of the face in the frame, from the registration
    warp (reference px -> frame px) applied to the reference's iris centres. Roll is the angle
    of the eye line (right iris -> left iris) in the frame, clockwise on screen."""
    pts = np.asarray(ref_landmarks, np.float64)[[IRIS_CENTRE["right"], IRIS_CENTRE["left"]], :2]
    w = np.asarray(warp, np.float64)
    moved = pts @ w[:, :2].T + w[:, 2]
    d = moved[1] - moved[0]
    return float(np.hypot(*d)), float(np.degrees(np.arctan2(d[1], d[0])))


def warp_distortion(warp: np.ndarray) -> float:
    """How far the registration warp's linear part is from a rotation and scale: 0 for a
    similarity, e for a pure stretch by 1 + e along one axis and 1 - e along the other (RMS of
    the residual over the scale). A real head barely distorts the forehead's image: a 12 deg
    turn foreshortens it by 2 % (e ~0.01), a 20 deg nod by 6 % (e ~0.03). ECC on low-texture
    skin can settle in a wrong basin that stretches and skews the face by 10-20 % while its
    correlation stays at 0.87-0.98 (seen on cap13_edit2), and every region is then measured on
    a distorted face. The registration now solves for a similarity (registration.py), so its own
    warps read 0; the check stays for any warp handed in from elsewhere (a seed, a test)."""
    a = np.asarray(warp, np.float64)[:, :2]
    s1, s2 = (a[0, 0] + a[1, 1]) / 2, (a[1, 0] - a[0, 1]) / 2
    scale = math.hypot(s1, s2)
    if scale <= 0:
        return math.inf
    residual = a - np.array([[s1, -s2], [s2, s1]])
    return float(np.sqrt((residual ** 2).sum() / 2) / scale)


# ---- image measures in the registered view ------------------------------------------------

# Feature contours whose edges an expression keeps (landmark indices; closed or open).
CONTOURS: dict[str, tuple[list[int], bool]] = {
    "brow_left": ([300, 293, 334, 296, 336, 285, 295, 282, 283, 276], True),
    "brow_right": ([70, 63, 105, 66, 107, 55, 65, 52, 53, 46], True),
    "eye_left": (EYE_OUTLINE["left"], True),
    "eye_right": (EYE_OUTLINE["right"], True),
    "nose": ([129, 98, 97, 2, 326, 327, 358], False),
    "lips_left": (LIP_HALF["left"], False),
    "lips_right": (LIP_HALF["right"], False),
}
OCCLUDED_SUPPORT = 0.3     # a feature is occluded below this share of its reference edge support
# Everything a frame can report covered: the feature contours (edges lost) and the lower face's
# bare-skin patches (edges gained, skin_cover.py).
OCCLUDABLE = tuple(CONTOURS) + SKIN_REGIONS
_PER_SEGMENT = 4           # samples along each contour segment
_NORMAL_SEARCH = (-3.0, -1.5, 0.0, 1.5, 3.0)   # view px across the contour (256-px view)
_SHARP_SIDE = 128          # sharpness is measured on the view reduced to this size


def _gray(view: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB view (uint8, or float 0..1) -> (H, W) float32 gray 0..1."""
    v = np.asarray(view)
    if v.dtype == np.uint8:
        v = v.astype(np.float32) * (1.0 / 255.0)
    elif v.dtype != np.float32:
        v = v.astype(np.float32)
    return cv2.cvtColor(v, cv2.COLOR_RGB2GRAY)


def _segments() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For every sample along the feature contours: start and end landmark of its segment, the
    fraction along it, and which contour it belongs to (all contours at once, vectorised)."""
    start, end, owner = [], [], []
    for k, (idx, closed) in enumerate(CONTOURS.values()):
        a = list(idx) if closed else list(idx[:-1])
        b = list(idx[1:]) + [idx[0]] if closed else list(idx[1:])
        start += a
        end += b
        owner += [k] * len(a)
    t = np.linspace(0.0, 1.0, _PER_SEGMENT, endpoint=False)

    def rep(x: list[int]) -> np.ndarray:
        return np.repeat(np.asarray(x), _PER_SEGMENT)
    return rep(start), rep(end), np.tile(t, len(start)), rep(owner)


_START, _END, _FRACTION, _OWNER = _segments()
_COUNT = np.bincount(_OWNER, minlength=len(CONTOURS)).astype(np.float64)
_MARGIN = 6          # px around the contours where gradients are computed


class QualityGauge:
    """Sharpness and occlusion of a frame, measured against the reference in a fixed view.

    ``ref_view``: the reference face as the landmark network sees it ((H, W, 3), uint8 or float
    0..1); ``ref_landmarks``: (478, 2+) reference landmarks in that view's pixels. Each frame's
    ``view`` must be the same view of the registered frame, and its landmarks in the same pixels.
    """

    def __init__(self, ref_view: np.ndarray, ref_landmarks: np.ndarray):
        h, w = ref_view.shape[:2]
        self._shape = (h, w)
        small = (np.asarray(ref_landmarks, np.float64)[FACE_OVAL, :2] * [_SHARP_SIDE / w, _SHARP_SIDE / h])
        self._mask = np.zeros((_SHARP_SIDE, _SHARP_SIDE), np.float32)
        cv2.fillPoly(self._mask, [np.round(small).astype(np.int32)], 1.0)
        if self._mask.sum() < 64:          # degenerate outline: measure the whole view
            self._mask[:] = 1.0
        self._mask_n = float(self._mask.sum())
        g = _gray(ref_view)
        self._ref_sharp = self._sharp(g)
        self._ref_support = self._support(g, ref_landmarks)
        # The lips' edge contrast in lightness sets the scale of a new edge over bare skin.
        lips = [list(CONTOURS).index(f"lips_{s}") for s in ("left", "right")]
        unit = float(self._support(lab(ref_view)[..., 0], ref_landmarks)[lips].mean())
        try:
            self.cover: SkinCover | None = SkinCover(ref_view, ref_landmarks, unit)
        except (ValueError, IndexError, np.linalg.LinAlgError):   # a degenerate reference mesh
            self.cover = None

    # sharpness: high-frequency energy relative to mid-frequency energy on the face. Blur
    # lowers the first much more than the second; an expression changes both.
    def _sharp(self, g: np.ndarray) -> float:
        if g.shape != (_SHARP_SIDE, _SHARP_SIDE):
            g = cv2.resize(g, (_SHARP_SIDE, _SHARP_SIDE), interpolation=cv2.INTER_AREA)
        g1 = cv2.GaussianBlur(g, (0, 0), 1.0)
        g3 = cv2.GaussianBlur(g, (0, 0), 3.0)
        fine, mid = g - g1, g1 - g3
        m, n = self._mask, max(self._mask_n, 1.0)

        def var(x: np.ndarray) -> float:
            mean = float((x * m).sum()) / n
            return float((x * x * m).sum()) / n - mean * mean
        return var(fine) / max(var(mid), 1e-12)

    def sharpness(self, view: np.ndarray) -> float:
        """Face sharpness relative to the reference (1: as sharp)."""
        return self._sharp(_gray(view)) / max(self._ref_sharp, 1e-12)

    def _support(self, g: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """Edge support of each feature contour: mean over its points of the largest gradient
        across the contour within +/- 3 px."""
        lm = np.asarray(landmarks, np.float64)[:, :2]
        a, b = lm[_START], lm[_END]
        d = b - a
        n = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
        s = a + _FRACTION[:, None] * d
        # Gradients only on the part of the view the contours (and the search) cover.
        h, w = g.shape
        x0, y0 = np.clip(np.floor(s.min(axis=0)) - _MARGIN - 3, 0, [w - 1, h - 1]).astype(int)
        x1, y1 = np.clip(np.ceil(s.max(axis=0)) + _MARGIN + 4, [x0 + 1, y0 + 1], [w, h]).astype(int)
        gs = cv2.GaussianBlur(g[y0:y1, x0:x1], (0, 0), 1.0)
        grad = cv2.merge([cv2.Sobel(gs, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8),
                          cv2.Sobel(gs, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)])
        off = np.asarray(_NORMAL_SEARCH)[:, None, None]
        at = (s[None] + off * n[None] - [x0, y0]).astype(np.float32)          # (offsets, points, 2)
        sampled = cv2.remap(grad, at[..., 0], at[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        across = np.abs(sampled[..., 0] * n[None, :, 0] + sampled[..., 1] * n[None, :, 1]).max(axis=0)
        return np.bincount(_OWNER, across, len(CONTOURS)) / _COUNT

    def support(self, view: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """Each feature's edge support relative to the reference's, in ``CONTOURS`` order."""
        return self._support(_gray(view), landmarks) / np.maximum(self._ref_support, 1e-9)

    def covered(self, view: np.ndarray, landmarks: dict[str, np.ndarray]) -> tuple[str, ...]:
        """The bare-skin patches (``SKIN_REGIONS``) that look covered, from each side's (478, 2+)
        landmarks in view pixels (the side's own composite)."""
        return () if self.cover is None else self.cover.covered(view, landmarks)

    def occlusion(self, view: np.ndarray, landmarks: np.ndarray) -> float:
        """Fraction of the features (``CONTOURS``) that look covered in this frame."""
        return float(np.mean(self.support(view, landmarks) < OCCLUDED_SUPPORT))
