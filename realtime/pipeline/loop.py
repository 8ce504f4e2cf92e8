"""The one frame loop behind every command: analyze, record, assess, validate, bench and live.

Stages, in this order for every frame:

1. capture        ``Capture``: read on demand (fast) or newest-frame-only (real time)
2. reference      ``Calibrator``: rest candidates -> neutral reference -> rest baseline
3. measurement    ``FaceMeter``: registration, per-region composites, landmarks, features
4. signals        ``activations``: features relative to the rest baseline
5. co-activation  ``EpisodeDetector`` on the last seconds (sliding), and optionally the whole
                  recording at the end

and then every attached ``Sink`` receives the measured frame. Options choose what differs
between commands (pace, frames in flight, what happens when a source ends), never a copy of
a stage. Commands from other threads (attach or detach a sink, switch source, recalibrate,
stop) are queued and applied between frames, in one place.

A video file is calibrated by a pre-scan of its rest stretch (without a given stretch, its most
neutral one), so every frame of the main pass is measured against the final reference (the rest
frames measured for the baseline are passed on as measured then, not measured twice); played in
real time, it is searched in its first ``REAL_TIME_SCAN_S`` seconds only and then played from its
start. A camera or the demo face cannot be looked ahead in: it is calibrated inline from its
first seconds with a face (frames before then are passed on unmeasured; in real time, only the
rest candidates of the calibration stretch are kept).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from calibration.baseline import REST_S
from calibration.profile import Profile
from realtime.pipeline.analysis import Analysis, whole_recording
from realtime.pipeline.calibrate import (
    REST_ADVICE,
    Calibration,
    CalibrationError,
    Calibrator,
    RestChoice,
    baseline_from,
    calibration_mode,
    choose_rest,
    measure_rest,
    searched_words,
)
from realtime.pipeline.capture import FAST, REAL_TIME, Capture
from realtime.pipeline.sink import (
    CoactivationUpdate,
    LoopInfo,
    LoopResult,
    MeasuredFrame,
    Sink,
)
from realtime.signals.episodes import EpisodeDetector
from realtime.signals.features import FEATURES, activations
from realtime.sources import Frame, FrameSource, SourceError, VideoFileSource
from realtime.tracking.landmarker import Landmarker
from realtime.tracking.meter import FaceMeter, FrameMeasurement

# Most frames of a video's rest stretch measured for its baseline (evenly spread beyond that).
MAX_REST_FRAMES = 120
# A video played in real time is searched for its most neutral stretch in its first seconds only:
# the search runs before it plays (decoding, and a face-model call every 0.2 s of video; 60 s took
# 2.5 s at 360x288 and 4.4 s at 1280x720 on a loaded 2-core machine), and a subject who starts
# with a relaxed face has rested by then.
REAL_TIME_SCAN_S = 60.0
# Share of a pre-scan's "building" progress spent reading up to the rest stretch (the rest is
# measuring its frames).
READ_SHARE = 0.25


@dataclass
class LoopOptions:
    pace: str = FAST                 # FAST: every frame, as fast as measured; REAL_TIME: newest frame
    in_flight: int = 2               # frames whose model calls overlap (two keep both cores busy)
    workers: int = 2                 # threads for the four region composites of a frame
    duration_s: float | None = None  # stop at this media time
    rest: tuple[float, float] | None = None   # rest stretch in media s; None: first rest_s s with a face
    rest_s: float = REST_S
    profile: Profile | None = None
    profile_path: str | None = None
    sliding: bool = True             # online co-activation: episodes and the live matrix
    whole_recording: bool = False    # co-activation over the whole recording at the end
    wait_for_source: bool = False    # live: when a source ends or is lost, wait for another
    rest_advice: str = REST_ADVICE   # ends the warning when no stretch of a video is neutral enough


@dataclass
class LoopStats:
    processed: int = 0
    dropped: int = 0
    first: float | None = None
    last: float | None = None
    signal_latencies_ms: deque = field(default_factory=lambda: deque(maxlen=2000))  # capture -> signals
    process_ms: deque = field(default_factory=lambda: deque(maxlen=120))           # submit -> signals

    @property
    def fps(self) -> float:
        if self.first is None or self.last is None or self.last <= self.first or self.processed < 2:
            return 0.0
        return (self.processed - 1) / (self.last - self.first)


class SinkFailed(RuntimeError):
    pass


class _Stopped(Exception):
    """``stop()`` during a pre-scan: the loop ends without playing the source."""


@dataclass
class _RestBuild:
    """A new reference's meter and the rest frames it still has to measure for the baseline."""
    meter: FaceMeter
    ref_index: int
    frames: list[Frame]
    span: tuple[float, float]
    emit: bool                                   # pass the frames on once measured (fast pace)
    measured: list = field(default_factory=list)


class FrameLoop:
    def __init__(self, source: FrameSource, model_path: str | Path, options: LoopOptions | None = None,
                 sinks: list[Sink] | tuple[Sink, ...] = ()):
        self.model_path = Path(model_path)
        self.opts = options or LoopOptions()
        self.sinks: list[Sink] = list(sinks)
        self.source = source
        self.stats = LoopStats()
        self.calibration: Calibration | None = None
        self.calibrating: str | None = "auto"    # "auto", "manual", "scanning", "building" or None
        self.searching: str | None = None        # what a pre-scan searches ("the video's first 60 s")
        self.message = ""                        # what the loop wants the user to know
        self.source_lost = False
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._stop = threading.Event()
        self._capture: Capture | None = None
        self._calibrator: Calibrator | None = None
        self._held: list[Frame] = []
        self._meter: FaceMeter | None = None
        self._detector: Landmarker | None = None
        self._episodes: EpisodeDetector | None = None
        self._inflight: deque = deque()
        self._emitted = 0
        self._face_frames = 0
        self._t: list[float] = []
        self._feats: list[np.ndarray] = []
        self._reasons: list[str] = []
        self._texture_why: Counter = Counter()      # ("neck_left", why unmeasurable) -> frames
        self._last_analysis = 0
        self._rest_choice: RestChoice | None = None   # a video's most neutral stretch
        self._scan_progress = 0.0                    # of a pre-scan, 0..1
        self._building: _RestBuild | None = None     # a real-time calibration being finished
        # A pre-scanned video's rest frames, measured for the baseline: frame index -> measurement,
        # taken as they are when the main pass reaches them instead of measured a second time.
        self._rest_measured: dict[int, FrameMeasurement] = {}
        self._nan_feat = np.full((2, len(FEATURES)), np.nan)

    # ---- commands (any thread) ---------------------------------------------------------
    def attach(self, sink: Sink) -> None:
        """Add a sink between frames; its ``started`` is told the current calibration."""
        def do():
            self._call(sink, "started", self.info())
            self.sinks.append(sink)
        self._commands.put(do)

    def detach(self, sink: Sink, status: str = "complete") -> threading.Event:
        """Remove a sink between frames and finish it; the event is set once it is finished."""
        done = threading.Event()

        def do():
            if sink in self.sinks:
                self.sinks.remove(sink)
                self._finish_sink(sink, status)
            done.set()
        self._commands.put(do)
        if self._stop.is_set():
            do()
        return done

    def switch_source(self, source: FrameSource) -> None:
        """Measure another source; a new face and framing, so calibration starts again."""
        self._commands.put(lambda: self._switch(source))

    def recalibrate(self, kind: str = "manual", seconds: float | None = None) -> None:
        def do():
            self.message = ""          # what was said of the old rest (e.g. a warning) holds no more
            self._start_calibration(kind, seconds)
        self._commands.put(do)

    def stop(self) -> None:
        self._stop.set()

    @property
    def baseline(self):
        return None if self.calibration is None else self.calibration.baseline

    @property
    def calibration_progress(self) -> float:
        """0..1 of the calibration stage under way: the rest stretch collected (inline), the video
        searched ("scanning"), or the rest reference built ("building")."""
        if self.calibrating in ("scanning", "building"):
            b = self._building
            return len(b.measured) / len(b.frames) if b is not None and b.frames else self._scan_progress
        c = self._calibrator
        return 0.0 if c is None else c.progress

    # ---- the loop ------------------------------------------------------------------------
    def run(self) -> LoopResult:
        """Run until the source ends, ``duration_s``, ``stop()`` or an error; every sink is
        finished before this returns. KeyboardInterrupt ends the loop with "interrupted"; a lost
        source or an unusable rest stretch with "stopped: <why>" (re-raised once the sinks are
        finished)."""
        status, error = "complete", None
        started = time.monotonic()
        for s in list(self.sinks):   # a sink that cannot start (an unusable folder) fails the run now
            s.started(self.info())
        try:
            self._detector = Landmarker(self.model_path)   # before capture starts: loading takes ~1 s
            self._open_capture()
            status = self._frames()
        except KeyboardInterrupt:
            status = "interrupted"
        except _Stopped:
            status = "complete"
        except SinkFailed as exc:
            status = f"stopped: {exc}"
        except (SourceError, CalibrationError) as exc:   # e.g. a camera unplugged: keep what was measured
            status, error = f"stopped: {exc}", exc
        finally:
            result = self._finish(status, started)
        if error is not None:
            raise error
        return result

    def _frames(self) -> str:
        while not self._stop.is_set():
            self._apply_commands()
            cap = self._capture
            if cap is None:                      # live: waiting for a new source
                time.sleep(0.05)
                continue
            try:
                f = cap.read(timeout=0.05 if self.opts.pace == REAL_TIME else None)
            except SourceError as exc:
                if not self.opts.wait_for_source:
                    raise
                self._source_ended(str(exc), lost=True)
                continue
            if f is None:
                if self._inflight:
                    self._publish()
                if cap.ended:
                    if not self.opts.wait_for_source:
                        return "complete"
                    self._source_ended(f"{self.source.name}: end of video. Choose another source.")
                continue
            if self.opts.duration_s is not None and f.timestamp_s >= self.opts.duration_s:
                return "complete"
            self._step(f)
        return "complete"

    def _step(self, f: Frame) -> None:
        if self._building is not None and self._build_step(f):
            return
        cal = self._calibrator
        if cal is not None:
            try:
                what = cal.offer(f)
            except CalibrationError as exc:
                if self.calibration is None and not self.opts.wait_for_source:
                    raise
                self.message = f"{exc}"
                what = None
                self._start_calibration(self.calibrating or "auto")
            if what == Calibrator.DONE:
                self._complete_calibration()
            elif what is not None and self.calibration is None:
                # Not measurable yet. Fast: the frames of the rest stretch are held and passed on,
                # measured, once the reference exists. Real time: every frame is passed on now,
                # unmeasured (the display and a recording keep up; the candidates give the baseline).
                if what != Calibrator.BEFORE and self.opts.pace == FAST:
                    self._held.append(f)
                else:
                    # Between the calibrator's samples the face is as at its last look.
                    self._emit(f, None, face=what == Calibrator.CANDIDATE,
                               reason="calibrating" if cal.face_in_view else "no face")
                return
        if self._meter is None:
            self._emit(f, None, face=False, reason="calibrating" if self._building is not None else None)
            return
        t0 = time.perf_counter()
        known = self._rest_measured.pop(f.index, None)
        if known is not None:
            self._inflight.append((f, t0, self._meter.adopt(known)))
        else:
            self._inflight.append((f, t0, self._meter.submit(f.image, f.index, f.timestamp_s)))
        if len(self._inflight) >= self.opts.in_flight:
            self._publish()

    def _publish(self) -> None:
        f, t0, pending = self._inflight.popleft()
        m = pending.result()
        self._emit(f, m, face=m.face, started=t0)

    def _drain(self) -> None:
        while self._inflight:
            self._publish()

    def _emit(self, f: Frame, m, *, face: bool, started: float | None = None, reason: str | None = None) -> None:
        cal = self.calibration
        sig = None
        if m is not None and m.face and cal is not None:
            sig = activations(m.features, cal.baseline.level)
        if sig is not None:
            reason = getattr(m, "reason", "")
        elif reason is None:
            # A face seen but not measured says why (too small, registration), else none was seen.
            reason = "calibrating" if face and cal is None else (getattr(m, "reason", "") or "no face")
        now = time.perf_counter()
        st = self.stats
        st.processed += 1
        st.first = now if st.first is None else st.first
        st.last = now
        if sig is not None:
            st.signal_latencies_ms.append((now - f.captured) * 1000)
            if started is not None:
                st.process_ms.append((now - started) * 1000)
        self._emitted += 1
        self._face_frames += sig is not None
        mf = MeasuredFrame(f, m, sig, bool(face), now, reason)
        if self.opts.whole_recording:
            self._t.append(f.timestamp_s)
            self._feats.append(m.features if m is not None and m.face else self._nan_feat)
            self._reasons.append(reason)
            if m is not None and m.face:
                self._texture_why.update(getattr(m, "texture_reasons", {}).items())
        for s in list(self.sinks):
            self._call(s, "measured", mf)
        ep = self._episodes
        if ep is not None:
            for e in ep.feed(f.timestamp_s, sig if mf.usable else None):
                self._to_sinks("episode", e)
            if ep.analyses != self._last_analysis and ep.latest is not None:
                self._last_analysis = ep.analyses
                self._to_sinks("coactivation", CoactivationUpdate(ep.latest[0], ep.latest[1], now))

    # ---- calibration ---------------------------------------------------------------------
    def _start_calibration(self, kind: str, seconds: float | None = None,
                           window: tuple[float, float] | None = None) -> None:
        self.calibrating, self.searching, self._rest_choice = kind, None, None
        self._held = []
        self._rest_measured = {}
        self._calibrator = Calibrator(self._detector, window=window or (self.opts.rest if kind == "auto" else None),
                                      rest_s=seconds or self.opts.rest_s)

    def _complete_calibration(self, held: list[Frame] | None = None, emit_held: bool = True,
                              now: bool = False) -> _RestBuild:
        """Reference from the candidates, a new meter, the rest baseline from ``held`` frames
        (default: the frames held while uncalibrated, else the candidates); frames held while
        uncalibrated are passed on now, measured, unless ``emit_held`` is False. In real time the
        rest frames are measured one per captured frame, so rows keep reaching the sinks, unless
        ``now`` (a pre-scan: nothing is captured yet)."""
        cal = self._calibrator
        reference, ref_index = cal.reference()
        emit = emit_held and self.calibration is None and bool(self._held) and held is None
        if held is None:
            held = self._held or [f for f, _ in cal.found]
        self._drain()                           # the old meter finishes its frames first
        meter = FaceMeter(self.model_path, reference, workers=self.opts.workers,
                          full_landmarker=self._detector, in_flight=self.opts.in_flight)
        build = _RestBuild(meter, ref_index, held, cal.rest_span(), emit)
        self._calibrator, self._held = None, []
        if self.opts.pace == REAL_TIME and not now:
            held.sort(key=lambda f: (f.timestamp_s < reference.timestamp_s, f.timestamp_s))
            self._building, self.calibrating = build, "building"
            return build
        try:
            build.measured = measure_rest(meter, held, self.opts.in_flight,
                                          lambda x: self._scanned(READ_SHARE + (1 - READ_SHARE) * x))
        except BaseException:
            meter.close()
            raise
        self._finish_calibration(build)
        return build

    def _build_step(self, f: Frame) -> bool:
        """Measure the next rest frame of a real-time calibration; True if ``f`` was passed on."""
        b = self._building
        nxt = b.frames[len(b.measured)]
        b.measured.append(b.meter.measure(nxt.image, nxt.index, nxt.timestamp_s))
        if len(b.measured) == len(b.frames):
            self._building = None
            try:
                self._finish_calibration(b)
            except CalibrationError as exc:
                if not self.opts.wait_for_source:
                    raise
                self.message = f"{exc}"
                self._start_calibration("auto")
        if self._meter is None:
            self._emit(f, None, face=True)
            return True
        return False

    def _finish_calibration(self, b: "_RestBuild") -> None:
        a, e = b.span
        try:
            feats = np.array([m.features if m.face else self._nan_feat for m in b.measured])
            baseline = baseline_from(feats, self.opts.profile, f"rest stretch {a:g}-{e:g} s")
        except CalibrationError:
            b.meter.close()
            self.calibrating = None
            raise
        if self._meter is not None:
            self._meter.close()
        self._meter = b.meter
        chosen = self._rest_choice
        self.calibration = Calibration(b.meter.reference, b.ref_index, baseline,
                                       calibration_mode(self.opts.rest, self.opts.profile_path, chosen),
                                       (a, e), self.opts.profile_path,
                                       None if chosen is None else chosen.warning,
                                       None if chosen is None else chosen.expression,
                                       None if chosen is None else chosen.searched)
        self.calibrating = None
        if self.opts.sliding:
            self._episodes = EpisodeDetector(self.fps, baseline.noise, max_range=self._max_range)
            self._last_analysis = 0
        self._to_sinks("calibrated", self.calibration)
        if b.emit:
            for f, m in zip(b.frames, b.measured):
                self._emit(f, m, face=m.face)

    def _prescan_possible(self) -> bool:
        return isinstance(self.source, VideoFileSource)

    def _scanned(self, fraction: float) -> None:
        """A pre-scan's progress; where a stop requested meanwhile takes effect."""
        self._scan_progress = fraction
        if self._stop.is_set():
            raise _Stopped()

    def _prescan(self) -> None:
        """Calibrate from the rest stretch of a video file before its main pass (which measures
        those frames again and passes them on in order), read as fast as it decodes whatever the
        main pass's pace. Without a given stretch, the video's most neutral one: the first seconds
        may hold the very movement being measured."""
        window, choice = self.opts.rest, None
        if window is None:
            within = REAL_TIME_SCAN_S if self.opts.pace == REAL_TIME else None
            n = int(getattr(self.source, "frame_count", 0) or 0)
            whole = within is None or (0 < n / self.fps <= within)
            self.calibrating, self._scan_progress = "scanning", 0.0
            self.searching = searched_words(n / self.fps if whole else within, whole)
            choice = choose_rest(self._detector, self.source.reopen(realtime=False), self.opts.rest_s,
                                 within_s=within, progress=self._scanned, advice=self.opts.rest_advice)
            window = choice.window
        self._start_calibration("auto", window=window)
        self._rest_choice = choice
        self.calibrating, self._scan_progress = "building", 0.0
        cal = self._calibrator
        every = max(1, int(np.ceil(cal.rest_s * self.fps / MAX_REST_FRAMES)))
        stretch: list[Frame] = []
        with self.source.reopen(realtime=False) as pre:
            for f in pre:
                self._scanned(READ_SHARE * min(1.0, f.timestamp_s / max(window[1], 1e-9)))
                what = cal.offer(f)
                if what == Calibrator.DONE:
                    break
                if what == Calibrator.CANDIDATE or (what == Calibrator.SKIP and f.index % every == 0):
                    stretch.append(f)
        build = self._complete_calibration(stretch, emit_held=False, now=True)
        # The main pass reaches these frames again (the same file, the same indices) with the same
        # meter: measuring them once is enough.
        self._rest_measured = {f.index: m for f, m in zip(build.frames, build.measured) if m.face}
        if choice is not None and choice.warning:
            self.message = f"Warning: {choice.warning}."
        else:
            a, b = self.calibration.rest
            where = f"{a:.1f}-{b:.1f} s of the video" if choice is None else choice.describe()
            self.message = f"Rest baseline from {where}" + (
                "; the video plays from its start." if self.opts.pace == REAL_TIME else ".")

    # ---- sources -------------------------------------------------------------------------
    @property
    def fps(self) -> float:
        return float(self.source.fps)

    @property
    def _max_range(self) -> np.ndarray | None:
        """The profile's maximal voluntary ranges (which movement is the voluntary one)."""
        return None if self.opts.profile is None else self.opts.profile.max_range

    def info(self) -> LoopInfo:
        return LoopInfo(self.source.name, self.fps, int(getattr(self.source, "frame_count", 0) or 0),
                        self.opts.pace, self.calibration)

    def _open_capture(self) -> None:
        """Start capturing the current source; a video file is pre-scanned first (live, a video
        without a usable face there is calibrated inline instead, as a camera is)."""
        if self.calibration is None and self._calibrator is None and self._prescan_possible():
            try:
                self._prescan()
            except CalibrationError as exc:
                if not self.opts.wait_for_source:
                    raise
                self.message, self._calibrator = f"{exc}", None
        self._capture = Capture(self.source, self.opts.pace, on_frame=self._captured)
        if self.calibration is None and self._calibrator is None:
            self._start_calibration("auto")

    def _captured(self, f: Frame) -> None:
        for s in list(self.sinks):
            self._call(s, "captured", f)

    def _source_ended(self, message: str, lost: bool = False) -> None:
        self._drain()
        self.message, self.source_lost = message, lost
        self._close_capture()

    def _close_capture(self) -> None:
        if self._capture is not None:
            self.stats.dropped += self._capture.dropped
            self._capture.close()
            self._capture = None

    def _switch(self, source: FrameSource) -> None:
        self._drain()
        self._close_capture()
        self.source, self.source_lost, self.message = source, False, ""
        if self._meter is not None:
            self._meter.close()
        if self._building is not None:
            self._building.meter.close()
        self._meter, self.calibration, self._episodes = None, None, None
        self._calibrator, self._building = None, None
        self._open_capture()

    # ---- sinks ---------------------------------------------------------------------------
    def _call(self, sink: Sink, method: str, *args) -> None:
        try:
            getattr(sink, method)(*args)
        except Exception as exc:
            if sink.essential:
                raise SinkFailed(str(exc)) from exc
            if sink in self.sinks:
                self.sinks.remove(sink)
            self.message = f"{type(sink).__name__.lower()} stopped: {exc}"
            self._finish_sink(sink, f"stopped: {exc}")

    def _to_sinks(self, method: str, *args) -> None:
        for s in list(self.sinks):
            self._call(s, method, *args)

    def _finish_sink(self, sink: Sink, status: str) -> None:
        try:
            sink.finished(LoopResult(status, self._emitted, self._face_frames, self.dropped_frames(),
                                     None, self.calibration))
        except Exception:
            pass   # finishing must not take the loop (or the other sinks) down

    def dropped_frames(self) -> int:
        return self.stats.dropped + (self._capture.dropped if self._capture is not None else 0)

    def _apply_commands(self) -> None:
        while True:
            try:
                cmd = self._commands.get_nowait()
            except queue.Empty:
                return
            cmd()

    def _finish(self, status: str, started: float) -> LoopResult:
        try:
            self._drain()
        except Exception:
            pass
        self._apply_commands()
        dropped = self.dropped_frames()
        self._close_capture()
        for m in (self._meter, None if self._building is None else self._building.meter):
            if m is not None:
                m.close()
        self._meter = None
        if self._detector is not None:
            self._detector.close()
            self._detector = None
        if self._episodes is not None:
            for e in self._episodes.finish():
                self._to_sinks("episode", e)
        elapsed = time.monotonic() - started
        analysis: Analysis | None = None
        if self.opts.whole_recording and self.calibration is not None:
            analysis = whole_recording(np.array(self._t), np.array(self._feats), np.array(self._reasons, object),
                                       self.fps, self.calibration, self._max_range, self._texture_why)
        result = LoopResult(status, self._emitted, self._face_frames, dropped,
                            round(self._emitted / elapsed, 2) if elapsed > 0 else None,
                            self.calibration, analysis)
        for s in list(self.sinks):
            try:
                s.finished(result)
            except Exception as exc:
                if s.essential:
                    raise
                self.message = f"{type(s).__name__.lower()} failed: {exc}"
        self.sinks.clear()
        return result
