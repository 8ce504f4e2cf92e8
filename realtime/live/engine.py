"""The live engine: capture, measurement, calibration and co-activation on worker threads.

Threads (all named ``live-*``; ``stop()`` joins every one of them):
- capture: reads the source as fast as it delivers; puts frames in a small queue and, when the
  measurement is behind, drops the OLDEST queued frame (counted in ``stats.dropped``);
- measure: turns each frame into signals, pushes them into the ring buffer and leaves the
  newest result in a one-slot mailbox for the display (the GUI never blocks this thread);
- calibrate (one-shot): builds a new FaceMeter and rest baseline from a few seconds of frames,
  while measurement goes on with the previous one (or with face detection only at the start);
- coactivation: every ``analysis_period_s`` runs ``coactivation.analyse`` on the last 10 s.
"""

from __future__ import annotations

import queue
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from calibration.baseline import RestBaseline, rest_baseline
from calibration.profile import Profile
from calibration.reference import typical_index

from realtime.signals.coactivation import Coupling, analyse
from realtime.tracking.meter import FaceMeter, FrameMeasurement, Reference
from realtime.signals.resample import on_regular_grid
from realtime.signals.features import SIGNALS, activations
from realtime.sources import Frame, FrameSource, SourceError, open_source
from realtime.tracking.landmarker import Landmarker
from realtime.sinks.ring import SignalRing

AUTO_CALIBRATION_S = 2.0     # first seconds with a face used before any manual calibration
MANUAL_CALIBRATION_S = 3.0   # "hold still" duration of the rest-calibration button
MAX_CANDIDATES = 12
CANDIDATE_STEP = 3           # every Nth frame of the calibration stretch is a candidate


@dataclass
class Packet:
    """The newest measured frame, for the display."""
    frame: Frame
    measurement: FrameMeasurement | None
    signals: np.ndarray | None       # (2, N_SIGNALS)
    measured_at: float


@dataclass
class Coactivation:
    couplings: list[Coupling]
    seconds: float                    # length of the analysed stretch
    computed_at: float


@dataclass
class Stats:
    processed: int = 0
    dropped: int = 0
    first: float | None = None
    last: float | None = None
    latencies_ms: deque = field(default_factory=lambda: deque(maxlen=2000))         # capture -> shown
    signal_latencies_ms: deque = field(default_factory=lambda: deque(maxlen=2000))  # capture -> signals
    process_ms: deque = field(default_factory=lambda: deque(maxlen=120))

    @property
    def fps(self) -> float:
        if self.first is None or self.last is None or self.last <= self.first or self.processed < 2:
            return 0.0
        return (self.processed - 1) / (self.last - self.first)

    def median_latency_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    def summary(self) -> str:
        return (f"frames={self.processed} fps={self.fps:.1f} dropped={self.dropped} "
                f"latency_ms={self.median_latency_ms():.0f}")


class LiveEngine:
    def __init__(self, model_path: str | Path, source: str | FrameSource = "demo", *,
                 profile: Profile | None = None, profile_path: str | None = None, queue_size: int = 2,
                 analysis_window_s: float = 10.0, analysis_period_s: float = 1.0,
                 ring_seconds: float = 30.0):
        self.model_path = Path(model_path)
        self.profile = profile
        self.profile_path = profile_path          # stored with recordings
        self.ring = SignalRing(int(ring_seconds * 60))
        self.stats = Stats()
        self.fps = 30.0
        self.analysis_window_s = analysis_window_s
        self.analysis_period_s = analysis_period_s
        self.message = ""                     # user-facing state (no camera, face lost, ...)
        self.source_name = ""
        self.source_lost = False
        self.face_ok = False
        self.calibrating: str | None = "auto"  # "auto", "manual" or None
        self.calibration_progress = 0.0
        self.calibrated_at: float | None = None
        self.baseline: RestBaseline | None = None
        self.coactivation: Coactivation | None = None
        self._queue: queue.Queue[Frame] = queue.Queue(maxsize=queue_size)
        self._packet: Packet | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._capture_stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._capture: threading.Thread | None = None
        self._calibrator: threading.Thread | None = None
        self._source: FrameSource | None = None
        self._meter: FaceMeter | None = None
        self._pending: tuple[FaceMeter, RestBaseline] | None = None
        self._candidates: list[tuple[np.ndarray, np.ndarray | None, float]] = []
        self._calib_start: float | None = None
        self._detector = Landmarker(self.model_path)   # used by the measure thread only
        self.recording = None                          # recorder.LiveRecording while recording
        self._initial_source = source

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> "LiveEngine":
        self._set_source(self._initial_source)
        for name, target in (("live-measure", self._measure_loop), ("live-coactivation", self._analysis_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._stop_capture()
        for t in self._threads:
            t.join(timeout=5)
        self.stop_recording(status="complete")   # after the measure thread: no more rows
        if self._calibrator is not None:
            self._calibrator.join(timeout=10)
        with self._lock:
            meters = [m for m in (self._meter, self._pending[0] if self._pending else None) if m]
            self._meter, self._pending = None, None
        for m in meters:
            m.close()
        self._detector.close()

    def __enter__(self) -> "LiveEngine":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- sources ---------------------------------------------------------------------
    def switch_source(self, spec: str | FrameSource) -> None:
        """Stop the current source and start another; measured signals are kept. A new
        source means a new face and framing, so the engine recalibrates automatically."""
        self._stop_capture()
        self._set_source(spec)

    def _set_source(self, spec: str | FrameSource) -> None:
        try:
            src = open_source(spec) if isinstance(spec, str) else spec
        except SourceError as exc:
            if isinstance(spec, str) and spec.startswith("camera"):
                self.message = f"{exc}. Showing the demo face instead."
                src = open_source("demo")
            else:
                raise
        else:
            self.message = ""
        self._source = src
        self.source_name = src.name
        self.source_lost = False
        self.fps = float(src.fps)
        self.ring.push(float("nan"), None)    # a gap in the traces between sources
        self.request_calibration("auto")
        self._capture_stop = threading.Event()
        self._capture = threading.Thread(target=self._capture_loop, args=(src, self._capture_stop),
                                         name="live-capture", daemon=True)
        self._capture.start()

    def _stop_capture(self) -> None:
        self._capture_stop.set()
        if self._capture is not None:
            self._capture.join(timeout=5)
            self._capture = None
        if self._source is not None:
            self._source.close()
            self._source = None
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break

    def _capture_loop(self, src: FrameSource, stop: threading.Event) -> None:
        while not (stop.is_set() or self._stop.is_set()):
            try:
                f = src.read()
            except SourceError as exc:
                self.source_lost = True
                self.message = str(exc)
                return
            if f is None:
                self.message = f"{src.name}: end of video. Choose another source."
                return
            try:
                self._queue.put_nowait(f)
            except queue.Full:
                try:  # measurement is behind: drop the oldest frame, keep the newest
                    self._queue.get_nowait()
                    self.stats.dropped += 1
                except queue.Empty:
                    pass
                self._queue.put_nowait(f)

    # ---- calibration -----------------------------------------------------------------
    def request_calibration(self, kind: str = "manual") -> None:
        """Start collecting rest frames (the subject holds still)."""
        with self._lock:
            self._candidates = []
            self._calib_start = None
            self.calibration_progress = 0.0
            self.calibrating = kind

    def _collect(self, f: Frame, landmarks: np.ndarray | None, face: bool) -> None:
        if not face:
            return
        if self._calib_start is None:
            self._calib_start = f.timestamp_s
        span = AUTO_CALIBRATION_S if self.calibrating == "auto" else MANUAL_CALIBRATION_S
        elapsed = f.timestamp_s - self._calib_start
        self.calibration_progress = min(1.0, elapsed / span)
        if f.index % CANDIDATE_STEP == 0:
            self._candidates.append((f.image, landmarks, f.timestamp_s))
        if elapsed >= span and len(self._candidates) >= 3 and self._calibrator is None:
            cands, self._candidates = self._candidates, []
            if len(cands) > MAX_CANDIDATES:   # evenly spread, fewer model calls
                cands = [cands[i] for i in np.linspace(0, len(cands) - 1, MAX_CANDIDATES).round().astype(int)]
            self.calibrating = None if self._meter is not None else "building"
            self._calibrator = threading.Thread(target=self._calibrate, args=(cands,),
                                                name="live-calibrate", daemon=True)
            self._calibrator.start()

    def _calibrate(self, cands: list[tuple[np.ndarray, np.ndarray | None, float]]) -> None:
        try:
            with Landmarker(self.model_path) as det:
                found = []
                for img, lm, t in cands:
                    if lm is None:
                        faces = det.detect(img)
                        lm = faces[0] if faces else None
                    if lm is not None:
                        found.append((img, lm, t))
                if len(found) < 3:
                    raise ValueError("too few frames with a face")
                i = typical_index([lm for _, lm, _ in found])
                ref = Reference(found[i][0], found[i][1], found[i][2])
                meter = FaceMeter(self.model_path, ref, workers=2, in_flight=2)
                feats = []
                for img, _, t in found[i:] + found[:i]:   # start at the reference: easy registration
                    if self._stop.is_set():
                        meter.close()
                        return
                    m = meter.measure(img, 0, t)
                    if m.face:
                        feats.append(m.features)
                baseline = rest_baseline(np.array(feats)) if len(feats) >= 3 else None
                if baseline is None:
                    meter.close()
                    raise ValueError("the face could not be measured")
                # Warm the registration seed on the newest frame so the switch is seamless.
                meter.measure(found[-1][0], 0, found[-1][2])
            if self.profile is not None:   # the profile's noise; the level belongs to this reference
                baseline = RestBaseline(baseline.level, self.profile.rest.noise, baseline.frames)
            with self._lock:
                self._pending = (meter, baseline)
        except Exception as exc:  # a failed calibration must not kill the session
            self.message = f"calibration failed ({exc}); hold still facing the camera and press Calibrate rest"
            with self._lock:
                if self._meter is None:
                    self.calibrating = "auto"
                    self._calib_start = None
        finally:
            self._calibrator = None

    # ---- measurement -----------------------------------------------------------------
    def _measure_loop(self) -> None:
        # Two frames in flight: while the model works on frame N (pool threads), this thread
        # registers frame N+1 and starts its model calls on the second set of instances.
        # Results are published in capture order.
        inflight: deque = deque()
        while not self._stop.is_set():
            try:
                f = self._queue.get(timeout=0.01 if inflight else 0.1)
            except queue.Empty:
                if inflight:
                    self._publish(*inflight.popleft())
                continue
            with self._lock:
                swap = self._pending is not None or (self.calibrating == "auto" and self._meter is not None)
            if swap:
                while inflight:                      # the old meter finishes its frames first
                    self._publish(*inflight.popleft())
                self._swap_meter(f)
            t0 = time.perf_counter()
            if self.calibrating == "building":
                self._publish(f, t0, None, None)     # leave the CPU to the calibrator
            elif self._meter is not None:
                inflight.append((f, t0, self._meter.submit(f.image, f.index, f.timestamp_s), self.baseline))
                if len(inflight) >= 2:
                    self._publish(*inflight.popleft())
            else:
                faces = self._detector.detect(f.image)
                self.face_ok = bool(faces)
                if self.calibrating in ("auto", "manual"):
                    self._collect(f, faces[0] if faces else None, bool(faces))
                self._publish(f, t0, None, None)
        while inflight:
            inflight.popleft()[2].result()

    def _swap_meter(self, f: Frame) -> None:
        with self._lock:
            if self._pending is not None:
                old, (self._meter, self.baseline) = self._meter, self._pending
                self._pending = None
                self.calibrated_at = f.timestamp_s
                if self.calibrating == "building":
                    self.calibrating = None
                if old is not None:
                    old.close()
            elif self.calibrating == "auto" and self._meter is not None:
                self._meter.close()   # new source or lost calibration: start from detection
                self._meter, self.baseline = None, None

    def _publish(self, f: Frame, t0: float, pending, baseline) -> None:
        m, sig = None, None
        if pending is not None:
            m = pending.result()
            self.face_ok = m.face
            if m.face and baseline is not None:
                sig = activations(m.features, baseline.level)
            if self.calibrating in ("auto", "manual"):
                self._collect(f, None, m.face)
        self.ring.push(f.timestamp_s, sig)
        rec = self.recording
        if rec is not None and baseline is not None:
            try:
                rec.add(f.index, f.timestamp_s, sig, f.image)
            except (OSError, RuntimeError) as exc:   # full disk, folder gone: stop, keep the rest
                self.stop_recording(status="stopped")
                self.message = f"recording stopped: {exc}"
        now = time.perf_counter()
        st = self.stats
        st.processed += 1
        st.first = now if st.first is None else st.first
        st.last = now
        if m is not None and m.face:
            st.process_ms.append((now - t0) * 1000)
            st.signal_latencies_ms.append((now - f.captured) * 1000)
        self._packet = Packet(f, m, sig, now)

    def take_packet(self) -> Packet | None:
        """The newest measured frame not yet taken (None if nothing new)."""
        p, self._packet = self._packet, None
        return p

    def mark_shown(self, packet: Packet) -> None:
        self.stats.latencies_ms.append((time.perf_counter() - packet.frame.captured) * 1000)

    # ---- co-activation ---------------------------------------------------------------
    def _analysis_loop(self) -> None:
        while not self._stop.wait(self.analysis_period_s):
            try:
                self.compute_coactivation()
            except Exception as exc:  # keep the thread alive; show why
                self.message = f"co-activation failed: {exc}"


    def compute_coactivation(self) -> Coactivation | None:
        """Co-activation of the last ``analysis_window_s``, resampled on a regular grid at the
        source rate (~20 ms for 10 s at 30 fps)."""
        base = self.baseline
        if base is None:
            return None
        t, s = self.ring.window(self.analysis_window_s)
        ok = ~np.isnan(s).any(axis=(1, 2)) & np.isfinite(t)
        if ok.sum() < 30:
            return None
        t_ok = t[ok]
        if t_ok[-1] - t_ok[0] < 3.0:
            return None
        grid, sig = on_regular_grid(t, s, self.fps)   # never None: >= 30 face samples above
        couplings, _ = analyse(sig, self.fps, base.noise)
        self.coactivation = Coactivation(couplings, float(grid[-1] - grid[0]), time.perf_counter())
        return self.coactivation

    # ---- recording (the record button) ------------------------------------------------
    def start_recording(self, folder: str | Path, **session) -> Path:
        """Start writing a session folder (see realtime/session.py); needs a calibration.
        ``session``: save_video, subject, days_since_onset. Raises OSError with one line."""
        from realtime.recorder import LiveRecording
        if self.baseline is None:
            raise RuntimeError("calibrate first: recording needs a rest baseline")
        if self.recording is not None:
            return self.recording.folder
        self.recording = LiveRecording(
            folder, source=self.source_name, fps=self.fps, model=self.model_path, baseline=self.baseline,
            profile_path=self.profile_path, **session)
        return self.recording.folder

    def stop_recording(self, status: str = "complete") -> dict | None:
        rec, self.recording = self.recording, None
        return None if rec is None else rec.close(status)

    # ---- convenience for the window --------------------------------------------------
    @property
    def noise(self) -> np.ndarray | None:
        return None if self.baseline is None else self.baseline.noise

    @property
    def max_range(self) -> np.ndarray | None:
        return None if self.profile is None else self.profile.max_range

    def threads(self) -> list[threading.Thread]:
        out = list(self._threads)
        for t in (self._capture, self._calibrator):
            if t is not None:
                out.append(t)
        return out


SIGNAL_INDEX = {name: i for i, name in enumerate(SIGNALS)}
