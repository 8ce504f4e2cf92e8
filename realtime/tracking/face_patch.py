"""A rectangle of the face frame cut from a registered grey image, upright and at a fixed scale.

The image readers (brow_height.py, mouth_corner.py) match a reference patch against the same
place in each registered frame. Sampling both in the face frame of features.py (u towards the
subject's left, v up, IOD units) at a fixed number of px per IOD makes one template serve every
face size and any small roll left by the registration.
"""

from __future__ import annotations

import cv2
import numpy as np

from realtime.signals.features import FaceFrame
from realtime.tracking.registration import registered_band


def reference_band(ref_rgb: np.ndarray, pts: np.ndarray, pad_px: float
                   ) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]:
    """The reference's box around points (n, 2) px widened by ``pad_px`` and cut to the
    picture: (box (x0, y0, x1, y1), its origin (2,) px, its grey image). Raises ValueError
    when the box is empty (the points outside the picture)."""
    h, w = ref_rgb.shape[:2]
    x0, y0 = np.maximum(np.floor(pts.min(axis=0) - pad_px), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(pts.max(axis=0) + pad_px), (w, h)).astype(int)
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise ValueError("the region lies outside the reference picture")
    gray = cv2.cvtColor(np.ascontiguousarray(ref_rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    return (int(x0), int(y0), int(x1), int(y1)), np.array([x0, y0], np.float64), gray


class BandReader:
    """What the image readers share: the reference's box around the points they read (``box``,
    ``ref_gray``, see ``reference_band``) in the face frame ``frame``, and ``crop``, the same
    box of a registered frame."""

    def __init__(self, ref_rgb: np.ndarray, pts: np.ndarray, pad_px: float, frame: FaceFrame):
        self.frame = frame
        self.box, self._origin, self.ref_gray = reference_band(ref_rgb, pts, pad_px)

    def crop(self, frame_rgb: np.ndarray, warp: np.ndarray) -> np.ndarray:
        """The box's grey image in a frame; ``warp`` (2, 3) maps reference px to frame px."""
        return registered_band(frame_rgb, warp, self.box)


def face_patch(gray: np.ndarray, frame: FaceFrame, origin_px: np.ndarray,
               rect: tuple[float, float, float, float], scale: float, blur_px: float) -> np.ndarray:
    """The face-frame rectangle ``rect`` (u0, u1, v_top, v_bottom; IOD) of ``gray``, an image
    whose pixel (0, 0) is reference pixel ``origin_px``, sampled at ``scale`` px per IOD (rows
    going down the face) and blurred by ``blur_px`` (canonical px: sensor noise, not edges).
    Returns float32 (rows, cols)."""
    u0, u1, top, bottom = rect
    # canonical (col, row) -> image px: p = origin + iod (u u_vec + v v_vec), v falling with the row.
    m = np.empty((2, 3))
    m[:, 0] = frame.u * frame.iod_px / scale
    m[:, 1] = -frame.v * frame.iod_px / scale
    m[:, 2] = frame.origin + frame.iod_px * (u0 * frame.u + top * frame.v) - origin_px
    size = (int(round((u1 - u0) * scale)) + 1, int(round((top - bottom) * scale)) + 1)
    patch = cv2.warpAffine(gray, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    return cv2.GaussianBlur(patch, (0, 0), blur_px)


def _vertex(lo: float, mid: float, hi: float) -> float:
    """Offset (-0.5..0.5) of the parabola's vertex through three samples around a maximum."""
    den = lo - 2 * mid + hi
    return float(np.clip(0.5 * (lo - hi) / den, -0.5, 0.5)) if den < 0 else 0.0


def subpixel_peak(r: np.ndarray, i: int, j: int) -> tuple[float, float]:
    """(row, col) of a correlation map's maximum at (i, j), refined by a parabola through its
    neighbours on each axis (an edge of the map keeps the integer)."""
    row = i + (_vertex(r[i - 1, j], r[i, j], r[i + 1, j]) if 0 < i < r.shape[0] - 1 else 0.0)
    col = j + (_vertex(r[i, j - 1], r[i, j], r[i, j + 1]) if 0 < j < r.shape[1] - 1 else 0.0)
    return float(row), float(col)


def subpixel_peak_2d(r: np.ndarray, i: int, j: int) -> tuple[float, float]:
    """(row, col) of a correlation map's maximum at (i, j), refined by a 2-D quadratic through
    its 3 x 3 neighbourhood. Unlike a parabola per axis, it follows a peak that is a ridge
    along a diagonal (a patch dominated by one oblique edge, like the lips at a mouth corner):
    per-axis parabolas read such a peak by whole pixels, switching between neighbours as the
    search window moves. At most one pixel either way; an edge of the map, or a neighbourhood
    that is not a maximum, keeps the per-axis refinement."""
    if not (0 < i < r.shape[0] - 1 and 0 < j < r.shape[1] - 1):
        return subpixel_peak(r, i, j)
    z = r[i - 1:i + 2, j - 1:j + 2].astype(np.float64)
    gx, gy = (z[1, 2] - z[1, 0]) / 2, (z[2, 1] - z[0, 1]) / 2
    hxx, hyy = z[1, 2] - 2 * z[1, 1] + z[1, 0], z[2, 1] - 2 * z[1, 1] + z[0, 1]
    hxy = (z[2, 2] - z[2, 0] - z[0, 2] + z[0, 0]) / 4
    det = hxx * hyy - hxy * hxy
    if not (hxx < 0 and det > 0):
        return subpixel_peak(r, i, j)
    dx = (-hyy * gx + hxy * gy) / det
    dy = (hxy * gx - hxx * gy) / det
    return float(i + np.clip(dy, -1.0, 1.0)), float(j + np.clip(dx, -1.0, 1.0))
