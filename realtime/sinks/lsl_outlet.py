"""Lab Streaming Layer outlets: the measured signals and the session's events, so LabRecorder
can write them into one XDF file next to EMG, EEG or any other LSL stream.

Two streams, opened when the loop starts:

- ``synkinesis-signals``, type ``MoCap``: every per-side region signal, one float32 channel
  each, in frames.csv column order (``brow_raise_left``, ``brow_raise_right``, ...; left is the
  subject's left, row 0 of ``MeasuredFrame.signals``). One sample per frame the loop passes on,
  so sample counts match frames.csv rows; NaN in every channel when the frame has no usable
  measurement (no face, not calibrated yet, outside the measurable envelope). Nominal rate: the
  source's. Timestamps: when the frame was captured (``Frame.captured``, moved onto the LSL
  clock by an offset measured once at start), not when its signals were ready.
- ``synkinesis-markers``, type ``Markers``: one string channel, irregular rate, see ``MARKERS``.
  Markers about the past (an episode's onset, a task prompt) carry the time they refer to, so a
  marker may be stamped earlier than one pushed before it: sort by timestamp after loading.

LSL fixes a stream's metadata when its outlet is created, but the capture-to-publish delay is
only known as frames flow: it is published as ``delay`` markers (every ``DELAY_EVERY_S`` s and
once for the session at the end); the signals stream's metadata says where to find them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from realtime import __version__
from realtime.landmarks import SIDES
from realtime.pipeline.calibrate import Calibration
from realtime.pipeline.sink import LoopInfo, LoopResult, MeasuredFrame, Sink
from realtime.signals.episodes import Episode
from realtime.signals.features import SIGNALS, column_names, signals_to_columns
from realtime.signals.units import face_unit_label

SIGNALS_STREAM = "synkinesis-signals"
MARKERS_STREAM = "synkinesis-markers"
DELAY_EVERY_S = 10.0
# Media times are stamped with the capture time of the frame at that media time: the frames of
# this many seconds are kept (an episode's onset lies up to the sliding window's length back).
MEDIA_TO_LSL_S = 30.0
# Outlets are destroyed at the end; samples still on their way to a connected inlet (the
# recording's last frames and markers) get this long to arrive first.
LINGER_S = 0.5

MARKERS = {
    "recording start": "the first frame of a recording (session folder)",
    "recording stop": "the last frame of a recording",
    "calibration done rest=A-Bs": "a new rest baseline (A-B: its rest stretch, media s); stamped "
                                  "with the first frame measured against it",
    "task TASK PHASE REP/REPS": "an assessment timeline entry starts (PHASE hold or relax)",
    "assessment end": "the timeline's last entry ends",
    "synkinesis onset DRIVER->RESPONSE SIDE": "an involuntary co-activation episode starts; "
                                              "published when the episode closes",
    "synkinesis end DRIVER->RESPONSE SIDE peak=P": "the episode's last active moment; P: the "
                                                   "response's peak, in its signal's unit",
    "delay scope=S median_ms=M p95_ms=P frames=N": "capture-to-publish delay of the signals "
                                                   "stream over the last S (e.g. 10s) or the session",
}


@dataclass(frozen=True)
class LslSettings:
    signals_name: str = SIGNALS_STREAM
    markers_name: str = MARKERS_STREAM
    # LSL's identity of the data source: an inlet that loses the stream finds it again by this.
    # None: "synkinesis:<source name>".
    source_id: str | None = None


def load_pylsl():
    """The pylsl module, or OSError saying what to do when its native library is missing."""
    try:
        # Loaded only for --lsl: liblsl is a native library, and recording works without it.
        import pylsl
    except (ImportError, RuntimeError, OSError) as exc:
        raise OSError(f"Lab Streaming Layer unavailable ({exc}): 'pip install pylsl' (its wheel "
                      "bundles liblsl), or run without --lsl") from None
    return pylsl


def clock_offset(local_clock, tries: int = 9) -> float:
    """``local_clock() - time.perf_counter()``, from the tightest of a few bracketed readings
    (the two are the same clock on Linux; elsewhere they only share a rate)."""
    best = None
    for _ in range(tries):
        a = time.perf_counter()
        lsl = local_clock()
        b = time.perf_counter()
        if best is None or b - a < best[0]:
            best = (b - a, lsl - (a + b) / 2)
    return best[1]


class DelayHistogram:
    """Delays in BIN_MS bins (anything beyond MAX_MS in the last): quantiles over a session of
    any length in fixed memory."""

    BIN_MS = 0.1
    MAX_MS = 5000.0

    def __init__(self):
        self.counts = np.zeros(int(self.MAX_MS / self.BIN_MS) + 1, np.int64)
        self.n = 0

    def add(self, ms: float) -> None:
        self.counts[min(max(int(ms / self.BIN_MS), 0), len(self.counts) - 1)] += 1
        self.n += 1

    def quantile(self, q: float) -> float:
        if self.n == 0:
            return float("nan")
        rank = max(1, int(np.ceil(q * self.n)))
        return (int(np.searchsorted(np.cumsum(self.counts), rank)) + 0.5) * self.BIN_MS

    def describe(self, scope: str) -> str:
        return (f"delay scope={scope} median_ms={self.quantile(0.5):.1f} "
                f"p95_ms={self.quantile(0.95):.1f} frames={self.n}")


def timeline_marker(entry: dict, timeline: list[dict]) -> str:
    reps = max(e["rep"] for e in timeline if e["task"] == entry["task"])
    return f"task {entry['task']} {entry['phase']} {entry['rep']}/{reps}"


def describe_signals(desc, info: LoopInfo, offset_s: float, markers_name: str) -> None:
    """The signals stream's metadata (XDF conventions: desc/channels/channel label, unit, type)."""
    channels = desc.append_child("channels")
    for label in column_names():
        signal, side = label.rsplit("_", 1)
        ch = channels.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", face_unit_label(signal))
        ch.append_child_value("type", "Closure" if signal == "eye_closure" else "Displacement")
        ch.append_child_value("signal", signal)
        ch.append_child_value("side", side)
    acq = desc.append_child("acquisition")
    acq.append_child_value("manufacturer", "synkinesis")
    acq.append_child_value("model", "MediaPipe FaceLandmarker, per-region composites")
    acq.append_child_value("version", __version__)
    acq.append_child_value("source", info.source)
    # Camera exposure and driver delay come before capture and are not compensated.
    acq.append_child_value("compensated_lag", "0")
    ref = desc.append_child("reference")
    ref.append_child_value("sides", f"{' and '.join(SIDES)} are the subject's own sides")
    ref.append_child_value("zero", "the subject's rest baseline (calibration); positive when "
                                   "the region activates")
    ref.append_child_value("IOD", "inter-ocular distance, iris centre to iris centre "
                                  "(about 63 mm in adults; 0.01 IOD is about 0.6 mm)")
    ts = desc.append_child("timestamps")
    ts.append_child_value("meaning", "frame capture time (when the source delivered the frame), "
                                     "not when its signals were ready")
    ts.append_child_value("perf_counter_to_lsl_offset_s", f"{offset_s:.9f}")
    desc.append_child_value("missing", "NaN in every channel: no face, not calibrated yet, or outside "
                                       "the measurable envelope (turned, two faces, ...); frames "
                                       "a real-time source delivered faster than they could be "
                                       "measured are not published (a gap in the timestamps)")
    delay = desc.append_child("delay")
    delay.append_child_value("meaning", "capture-to-publish delay: from frame capture to the "
                                        "sample's push to LSL (measurement time)")
    delay.append_child_value("reported_in", markers_name)
    delay.append_child_value("marker", "delay scope=S median_ms=M p95_ms=P frames=N")
    delay.append_child_value("every_s", f"{DELAY_EVERY_S:g}")


def describe_markers(desc, signals_name: str) -> None:
    ev = desc.append_child("markers")
    for text, meaning in MARKERS.items():
        m = ev.append_child("marker")
        m.append_child_value("text", text)
        m.append_child_value("meaning", meaning)
    desc.append_child_value("times", f"media times are mapped onto {signals_name}'s timestamps")


class LslOutlet(Sink):
    """The two LSL streams as a sink. ``recording``: an object whose ``t0`` is the media time of
    its first frame once it has one (a ``SessionFolder``): recording start/stop markers, and the
    ``timeline`` prompts at its times from ``t0``. ``follow_recording``, ``follow_timeline`` and
    ``recording_stopped`` may be called from any thread (the live window's buttons)."""

    def __init__(self, settings: LslSettings | None = None, *, recording=None,
                 timeline: list[dict] | None = None):
        self.settings = settings or LslSettings()
        self._lsl = None
        self._signals = None
        self._markers = None
        self._offset = 0.0
        self._nan = np.full(2 * len(SIGNALS), np.nan, np.float32)
        self._lock = threading.RLock()       # following state and marker pushes
        self._rec, self._timeline = recording, timeline
        self._rec_marked = False
        self._next_entry = 0
        self._media: deque[float] = deque(maxlen=1)   # media s of recent frames, and their
        self._stamps: deque[float] = deque(maxlen=1)  # LSL timestamps (sized in started())
        self.frames = 0
        self.window = DelayHistogram()
        self.session = DelayHistogram()
        self._next_report: float | None = None
        self._calibration: str | None = None

    # ---- any thread -----------------------------------------------------------------------
    def follow_recording(self, recording, timeline: list[dict] | None = None) -> None:
        with self._lock:
            self._rec, self._timeline = recording, timeline
            self._rec_marked, self._next_entry = False, 0

    def follow_timeline(self, timeline: list[dict]) -> None:
        """Prompt markers for an assessment run within the followed recording."""
        with self._lock:
            self._timeline, self._next_entry = timeline, 0

    def recording_stopped(self) -> None:
        """Marks the stop at the newest published frame (live: within a frame of the
        recording's last one)."""
        with self._lock:
            rec = self._rec
            self._rec, self._timeline = None, None
            if rec is None or self._markers is None:
                return
            if not self._rec_marked and getattr(rec, "t0", None) is not None:
                self._mark("recording start", self._at(rec.t0))   # stopped within a frame of its start
                self._rec_marked = True
            if self._rec_marked:
                self._mark("recording stop", self._at(None))
            self._rec_marked = False

    # ---- the loop's thread ----------------------------------------------------------------
    def started(self, info: LoopInfo) -> None:
        if self._signals is not None:
            return
        lsl = load_pylsl()
        s = self.settings
        source_id = s.source_id or f"synkinesis:{info.source}"
        self._offset = clock_offset(lsl.local_clock)
        keep = int(MEDIA_TO_LSL_S * max(float(info.fps), 1.0)) + 1
        self._media, self._stamps = deque(maxlen=keep), deque(maxlen=keep)
        sig = lsl.StreamInfo(s.signals_name, "MoCap", 2 * len(SIGNALS), float(info.fps), lsl.cf_float32,
                             f"{source_id}:signals")
        describe_signals(sig.desc(), info, self._offset, s.markers_name)
        mk = lsl.StreamInfo(s.markers_name, "Markers", 1, lsl.IRREGULAR_RATE, lsl.cf_string,
                            f"{source_id}:markers")
        describe_markers(mk.desc(), s.signals_name)
        try:
            self._signals = lsl.StreamOutlet(sig)
            self._markers = lsl.StreamOutlet(mk)
        except Exception as exc:   # liblsl reports a bad lsl_api.cfg or no network stack this way
            self._signals = self._markers = None
            raise OSError(f"Lab Streaming Layer: cannot open the outlets ({exc}); check "
                          "lsl_api.cfg (LSLAPICFG) or run without --lsl") from None
        self._lsl = lsl

    def calibrated(self, calibration: Calibration) -> None:
        a, b = calibration.rest
        self._calibration = f"calibration done rest={a:.2f}-{b:.2f}s"   # stamped by the next frame

    def measured(self, mf: MeasuredFrame) -> None:
        f = mf.frame
        ts = f.captured + self._offset
        row = signals_to_columns(mf.signals).astype(np.float32) if mf.usable else self._nan
        now = self._lsl.local_clock()
        self._signals.push_sample(row, ts)
        if self._calibration is not None:   # the first sample measured against the new baseline
            self._mark(self._calibration, ts)
            self._calibration = None
        ms = (now - ts) * 1000
        self.window.add(ms)
        self.session.add(ms)
        self.frames += 1
        with self._lock:   # read by recording_stopped on another thread
            if self._media and f.timestamp_s < self._media[-1]:   # another source: its own media clock
                self._media.clear()
                self._stamps.clear()
            self._media.append(f.timestamp_s)
            self._stamps.append(ts)
        self._follow(f.timestamp_s)
        if self._next_report is None:
            self._next_report = now + DELAY_EVERY_S
        elif now >= self._next_report:
            self._mark(self.window.describe(f"{DELAY_EVERY_S:g}s"), now)
            self.window = DelayHistogram()
            self._next_report = now + DELAY_EVERY_S

    def episode(self, ep: Episode) -> None:
        pair = f"{ep.driver}->{ep.response} {ep.side}"
        self._mark(f"synkinesis onset {pair}", self._at(ep.start_s))
        self._mark(f"synkinesis end {pair} peak={ep.peak:.4f}", self._at(ep.end_s))

    def finished(self, result: LoopResult) -> None:
        if self._markers is None:
            return
        self.recording_stopped()
        if self.session.n:
            self._mark(self.session.describe("session"), self._lsl.local_clock())
        if self._signals.have_consumers() or self._markers.have_consumers():
            time.sleep(LINGER_S)
        self._signals = self._markers = None   # destroys the outlets: the streams disappear

    # ---- helpers --------------------------------------------------------------------------
    def _follow(self, t: float) -> None:
        """Recording start and timeline prompts, once the recording has its first frame."""
        with self._lock:
            rec = self._rec
            t0 = None if rec is None else getattr(rec, "t0", None)
            if t0 is None:
                return
            if not self._rec_marked:
                self._mark("recording start", self._at(t0))
                self._rec_marked = True
            tl = self._timeline
            if not tl or self._next_entry > len(tl):
                return
            rel = t - t0
            while self._next_entry < len(tl) and tl[self._next_entry]["start_s"] <= rel:
                e = tl[self._next_entry]
                if e["end_s"] > rel:        # entries already over when the timeline was given: skipped
                    self._mark(timeline_marker(e, tl), self._at(t0 + e["start_s"]))
                self._next_entry += 1
            end = tl[-1]["end_s"]
            if self._next_entry == len(tl) and rel >= end:
                self._mark("assessment end", self._at(t0 + end))
                self._next_entry += 1

    def _at(self, media_s: float | None) -> float:
        """LSL time of a media time (None: the newest frame): the capture times of recent frames,
        interpolated (a real-time source's media clock drifts from the capture clock when
        frames are late); beyond them, the nearest frame's capture shifted by the media gap."""
        with self._lock:
            if not self._stamps:
                return self._lsl.local_clock()
            if media_s is None:
                return self._stamps[-1]
            m, s = np.asarray(self._media), np.asarray(self._stamps)
        if media_s <= m[0]:
            return float(s[0] + (media_s - m[0]))
        if media_s >= m[-1]:
            return float(s[-1] + (media_s - m[-1]))
        return float(np.interp(media_s, m, s))

    def _mark(self, text: str, timestamp: float) -> None:
        with self._lock:
            if self._markers is not None:
                self._markers.push_sample([text], timestamp)
