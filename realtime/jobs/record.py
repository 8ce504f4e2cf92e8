"""Headless recording: a source through the frame loop into a crash-safe session folder.

Real-time sources (camera, demo, a video without ``fast``) are captured newest-frame-only:
when measuring is slower than the source, frames are dropped (counted in session.json) rather
than queued, so the recording keeps up with the subject. With ``fast`` a video is measured
frame by frame, none dropped. A video file's rest baseline comes from a pre-scan, whatever the
pace (pipeline/loop.py): its most neutral stretch, or the given one; a camera's or the demo's
from its first seconds with a face.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from calibration.baseline import REST_S
from calibration.profile import load_profile
from realtime.clinical.assessment import rest_window
from realtime.pipeline.calibrate import CalibrationError
from realtime.pipeline.capture import FAST, REAL_TIME
from realtime.pipeline.loop import FrameLoop, LoopOptions
from realtime.pipeline.sink import Sink
from realtime.sinks.lsl_outlet import LslOutlet, LslSettings
from realtime.sinks.session import SessionError
from realtime.sinks.session_folder import SessionFolder
from realtime.sources import FrameSource, SourceError, Unmirrored, VideoFileSource, open_source


FAST_LSL = ("--lsl streams in real time (its timestamps are capture times): drop --fast, or "
            "measure the file fast without --lsl")
REST_ONLY_VIDEO = ("--rest only applies to a video file (a camera or the demo calibrates on its first "
                   "seconds with a face)")


class RecordingError(ValueError):
    """The recording could not produce measurements (e.g. no face). One-line message."""


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
    affected: str | None = None       # the affected side, stored in session.json
    save_video: bool = False
    timeline: list | None = None      # assessment timeline stored in session.json
    mirrored: bool = False            # the source shows the subject as in a mirror: frames flipped back
    rest: tuple[float, float] | None = None   # a video file's rest stretch (s); None: its most neutral one
    rest_s: float = REST_S
    workers: int = 2
    flush_interval_s: float = 0.5
    lsl: LslSettings | None = None    # also publish the signals and events as LSL streams
    log: object = field(default_factory=lambda: sys.stderr)   # the stderr of the moment, not of import time
    demo: dict | None = None          # settings of the demo face (source "demo"): sources.demo.live_demo_config
    extra_meta: dict | None = None    # more session.json fields (e.g. "protocol": "weekly")
    timeline_file: bool = False       # the timeline also as timeline.json in the folder
    # More outputs, each made from the recording's session folder (its folder and clock) and
    # attached after it: e.g. the weekly test's prompts and keyframes.
    sinks: tuple[Callable[[SessionFolder], Sink], ...] = ()


def record(opts: RecordOptions) -> dict:
    """Record one session into ``opts.out``; returns the final session.json content.
    Raises SessionError/SourceError/RecordingError with a one-line message on failure
    (whatever was written before stays in the folder)."""
    if opts.fast and opts.lsl is not None:
        raise ValueError(FAST_LSL)
    profile = load_profile(opts.profile) if opts.profile else None
    # a FrameSource object stands in for a device (tests: a camera that gets unplugged)
    if isinstance(opts.source, FrameSource):
        src = Unmirrored(opts.source) if opts.mirrored else opts.source
    else:
        src = open_source(opts.source, realtime=not opts.fast, mirrored=opts.mirrored, demo=opts.demo)
    video = isinstance(src, VideoFileSource)
    if opts.fast and not video:
        src.close()
        raise ValueError("--fast only applies to a video file (a camera or the demo runs in real time)")
    if opts.rest is not None and not video:
        src.close()
        raise ValueError(REST_ONLY_VIDEO)
    session = SessionFolder(opts.out, model=Path(opts.model), playback="fast" if opts.fast else "real time",
                            save_video=opts.save_video, subject=opts.subject,
                            days_since_onset=opts.days_since_onset, timeline=opts.timeline,
                            mirrored=opts.mirrored, affected=opts.affected, extra_meta=opts.extra_meta,
                            timeline_file=opts.timeline_file,
                            essential=True, flush_interval_s=opts.flush_interval_s, log=opts.log)
    # A timeline's rest hold is where the subject was asked to rest: a video's baseline comes from
    # it (pre-scanned, then played from its start, so the hold's frames are measured too), not from
    # the stretch that merely looks most neutral (a held pucker can look stiller). A camera cannot
    # be looked ahead in: its first seconds with a face, inside the hold, are the rest.
    rest = opts.rest or (rest_window(opts.timeline, default=None) if opts.timeline and video else None)
    loop_opts = LoopOptions(pace=FAST if opts.fast else REAL_TIME, rest_s=opts.rest_s, profile=profile, rest=rest,
                            profile_path=str(Path(opts.profile).resolve()) if opts.profile else None,
                            workers=opts.workers, duration_s=opts.duration)
    sinks = [session]
    if opts.lsl is not None:   # after the session: it has the recording's first frame (t0) first
        sinks.append(LslOutlet(opts.lsl, recording=session, timeline=opts.timeline))
    sinks += [make(session) for make in opts.sinks]
    loop = FrameLoop(src, opts.model, loop_opts, sinks)
    try:
        loop.run()
    except SourceError as exc:
        meta = session.result or {}
        raise SourceError(f"{exc} (recorded up to then: {meta.get('frames', 0)} frames in {opts.out})") from None
    except CalibrationError as exc:
        raise RecordingError(f"{src.name}: {exc}") from None
    finally:
        src.close()
    if session.writer is not None and session.writer.error:
        raise SessionError(session.writer.error)
    return session.result
