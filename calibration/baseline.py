"""Rest baseline: each feature's resting level and each signal's resting noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.landmarks import SIDES
from realtime.signals.features import FEATURES, SIGNALS, activations

MIN_NOISE = 1e-3  # floor: a perfectly still synthetic face must not give infinite SNR
# Seconds of rest (relaxed face) measured for the baseline when no rest stretch is given.
REST_S = 2.0


@dataclass
class RestBaseline:
    """level: (2, N_FEATURES) median features at rest; noise: (2, N_SIGNALS) robust SD of
    each signal at rest (1.4826 x median absolute deviation)."""
    level: np.ndarray
    noise: np.ndarray
    frames: int

    def to_json(self) -> dict:
        return {"frames": self.frames,
                "level": {side: dict(zip(FEATURES, map(float, self.level[i]))) for i, side in enumerate(SIDES)},
                "noise": {side: dict(zip(SIGNALS, map(float, self.noise[i]))) for i, side in enumerate(SIDES)}}

    @classmethod
    def from_json(cls, d: dict) -> "RestBaseline":
        level = np.array([[d["level"][s][f] for f in FEATURES] for s in SIDES])
        noise = np.array([[d["noise"][s][g] for g in SIGNALS] for s in SIDES])
        return cls(level, noise, int(d.get("frames", 0)))


def rest_baseline(features: np.ndarray) -> RestBaseline:
    """From features of rest frames, shape (T, 2, N_FEATURES); NaN rows (no face) ignored."""
    ok = ~np.isnan(features).any(axis=(1, 2))
    if ok.sum() < 3:
        raise ValueError("too few frames with a face in the rest stretch (need at least 3)")
    f = features[ok]
    level = np.median(f, axis=0)
    sig = activations(f, level)
    mad = np.median(np.abs(sig - np.median(sig, axis=0)), axis=0)
    return RestBaseline(level=level, noise=np.maximum(1.4826 * mad, MIN_NOISE), frames=int(ok.sum()))
