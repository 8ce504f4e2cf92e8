"""Co-activation over a whole recording (``analyze``, ``assess``, ``validate``): every frame's
signals against the rest baseline, every pair cross-correlated once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from calibration.baseline import RestBaseline
from realtime.landmarks import SIDES
from realtime.pipeline.calibrate import Calibration
from realtime.signals.coactivation import Coupling, analyse
from realtime.signals.event_locked import EventLockedResponse, blink_synkinesis
from realtime.signals.features import TEXTURE, S, activations, face_measured


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
    # Skin texture per region and side ("neck_left"): the % of the usable frames where it was
    # measured, and the commonest reason where it was not ("neck outside the picture").
    texture: dict[str, dict] = field(default_factory=dict)

    def usable(self) -> np.ndarray:
        """(T,) bool: frames inside the measurable envelope (the ones co-activation uses)."""
        ok = face_measured(self.signals)
        return ok if self.reasons is None else ok & (self.reasons == "")


def whole_recording(timestamps: np.ndarray, features: np.ndarray, reasons: np.ndarray, fps: float,
                    calibration: Calibration, max_range: np.ndarray | None = None,
                    texture_why: Counter | None = None) -> Analysis:
    """timestamps (T,) s; features (T, 2, N_FEATURES) with NaN rows where no face; reasons (T,)
    str, "" where the frame is measurable. Frames outside the envelope keep their signals but
    are left out of co-activation. ``texture_why``: frames per ("<region>_<side>", reason) where
    a skin-texture region could not be measured (tracking/texture.py)."""
    if not len(features) or np.isnan(features).all():
        raise AnalysisError("no face could be measured in the video")
    baseline = calibration.baseline
    sig = activations(features, baseline.level)
    usable = face_measured(sig) & (reasons == "")
    if not usable.any():
        raise AnalysisError("no frame of the video can be measured: "
                            + _most_common_reason(reasons) + "; record the face closer, frontal and uncovered")
    measured = np.where(usable[:, None, None], sig, np.nan)
    texture = texture_coverage(sig[usable], texture_why or Counter())
    couplings, blinks = analyse(measured, fps, baseline.noise, max_range=max_range,
                                unseen_why={k: v["reason"] for k, v in texture.items() if v["reason"]})
    # Blinks are taken out of the cross-correlation; what moves with them is seen around them.
    responses = blink_synkinesis(measured, fps, baseline.noise)
    return Analysis(fps, timestamps, features, sig, baseline, couplings, blinks,
                    calibration.reference_frame, calibration, reasons, responses, texture)


def texture_coverage(sig: np.ndarray, why: Counter) -> dict[str, dict]:
    """Per texture region and side: % of these frames (T, 2, N_SIGNALS) with a value, and the
    commonest reason it had none ("" when it always had one)."""
    out = {}
    for g in TEXTURE:
        region = g.split("_")[0]
        for s, side in enumerate(SIDES):
            key = f"{region}_{side}"
            pct = round(100.0 * float(np.isfinite(sig[:, s, S[g]]).mean()), 1) if len(sig) else 0.0
            said = [(n, r) for (k, r), n in why.items() if k == key]
            out[key] = {"measured_pct": pct, "reason": max(said)[1] if said and pct < 100 else ""}
    return out


def _most_common_reason(reasons: np.ndarray) -> str:
    vals, counts = np.unique(reasons[reasons != ""], return_counts=True)
    return f"most frames are '{vals[np.argmax(counts)]}'" if len(vals) else "no usable frame"
