"""Register each frame's image to the subject's neutral reference image.

Alignment uses the image itself (ECC on the forehead and nose bridge), not landmarks:
the landmark mesh moves with expressions (a smile shifts it ~7 px, FIELD_NOTES), so a
landmark-based alignment would carry the expression into every region. ECC runs at full
resolution (half resolution lost the fine texture and drifted by ~3 px) but only on a crop
around the mask, which keeps it to a few milliseconds.
"""

from __future__ import annotations

import cv2
import numpy as np


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


class Registrar:
    """Finds the affine warp W (2x3, reference pixels -> frame pixels) for each frame.

    Each call is seeded with the previous frame's warp, which keeps ECC in its basin during
    head motion; after a loss the caller seeds it from landmarks.
    """

    def __init__(self, ref_rgb: np.ndarray, mask: np.ndarray, *, min_cc: float = 0.8,
                 iterations: int = 40, margin_px: int = 40):
        ys, xs = np.nonzero(mask)
        if len(xs) == 0:
            raise ValueError("empty registration mask")
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        self._box = (int(x0), int(y0), int(x1), int(y1))
        self._template = np.ascontiguousarray(to_gray(ref_rgb)[y0:y1, x0:x1])
        self._mask = np.ascontiguousarray((mask[y0:y1, x0:x1] > 0).astype(np.uint8))
        self.min_cc = min_cc
        self._margin = margin_px
        self._criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, iterations, 1e-4)
        self.warp: np.ndarray | None = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
        self.last_cc = 0.0

    def register(self, rgb: np.ndarray, seed: np.ndarray | None = None) -> np.ndarray | None:
        """Warp for this frame, or None if the reference region is not found (face lost)."""
        start = seed if seed is not None else self.warp
        if start is None:
            return None
        x0, y0, x1, y1 = self._box
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64)
        moved = apply_warp(start.astype(np.float64), corners)
        h, w = rgb.shape[:2]
        ix0, iy0 = np.maximum(np.floor(moved.min(axis=0)) - self._margin, 0).astype(int)
        ix1, iy1 = np.minimum(np.ceil(moved.max(axis=0)) + self._margin, [w, h]).astype(int)
        if ix1 - ix0 < 16 or iy1 - iy0 < 16:
            self.last_cc = 0.0
            return None
        gray = to_gray(rgb[iy0:iy1, ix0:ix1])
        # Warp between the two crops: x_in = A (x_t + b_t) + t - b_in.
        a, t = start[:, :2].astype(np.float64), start[:, 2].astype(np.float64)
        crop_w = np.hstack([a, (a @ [x0, y0] + t - [ix0, iy0])[:, None]]).astype(np.float32)
        try:
            cc, crop_w = cv2.findTransformECCWithMask(
                self._template, gray, self._mask, np.ones_like(gray), crop_w, cv2.MOTION_AFFINE,
                self._criteria, 3)
        except cv2.error:
            self.last_cc = 0.0
            return None
        self.last_cc = float(cc)
        if not np.isfinite(cc) or cc < self.min_cc:
            return None
        a, tc = crop_w[:, :2].astype(np.float64), crop_w[:, 2].astype(np.float64)
        self.warp = np.hstack([a, (tc - a @ [x0, y0] + [ix0, iy0])[:, None]]).astype(np.float32)
        return self.warp


def apply_warp(w: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Map (N, 2) reference pixels to frame pixels with a 2x3 affine."""
    return pts @ w[:, :2].T + w[:, 2]


def similarity_seed(ref_pts: np.ndarray, cur_pts: np.ndarray) -> np.ndarray | None:
    """A starting warp from matching landmarks (reference -> frame), for re-acquisition."""
    m, _ = cv2.estimateAffinePartial2D(ref_pts.astype(np.float32), cur_pts.astype(np.float32))
    return None if m is None else m.astype(np.float32)
