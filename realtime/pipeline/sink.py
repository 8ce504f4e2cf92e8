"""What the frame loop hands to its outputs, and when: the ``Sink`` interface and the data
that crosses it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from realtime.pipeline.analysis import Analysis
from realtime.pipeline.calibrate import Calibration
from realtime.signals.coactivation import Coupling
from realtime.signals.episodes import Episode
from realtime.sources import Frame
from realtime.tracking.meter import FrameMeasurement


@dataclass
class LoopInfo:
    source: str              # the source's name (camera:0, demo, a file path)
    fps: float               # the source's nominal frame rate
    frame_count: int         # frames in a file; 0 when unknown (camera, demo)
    pace: str                # capture.FAST or capture.REAL_TIME
    calibration: Calibration | None = None   # set when a sink joins a calibrated loop


@dataclass
class MeasuredFrame:
    frame: Frame
    measurement: FrameMeasurement | None   # None: not measured (no reference yet)
    signals: np.ndarray | None             # (2, N_SIGNALS) activations; None: no face or no baseline
    face: bool                             # a face was seen (measured, or detected while calibrating)
    measured_at: float                     # time.perf_counter() when the signals were ready
    reason: str = ""                       # "" measurable; else why not ("turned", "calibrating", ...)

    @property
    def usable(self) -> bool:
        """Inside the measurable envelope: these signals go into co-activation."""
        return self.signals is not None and not self.reason


@dataclass
class CoactivationUpdate:
    couplings: list[Coupling]
    seconds: float                         # length of the analysed stretch
    computed_at: float                     # time.perf_counter()


@dataclass
class LoopResult:
    status: str                            # "complete", "interrupted", "stopped: <why>"
    frames: int                            # frames handed to the sinks
    face_frames: int
    dropped: int                           # frames a real-time source delivered but were not measured
    processing_fps: float | None
    calibration: Calibration | None
    analysis: Analysis | None = None       # whole-recording co-activation, when asked for
    extra: dict = field(default_factory=dict)


class Sink:
    """An output attached to the frame loop. Every method is optional. All run on the loop's
    thread, in frame order, except ``captured``, which sees every frame the source delivered
    (dropped ones too) on the capture thread. A sink that raises is detached with the error
    as its status; an ``essential`` sink (a headless recording's folder) stops the loop."""

    essential = False

    def started(self, info: LoopInfo) -> None: ...

    def captured(self, frame: Frame) -> None: ...

    def calibrated(self, calibration: Calibration) -> None: ...

    def measured(self, mf: MeasuredFrame) -> None: ...

    def coactivation(self, update: CoactivationUpdate) -> None: ...

    def episode(self, episode: Episode) -> None: ...

    def finished(self, result: LoopResult) -> None: ...
