"""Co-activation over a whole recording (``analyze``, ``assess``, ``validate``): every frame's
signals against the rest baseline, every pair cross-correlated once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from calibration.baseline import RestBaseline
from realtime.pipeline.calibrate import Calibration
from realtime.signals.coactivation import Coupling, analyse
from realtime.signals.event_locked import EventLockedResponse, blink_synkinesis
from realtime.signals.features import activations, face_measured


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
    reasons: np.ndarray | None = None   # (T,) str: "" measurable, else why the frame is not
    blink_responses: list[EventLockedResponse] = field(default_factory=list)  # blink-locked averages

    def usable(self) -> np.ndarray:
        """(T,) bool: frames inside the measurable envelope (the ones co-activation uses)."""
        ok = face_measured(self.signals)
        return ok if self.reasons is None else ok & (self.reasons == "")


def whole_recording(timestamps: np.ndarray, features: np.ndarray, reasons: np.ndarray, fps: float,
                    calibration: Calibration, max_range: np.ndarray | None = None) -> Analysis:
    """timestamps (T,) s; features (T, 2, N_FEATURES) with NaN rows where no face; reasons (T,)
    str, "" where the frame is measurable. Frames outside the envelope keep their signals but
    are left out of co-activation."""
    if not len(features) or np.isnan(features).all():
        raise AnalysisError("no face could be measured in the video")
    baseline = calibration.baseline
    sig = activations(features, baseline.level)
    usable = face_measured(sig) & (reasons == "")
    if not usable.any():
        raise AnalysisError("no frame of the video can be measured: "
                            + _most_common_reason(reasons) + "; record the face closer, frontal and uncovered")
    measured = np.where(usable[:, None, None], sig, np.nan)
    couplings, blinks = analyse(measured, fps, baseline.noise, max_range=max_range)
    # Blinks are taken out of the cross-correlation; what moves with them is seen around them.
    responses = blink_synkinesis(measured, fps, baseline.noise)
    return Analysis(fps, timestamps, features, sig, baseline, couplings, blinks,
                    calibration.reference_frame, calibration, reasons, responses)


def _most_common_reason(reasons: np.ndarray) -> str:
    vals, counts = np.unique(reasons[reasons != ""], return_counts=True)
    return f"most frames are '{vals[np.argmax(counts)]}'" if len(vals) else "no usable frame"
