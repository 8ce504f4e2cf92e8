"""Where each mouth corner moved, read from the image itself.

Why not the mesh: the face mesh is regressed with a prior that holds the mouth to its learned
shape, so its corner landmark follows a small corner movement at a fraction of its size. On
the demo face a planted 1 mm lift of one corner (nothing else moving) read as 0.7 mm, and a
blink-locked lift of that size then fell below what the product calls visible.

Here each corner is found again in the registered frame by matching: the reference's corner
(the commissure with the lip ends and the skin around it, ``HALF_U_IOD`` x ``HALF_V_IOD`` each
way), sampled in the face frame of features.py at ``SCALE`` px per IOD, is searched by
normalised cross-correlation within ``SEARCH_IOD`` of where the mesh puts it, in both
directions: the mesh's own corner movement scaled up by its gain (``MESH_GAIN``) places the
search. The mesh only places the search; the image decides. A match below ``MIN_NCC`` (the
corner's look changed too much: the lips parted wide, a hand over the mouth) gives NaN, and the
caller falls back to the mesh scaled by ``MESH_GAIN``.

Coordinates: reference pixels in (the registration warp has removed the head's motion as far as
the nose shows it), face units (IOD; u towards the subject's left, v up) out.
"""

from __future__ import annotations

import cv2
import numpy as np

from realtime.landmarks import REGIONS, SIDES
from realtime.signals.features import FaceFrame
from realtime.tracking.face_patch import BandReader, face_patch, subpixel_peak_2d

CORNER = {s: REGIONS[s]["corner"][0] for s in SIDES}
SCALE = 160.0          # canonical px per IOD (0.4 mm)
HALF_U_IOD = 0.07      # ~4.4 mm either side of the commissure: lip ends medially, cheek laterally
HALF_V_IOD = 0.06      # ~3.8 mm above and below: both lips' vermilion borders at the corner
# The mesh corner follows a corner's own movement at about this fraction (demo face, a planted
# lift alone: 0.7); it places the search and scales the fallback.
MESH_GAIN = 0.7
SEARCH_IOD = 0.06      # ~3.8 mm either way of the mesh's place, both directions
MIN_NCC = 0.6
BLUR_PX = 1.0
_BAND_PAD_IOD = 0.4    # around both corners: a full smile moves a corner ~10 mm, a pucker ~6 mm


class MouthCorner(BandReader):
    """``crop(frame_rgb, warp)``: the registered frame's grey band around the mouth (``warp``
    maps reference px to frame px); ``measure(band, landmarks)``: (2, 2) corner movement (side
    in ``SIDES`` order; u, v) in IOD from the reference, NaN where the corner was not found.
    ``landmarks``: side -> (478, 2) reference px (that side's composite mesh)."""

    def __init__(self, ref_rgb: np.ndarray, ref_landmarks: np.ndarray, frame: FaceFrame,
                 rest_mesh: dict[str, np.ndarray] | None = None):
        """``rest_mesh``: side -> (478, 2) reference px, the mesh that the tracker whose
        landmarks ``measure`` gets reads on the reference (default: ``ref_landmarks``)."""
        lm = np.asarray(ref_landmarks, np.float64)[:, :2]
        super().__init__(ref_rgb, lm[[CORNER[s] for s in SIDES]],
                         (_BAND_PAD_IOD + HALF_U_IOD + SEARCH_IOD) * frame.iod_px, frame)
        face = frame.to_face(lm)
        self._centre = {s: face[CORNER[s]] for s in SIDES}
        self._mesh_rest = {s: frame.to_face(np.asarray((rest_mesh or {}).get(s, lm), np.float64)[CORNER[s], :2])
                           for s in SIDES}
        self._templates = {s: self._sample(self.ref_gray, self._centre[s], 0.0) for s in SIDES}
        self.last_quality = np.zeros(len(SIDES))      # NCC of the match per side, latest call

    def _sample(self, gray: np.ndarray, centre: np.ndarray, pad: float) -> np.ndarray:
        u, v = centre
        return face_patch(gray, self.frame, self._origin,
                          (u - HALF_U_IOD - pad, u + HALF_U_IOD + pad, v + HALF_V_IOD + pad, v - HALF_V_IOD - pad),
                          SCALE, BLUR_PX)

    def measure(self, band: np.ndarray, landmarks: dict[str, np.ndarray]) -> np.ndarray:
        out = np.full((len(SIDES), 2), np.nan)
        self.last_quality = np.zeros(len(SIDES))
        for k, s in enumerate(SIDES):
            mesh = self.frame.to_face(np.asarray(landmarks[s], np.float64)[CORNER[s], :2]) - self._mesh_rest[s]
            guess = mesh / MESH_GAIN
            win = self._sample(band, self._centre[s] + guess, SEARCH_IOD)
            r = cv2.matchTemplate(win, self._templates[s], cv2.TM_CCOEFF_NORMED)
            i, j = np.unravel_index(int(np.argmax(r)), r.shape)
            self.last_quality[k] = float(r[i, j])
            if not r[i, j] >= MIN_NCC:
                continue
            row, col = subpixel_peak_2d(r, i, j)
            # (row, col) (SEARCH_IOD * SCALE, SEARCH_IOD * SCALE) is the reference's place moved by ``guess``.
            out[k] = guess + np.array([col / SCALE - SEARCH_IOD, SEARCH_IOD - row / SCALE])
        return out
