"""Register each frame's image to the subject's neutral reference image.

Alignment uses the image itself (ECC on the nose dorsum), not landmarks: the landmark mesh
moves with expressions (a smile shifts it ~7 px, FIELD_NOTES), so a landmark-based alignment
would carry the expression into every region. The warp is a similarity (rotation, scale,
translation): a real head's face barely stretches in the image, and an affine ECC on
low-texture skin settled in wrong basins that skewed the face by 10-20 % at a high correlation
(cap13_edit2). ECC runs at full resolution (half resolution lost the fine texture and drifted
by ~3 px) but only on a crop around the mask, which keeps it to a few milliseconds.
"""

from __future__ import annotations

import cv2
import numpy as np


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


# A face cannot change its size in the image by more than this (log ratio) from one frame to
# the next at camera rates (8 %: a head moving 4 cm towards a camera 50 cm away in 1/30 s).
# ECC on a band that is long and thin can slide into a wrong scale instead.
MAX_SCALE_STEP = 0.08


def _scale(warp: np.ndarray) -> float:
    a = np.asarray(warp, np.float64)[:, :2]
    return float(np.sqrt(abs(np.linalg.det(a))))


class Registrar:
    """Finds the similarity warp W (2x3, reference pixels -> frame pixels) for each frame.

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
        # Smoothed as OpenCV's ECC smooths it (3 x 3 Gaussian), once.
        self._template = cv2.GaussianBlur(to_gray(ref_rgb)[y0:y1, x0:x1].astype(np.float32), (3, 3), 0)
        self._mask_idx = np.flatnonzero(mask[y0:y1, x0:x1] > 0)
        self.min_cc = min_cc
        self._iterations = iterations
        self._margin = margin_px
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
        cc, crop_w = similarity_ecc(self._template, self._mask_idx, gray, crop_w, self._iterations)
        self.last_cc = float(cc)
        if not np.isfinite(cc) or cc < self.min_cc:
            return None
        if abs(np.log(_scale(crop_w) / _scale(start))) > MAX_SCALE_STEP:
            return None      # slid along the band into a wrong scale: the caller re-seeds
        a, tc = crop_w[:, :2].astype(np.float64), crop_w[:, 2].astype(np.float64)
        self.warp = np.hstack([a, (tc - a @ [x0, y0] + [ix0, iy0])[:, None]]).astype(np.float32)
        return self.warp


def registered_band(frame_rgb: np.ndarray, warp: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The grey image of the reference's pixel box (x0, y0, x1, y1) in a frame, registered:
    ``warp`` (2, 3) maps reference px to frame px. Returns (y1 - y0, x1 - x0) uint8."""
    x0, y0, x1, y1 = box
    m = np.asarray(warp, np.float64).copy()
    m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)
    band = cv2.warpAffine(frame_rgb, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)
    return cv2.cvtColor(band, cv2.COLOR_RGB2GRAY)


def similarity_2d(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares similarity (rotation, scale, shift) mapping (N, 2) src onto dst."""
    ms, md = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - ms, dst - md
    za, zb = a[:, 0] + 1j * a[:, 1], b[:, 0] + 1j * b[:, 1]
    k = complex((np.conj(za) * zb).sum() / max(float((np.abs(za) ** 2).sum()), 1e-12))
    lin = np.array([[k.real, -k.imag], [k.imag, k.real]])
    return np.column_stack([lin, md - lin @ ms])


def apply_warp(w: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Map (N, 2) reference pixels to frame pixels with a 2x3 affine."""
    return pts @ w[:, :2].T + w[:, 2]


def similarity_seed(ref_pts: np.ndarray, cur_pts: np.ndarray) -> np.ndarray | None:
    """A starting warp from matching landmarks (reference -> frame), for re-acquisition."""
    m, _ = cv2.estimateAffinePartial2D(ref_pts.astype(np.float32), cur_pts.astype(np.float32))
    return None if m is None else m.astype(np.float32)


def similarity_ecc(template: np.ndarray, mask_idx: np.ndarray, image: np.ndarray,
                   warp: np.ndarray, iterations: int, eps: float = 1e-4) -> tuple[float, np.ndarray]:
    """ECC (Evangelidis & Psarakis 2008, the update OpenCV's findTransformECC uses) restricted
    to a similarity: rotation, one scale and a translation, 4 parameters instead of the
    affine's 6 (OpenCV has no such motion). A long, thin template (the nose) leaves an
    affine's stretch across it unconstrained.

    template: (h, w) float32, smoothed; mask_idx: flat indices of the template pixels used;
    image: (H, W) uint8; warp: (2, 3) template px -> image px, the start. Returns (correlation,
    warp), correlation -1 when the image runs out under the template or the system is singular.
    """
    h, w = template.shape
    img = cv2.GaussianBlur(image.astype(np.float32), (3, 3), 0)
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    yy, xx = np.divmod(mask_idx, w)
    # Parameters about the template's centre: scale and rotation then barely couple with the
    # translation, which keeps the 4 x 4 system well conditioned.
    cx, cy = (w - 1) / 2, (h - 1) / 2
    x, y = (xx - cx).astype(np.float64), (yy - cy).astype(np.float64)
    t = template.reshape(-1)[mask_idx].astype(np.float64)
    t -= t.mean()
    t_norm = np.linalg.norm(t)
    a = warp[:, :2].astype(np.float64)
    sc, sn = (a[0, 0] + a[1, 1]) / 2, (a[1, 0] - a[0, 1]) / 2
    # Translation of the centre: W(c) = A c + t.
    tx, ty = warp[:, :2].astype(np.float64) @ [cx, cy] + warp[:, 2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    cc = -1.0
    for _ in range(iterations):
        m = np.array([[sc, -sn, tx - sc * cx + sn * cy], [sn, sc, ty - sn * cx - sc * cy]])
        iw = cv2.warpAffine(img, m, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=np.nan)
        i = iw.reshape(-1)[mask_idx].astype(np.float64)
        if not np.isfinite(i).all():
            return -1.0, warp
        gxw = cv2.warpAffine(gx, m, (w, h), flags=flags).reshape(-1)[mask_idx].astype(np.float64)
        gyw = cv2.warpAffine(gy, m, (w, h), flags=flags).reshape(-1)[mask_idx].astype(np.float64)
        i -= i.mean()
        # d W(x) / d (sc, sn, tx, ty) = [[x, -y, 1, 0], [y, x, 0, 1]] about the centre.
        g = np.stack([gxw * x + gyw * y, gyw * x - gxw * y, gxw, gyw], axis=1)
        g -= g.mean(axis=0)
        hess = g.T @ g
        try:
            hinv = np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            return -1.0, warp
        i_norm = np.linalg.norm(i)
        cc = float(t @ i / (t_norm * i_norm)) if i_norm > 0 else -1.0
        gi, gt = g.T @ i, g.T @ t
        i_proj, t_proj = gi @ hinv @ gi, gi @ hinv @ gt
        num, den = i_norm ** 2 - i_proj, t @ i - t_proj
        if den <= 0:
            return -1.0, warp
        lam = num / den
        dp = hinv @ (g.T @ (lam * t - i))
        sc, sn, tx, ty = sc + dp[0], sn + dp[1], tx + dp[2], ty + dp[3]
        if np.hypot(*dp[2:]) < eps and abs(dp[0]) + abs(dp[1]) < eps * 1e-2:
            break
    m = np.array([[sc, -sn, tx - sc * cx + sn * cy], [sn, sc, ty - sn * cx - sc * cy]], np.float32)
    return cc, m
