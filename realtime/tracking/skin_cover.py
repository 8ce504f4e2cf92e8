"""Is something over the bare skin of the lower face (cheeks, jaw, chin)? Per region and side.

The feature contours of quality.py (brows, eyes, nose, lips) see a hand over a feature: its
edges vanish. Bare skin has no edge to lose, so a hand resting on a cheek or under the chin passed
that test (the hand on the jaw and chin in cap12_edit, 173 frames, was measured throughout), and
the landmark network, guessing the covered skin from the rest of the face, reports the hand's
push as a facial movement. What a hand brings instead is edges of its own: its outline and the
gaps between the fingers cross the skin where the subject's own face has none.

So each patch of bare skin (the triangles of the reference mesh below the eyes, lateral to the
nasolabial line or below the lower lip, away from the eyes and lips) is followed through the
current mesh (piecewise affine, so an expression's stretch and shift of the skin is taken out),
and an edge is *new* where the frame's gradient is strong (``NEW_CONTRAST`` of the reference's
lip-edge contrast, which sets the scale for lighting and camera) and more than ``NEW_RATIO``
times the strongest reference gradient of the same orientation within ``REACH_PX``. Near the
face's outline the reach is ``OUTLINE_REACH_PX``: a turned head moves its silhouette against the
mesh by more than a few pixels. Only skin-coloured pixels count (chroma within ``SKIN_CHROMA``
of the reference skin's chroma magnitude, not dark), with a margin: the background or hair that
slides into a far-side patch when the head turns is not skin, a hand is. A patch is covered
when more than ``COVERED_SHARE`` of its pixels carry new edges.

Measured on the real clips of realtime.checks.real_clips (hands labelled by eye; 2026-12-07):
the share of new-edge pixels on frames without a hand reached at most 0.145 on a cheek (the
crease of a broad Duchenne smile, single_face), 0.067 on the jaw and 0.059 on the chin of
measurable frames, 0.21 on the chin of a crying, turned face (already unmeasurable, "turned").
With a hand on the jaw or chin: median 0.05-0.23 (cap12_edit), 0.12-0.17 (WolfgangLanger).
A flat palm whose edges fall outside the patches, or a hand the colour of the background, is not
seen; see the README's "Measurable envelope" for the per-clip figures.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import Delaunay

from realtime.landmarks import EYE_OUTLINE, FACE_OVAL, LIPS, SIDES
from realtime.signals.features import FaceFrame

PARTS = ("cheek", "jaw", "chin")
REGIONS = tuple(f"{p}_{s}" for p in PARTS for s in SIDES)
COVERED_SHARE = {"cheek": 0.25, "jaw": 0.10, "chin": 0.10}  # share of the patch with new edges
NEW_CONTRAST = 0.3          # a new edge is at least this share of the reference's lip-edge contrast
NEW_RATIO = 2.0             # and this many times the reference's own gradient of that orientation nearby
REACH_PX = 6                # view px (256-px view): how far an expression moves a skin edge against the mesh
OUTLINE_REACH_PX = 14       # near the outline: a turned head's silhouette
OUTLINE_BAND_IOD = 0.25     # "near the outline"
SKIN_CHROMA = 0.5           # skin: chroma within this share of the reference skin's chroma magnitude
MIN_CHROMA_TOL = 4.0        # (Lab units) so that a nearly grey picture still has skin
SKIN_DARK = 0.4             # and lightness above this share of the reference skin's
SKIN_MARGIN_PX = 3          # counted only this far inside skin: an edge's gradient spreads to both sides
_ORIENTATIONS = 6           # gradient orientation bins over 180 degrees
# Patch layout in face units (IOD, v up from the eye line; features.FaceFrame).
_BELOW_EYES = -0.25
_CHIN_HALF_WIDTH = 0.45
_LIP_GAP = 0.12             # chin patch starts this far below the lower lip
_NOSE_SIDE = 0.3            # cheek and jaw patches start this far from the midline,
_FOLD_SLOPE = 0.35          # widening below the nose wing along the nasolabial fold
_FOLD_TOP = -0.55
_JAW_TOP = -1.0
_LONGEST_EDGE = 0.5         # triangles longer than this (IOD) lie across the hull: left out
_BLUR = 1.0                 # gradient scale, view px (as quality.py's edge support)
_STRIDE = 2                 # every 2nd view px across and down: a quarter of the cost, the same shares


def lab(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB, uint8 or float 0..1 -> float32 Lab (L 0..100)."""
    v = np.asarray(rgb)
    v = v.astype(np.float32) * (1.0 / 255.0) if v.dtype == np.uint8 else v.astype(np.float32)
    return cv2.cvtColor(v, cv2.COLOR_RGB2Lab)


def gradient(lightness: np.ndarray) -> np.ndarray:
    """(H, W) -> (H, W, 2) gradient per px at ``_BLUR`` (quality.py's edge support uses the same)."""
    g = cv2.GaussianBlur(lightness, (0, 0), _BLUR)
    return cv2.merge([cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8),
                      cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)])


def _orientation_bin(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Continuous orientation in bins, 0.._ORIENTATIONS (an edge and its reverse alike)."""
    return np.mod(np.arctan2(gy, gx), np.pi) * (_ORIENTATIONS / np.pi)


def layout(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Triangles (T, 3) of the reference mesh and each one's patch (index into REGIONS, -1: none)."""
    lm = np.asarray(landmarks, np.float64)[:468, :2]
    frame = FaceFrame.from_landmarks(np.asarray(landmarks, np.float64))
    tri = Delaunay(lm).simplices
    face = frame.to_face(lm)
    u, v = face[tri].mean(axis=1).T
    excluded = np.isin(tri, LIPS + EYE_OUTLINE["left"] + EYE_OUTLINE["right"]).any(axis=1)
    longest = np.linalg.norm(lm[tri] - lm[np.roll(tri, 1, axis=1)], axis=2).max(axis=1)
    ok = ~excluded & (longest < _LONGEST_EDGE * frame.iod_px)
    lip_bottom = face[[17, 314, 405, 84, 181], 1].min()
    chin = ok & (v < lip_bottom - _LIP_GAP) & (np.abs(u) < _CHIN_HALF_WIDTH)
    lateral = ok & ~chin & (v < _BELOW_EYES) & (np.abs(u) > _NOSE_SIDE)
    beside_fold = np.abs(u) > _NOSE_SIDE + _FOLD_SLOPE * np.clip(_FOLD_TOP - v, 0, None)
    part = np.full(len(tri), -1)
    for side in SIDES:
        on = (u > 0) if side == "left" else (u < 0)      # subject's left: towards +u
        part[lateral & on & (v >= _JAW_TOP) & beside_fold] = REGIONS.index(f"cheek_{side}")
        part[lateral & on & (v < _JAW_TOP) & (v < lip_bottom - _LIP_GAP / 2)] = REGIONS.index(f"jaw_{side}")
        part[chin & (on | (u == 0))] = REGIONS.index(f"chin_{side}")
    return tri, part


class SkinCover:
    """New edges over the lower face's bare skin against one reference (see module docstring).

    ``ref_view``: (H, W, 3) the reference face in the quality view (uint8 or float 0..1);
    ``ref_landmarks``: (478, 2+) its landmarks in view px; ``edge_unit``: the reference's lip-edge
    contrast, lightness (Lab L) per view px."""

    def __init__(self, ref_view: np.ndarray, ref_landmarks: np.ndarray, edge_unit: float):
        lm = np.asarray(ref_landmarks, np.float64)[:, :2]
        tri, part = layout(lm)
        h, w = ref_view.shape[:2]
        owner = np.full((h, w), -1, np.int32)
        for t in np.nonzero(part >= 0)[0]:
            cv2.fillConvexPoly(owner, np.round(lm[tri[t]] * 16).astype(np.int32), int(t), shift=4)
        ys, xs = np.nonzero(owner[::_STRIDE, ::_STRIDE] >= 0)
        ys, xs = ys * _STRIDE, xs * _STRIDE
        t = owner[ys, xs]
        corners = lm[tri[t]]                                                  # (n, 3, 2)
        basis = np.stack([corners[:, 0] - corners[:, 2], corners[:, 1] - corners[:, 2]], axis=2)
        ok = np.abs(np.linalg.det(basis)) > 1e-9
        ys, xs, t, corners, basis = ys[ok], xs[ok], t[ok], corners[ok], basis[ok]
        l12 = np.linalg.solve(basis, (np.column_stack([xs, ys]) - corners[:, 2])[..., None])[..., 0]
        bary = np.column_stack([l12, 1.0 - l12.sum(axis=1)])                # (n, 3)
        self._part = part[t]                                                 # (n,) REGIONS index
        # Each pixel's place in a frame: its barycentric mix of its triangle's corners in its side's
        # mesh, one sparse (n, 2 x 478) matrix over the two sides' landmarks stacked.
        n_lm = len(lm)
        right = np.isin(self._part, [REGIONS.index(f"{p}_right") for p in PARTS])
        cols = tri[t] + np.where(right, n_lm, 0)[:, None]
        self._mix = csr_matrix((bary.ravel(), cols.ravel(), np.arange(0, 3 * len(t) + 1, 3)),
                               shape=(len(t), 2 * n_lm))
        used = np.unique(tri[t])
        self._used = used
        self._count = np.bincount(self._part, minlength=len(REGIONS)).astype(np.float64)
        self._share = np.array([COVERED_SHARE[r.rsplit("_", 1)[0]] for r in REGIONS])
        self._contrast = NEW_CONTRAST * edge_unit
        # The reference's gradient per orientation bin, spread over the reach (wider near the outline).
        ref = lab(ref_view)
        g = gradient(ref[..., 0])
        mag, orient = np.hypot(g[..., 0], g[..., 1]), _orientation_bin(g[..., 0], g[..., 1])
        near = np.zeros((h, w), np.uint8)
        frame = FaceFrame.from_landmarks(lm)
        cv2.polylines(near, [np.round(lm[FACE_OVAL]).astype(np.int32)], True, 1,
                      thickness=max(1, int(round(2 * OUTLINE_BAND_IOD * frame.iod_px))))
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * REACH_PX + 1,) * 2)
        wide = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * OUTLINE_REACH_PX + 1,) * 2)
        maps = []
        for b in range(_ORIENTATIONS):
            d = np.abs(orient - b - 0.5)
            d = np.minimum(d, _ORIENTATIONS - d)
            x = (mag * np.clip(1.5 - d, 0.0, 1.0)).astype(np.float32)      # its bin, half of the neighbours'
            maps.append(np.maximum(cv2.dilate(x, disc), cv2.dilate(x * near, wide)))
        self._explained = np.stack(maps, axis=-1)[ys, xs]                    # (n, _ORIENTATIONS)
        skin = ref[ys, xs]
        self._skin = np.median(skin, axis=0)
        self._chroma_tol = max(SKIN_CHROMA * float(np.hypot(self._skin[1], self._skin[2])), MIN_CHROMA_TOL)

    @property
    def pixels(self) -> np.ndarray:
        """(len(REGIONS),) pixels of each patch in the view (0: the layout found none)."""
        return self._count.copy()

    def _positions(self, landmarks: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(n, 2) where each patch pixel is in the frame's view, through its side's mesh; and the
        (2,) corners of the box around them."""
        both = np.vstack([np.asarray(landmarks[s], np.float64)[:, :2] for s in ("left", "right")])
        n_lm = len(both) // 2
        corners = np.vstack([both[self._used], both[self._used + n_lm]])
        return self._mix @ both, corners.min(axis=0), corners.max(axis=0)

    def new_edges(self, view: np.ndarray, landmarks: dict[str, np.ndarray]) -> np.ndarray:
        """(len(REGIONS),) share of each patch's pixels on a new edge in this frame's ``view``
        (as the reference's), with each side's (478, 2+) landmarks in view px."""
        pos, lo, hi = self._positions(landmarks)
        h, w = view.shape[:2]
        pad = SKIN_MARGIN_PX + 6
        x0, y0 = np.clip(np.floor(lo).astype(int) - pad, 0, [w - 1, h - 1])
        x1, y1 = np.clip(np.ceil(hi).astype(int) + pad + 1, [x0 + 1, y0 + 1], [w, h])
        now = lab(view[y0:y1, x0:x1])
        g = gradient(now[..., 0])
        chroma = np.hypot(now[..., 1] - self._skin[1], now[..., 2] - self._skin[2])
        skin = ((chroma < self._chroma_tol) & (now[..., 0] > SKIN_DARK * self._skin[0])).astype(np.uint8)
        skin = cv2.erode(skin, np.ones((2 * SKIN_MARGIN_PX + 1,) * 2, np.uint8), borderValue=1)
        at = (pos - [x0, y0]).astype(np.float32)[:, None, :]
        sampled = cv2.remap(cv2.merge([g[..., 0], g[..., 1], skin.astype(np.float32)]), at[..., 0], at[..., 1],
                            cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[:, 0]
        gx, gy, on_skin = sampled[:, 0], sampled[:, 1], sampled[:, 2] > 0.5
        mag = np.hypot(gx, gy)
        b = np.minimum(_orientation_bin(gx, gy).astype(int), _ORIENTATIONS - 1)
        new = on_skin & (mag > self._contrast) & (mag > NEW_RATIO * self._explained[np.arange(len(b)), b])
        return np.bincount(self._part, new, len(REGIONS)) / np.maximum(self._count, 1.0)

    def covered(self, view: np.ndarray, landmarks: dict[str, np.ndarray]) -> tuple[str, ...]:
        """The patches (``REGIONS``) that look covered in this frame."""
        share = self.new_edges(view, landmarks)
        return tuple(r for r, s, limit, n in zip(REGIONS, share, self._share, self._count) if n and s > limit)
