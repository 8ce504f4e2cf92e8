"""The video panel's picture: the frame mirrored for display (measurement never sees it), the
tracked regions outlined per side and the involuntarily co-activating region highlighted.
Labels are anatomical: "L" is the subject's left, wherever it appears on screen."""

from __future__ import annotations

import cv2
import numpy as np

from realtime.landmarks import EYE_OUTLINE, LIP_HALF, REGIONS, SIDES
from realtime.palette import ALERT_RGB, SIDE_RGB
from realtime.tracking.registration import apply_warp

# Display colours (RGB): each side keeps its colour in every panel.

# Which outline shows which signal's region.
_SIGNAL_POLY = {
    "eye_closure": lambda s: EYE_OUTLINE[s],
    "smile": lambda s: LIP_HALF[s],
    "pucker": lambda s: LIP_HALF[s],
    "lower_lip": lambda s: LIP_HALF[s],
    "brow_raise": lambda s: REGIONS[s]["brow"],
    "cheek_raise": lambda s: REGIONS[s]["cheek"],
    "nose_wrinkle": lambda s: REGIONS[s]["ala"],
    "chin": lambda s: REGIONS[s]["chin"],
}
_CLOSED = {"eye_closure"}


def render(image: np.ndarray, measurement, highlight: set[tuple[str, str]] = frozenset(),
           alert: set[tuple[str, str]] = frozenset(), mirror: bool = True,
           scale: float = 1.0) -> np.ndarray:
    """RGB image to display, resized by ``scale`` before drawing (cheaper, crisper lines).
    ``highlight``: (side, signal) regions flagged as synkinetic; ``alert``: regions over
    their biofeedback band right now (drawn filled)."""
    src = image[:, ::-1] if mirror else image
    if abs(scale - 1.0) > 0.02:
        h0, w0 = image.shape[:2]
        out = cv2.resize(np.ascontiguousarray(src), (max(1, int(w0 * scale)), max(1, int(h0 * scale))),
                         interpolation=cv2.INTER_LINEAR)
    else:
        out, scale = np.ascontiguousarray(src).copy(), 1.0
    w = image.shape[1]
    if measurement is None or not measurement.face or measurement.warp is None:
        return out
    # Outlines and labels are drawn after the alert fills are blended in, so they stay at full
    # strength over a filled region (blended with it they faded to 65 %, the side's label too).
    lines: list[tuple[np.ndarray, bool, tuple, int]] = []     # points, closed, colour, thickness
    fills: list[np.ndarray] = []
    labels: list[tuple[str, tuple[int, int], tuple]] = []
    for side in SIDES:
        lm = measurement.landmarks.get(side)
        if lm is None:
            continue
        pts = apply_warp(measurement.warp.astype(np.float64), lm[:, :2].astype(np.float64))
        if mirror:
            pts[:, 0] = w - 1 - pts[:, 0]
        pts *= scale
        for sig, poly in _SIGNAL_POLY.items():
            p = np.round(pts[poly(side)]).astype(np.int32).reshape(-1, 1, 2)
            hot = (side, sig) in highlight
            closed = sig in _CLOSED or sig in ("smile", "pucker", "lower_lip")
            if (side, sig) in alert:
                fills.append(p)
            lines.append((p, closed, ALERT_RGB if hot else SIDE_RGB[side], 3 if hot else 1))
        # The skin-texture patches (chin dimpling, neck bands) where they were measured.
        for sig, region in (("chin_dimpling", "chin"), ("neck_bands", "neck")):
            outline = measurement.texture_outlines.get(f"{region}_{side}")
            if outline is None:
                continue
            q = apply_warp(measurement.warp.astype(np.float64), outline)
            if mirror:
                q[:, 0] = w - 1 - q[:, 0]
            q = np.round(q * scale).astype(np.int32).reshape(-1, 1, 2)
            hot = (side, sig) in highlight
            if (side, sig) in alert:
                fills.append(q)
            lines.append((q, True, ALERT_RGB if hot else SIDE_RGB[side], 3 if hot else 1))
        # Anatomical label beside the eye, on the outer side.
        eye = pts[EYE_OUTLINE[side]].mean(axis=0)
        outer = pts[REGIONS[side]["eye_outer"][0]]
        pos = outer + (outer - eye) * 0.6 + np.array([-10, -25])
        labels.append((side[0].upper(), tuple(int(v) for v in pos), SIDE_RGB[side]))
    if fills:
        overlay = out.copy()
        for f in fills:           # one at a time: several contours in one call leave their overlap as a hole
            cv2.fillPoly(overlay, [f], ALERT_RGB)
        out = cv2.addWeighted(overlay, 0.35, out, 0.65, 0)
    for pts, closed, colour, thickness in lines:
        cv2.polylines(out, [pts], closed, colour, thickness, cv2.LINE_AA)
    for text, pos, colour in labels:
        cv2.putText(out, text, pos, cv2.FONT_HERSHEY_SIMPLEX, 0.9, colour, 2, cv2.LINE_AA)
    return out
