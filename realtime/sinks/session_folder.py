"""A recording as a sink: every measured frame, episode and the calibration into a session
folder (``SessionWriter``, crash-safe); the raw video too when asked."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO

from realtime import __version__
from realtime.clinical.assessment import save_timeline
from realtime.files import sha256_of
from realtime.pipeline.calibrate import Calibration
from realtime.pipeline.sink import LoopInfo, LoopResult, MeasuredFrame, Sink
from realtime.signals.episodes import Episode
from realtime.signals.features import column_names
from realtime.sinks.analysis_files import TWO_FACES
from realtime.sinks.session import VIDEO, SessionError, SessionWriter, check_writable
from realtime.sources import Frame


def _source_kind(spec: str) -> str:
    return "camera" if spec.startswith("camera") else ("demo" if spec == "demo" else "video")


def check_session_folder(folder: str | Path) -> Path:
    """Fail early (before a model is loaded) unless ``folder`` is new or empty and writable: a
    session never mixes with other files, and a folder the program did not create keeps its
    permissions."""
    f = Path(folder).expanduser()
    if f.exists():
        if not f.is_dir():
            raise SessionError(f"--out {f} is a file, not a folder; choose a new folder")
        if any(f.iterdir()):
            raise SessionError(f"--out {f} is not empty: a session goes into a new or empty folder; "
                               "choose another --out")
    check_writable(f)
    return f


def session_meta(source: str, fps: float, model: Path, calibration: dict, *, playback: str,
                 subject: str | None = None, days_since_onset: float | None = None,
                 save_video: bool = False, mirrored: bool = False) -> dict:
    """The session.json fields written when a recording starts (headless or live)."""
    return {
        "source": source, "source_kind": _source_kind(source), "playback": playback,
        "mirrored": bool(mirrored),
        "fps": round(float(fps), 4),
        "software": {"name": "synkinesis", "version": __version__, "tracking_mode": "image"},
        "model": {"file": model.name, "sha256": sha256_of(model)},
        "calibration": calibration,
        "subject_id": subject, "days_since_onset": days_since_onset,
        "signals": column_names(),
        "files": {"frames": "frames.csv", "events": "events.csv",
                  "video": VIDEO if save_video else None},
    }


class SessionFolder(Sink):
    """``restart_clock``: frame numbers and times start at 0 with the recording (the live
    window's Record button starts recording mid-stream); a headless recording keeps the
    source's own. ``essential``: a write error stops the loop (headless) rather than only
    this recording (live). ``timeline_file``: the timeline is also written as
    ``timeline.json`` beside ``session.json`` (a guided test's folder)."""

    def __init__(self, folder: str | Path, *, model: Path, playback: str, save_video: bool = False,
                 subject: str | None = None, days_since_onset: float | None = None,
                 timeline: list | None = None, extra_meta: dict | None = None, mirrored: bool = False,
                 restart_clock: bool = False, essential: bool = False, affected: str | None = None,
                 flush_interval_s: float = 0.5, log: TextIO | None = None, log_every_s: float = 10.0,
                 timeline_file: bool = False):
        self.folder = Path(folder)
        self.timeline_file = timeline_file
        self.model, self.playback = Path(model), playback
        self.save_video, self.subject, self.days = save_video, subject, days_since_onset
        self.timeline, self.extra_meta = timeline, extra_meta or {}
        self.mirrored = mirrored
        self.affected = affected
        self.several_faces = 0                # frames with two or more faces in view
        self.restart_clock, self.essential = restart_clock, essential
        self.flush_interval_s = flush_interval_s
        self.log, self.log_every_s = log, log_every_s
        self.writer: SessionWriter | None = None
        self.episodes = 0
        self.t0: float | None = None          # media time of the first recorded frame
        self.i0 = 0
        self.started_at = time.monotonic()
        self.result: dict | None = None
        self._last_log = time.monotonic()
        self._warned = False

    def started(self, info: LoopInfo) -> None:
        """Opens the folder (a live recording calls this itself, so a bad folder fails at the
        button); a second call is a no-op."""
        if self.writer is not None:
            return
        calibration = info.calibration
        w = SessionWriter(self.folder, save_video=self.save_video, fps=info.fps,
                          flush_interval_s=self.flush_interval_s)
        cal = calibration.to_json() if calibration is not None else {"mode": "auto from first seconds",
                                                                      "rest_baseline": None}
        meta = session_meta(info.source, info.fps, self.model, cal, playback=self.playback,
                            subject=self.subject, days_since_onset=self.days, save_video=self.save_video,
                            mirrored=self.mirrored)
        if self.timeline is not None:
            meta["timeline"] = self.timeline
        if info.frame_count:
            meta["source_frames"] = info.frame_count
        meta["affected_side"] = self.affected
        meta.update(self.extra_meta)
        w.start(meta)
        self.writer = w
        if self.timeline is not None and self.timeline_file:
            save_timeline(self.timeline, self.folder / "timeline.json")
        self.started_at = time.monotonic()

    def captured(self, frame: Frame) -> None:
        if self.save_video and (not self.restart_clock or self.t0 is not None):
            self.writer.add_video_frame(frame.image)

    def calibrated(self, calibration: Calibration) -> None:
        self.writer.update_meta(calibration=calibration.to_json(),
                                reference_frame=calibration.reference_frame)

    def measured(self, mf: MeasuredFrame) -> None:
        f = mf.frame
        if self.t0 is None:
            self.t0, self.i0 = (f.timestamp_s, f.index) if self.restart_clock else (0.0, 0)
            # Wall time of the first row's capture: with timestamp_s, when every row was captured
            # (how much a killed recording lost is measured from it).
            captured = datetime.now(timezone.utc) - timedelta(seconds=time.perf_counter() - f.captured)
            self.writer.update_meta(first_frame_captured=captured.isoformat(timespec="milliseconds"),
                                    first_frame_timestamp_s=round(f.timestamp_s - self.t0, 4))
        self.writer.add_frame(f.index - self.i0, f.timestamp_s - self.t0, mf.signals, mf.reason)
        self.several_faces += mf.reason == TWO_FACES
        if self.log is not None:
            self._report(f.timestamp_s - self.t0)

    def episode(self, ep: Episode) -> None:
        t0 = self.t0 or 0.0
        self.writer.add_event(max(0.0, ep.start_s - t0), ep.end_s - t0, ep.driver, ep.response,
                              ep.side, ep.signed_peak)
        self.episodes += 1

    def finished(self, result: LoopResult) -> None:
        if self.writer is None:
            return
        cal = result.calibration
        self.result = self.writer.close(status=result.status, frames_dropped=result.dropped,
                                        episodes=self.episodes, processing_fps=result.processing_fps,
                                        frames_with_two_or_more_faces=self.several_faces,
                                        reference_frame=None if cal is None else cal.reference_frame)

    @property
    def warning(self) -> str | None:
        return None if self.writer is None else self.writer.warning

    def _report(self, t: float) -> None:
        w = self.writer
        if w.warning and not self._warned:
            self._warned = True
            print(w.warning, file=self.log, flush=True)
        if time.monotonic() - self._last_log >= self.log_every_s:
            self._last_log = time.monotonic()
            print(f"recording: {t:.0f} s, {w.frames} frames, {self.episodes} episodes",
                  file=self.log, flush=True)

