"""Per-side geometric features and activation signals, as pure functions.

Coordinates: a *face frame* fixed on the subject's neutral reference image. Origin midway
between the iris centres, u axis towards the subject's left, v axis up (towards the forehead),
unit = inter-ocular distance (IOD, iris centre to iris centre, ~63 mm in adults).
Because every frame is registered to the reference image before it is measured, landmarks of
all frames are expressed in reference pixels and one face frame serves the whole session.

Features array: shape (..., 2, N_FEATURES), sides in ``SIDES`` order (left, right).
Signals array:  shape (..., 2, N_SIGNALS), 0 at rest, positive when the region activates.
Units: eye_closure is a fraction of the rest fissure height (1 = closed); chin_dimpling and
neck_bands are the change of the skin's texture contrast as a fraction of its rest level
(0.5: the chin's relief is half again as strong as at rest); the others are displacements in
IOD units (0.01 IOD is about 0.6 mm). eye_aperture (fissure height / eye width) is computed here
from the mesh; tracking/meter.py replaces it with the fissure read from the image, because the
mesh follows the lid margins at only ~0.4 of their motion. The texture features are not
landmark geometry: they are NaN here and tracking/texture.py measures them from the image.

Texture regions can be out of view while the face is measured (the neck below the picture), so
their NaN does not make a frame faceless: ``face_measured`` looks at the landmark signals only.
They come last in FEATURES and SIGNALS (``N_LANDMARK``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.landmarks import IRIS_CENTRE, REGIONS, SIDES

FEATURES = ("brow_height", "eye_aperture", "cheek_height", "ala_height",
            "corner_lateral", "corner_height", "lower_lip_height", "chin_height",
            "chin_texture", "neck_texture")
SIGNALS = ("brow_raise", "eye_closure", "cheek_raise", "nose_wrinkle",
           "smile", "pucker", "lower_lip", "chin", "chin_dimpling", "neck_bands")
# Signals read from skin texture (tracking/texture.py), and the features they come from.
TEXTURE = {"chin_dimpling": "chin_texture", "neck_bands": "neck_texture"}
N_LANDMARK = len(SIGNALS) - len(TEXTURE)   # the landmark features and signals come first
# Each signal's name for a person (tables, legends, the live window's menus).
NAMES = {"brow_raise": "brow raise", "eye_closure": "eye closure", "cheek_raise": "cheek raise",
         "nose_wrinkle": "nose wrinkle", "smile": "smile", "pucker": "pucker", "lower_lip": "lower lip",
         "chin": "chin", "chin_dimpling": "chin dimpling", "neck_bands": "neck bands"}
# What each signal's sign means anatomically: (positive, negative) movement.
MOVES = {"brow_raise": ("brow up", "brow down"), "eye_closure": ("eye narrows", "eye widens"),
         "cheek_raise": ("cheek up", "cheek down"), "nose_wrinkle": ("nose wing up", "nose wing down"),
         "smile": ("mouth corner up and out", "mouth corner down and in"),
         "pucker": ("mouth corner in", "mouth corner out"), "lower_lip": ("lower lip down", "lower lip up"),
         "chin": ("chin up", "chin down"), "chin_dimpling": ("chin skin dimples", "chin skin smooths"),
         "neck_bands": ("neck bands show", "neck skin smooths")}
# Each side's lateral direction along the face frame's u axis (which points to the subject's left).
LATERAL = {"left": 1.0, "right": -1.0}
F = {name: i for i, name in enumerate(FEATURES)}
S = {name: i for i, name in enumerate(SIGNALS)}
assert set(NAMES) == set(MOVES) == set(SIGNALS)
assert all(S[g] >= N_LANDMARK and F[f] >= N_LANDMARK for g, f in TEXTURE.items())


def face_measured(x: np.ndarray) -> np.ndarray:
    """(..., 2, N_SIGNALS) signals or (..., 2, N_FEATURES) features -> (...) bool: the frame's
    face was measured (its landmark values are finite; texture regions may be out of view)."""
    return np.isfinite(np.asarray(x)[..., :N_LANDMARK]).all(axis=(-1, -2))


def column_names() -> list[str]:
    """CSV column order: every signal for both sides, ``<signal>_<side>``."""
    return [f"{sig}_{side}" for sig in SIGNALS for side in SIDES]


def signals_to_columns(sig: np.ndarray) -> np.ndarray:
    """(..., 2, N_SIGNALS) -> (..., 2 * N_SIGNALS) in ``column_names`` order."""
    return np.swapaxes(sig, -1, -2).reshape(*sig.shape[:-2], -1)


def columns_to_signals(cols: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.swapaxes(cols.reshape(*cols.shape[:-1], len(SIGNALS), 2), -1, -2))


@dataclass(frozen=True)
class FaceFrame:
    origin: np.ndarray   # (2,) reference pixels
    u: np.ndarray        # (2,) unit vector towards the subject's left
    v: np.ndarray        # (2,) unit vector up
    iod_px: float

    @classmethod
    def from_landmarks(cls, lm: np.ndarray) -> "FaceFrame":
        left = lm[IRIS_CENTRE["left"], :2].astype(np.float64)
        right = lm[IRIS_CENTRE["right"], :2].astype(np.float64)
        d = left - right
        iod = float(np.hypot(*d))
        if iod <= 0:
            raise ValueError("degenerate face: iris centres coincide")
        u = d / iod
        v = np.array([u[1], -u[0]])  # image y grows downwards; rotate u by -90 deg to point up
        return cls(origin=(left + right) / 2, u=u, v=v, iod_px=iod)

    def to_face(self, pts: np.ndarray) -> np.ndarray:
        """(..., 2) reference pixels -> (..., 2) face units (u, v)."""
        return self.vector_to_face(pts[..., :2] - self.origin)

    def vector_to_face(self, d: np.ndarray) -> np.ndarray:
        """(..., 2) displacements in reference pixels -> (..., 2) in face units (u, v)."""
        return np.stack([d @ self.u, d @ self.v], axis=-1) / self.iod_px


def side_features(face_pts: np.ndarray, side: str) -> np.ndarray:
    """Features of one side from (478, 2) landmarks in face units. Shape (N_FEATURES,)."""
    r = REGIONS[side]
    lat = LATERAL[side]
    p = face_pts
    inner, outer = p[r["eye_inner"][0]], p[r["eye_outer"][0]]
    eye_width = float(np.linalg.norm(outer - inner))
    gaps = np.linalg.norm(p[r["eye_upper"]] - p[r["eye_lower"]], axis=1)
    corner = p[r["corner"][0]]
    out = np.empty(len(FEATURES))
    out[F["brow_height"]] = p[r["brow"], 1].mean() - (inner[1] + outer[1]) / 2
    out[F["eye_aperture"]] = gaps.mean() / eye_width
    out[F["cheek_height"]] = p[r["cheek"], 1].mean()
    out[F["ala_height"]] = p[r["ala"], 1].mean()
    out[F["corner_lateral"]] = lat * corner[0]
    out[F["corner_height"]] = corner[1]
    out[F["lower_lip_height"]] = p[r["lower_lip"], 1].mean()
    out[F["chin_height"]] = p[r["chin"], 1].mean()
    out[[F[f] for f in TEXTURE.values()]] = np.nan     # measured from the image (tracking/texture.py)
    return out


def frame_features(per_side_landmarks: dict[str, np.ndarray], frame: FaceFrame) -> np.ndarray:
    """Features of both sides, shape (2, N_FEATURES), from each side's (478, 2) landmarks
    in reference pixels."""
    return np.stack([side_features(frame.to_face(per_side_landmarks[s]), s) for s in SIDES])


def activations(features: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Signals (..., 2, N_SIGNALS) from features (..., 2, N_FEATURES) and the rest level
    (2, N_FEATURES) of the same subject."""
    d = features - rest
    out = np.empty(features.shape[:-1] + (len(SIGNALS),))
    out[..., S["brow_raise"]] = d[..., F["brow_height"]]
    out[..., S["eye_closure"]] = -d[..., F["eye_aperture"]] / rest[..., F["eye_aperture"]]
    out[..., S["cheek_raise"]] = d[..., F["cheek_height"]]
    out[..., S["nose_wrinkle"]] = d[..., F["ala_height"]]
    # A smile pulls the corner up and out (zygomaticus); both count equally.
    out[..., S["smile"]] = (d[..., F["corner_lateral"]] + d[..., F["corner_height"]]) / np.sqrt(2)
    out[..., S["pucker"]] = -d[..., F["corner_lateral"]]
    out[..., S["lower_lip"]] = -d[..., F["lower_lip_height"]]
    out[..., S["chin"]] = d[..., F["chin_height"]]
    for g, f in TEXTURE.items():      # relative to rest: skin relief differs between people and cameras
        with np.errstate(invalid="ignore", divide="ignore"):
            out[..., S[g]] = d[..., F[f]] / rest[..., F[f]]
    return out


# The two signals that are projections of one mouth corner's movement (``activations``).
CORNER_SIGNALS = ("smile", "pucker")


def corner_movement(sig: np.ndarray) -> np.ndarray:
    """(..., 2, N_SIGNALS) signals -> (..., 2, 2) each mouth corner's movement from rest
    (lateral: outwards +, vertical: up +; IOD): the inverse of smile and pucker in
    ``activations``. A corner lifted straight up by h reads smile h / sqrt 2 only; its own
    movement is h."""
    lateral = -sig[..., S["pucker"]]
    up = np.sqrt(2) * sig[..., S["smile"]] - lateral
    return np.stack([lateral, up], axis=-1)


def corner_words(lateral: float, up: float) -> str:
    """A mouth corner's movement in words, to the nearest eighth of a turn ("mouth corner up",
    "mouth corner down and in")."""
    octant = int(np.round(np.degrees(np.arctan2(up, lateral)) / 45.0)) % 8
    return "mouth corner " + ("out", "up and out", "up", "up and in", "in", "down and in", "down",
                              "down and out")[octant]


def movement(signal: str, direction: int) -> str:
    """A signal's movement in words: ``direction`` +1 its positive way, -1 the opposite."""
    return MOVES[signal][0 if direction >= 0 else 1]
