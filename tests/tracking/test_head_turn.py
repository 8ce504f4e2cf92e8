"""head_turn: a head turn's parallax in the registered frame, from the 3-D meshes.
Synthetic points with a known rigid movement (the answer is exact)."""

from __future__ import annotations

import numpy as np

from realtime.tracking.head_turn import turn_parallax, umeyama, yaw_of
from realtime.tracking.registration import similarity_2d

DORSUM = [168, 6, 197, 195]
ANCHOR = DORSUM + [193, 417]
RIGID = DORSUM + [133, 362, 234, 454, 127, 356]
CORNERS = (291, 61)


def _rotation(yaw, pitch, roll):
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def _face(seed=3):
    rng = np.random.default_rng(seed)
    pts = np.column_stack([rng.uniform(200, 440, 478), rng.uniform(150, 450, 478), rng.uniform(-60, 30, 478)])
    # the dorsum: a line down the middle of the nose, further in front of the face lower down;
    # the nasal root band across its top; the mouth corners behind it
    pts[DORSUM] = [[320, 250, -40], [321, 265, -50], [322, 280, -60], [323, 295, -70]]
    pts[[193, 417]] = [[300, 251, -33], [340, 250, -33]]
    pts[list(CORNERS)] = [[350, 360, 0.0], [290, 360, 0.0]]
    return pts


def _registered(reference, frame):
    """The frame's points in reference px through a similarity on the anchor points, as the image
    registration holds the nose."""
    w = similarity_2d(reference[ANCHOR, :2], frame[ANCHOR, :2])
    return (frame[:, :2] - w[:, 2]) @ np.linalg.inv(w[:, :2]).T


def test_umeyama_recovers_a_known_similarity_and_its_yaw():
    src = _face()
    rot = _rotation(14, 0, 0)
    dst = 1.2 * src @ rot.T + [5.0, -9.0, 3.0]
    scale, r, t = umeyama(src, dst)
    assert abs(scale - 1.2) < 1e-9 and np.allclose(r, rot) and np.allclose(t, [5.0, -9.0, 3.0])
    assert abs(np.degrees(yaw_of(r)) - 14) < 1e-9


def test_a_turned_face_reads_still_once_the_parallax_is_taken_off():
    ref = _face()
    # turned 12 degrees, tilted in the image plane, nearer the camera and moved
    frame = 1.1 * ref @ (_rotation(0, 0, 3) @ _rotation(12, 0, 0)).T + [30.0, -12.0, 0.0]
    measured = _registered(ref, frame)
    lateral = measured[list(CORNERS), 0] - ref[list(CORNERS), 0]
    # Uncorrected, the turn slides both mouth corners the same way in the image: one reads as a
    # smile (out), the other as a pucker (in).
    assert np.abs(lateral).min() > 5.0 and np.sign(lateral[0]) == np.sign(lateral[1])
    corrected = measured - turn_parallax(ref, frame, RIGID, ANCHOR)
    # exact but for the yaw read through the tilt (0.05 px here; the lateral shift was > 5 px)
    assert np.abs(corrected - ref[:, :2]).max() < 0.1


def test_an_expression_survives_the_correction():
    ref = _face()
    moved = ref.copy()
    moved[291, 0] += 6.0                               # the left corner pulled 6 px out
    frame = moved @ _rotation(-10, 0, 0).T
    corrected = _registered(ref, frame) - turn_parallax(ref, frame, RIGID, ANCHOR)
    # 6 px along the face's own x axis, seen through the turn: cos(10 degrees) of it, give or
    # take the registration's own scale bias (the turned dorsum foreshortens)
    seen = 6.0 * np.cos(np.radians(10))
    assert abs(corrected[291, 0] - ref[291, 0] - seen) < 0.05 * seen
    assert np.abs(corrected[61] - ref[61, :2]).max() < 1e-6


def test_a_nod_is_left_alone():
    """Only the turn is taken off: a brow raise tilts the mesh network's whole mesh a little, and
    a fitted nod carried the raise into the lower face."""
    ref = _face()
    frame = ref @ _rotation(0, 8, 0).T
    assert np.abs(turn_parallax(ref, frame, RIGID, ANCHOR)).max() < 1e-6
