"""Per-region composites: one region of the current (registered) frame pasted onto the
subject's own neutral reference image.

The face model regresses the whole mesh from the whole face, so a smile moves the eye
landmarks and one eye's narrowing shows up in the other (FIELD_NOTES). In a composite only
one region differs from neutral, so the landmarks of that region see only its own movement.
Four composites per frame: upper (brow + eye) and lower (cheek, nose wing, mouth half, chin)
for each side.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from realtime.landmarks import (
    FACE_OVAL,
    INNER_EYE,
    LOWER_REGION,
    MIDLINE,
    NOSE_DORSUM,
    REGIONS,
    SIDES,
    UPPER_REGION,
)
from realtime.signals.features import FaceFrame

PARTS = ("upper", "lower")
KEYS = tuple(f"{part}_{side}" for side in SIDES for part in PARTS)


def _region_indices(side: str, groups: tuple[str, ...]) -> list[int]:
    return [i for g in groups for i in REGIONS[side][g]]


def _hull_mask(shape: tuple[int, int], pts: np.ndarray, dilate_px: float) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(pts.astype(np.int32)), 1)
    k = max(1, int(round(dilate_px)))
    return cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)))


def _side_halfplane(shape: tuple[int, int], lm: np.ndarray, side: str) -> np.ndarray:
    """1 on the subject's ``side`` of the facial midline (a line fitted to midline points)."""
    pts = lm[MIDLINE, :2].astype(np.float64)
    c = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - c)
    direction = vt[0]
    normal = np.array([direction[1], -direction[0]])
    # Orient the normal towards the subject's left (the left iris).
    if (lm[473, :2] - c) @ normal < 0:
        normal = -normal
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    dist = (xx - c[0]) * normal[0] + (yy - c[1]) * normal[1]
    return ((dist > 0) if side == "left" else (dist < 0)).astype(np.uint8)


@dataclass
class RegionMask:
    box: tuple[int, int, int, int]   # x0, y0, x1, y1 within the crop
    alpha: np.ndarray                # (y1-y0, x1-x0, 1) float32 in 0..1


class Composer:
    """Builds composites inside a crop box around the face (reference pixel coordinates)."""

    def __init__(self, ref_rgb: np.ndarray, ref_lm: np.ndarray, frame: FaceFrame):
        h, w = ref_rgb.shape[:2]
        oval = ref_lm[FACE_OVAL, :2]
        lo, hi = oval.min(axis=0), oval.max(axis=0)
        pad = 0.35 * (hi - lo)
        x0, y0 = np.maximum(np.floor(lo - pad), 0).astype(int)
        x1, y1 = np.minimum(np.ceil(hi + pad), [w, h]).astype(int)
        self.crop = (int(x0), int(y0), int(x1), int(y1))
        self.ref_crop = np.ascontiguousarray(ref_rgb[y0:y1, x0:x1])
        lm = ref_lm[:, :2] - np.array([x0, y0], np.float32)
        shape = self.ref_crop.shape[:2]
        iod_px = frame.iod_px
        feather = max(1.0, 0.04 * iod_px)
        yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
        height = frame.to_face(np.stack([xx + x0, yy + y0], axis=-1).astype(np.float64))[..., 1]
        self.masks: dict[str, RegionMask] = {}
        for side in SIDES:
            half = _side_halfplane(shape, lm, side)
            upper = _hull_mask(shape, lm[_region_indices(side, UPPER_REGION)], 0.15 * iod_px) * half
            # Stop just below the lower lid: the cheek below it moves with every smile.
            lid = frame.to_face(ref_lm[REGIONS[side]["eye_lower"], :2])[:, 1].min()
            upper = upper * (height > lid - 0.07).astype(np.uint8)
            lower = _hull_mask(shape, lm[_region_indices(side, LOWER_REGION)], 0.15 * iod_px) * half
            # Keep the regions disjoint: the lower composite must not carry the eyelids.
            guard = _hull_mask(shape, lm[_region_indices(side, ("eye_upper", "eye_lower", "eye_inner",
                                                                  "eye_outer"))], 0.12 * iod_px)
            lower = lower * (1 - guard)
            for part, m in (("upper", upper), ("lower", lower)):
                self.masks[f"{part}_{side}"] = self._feathered(m, feather)
        self.registration_mask = self._registration_mask(ref_rgb.shape[:2], ref_lm, iod_px)

    @staticmethod
    def _feathered(m: np.ndarray, sigma: float) -> RegionMask:
        a = cv2.GaussianBlur(m.astype(np.float32), (0, 0), sigma)
        ys, xs = np.nonzero(a > 1e-3)
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        return RegionMask((int(x0), int(y0), int(x1), int(y1)), a[y0:y1, x0:x1, None].copy())

    @staticmethod
    def _registration_mask(shape: tuple[int, int], lm: np.ndarray, iod_px: float) -> np.ndarray:
        """The nose dorsum, skin over bone and cartilage that no expression moves, as a band
        0.3 IOD wide. Not the forehead: a brow raise pulls the forehead skin up, and a
        registration anchored there carried it into every region below (demo face, 4 mm brow
        raise: mouth corner -4.3 mm, lower lip +6.7 mm, chin -2.8 mm per raise; on the nose all
        under 0.1 mm). Not the inner eye corners either: a narrowing eye pulls its corner, and
        the other eye then read 4 % of the narrowing. The similarity motion of Registrar keeps
        this thin band from stretching the face."""
        m = np.zeros(shape, np.uint8)
        cv2.polylines(m, [lm[NOSE_DORSUM, :2].astype(np.int32)], False, 1,
                      thickness=max(3, int(0.3 * iod_px)))
        # Across the nasal root between the eyes (stopping 0.13 IOD short of the eye corners),
        # so that the band has width to hold the scale.
        root = lm[NOSE_DORSUM[0], :2]
        across = lm[INNER_EYE["left"], :2] - lm[INNER_EYE["right"], :2]
        across = across / max(float(np.linalg.norm(across)), 1e-6) * 0.15 * iod_px
        cv2.line(m, tuple(int(v) for v in root - across), tuple(int(v) for v in root + across), 1,
                 thickness=max(3, int(0.12 * iod_px)))
        return m

    def aligned(self, frame_rgb: np.ndarray, warp: np.ndarray) -> np.ndarray:
        """The current frame resampled into the reference crop (warp: reference -> frame)."""
        x0, y0, x1, y1 = self.crop
        w = warp.astype(np.float64).copy()
        w[:, 2] += w[:, :2] @ np.array([x0, y0], np.float64)
        return cv2.warpAffine(frame_rgb, w, (x1 - x0, y1 - y0),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)

    def composite(self, aligned_crop: np.ndarray, key: str) -> np.ndarray:
        m = self.masks[key]
        x0, y0, x1, y1 = m.box
        out = self.ref_crop.copy()
        ref = out[y0:y1, x0:x1].astype(np.float32)
        cur = aligned_crop[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = (ref + m.alpha * (cur - ref) + 0.5).astype(np.uint8)
        return out

    def to_reference(self, crop_pts: np.ndarray) -> np.ndarray:
        """Crop pixel coordinates -> reference pixel coordinates."""
        return crop_pts[..., :2] + np.array(self.crop[:2], np.float32)


class BoxComposites:
    """The same composites, drawn straight in the landmark network's input box
    (roi_landmarker.Box, in reference coordinates): the frame is resampled once into the box and
    each composite is a blend of 256 x 256 pixels, instead of resampling the frame into the
    crop, blending there and resampling each composite into the box again."""

    def __init__(self, composer: Composer, ref_rgb: np.ndarray, box) -> None:
        self.box = box
        self.reference = box.sample(ref_rgb)               # (256, 256, 3) float32 0..1
        h, w = ref_rgb.shape[:2]
        cx, cy = composer.crop[:2]
        self.masks: dict[str, RegionMask] = {}
        for key, m in composer.masks.items():
            full = np.zeros((h, w), np.float32)
            x0, y0, x1, y1 = m.box
            full[cy + y0:cy + y1, cx + x0:cx + x1] = m.alpha[..., 0]
            a = box.sample_mask(full)
            ys, xs = np.nonzero(a > 1e-3)
            bx0, bx1, by0, by1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
            self.masks[key] = RegionMask((int(bx0), int(by0), int(bx1), int(by1)),
                                         a[by0:by1, bx0:bx1, None].copy())

    def view(self, frame_rgb: np.ndarray, warp: np.ndarray) -> np.ndarray:
        """The current frame in the box (warp: reference -> frame), (256, 256, 3) float32."""
        return self.box.sample(frame_rgb, warp)

    def composite(self, view: np.ndarray, key: str) -> np.ndarray:
        m = self.masks[key]
        x0, y0, x1, y1 = m.box
        out = self.reference.copy()
        ref = self.reference[y0:y1, x0:x1]
        out[y0:y1, x0:x1] = ref + m.alpha * (view[y0:y1, x0:x1] - ref)
        return out
