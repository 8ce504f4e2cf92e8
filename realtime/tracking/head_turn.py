"""Parallax of a head turned left or right (yaw), for removal from registered landmarks.

The image registration is a 2-D similarity anchored on the nose dorsum (registration.py). When
the head turns, points at another depth than the dorsum slide sideways in the registered image,
and the dorsum itself, whose depth changes along its length, tilts, so the registration rotates
with it. MediaPipe puts the mouth corners 0.25-0.5 IOD behind the dorsum: a turn moves one corner
out and the other in, which read as a one-sided smile and a pucker on the other side (talking
clips cap12_edit, cap13_edit2: the corners' lateral positions correlated left against right at
r -0.70 and -0.51, the two sides' smiles at -0.20 and +0.15).

The turn is measured from a full-frame mesh: a 3-D similarity (Umeyama) of the reference mesh's
rigid points onto the frame's. The reference mesh turned by that yaw is projected and registered
the way the image registration registers it (a 2-D similarity on the anchor points); where its
points land, relative to where they are in the reference, is the parallax. Only the yaw is used:
the mesh network tilts its whole mesh a little with a brow raise, and a fitted pitch carried the
raise into the lower face (demo brow raise: the lower lip 0.015 IOD per unit of raise, 0 with yaw
only). Everything is modelled from the meshes, so the image registration's own frame-to-frame
noise does not enter.

Arrays: meshes (478, 3) px with z scaled like x (MediaPipe); results (478, 2) reference px.
"""

from __future__ import annotations

import numpy as np

from realtime.tracking.registration import similarity_2d


def umeyama(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Similarity (scale, rotation (3, 3), translation (3,)) with dst ~ scale * R @ src + t,
    least squares over the (N, 3) point pairs."""
    ms, md = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - ms, dst - md
    u, sv, vt = np.linalg.svd(b.T @ a / len(a))
    d = np.ones(3)
    if np.linalg.det(u @ vt) < 0:
        d[2] = -1.0
    rot = u @ np.diag(d) @ vt
    var = float((a ** 2).sum() / len(a))
    scale = float((sv * d).sum() / var) if var > 0 else 1.0
    return scale, rot, md - scale * rot @ ms


def yaw_of(rot: np.ndarray) -> float:
    """Turn about the image's vertical axis, radians, of a (3, 3) rotation (camera axes: x right,
    y down, z away from the camera)."""
    return float(np.arctan2(rot[0, 2], rot[2, 2]))


def turn_parallax(reference: np.ndarray, frame: np.ndarray, rigid: list[int], anchor: list[int],
                  deadband: float = 0.0) -> np.ndarray:
    """(478, 2) reference px: how far each reference point appears displaced in the registered
    frame only because the head turned (yaw) between the ``reference`` and ``frame`` meshes.
    ``rigid``: points expressions barely move, on which the turn is fitted; ``anchor``: the
    points the image registration aligns; ``deadband`` (radians): that much of the fitted turn
    is taken as the fit's own noise (continuous: a larger turn loses only that much)."""
    ref = np.asarray(reference, np.float64)
    scale, rot, shift = umeyama(ref[rigid], np.asarray(frame, np.float64)[rigid])
    yaw = yaw_of(rot)
    yaw = float(np.sign(yaw) * max(abs(yaw) - deadband, 0.0))
    c, s = np.cos(yaw), np.sin(yaw)
    turned = (scale * ref @ np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]).T + shift)[:, :2]
    w = similarity_2d(ref[anchor, :2], turned[anchor])
    return (turned - w[:, 2]) @ np.linalg.inv(w[:, :2]).T - ref[:, :2]
