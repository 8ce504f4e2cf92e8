"""Rest baseline: each feature's resting level and each signal's resting noise."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from realtime.landmarks import SIDES
from realtime.signals.features import FEATURES, SIGNALS, activations, face_measured

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
        # None where a region was never in view (the neck below the picture): JSON has no NaN.
        return {"frames": self.frames,
                "level": {side: dict(zip(FEATURES, map(_number, self.level[i]))) for i, side in enumerate(SIDES)},
                "noise": {side: dict(zip(SIGNALS, map(_number, self.noise[i]))) for i, side in enumerate(SIDES)}}

    @classmethod
    def from_json(cls, d: dict) -> "RestBaseline":
        # Baselines saved before the texture signals existed lack them: unknown (NaN).
        level = np.array([[_value(d["level"][s].get(f)) for f in FEATURES] for s in SIDES])
        noise = np.array([[_value(d["noise"][s].get(g)) for g in SIGNALS] for s in SIDES])
        return cls(level, noise, int(d.get("frames", 0)))


def _number(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _value(v) -> float:
    return float("nan") if v is None else float(v)


def rest_baseline(features: np.ndarray) -> RestBaseline:
    """From features of rest frames, shape (T, 2, N_FEATURES); frames without a face ignored,
    and a texture region's frames where it was out of view (NaN where it never was)."""
    ok = face_measured(features)
    if ok.sum() < 3:
        raise ValueError("too few frames with a face in the rest stretch (need at least 3)")
    f = features[ok]
    with warnings.catch_warnings():      # a region never in view: its level stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmedian(f, axis=0)
        sig = activations(f, level)
        mad = np.nanmedian(np.abs(sig - np.nanmedian(sig, axis=0)), axis=0)
    return RestBaseline(level=level, noise=np.maximum(1.4826 * mad, MIN_NOISE), frames=int(ok.sum()))
