"""How far each brow moved up or down, read from the image itself.

Why not the mesh: the face mesh is regressed from the whole face with a prior that holds the
brow near the eye, so its brow landmarks follow a brow at a fraction of its movement. On the
demo face (every brow landmark moved by the planted amount, the eye still) the per-side
composite mesh read a 2.4 mm lowering as 0.8 mm on the left and 1.4 mm on the right, and brow
raises at 0.5-0.6 of their size; the lid margins show the same (eye_opening.py).

Here each brow is found again in the registered frame by matching: the reference's brow (its
hair and the skin just around it, from the upper edge of the brow landmarks to their lower
edge, widened by ``MARGIN_UP_IOD`` and ``MARGIN_DOWN_IOD``), cut into ``SEGMENTS`` pieces along the brow so that a brow
that tilts (the medial end pulled down, the lateral end up) is followed piece by piece, each
sampled in the face frame of features.py at ``SCALE`` px per inter-ocular distance. Each piece
is searched by normalised cross-correlation within ``SEARCH_IOD`` of where the mesh puts it: the
eye corners' movement (the mesh follows the head fully) plus the mesh brow's own movement
scaled up by its known gain (``MESH_GAIN``; the search covers that gain's spread, 0.35-0.85). The
mesh only places the search: a hand or hair over the brow can match the brow's pattern
elsewhere (a crying man's hand read as a 9 mm raise while the brow came down). The brow's
movement is the mean of the pieces that match well (``MIN_NCC``) and agree with their median
(``AGREE_IOD``); none: NaN, and the caller falls back to the mesh, scaled by ``MESH_GAIN``.

Coordinates: reference pixels in (the registration warp has removed the head's motion as far
as the nose shows it), face units (IOD, v up) out.
"""

from __future__ import annotations

import cv2
import numpy as np

from realtime.landmarks import REGIONS, SIDES
from realtime.signals.features import FaceFrame
from realtime.tracking.face_patch import BandReader, face_patch, subpixel_peak

# The brow's lower edge (the mesh's brow contour below the upper edge in REGIONS), lateral to medial.
LOWER_EDGE = {"left": [276, 283, 282, 295, 285], "right": [46, 53, 52, 65, 55]}
CORNERS = {s: REGIONS[s]["eye_inner"] + REGIONS[s]["eye_outer"] for s in SIDES}
SCALE = 160.0              # canonical px per IOD (0.4 mm)
SEGMENTS = 5
MARGIN_UP_IOD = 0.04       # forehead skin kept above the brow's upper edge
MARGIN_DOWN_IOD = 0.01     # and lid skin below its lower edge (it folds as the brow comes down)
# The composite mesh follows a brow's own movement at this fraction: 0.34-0.60 on the demo face
# (planted), 0.55-0.85 on real faces (slope of mesh on image, r 0.96-0.99).
MESH_GAIN = 0.6
SEARCH_IOD = 0.07          # ~4.4 mm either way of the mesh's place: its gain's spread on a 10 mm raise
SEARCH_ACROSS_IOD = 0.03   # corrugator pulls the medial brow in as well as down
MIN_NCC = 0.6
AGREE_IOD = 0.03           # ~2 mm: a piece farther from the median found something else
BLUR_PX = 1.0              # canonical px: sensor noise, not the hair's edges
_BAND_PAD_IOD = 0.7        # head pitch moves the brows this far from the nose (eye_opening.py)


def _edge_v(u: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Height (v) of a brow edge given by points (n, 2) in face units, at u."""
    order = np.argsort(pts[:, 0])
    return np.interp(u, pts[order, 0], pts[order, 1])


class BrowHeight(BandReader):
    """``crop(frame_rgb, warp)``: the registered frame's grey band around both brows (``warp``
    maps reference px to frame px); ``measure(band, landmarks)``: (2,) brow movement (left,
    right) in IOD, up positive, relative to the eye corners' movement, NaN where no brow piece
    was found. ``landmarks``: side -> (478, 2) reference px (that side's composite mesh)."""

    def __init__(self, ref_rgb: np.ndarray, ref_landmarks: np.ndarray, frame: FaceFrame,
                 rest_mesh: dict[str, np.ndarray] | None = None):
        """``rest_mesh``: side -> (478, 2) reference px, the mesh that the tracker whose
        landmarks ``measure`` gets reads on the reference (default: ``ref_landmarks``)."""
        lm = np.asarray(ref_landmarks, np.float64)[:, :2]
        brows = np.concatenate([lm[REGIONS[s]["brow"] + LOWER_EDGE[s]] for s in SIDES])
        super().__init__(ref_rgb, brows, _BAND_PAD_IOD * frame.iod_px, frame)
        face = frame.to_face(lm)
        rest = {s: frame.to_face(np.asarray((rest_mesh or {}).get(s, lm), np.float64)[:, :2]) for s in SIDES}
        self._corner_rest = {s: float(rest[s][CORNERS[s], 1].mean()) for s in SIDES}
        self._brow_rest = {s: float(rest[s][REGIONS[s]["brow"], 1].mean()) for s in SIDES}
        self.last_quality = np.zeros(len(SIDES))      # best piece's NCC per side, latest call
        # Per side, per piece: (u0, u1, v_top, v_bottom) of its template in face units, and the template.
        self._pieces: dict[str, list[tuple[tuple[float, float, float, float], np.ndarray]]] = {}
        for s in SIDES:
            upper, lower = face[REGIONS[s]["brow"]], face[LOWER_EDGE[s]]
            u_all = np.concatenate([upper[:, 0], lower[:, 0]])
            edges = np.linspace(u_all.min(), u_all.max(), SEGMENTS + 1)
            pieces = []
            for a, b in zip(edges[:-1], edges[1:]):
                u = np.linspace(a, b, 8)
                top = float(_edge_v(u, upper).max()) + MARGIN_UP_IOD
                bottom = float(_edge_v(u, lower).min()) - MARGIN_DOWN_IOD
                rect = (float(a), float(b), top, bottom)
                pieces.append((rect, self._sample(self.ref_gray, rect)))
            self._pieces[s] = pieces

    def _sample(self, gray: np.ndarray, rect: tuple[float, float, float, float],
                shift_v: float = 0.0, pad_up: float = 0.0, pad_down: float = 0.0,
                pad_across: float = 0.0) -> np.ndarray:
        """The face-frame rectangle ``rect`` (u0, u1, v_top, v_bottom), moved up by ``shift_v``
        and widened by the pads (IOD), from a band's grey image, at ``SCALE`` px per IOD."""
        u0, u1, top, bottom = rect
        return face_patch(gray, self.frame, self._origin,
                          (u0 - pad_across, u1 + pad_across, top + shift_v + pad_up, bottom + shift_v - pad_down),
                          SCALE, BLUR_PX)

    def measure(self, band: np.ndarray, landmarks: dict[str, np.ndarray]) -> np.ndarray:
        out = np.full(len(SIDES), np.nan)
        self.last_quality = np.zeros(len(SIDES))
        for k, s in enumerate(SIDES):
            face = self.frame.to_face(np.asarray(landmarks[s], np.float64)[:, :2])
            head = float(face[CORNERS[s], 1].mean() - self._corner_rest[s])
            mesh = float(face[REGIONS[s]["brow"], 1].mean() - self._brow_rest[s]) - head
            centre = head + mesh / MESH_GAIN
            shifts = []
            for rect, tpl in self._pieces[s]:
                win = self._sample(band, rect, centre, SEARCH_IOD, SEARCH_IOD, SEARCH_ACROSS_IOD)
                r = cv2.matchTemplate(win, tpl, cv2.TM_CCOEFF_NORMED)
                i, j = np.unravel_index(int(np.argmax(r)), r.shape)
                self.last_quality[k] = max(self.last_quality[k], float(r[i, j]))
                if not r[i, j] >= MIN_NCC:
                    continue
                row, _ = subpixel_peak(r, i, j)
                # Row SEARCH_IOD * SCALE is the reference's place moved by ``centre``.
                shifts.append(centre + SEARCH_IOD - row / SCALE)
            if shifts:
                shifts = np.array(shifts)
                near = np.abs(shifts - np.median(shifts)) <= AGREE_IOD
                if near.any():      # an even number of pieces, none near their median: no agreement
                    out[k] = float(shifts[near].mean()) - head
        return out
