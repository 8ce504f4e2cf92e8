"""Pick the neutral reference frame from a rest stretch (avoiding blinks and twitches)."""

from __future__ import annotations

import numpy as np

from realtime.signals.features import FaceFrame, frame_features


def typical_index(landmark_sets: list[np.ndarray]) -> int:
    """Index of the most typical face among (478, 2+) landmark arrays: the one whose own
    features are closest (in robust z units) to the median of all. Blinks and smiles in the
    rest stretch are outliers and are never chosen."""
    if not landmark_sets:
        raise ValueError("no faces to choose a reference from")
    feats = []
    for lm in landmark_sets:
        frame = FaceFrame.from_landmarks(lm)
        feats.append(frame_features({"left": lm[:, :2], "right": lm[:, :2]}, frame).ravel())
    f = np.array(feats)
    med = np.median(f, axis=0)
    mad = np.median(np.abs(f - med), axis=0) + 1e-6
    score = np.abs((f - med) / mad).sum(axis=1)
    return int(np.argmin(score))
