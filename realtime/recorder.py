"""Headless recording: source -> reference -> FaceMeter -> signals -> SessionWriter.

- The reference face is the most typical of up to 15 faces seen in the first ``rest_s``
  seconds after a face first appears (as ``analyze`` does with its rest stretch). Without a
  profile, the rest baseline comes from the same frames ("auto from first seconds").
- Real-time sources (camera, demo, a video without ``fast``) are read by a capture thread that
  keeps only the newest frame: when measuring is slower than the source, frames are dropped
  (counted in session.json) rather than queued, so the recording keeps up with the subject.
  With ``fast`` a video is read as fast as it can be measured, with no frame dropped.
- ``EpisodeDetector`` finds co-activation episodes online (see its docstring).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from calibration.baseline import rest_baseline
from calibration.profile import load_profile
from calibration.reference import typical_index

from realtime import __version__
from realtime.signals.coactivation import DEFAULT_MIN_AMPLITUDE, MIN_AMPLITUDE, analyse
from realtime.landmarks import SIDES
from realtime.tracking.meter import FaceMeter, Reference
from realtime.tracking.model_asset import sha256_of
from realtime.signals.resample import on_regular_grid
from realtime.sinks.session import VIDEO, SessionError, SessionWriter
from realtime.signals.features import FEATURES, SIGNALS, S, activations, column_names
from realtime.sources import FrameSource, SourceError, VideoFileSource, open_source
from realtime.tracking.landmarker import Landmarker


class RecordingError(ValueError):
    """The recording could not produce measurements (e.g. no face). One-line message."""


@dataclass
class Episode:
    driver: str
    response: str
    side: str
    start_s: float
    end_s: float
    peak: float


class EpisodeDetector:
    """Online co-activation episodes.

    Every ``every_s`` seconds of media time, ``coactivation.analyse`` runs on the last
    ``window_s`` seconds of signals (resampled to the source rate, so dropped frames do not
    distort lags). A pair (driver -> response, side) flagged as synkinesis opens an episode;
    the episode stays open while later analyses keep flagging the pair and closes at the
    first analysis that does not (or at ``finish``).

    ``start_s``: first time in the window at which the response was active (above
    ``k_noise`` rest-noise SDs and half the smallest visible movement: a quiet tracker's tiny
    rest offsets are not an onset) when the pair was first flagged, never before the end of the
    previous episode of the same pair; ``end_s``: last time the response was active while the
    episode was open; ``peak``: the response's highest activation during the episode, in its
    signal's units (e.g. eye closure as a fraction of the rest eye opening).
    """

    def __init__(self, fps: float, noise: np.ndarray, *, window_s: float = 10.0,
                 every_s: float = 1.0, min_window_s: float = 4.0, k_noise: float = 4.0):
        self.fps = float(fps)
        self.noise = np.maximum(np.asarray(noise, float), 1e-4)
        self.window_s, self.every_s, self.min_window_s, self.k = window_s, every_s, min_window_s, k_noise
        self._t: deque[float] = deque()
        self._sig: deque[np.ndarray] = deque()
        self._next = None
        self._open: dict[tuple[str, str, str], Episode] = {}
        self._last_end: dict[tuple[str, str, str], float] = {}
        self.analyses = 0

    def feed(self, t: float, sig: np.ndarray | None) -> list[Episode]:
        """Add one frame (sig None: no face); returns episodes that closed."""
        self._t.append(float(t))
        self._sig.append(np.full((2, len(SIGNALS)), np.nan) if sig is None else np.asarray(sig, float))
        while self._t and self._t[0] < t - self.window_s:
            self._t.popleft()
            self._sig.popleft()
        if self._next is None:
            self._next = self._t[0] + self.min_window_s
        if t < self._next:
            return []
        self._next = t + self.every_s
        return self._step(t)

    def finish(self) -> list[Episode]:
        """Close every open episode (end of recording)."""
        out = list(self._open.values())
        for key, ep in self._open.items():
            self._last_end[key] = ep.end_s
        self._open.clear()
        return out

    def _window(self) -> tuple[np.ndarray, np.ndarray] | None:
        t = np.array(self._t)
        sig = np.array(self._sig)
        face = ~np.isnan(sig).any(axis=(1, 2))
        if face.sum() < 0.5 * self.min_window_s * min(self.fps, 10.0) or t[-1] - t[0] < self.min_window_s:
            return None
        return on_regular_grid(t, sig, self.fps)

    def _step(self, now: float) -> list[Episode]:
        w = self._window()
        if w is None:
            return []
        grid, sig = w
        self.analyses += 1
        couplings, _ = analyse(sig, self.fps, self.noise)
        flagged = {(c.driver, c.response, c.side) for c in couplings if c.synkinesis}
        closed = []
        for key in list(self._open):
            if key not in flagged:
                ep = self._open.pop(key)
                self._last_end[key] = ep.end_s
                closed.append(ep)
        for key in flagged:
            driver, response, side = key
            si, ri = SIDES.index(side), S[response]
            resp = sig[:, si, ri]
            level = max(self.k * self.noise[si, ri], 0.5 * MIN_AMPLITUDE.get(response, DEFAULT_MIN_AMPLITUDE))
            active = np.isfinite(resp) & (resp > level)
            ep = self._open.get(key)
            if ep is None:
                cand = grid[active & (grid > self._last_end.get(key, -np.inf))]
                if not len(cand):
                    continue   # correlated, but the region never visibly did its own movement
                start = float(cand[0])
                ep = self._open[key] = Episode(driver, response, side, start, start, float("-inf"))
            sel = grid >= ep.start_s
            if np.any(sel & active):
                ep.end_s = max(ep.end_s, float(grid[sel & active][-1]))
            vals = resp[sel]
            if np.isfinite(vals).any():
                ep.peak = max(ep.peak, float(np.nanmax(vals)))
        return closed


@dataclass
class RecordOptions:
    source: str | FrameSource
    out: Path
    model: Path
    duration: float | None = None
    fast: bool = False
    profile: str | None = None
    subject: str | None = None
    days_since_onset: int | None = None
    save_video: bool = False
    timeline: list | None = None      # assessment timeline stored in session.json
    rest_s: float = 2.0
    workers: int = 2
    flush_interval_s: float = 0.5
    log: object = field(default=sys.stderr)


class _LatestFrame:
    """Reads a real-time source on its own thread; ``read`` returns the newest frame not yet
    returned (older ones are dropped and counted). ``on_frame`` sees every captured frame."""

    def __init__(self, src: FrameSource, on_frame=None):
        self.src = src
        self.on_frame = on_frame
        self.dropped = 0
        self._cv = threading.Condition()
        self._latest = None
        self._done = False
        self._exc: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop:
                f = self.src.read()
                if f is not None and self.on_frame is not None:
                    self.on_frame(f)
                with self._cv:
                    if f is None:
                        self._done = True
                    else:
                        self.dropped += self._latest is not None
                        self._latest = f
                    self._cv.notify_all()
                if f is None:
                    return
        except BaseException as exc:  # SourceLost, or the writer failing in on_frame
            with self._cv:
                self._exc = exc
                self._done = True
                self._cv.notify_all()

    def read(self):
        with self._cv:
            while self._latest is None and not self._done:
                self._cv.wait(0.5)
            if self._latest is not None:
                f, self._latest = self._latest, None
                return f
            if self._exc is not None:
                raise self._exc
            return None

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=5)


def _source_kind(spec: str) -> str:
    return "camera" if spec.startswith("camera") else ("demo" if spec == "demo" else "video")


def session_meta(source: str, fps: float, model: Path, calibration: dict, *, playback: str,
                 subject: str | None = None, days_since_onset: float | None = None,
                 save_video: bool = False) -> dict:
    """The session.json fields written when a recording starts (headless or live)."""
    return {
        "source": source, "source_kind": _source_kind(source), "playback": playback,
        "fps": round(float(fps), 4),
        "software": {"name": "synkinesis", "version": __version__, "tracking_mode": "image"},
        "model": {"file": model.name, "sha256": sha256_of(model)},
        "calibration": calibration,
        "subject_id": subject, "days_since_onset": days_since_onset,
        "signals": column_names(),
        "files": {"frames": "frames.csv", "events": "events.csv",
                  "video": VIDEO if save_video else None},
    }


class LiveRecording:
    """A recording fed frame by frame from the live window's engine (the record button):
    rows and co-activation episodes go to a ``SessionWriter`` without blocking the caller."""

    def __init__(self, folder: str | Path, *, source: str, fps: float, model: Path,
                 baseline, profile_path: str | None = None, save_video: bool = False,
                 subject: str | None = None, days_since_onset: float | None = None):
        self.folder = Path(folder)
        calibration = {"mode": "profile" if profile_path else "live rest calibration",
                       "profile": profile_path, "rest_baseline": baseline.to_json()}
        self.writer = SessionWriter(self.folder, save_video=save_video, fps=fps)
        self.writer.start(session_meta(source, fps, Path(model), calibration, playback="live",
                                       subject=subject, days_since_onset=days_since_onset,
                                       save_video=save_video))
        self.detector = EpisodeDetector(fps, baseline.noise)
        self.state = {"episodes": 0}
        self.started = time.monotonic()
        self.t0: float | None = None
        self.i0 = 0

    def add(self, index: int, timestamp_s: float, sig: np.ndarray | None, rgb: np.ndarray | None = None) -> None:
        """One measured frame (sig None: no face); frame numbers and times restart at 0 with
        the recording. Raises SessionError once the disk fails."""
        if self.t0 is None:
            self.t0, self.i0 = timestamp_s, index
        self.writer.add_frame(index - self.i0, timestamp_s - self.t0, sig)
        if rgb is not None and self.writer.save_video:
            self.writer.add_video_frame(rgb)
        for ep in self.detector.feed(timestamp_s - self.t0, sig):
            _add_event(self.writer, ep, self.state)

    def close(self, status: str = "complete") -> dict:
        for ep in self.detector.finish():
            _add_event(self.writer, ep, self.state)
        return self.writer.close(status=status, episodes=self.state["episodes"])


def record(opts: RecordOptions) -> dict:
    """Record one session into ``opts.out``; returns the final session.json content.
    Raises SessionError/SourceError/RecordingError with a one-line message on failure
    (whatever was written before stays in the folder)."""
    profile = load_profile(opts.profile) if opts.profile else None
    # a FrameSource object stands in for a device (tests: a camera that gets unplugged)
    src = opts.source if isinstance(opts.source, FrameSource) else open_source(opts.source, realtime=not opts.fast)
    if opts.fast and not isinstance(src, VideoFileSource):
        src.close()
        raise ValueError("--fast only applies to a video file (a camera or the demo runs in real time)")
    writer = SessionWriter(opts.out, save_video=opts.save_video, fps=src.fps,
                           flush_interval_s=opts.flush_interval_s)
    if profile is not None:
        calibration = {"mode": "profile", "profile": str(Path(opts.profile).resolve()),
                       "rest_baseline": profile.rest.to_json()}
    else:
        calibration = {"mode": "auto from first seconds", "rest_s": opts.rest_s, "rest_baseline": None}
    meta = session_meta(src.name, src.fps, Path(opts.model), calibration,
                        playback="fast" if opts.fast else "real time", subject=opts.subject,
                        days_since_onset=opts.days_since_onset, save_video=opts.save_video)
    if opts.timeline is not None:
        meta["timeline"] = opts.timeline
    if getattr(src, "frame_count", 0):
        meta["source_frames"] = src.frame_count
    try:
        writer.start(meta)
    except BaseException:
        src.close()
        raise

    status, final, t_begin = "complete", {}, time.monotonic()
    lost: SourceError | None = None
    state: dict = {"episodes": 0}
    feed = full = None
    try:
        full = Landmarker(opts.model)  # before capture starts: loading it takes ~1 s
        if not opts.fast:
            feed = _LatestFrame(src, on_frame=lambda f: writer.add_video_frame(f.image))
        status = _record_loop(src, feed, writer, opts, profile, state, full)
    except KeyboardInterrupt:
        status = "interrupted"
    except SessionError:
        status = "stopped"
    except SourceError as exc:   # a camera unplugged mid-session: keep what was recorded
        status, lost = f"stopped: {exc}", exc
    finally:
        if feed is not None:
            feed.close()
        src.close()
        if full is not None:
            full.close()
        det = state.get("detector")
        if det is not None:
            for ep in det.finish():
                _add_event(writer, ep, state)
        elapsed = time.monotonic() - t_begin
        dropped = feed.dropped if feed is not None else 0
        final.update(frames_dropped=dropped, episodes=state["episodes"],
                     processing_fps=round(writer.frames / elapsed, 2) if elapsed > 0 else None,
                     reference_frame=state.get("reference_frame"))
        result = writer.close(status=status, **final)
    if writer.error:
        raise SessionError(writer.error)
    if lost is not None:
        raise SourceError(f"{lost} (recorded up to then: {result.get('frames', 0)} frames in {opts.out})")
    return result


def _add_event(writer: SessionWriter, ep: Episode, state: dict) -> None:
    try:
        writer.add_event(ep.start_s, ep.end_s, ep.driver, ep.response, ep.side, ep.peak)
        state["episodes"] += 1
    except (SessionError, RuntimeError):
        pass


def _record_loop(src, feed, writer: SessionWriter, opts: RecordOptions, profile, state: dict, full: Landmarker) -> str:
    def frames():
        while True:
            f = feed.read() if feed is not None else src.read()
            if f is None:
                return
            if feed is None:
                writer.add_video_frame(f.image)
            if opts.duration is not None and f.timestamp_s >= opts.duration:
                return
            yield f

    nan_feat = np.full((2, len(FEATURES)), np.nan)
    it = frames()
    # 1. Reference: faces seen in the first rest_s seconds after a face appears.
    candidates = 15
    step = opts.rest_s / candidates
    found: list[tuple[object, np.ndarray]] = []
    buffered = []
    first_t = None
    next_t = -np.inf
    for f in it:
        cand = f.timestamp_s >= next_t
        if cand:
            next_t = f.timestamp_s + step
            faces = full.detect(f.image)
            if faces:
                found.append((f, faces[0]))
                first_t = f.timestamp_s if first_t is None else first_t
        if first_t is None:
            writer.add_frame(f.index, f.timestamp_s, None)
            continue
        if opts.fast or cand:  # in real time only the candidates are kept (memory, latency)
            buffered.append(f)
        if f.timestamp_s - first_t >= opts.rest_s or len(found) >= candidates:
            break
    if not found:
        raise RecordingError(f"no face found in {src.name}: the face must be visible and frontal")
    i = typical_index([lm for _, lm in found])
    ref_frame, ref_lm = found[i]
    reference = Reference(ref_frame.image, ref_lm, ref_frame.timestamp_s)
    state["reference_frame"] = int(ref_frame.index)

    with FaceMeter(opts.model, reference, workers=opts.workers, full_landmarker=full) as meter:
        feats = []
        for f in buffered:
            m = meter.measure(f.image, f.index, f.timestamp_s)
            feats.append(m.features if m.face else nan_feat)
        if profile is not None:
            baseline = profile.rest
        else:
            try:
                baseline = rest_baseline(np.array(feats))
            except ValueError as exc:
                raise RecordingError(f"first {opts.rest_s:g} s with a face: {exc}; "
                                     "keep the face still and visible at the start") from None
            writer.update_meta(calibration={"mode": "auto from first seconds", "rest_s": opts.rest_s,
                                            "rest_baseline": baseline.to_json()})
        detector = EpisodeDetector(src.fps, baseline.noise)
        state["detector"] = detector

        def emit(f, feat):
            sig = None if feat is None or np.isnan(feat).any() else activations(feat, baseline.level)
            writer.add_frame(f.index, f.timestamp_s, sig)
            for ep in detector.feed(f.timestamp_s, sig):
                _add_event(writer, ep, state)

        for f, feat in zip(buffered, feats):
            emit(f, feat)
        buffered.clear()
        last_log = time.monotonic()
        warned = False
        for f in it:
            m = meter.measure(f.image, f.index, f.timestamp_s)
            emit(f, m.features if m.face else None)
            if writer.error:
                return "stopped"
            if writer.warning and not warned and opts.log is not None:
                warned = True
                print(writer.warning, file=opts.log, flush=True)
            if opts.log is not None and time.monotonic() - last_log >= 10:
                last_log = time.monotonic()
                print(f"recording: {f.timestamp_s:.0f} s, {writer.frames} frames, "
                      f"{state['episodes']} episodes", file=opts.log, flush=True)
    return "complete"
