"""Co-activation over a whole recording (``analyze``, ``assess``, ``validate``): every frame's
signals against the rest baseline, every pair cross-correlated once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.baseline import RestBaseline
from realtime.pipeline.calibrate import Calibration
from realtime.signals.coactivation import Coupling, analyse
from realtime.signals.features import activations


class AnalysisError(RuntimeError):
    pass


@dataclass
class Analysis:
    fps: float
    timestamps: np.ndarray        # (T,) s
    features: np.ndarray          # (T, 2, N_FEATURES), NaN where no face
    signals: np.ndarray           # (T, 2, N_SIGNALS), NaN where no face
    baseline: RestBaseline
    couplings: list[Coupling]
    blinks: np.ndarray            # (T,) bool
    reference_frame: int
    calibration: Calibration | None = None


def whole_recording(timestamps: np.ndarray, features: np.ndarray, fps: float, calibration: Calibration,
                    max_range: np.ndarray | None = None) -> Analysis:
    """timestamps (T,) s; features (T, 2, N_FEATURES) with NaN rows where no face."""
    if not len(features) or np.isnan(features).all():
        raise AnalysisError("no face could be measured in the video")
    baseline = calibration.baseline
    sig = activations(features, baseline.level)
    couplings, blinks = analyse(sig, fps, baseline.noise, max_range=max_range)
    return Analysis(fps, timestamps, features, sig, baseline, couplings, blinks,
                    calibration.reference_frame, calibration)
