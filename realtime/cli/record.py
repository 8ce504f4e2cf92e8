"""``run.py record SOURCE --out DIR``: headless, crash-safe session recording."""

from realtime.cli import (
    AFFECTED_HELP,
    LSL_HELP,
    MIRRORED_HELP,
    add_demo_palsy,
    days_since_onset,
    demo_settings,
    print_rest,
    rest_window,
    seconds,
    subject_id,
)

NAME = "record"
HELP = "record a session headless: DIR/session.json, frames.csv, events.csv (+ video.mkv)"


def add_arguments(p) -> None:
    p.add_argument("source", help="camera, camera:N, demo, or a video file")
    p.add_argument("--out", required=True, help="session folder to create (must be new or empty)")
    p.add_argument("--duration", type=seconds, help="stop after S seconds (default: until the "
                   "video ends, or Ctrl+C / SIGTERM for a camera or the demo)")
    p.add_argument("--fast", action="store_true",
                   help="video file: measure every frame as fast as possible instead of in real time")
    p.add_argument("--profile", help="calibration profile (JSON): rest noise and maximal ranges")
    p.add_argument("--rest", type=rest_window, default=None,
                   help="video file: rest stretch START:END in s, at least 1 s (default: the video's most "
                        "neutral stretch; played in real time, searched in its first seconds only; a "
                        "camera or the demo: its first 2 s with a face)")
    p.add_argument("--subject", type=subject_id, help="pseudonymous subject id (not a name)")
    p.add_argument("--days-since-onset", type=days_since_onset, help="days since palsy onset")
    p.add_argument("--save-video", action="store_true", help="also save the raw video (video.mkv)")
    p.add_argument("--timeline", help="assessment timeline (JSON) the recording follows; stored in "
                   "session.json so 'run.py report' scores it")
    p.add_argument("--mirrored", action="store_true", help=MIRRORED_HELP)
    p.add_argument("--affected", choices=("left", "right"), help=AFFECTED_HELP)
    p.add_argument("--lsl", action="store_true", help=LSL_HELP)
    add_demo_palsy(p)
    p.add_argument("--model", help="face_landmarker.task path")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import signal
    import sys
    from pathlib import Path

    from calibration.baseline import REST_S
    from calibration.profile import load_profile
    from realtime.jobs.inputs import check_rest, check_video
    from realtime.jobs.record import FAST_LSL, REST_ONLY_VIDEO, RecordOptions, record
    from realtime.sinks.analysis_files import TWO_FACES
    from realtime.sinks.lsl_outlet import MARKERS_STREAM, SIGNALS_STREAM, LslSettings, load_pylsl
    from realtime.sinks.session_folder import check_session_folder
    from realtime.tracking.model_asset import resolve_model

    def _term(signum, frame):
        raise KeyboardInterrupt  # SIGTERM stops the recording cleanly, like Ctrl+C
    signal.signal(signal.SIGTERM, _term)

    # Every argument is checked before a model download or the first measured frame.
    check_session_folder(args.out)
    demo = demo_settings(args)
    if demo and args.source != "demo":
        raise ValueError("--rest-droop and --movement set the demo face: use them with the source demo")
    if args.lsl:
        if args.fast:
            raise ValueError(FAST_LSL)
        load_pylsl()
    if args.source not in ("demo", "camera") and not args.source.startswith("camera:"):
        info = check_video(args.source, min_s=REST_S, purpose="record (a rest stretch calibrates)")
        if args.rest is not None:
            check_rest(args.rest, info)
    elif args.rest is not None:
        raise ValueError(REST_ONLY_VIDEO)
    if args.profile:
        load_profile(args.profile)
    timeline = None
    if args.timeline:
        from realtime.clinical.assessment import load_timeline
        try:
            timeline = load_timeline(args.timeline)
        except (OSError, ValueError) as exc:
            raise ValueError(f"timeline {args.timeline}: {exc}") from None
    opts = RecordOptions(source=args.source, out=Path(args.out), model=resolve_model(args.model),
                         duration=args.duration, fast=args.fast, profile=args.profile,
                         subject=args.subject, days_since_onset=args.days_since_onset,
                         save_video=args.save_video, timeline=timeline, mirrored=args.mirrored,
                         affected=args.affected, demo=demo, rest=args.rest,
                         lsl=LslSettings() if args.lsl else None)
    if args.lsl:
        print(f"streaming to LSL: {SIGNALS_STREAM}, {MARKERS_STREAM}", file=sys.stderr)
    meta = record(opts)
    print_rest(meta.get("calibration"))
    print(f"{meta['status']}: {meta['face_frames']}/{meta['frames']} frames with a face, "
          f"{meta['episodes']} co-activation episode(s), {meta['frames_dropped']} dropped, "
          f"{meta['processing_fps']} fps; session in {args.out}", )
    if several := meta.get("frames_with_two_or_more_faces"):
        print(f"warning: two or more faces in {several} of {meta['frames']} frames ('{TWO_FACES}' in "
              "frames.csv, left out of co-activation); record the subject alone to measure every frame",
              file=sys.stderr)
    return 0
