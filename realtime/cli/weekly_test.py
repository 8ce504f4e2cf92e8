"""``run.py weekly-test``: the ~90 s weekly test, headless, with prompts on the console."""

import argparse

from realtime.cli import (
    AFFECTED_HELP,
    MIRRORED_HELP,
    add_demo_palsy,
    days_since_onset,
    demo_settings,
    seconds,
    subject_id,
)

NAME = "weekly-test"
HELP = ("the weekly test (about 90 s: rest, gentle eye closure, brow raise, smile, pucker, show teeth, "
        "cheek puff), prompted on the console and recorded with one picture per task")


def add_arguments(p) -> None:
    p.add_argument("--source", default="camera",
                   help="camera, camera:N, demo (the demo face performs the test) or a video file of "
                        "a person following the protocol from its first frame (default: camera)")
    p.add_argument("--out", help="session folder to create (new or empty; default: a new folder named "
                   "by date and time in --sessions)")
    p.add_argument("--sessions", help="folder of your sessions, where the last weekly test is looked up "
                   "(default ~/synkinesis-sessions; with --out, --out's parent folder)")
    p.add_argument("--calendar", metavar="FILE.ics",
                   help="also write a calendar file with the weekly test every week from the next due date")
    p.add_argument("--subject", type=subject_id, help="pseudonymous subject id (not a name)")
    p.add_argument("--days-since-onset", type=days_since_onset, help="days since palsy onset")
    p.add_argument("--affected", choices=("left", "right"), help=AFFECTED_HELP + "; with --source demo, "
                   "also the demo face's palsied side")
    add_demo_palsy(p, side_from_affected=False)
    p.add_argument("--mirrored", action="store_true", help=MIRRORED_HELP)
    p.add_argument("--fast", action="store_true",
                   help="video file: measure every frame as fast as possible instead of in real time")
    p.add_argument("--save-video", action="store_true", help="also save the raw video (video.mkv)")
    p.add_argument("--profile", help="calibration profile (JSON); default: rest baseline from the "
                   "first 2 s with a face")
    p.add_argument("--model", help="face_landmarker.task path")
    # Tests only: every phase this many times as long (the real protocol is 1.0).
    p.add_argument("--time-scale", type=seconds, default=1.0, help=argparse.SUPPRESS)


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import signal
    import sys
    from datetime import date, datetime
    from pathlib import Path

    from realtime.clinical.weekly import timeline_length, weekly_timeline
    from realtime.jobs.schedule import check_calendar_path, due_text, schedule_line
    from realtime.jobs.weekly_test import DEMO, WeeklyOptions, check_weekly, weekly_test
    from realtime.tracking.model_asset import resolve_model

    def _term(signum, frame):
        raise KeyboardInterrupt  # SIGTERM stops the test cleanly, like Ctrl+C
    signal.signal(signal.SIGTERM, _term)

    sessions = Path(args.sessions).expanduser() if args.sessions else Path.home() / "synkinesis-sessions"
    if args.out:
        out = Path(args.out).expanduser()
        sessions = Path(args.sessions).expanduser() if args.sessions else out.resolve().parent
    else:
        out = sessions / datetime.now().strftime("%Y-%m-%d_%H%M%S")
    demo = demo_settings(args) or {}
    if args.source == DEMO and args.affected:
        demo["affected"] = args.affected
    opts = WeeklyOptions(source=args.source, out=out, model=Path(), subject=args.subject,
                         days_since_onset=args.days_since_onset, affected=args.affected,
                         mirrored=args.mirrored, fast=args.fast, save_video=args.save_video,
                         profile=args.profile, demo=demo, scale=args.time_scale,
                         calendar=check_calendar_path(args.calendar) if args.calendar else None)
    # Every argument is checked before a model download or the first measured frame.
    check_weekly(opts)
    if args.profile:
        from calibration.profile import load_profile  # only with --profile
        load_profile(args.profile)
    opts.model = resolve_model(args.model)
    print(schedule_line(sessions), flush=True)
    print("Weekly test: sit facing the camera, well lit, and follow the prompts below "
          f"(about {timeline_length(weekly_timeline(args.time_scale)):.0f} s).", flush=True)
    res = weekly_test(opts)
    meta = res.meta
    print(f"{meta['status']}: {meta['face_frames']}/{meta['frames']} frames with a face, "
          f"{len(res.keyframes)} keyframes, {meta['frames_dropped']} dropped; weekly test saved in {res.folder}",
          flush=True)
    if meta["status"] == "complete":
        print(f"Next weekly test due {due_text(res.next_due, date.today())}.", flush=True)
    else:
        print("The test did not finish: it does not count as this week's; run it again.", flush=True)
    if res.calendar_start is not None:
        print(f"calendar: {opts.calendar} (weekly from {res.calendar_start:%Y-%m-%d %H:%M})", flush=True)
    if meta["face_frames"] == 0:
        print("warning: no face was measured; check the camera and the light", file=sys.stderr)
    return 0
