"""The weekly test, headless: the ~90 s guided protocol recorded like any session.

The recording is ``record``'s (one frame loop into a crash-safe session folder) with the
weekly timeline, ``"protocol": "weekly"`` in ``session.json``, ``timeline.json`` beside it, the
prompts on the console and one keyframe per task (``sinks/keyframes.py``). With the demo source
the demo face performs the protocol itself (and can be given a palsy: ``demo`` settings), so
the whole test runs without a person; a video file must show a person following the protocol
from its first frame.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from realtime.clinical.weekly import PEAK_SIGNALS, PROTOCOL, WEEKLY_BY_KEY, timeline_length, weekly_timeline
from realtime.jobs.inputs import check_video, timeline_end
from realtime.jobs.record import RecordOptions, record
from realtime.jobs.schedule import next_due, write_calendar
from realtime.sinks.keyframes import INDEX, Keyframes
from realtime.sinks.prompts import ConsolePrompts
from realtime.sinks.session_folder import check_session_folder
from realtime.sources import FrameSource

DEMO = "demo"
DEMO_SETTINGS = ("affected", "rest_droop", "movement")


@dataclass
class WeeklyOptions:
    source: str | FrameSource
    out: Path
    model: Path
    subject: str | None = None
    days_since_onset: int | None = None
    affected: str | None = None        # the affected side, stored in session.json
    mirrored: bool = False
    fast: bool = False                 # a video file measured frame by frame, as fast as possible
    save_video: bool = False
    profile: str | None = None
    demo: dict = field(default_factory=dict)   # demo face palsy: affected, rest_droop, movement
    calendar: Path | None = None       # also write a weekly .ics from the next due date
    scale: float = 1.0                 # shortens every phase (tests only)
    log: object = field(default_factory=lambda: sys.stderr)


@dataclass
class WeeklyResult:
    folder: Path
    meta: dict                         # the final session.json
    keyframes: dict                    # task -> keyframes.json entry
    next_due: date
    calendar_start: datetime | None


def check_weekly(opts: WeeklyOptions) -> list[dict]:
    """Everything checked before the model loads; returns the timeline."""
    timeline = weekly_timeline(opts.scale)
    check_session_folder(opts.out)
    if opts.demo and opts.source != DEMO:
        raise ValueError(f"--{'/--'.join(k.replace('_', '-') for k in opts.demo)} set the demo face: "
                         f"use them with --source demo (the source is {opts.source})")
    if unknown := set(opts.demo) - set(DEMO_SETTINGS):
        raise ValueError(f"unknown demo settings: {', '.join(sorted(unknown))}")
    if isinstance(opts.source, str) and opts.source != DEMO and not opts.source.startswith("camera"):
        check_video(opts.source, min_s=timeline_end(timeline),
                    purpose=f"hold the weekly test (its last task ends at {timeline_end(timeline):.0f} s; "
                            "the video must follow the protocol from its first frame)")
    elif opts.fast:
        raise ValueError("--fast only applies to a video file (a camera or the demo runs in real time)")
    return timeline


def weekly_test(opts: WeeklyOptions) -> WeeklyResult:
    """Run the weekly test into ``opts.out``. Raises with a one-line message on failure."""
    timeline = check_weekly(opts)
    demo = None
    if opts.source == DEMO:     # the demo face performs the protocol, from the recording's start
        demo = {**opts.demo, "protocol": PROTOCOL, "timeline": timeline,
                "seconds": timeline_length(timeline) + 1.0}
    keyframes: list[Keyframes] = []

    def make_keyframes(session):
        keyframes.append(Keyframes(session, timeline, PEAK_SIGNALS))
        return keyframes[-1]

    ropts = RecordOptions(source=opts.source, out=Path(opts.out), model=Path(opts.model),
                          duration=timeline_length(timeline), fast=opts.fast, profile=opts.profile,
                          subject=opts.subject, days_since_onset=opts.days_since_onset,
                          affected=opts.affected, save_video=opts.save_video, timeline=timeline,
                          mirrored=opts.mirrored, demo=demo, log=opts.log,
                          extra_meta={"protocol": PROTOCOL, "keyframes": INDEX}, timeline_file=True,
                          sinks=(lambda s: ConsolePrompts(s, timeline, WEEKLY_BY_KEY, opts.log), make_keyframes))
    meta = record(ropts)
    started = datetime.fromisoformat(meta["started"])
    calendar_start = None
    if opts.calendar is not None:
        calendar_start = write_calendar(opts.calendar, started, uid_seed=str(Path(opts.out).resolve().parent))
    return WeeklyResult(Path(opts.out), meta, keyframes[0].written if keyframes else {}, next_due(started),
                        calendar_start)
