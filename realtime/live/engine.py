"""The live engine: the frame loop on its own thread, in real time, with a display sink.

The loop (realtime/pipeline/loop.py) does everything: capture (newest frame only),
calibration (a video file's from its most neutral stretch, found before it plays; a camera's from
its first seconds), measurement, signals and the sliding co-activation. This object owns its thread
and translates the window's buttons into the loop's between-frame commands: switch source,
recalibrate, attach or detach a recording. The GUI only reads the display sink and the stats.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

import numpy as np

from calibration.profile import Profile
from realtime.pipeline.calibrate import Calibration
from realtime.pipeline.capture import REAL_TIME
from realtime.pipeline.loop import FrameLoop, LoopOptions, LoopStats
from realtime.pipeline.sink import CoactivationUpdate, MeasuredFrame, Sink
from realtime.sinks.lsl_outlet import LslOutlet, LslSettings
from realtime.sinks.ring import DisplaySink, SignalRing
from realtime.sinks.session_folder import SessionFolder
from realtime.sources import DemoSource, FrameSource, SourceError, Unmirrored, open_source

MANUAL_CALIBRATION_S = 3.0   # "hold still" duration of the rest-calibration button
# What to do when no stretch of a video is neutral enough for its rest baseline.
REST_ADVICE = "press Calibrate rest while the face is relaxed"


class Stats:
    """The loop's counters plus what only the display knows: capture -> shown delay."""

    def __init__(self, loop_stats: LoopStats, capture_dropped):
        self._s = loop_stats
        self._dropped = capture_dropped
        self.latencies_ms: deque = deque(maxlen=2000)

    processed = property(lambda self: self._s.processed)
    fps = property(lambda self: self._s.fps)
    signal_latencies_ms = property(lambda self: self._s.signal_latencies_ms)
    process_ms = property(lambda self: self._s.process_ms)
    dropped = property(lambda self: self._dropped())

    def median_latency_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    def summary(self) -> str:
        return (f"frames={self.processed} fps={self.fps:.1f} dropped={self.dropped} "
                f"latency_ms={self.median_latency_ms():.0f}")


class LiveEngine:
    def __init__(self, model_path: str | Path, source: str | FrameSource = "demo", *,
                 profile: Profile | None = None, profile_path: str | None = None,
                 ring_seconds: float = 30.0, mirrored: bool = False, lsl: LslSettings | None = None,
                 demo: dict | None = None):
        """``mirrored``: the camera or video shows the subject as in a mirror; every source
        opened from then on is flipped back (not the demo face shown when a camera is missing).
        ``lsl``: also publish the signals and events as LSL streams for the whole session.
        ``demo``: settings of the demo face whenever it is the source (e.g. a palsy)."""
        self.model_path = Path(model_path)
        self.mirrored = mirrored
        self.demo = demo
        self.profile = profile
        self.profile_path = profile_path          # stored with recordings
        self.ring = SignalRing(int(ring_seconds * 60))
        self.display = DisplaySink(self.ring)
        self._message = ""
        self.lsl = LslOutlet(lsl) if lsl is not None else None
        src = self._open(source)
        self.loop = FrameLoop(src, self.model_path,
                              LoopOptions(pace=REAL_TIME, profile=profile, profile_path=profile_path,
                                          wait_for_source=True, rest_advice=REST_ADVICE),
                              [self.display] + ([self.lsl] if self.lsl is not None else []))
        self.stats = Stats(self.loop.stats, self.loop.dropped_frames)
        self.recording: SessionFolder | None = None
        self._recording_sinks: list[Sink] = []    # attached with the recording, detached with it
        self.recorded: list[Path] = []            # every session folder this run wrote
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> "LiveEngine":
        self._thread = threading.Thread(target=self._run, name="live-loop", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.loop.run()
        except Exception as exc:       # shown in the window; the GUI stays up
            self.error = exc
            self._message = f"measurement stopped: {exc}"

    def stop(self) -> None:
        self.loop.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.recording = None           # the loop finished every sink, the recording included

    def __enter__(self) -> "LiveEngine":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- sources and calibration -----------------------------------------------------
    def _open(self, spec: str | FrameSource) -> FrameSource:
        try:
            if isinstance(spec, str):
                src = open_source(spec, mirrored=self.mirrored, demo=self.demo)
            else:
                src = Unmirrored(spec) if self.mirrored else spec
        except SourceError as exc:
            if isinstance(spec, str) and spec.startswith("camera"):
                self._message = f"{exc}. Showing the demo face instead."
                return open_source("demo", demo=self.demo)
            raise
        self._message = ""
        return src

    def switch_source(self, spec: str | FrameSource) -> None:
        """Measure another source; a new face and framing, so the loop recalibrates."""
        if self.recording is not None:
            self.stop_recording()
        self.loop.switch_source(self._open(spec))

    def request_calibration(self, kind: str = "manual") -> None:
        """Collect rest frames again (the subject holds still) while measuring goes on."""
        self.loop.recalibrate(kind, MANUAL_CALIBRATION_S if kind == "manual" else None)

    # ---- recording (the record button) ------------------------------------------------
    def start_recording(self, folder: str | Path, *, sinks: tuple[Callable[[SessionFolder], Sink], ...] = (),
                        **session) -> Path:
        """Start writing a session folder; needs a calibration. ``session``: SessionFolder's
        options (save_video, subject, days_since_onset, timeline, extra_meta, ...); ``sinks``:
        more outputs made from the recording (e.g. the weekly test's keyframes), attached after
        it and detached with it. Raises OSError with one line."""
        if self.baseline is None:
            raise RuntimeError("calibrate first: recording needs a rest baseline")
        if self.recording is not None:
            return self.recording.folder
        rec = SessionFolder(folder, model=self.model_path, playback="live", restart_clock=True,
                            mirrored=bool(getattr(self.loop.source, "mirrored", False)), **session)
        rec.started(self.loop.info())   # opens the folder now: errors reach the button
        self.recording = rec
        self.recorded.append(rec.folder)
        self.loop.attach(rec)
        self._recording_sinks = [make(rec) for make in sinks]
        for sink in self._recording_sinks:
            self.loop.attach(sink)
        if self.lsl is not None:
            self.lsl.follow_recording(rec)
        return rec.folder

    def stop_recording(self, status: str = "complete") -> dict | None:
        rec, self.recording = self.recording, None
        if rec is None:
            return None
        extra, self._recording_sinks = self._recording_sinks, []
        for sink in extra:
            self.loop.detach(sink, status)
        self.loop.detach(rec, status).wait(timeout=10)
        if self.lsl is not None:
            self.lsl.recording_stopped()
        return rec.result

    def demo_performs(self, timeline: list[dict], protocol: str) -> bool:
        """When the demo face is the source, it performs ``timeline`` from now on (a guided
        test then has a subject doing it). True if it does."""
        src = self.loop.source
        if not isinstance(src, DemoSource):
            return False
        src.perform(timeline, protocol)
        return True

    def assessment_started(self, timeline: list[dict]) -> None:
        """A guided assessment runs within the current recording (times from its start)."""
        if self.lsl is not None:
            self.lsl.follow_timeline(timeline)

    # ---- what the window reads -------------------------------------------------------
    @property
    def message(self) -> str:
        return self._message or self.loop.message

    @message.setter
    def message(self, text: str) -> None:
        self._message = text
        self.loop.message = ""

    @property
    def baseline(self):
        return self.loop.baseline

    @property
    def noise(self) -> np.ndarray | None:
        b = self.baseline
        return None if b is None else b.noise

    @property
    def max_range(self) -> np.ndarray | None:
        return None if self.profile is None else self.profile.max_range

    @property
    def calibrating(self) -> str | None:
        return self.loop.calibrating

    @property
    def calibration_progress(self) -> float:
        return self.loop.calibration_progress

    @property
    def searching(self) -> str | None:
        """What a video's pre-scan searches for its rest ("the video's first 60 s"), while it does."""
        return self.loop.searching

    @property
    def calibration(self) -> Calibration | None:
        return self.loop.calibration

    @property
    def source_name(self) -> str:
        return self.loop.source.name

    @property
    def source_lost(self) -> bool:
        return self.loop.source_lost

    @property
    def face_ok(self) -> bool:
        return self.display.face_ok

    @property
    def quality_reason(self) -> str:
        """Why the newest frame is outside the measurable envelope ("" when it is inside)."""
        return self.display.reason

    @property
    def fps(self) -> float:
        return self.loop.fps

    @property
    def coactivation(self) -> CoactivationUpdate | None:
        return self.display.latest_coactivation

    def take_packet(self) -> MeasuredFrame | None:
        return self.display.take()

    def mark_shown(self, packet: MeasuredFrame) -> None:
        self.stats.latencies_ms.append((time.perf_counter() - packet.frame.captured) * 1000)

    def threads(self) -> list[threading.Thread]:
        return [t for t in (self._thread,) if t is not None]

