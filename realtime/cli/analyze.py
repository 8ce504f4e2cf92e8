"""``run.py analyze VIDEO --out DIR``: offline measurement of a video."""

from realtime.cli import rest_window

NAME = "analyze"
HELP = "measure a video: DIR/frames.csv and DIR/summary.json"


def add_arguments(p) -> None:
    p.add_argument("video")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--profile", help="calibration profile (JSON) to use for the rest baseline")
    p.add_argument("--model", help="face_landmarker.task path")
    p.add_argument("--rest", type=rest_window, default=None,
                   help="rest stretch START:END in s (default: the first 2 s in which a face is seen)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from calibration.profile import load_profile
    from realtime.jobs.analyze import analyze
    from realtime.sources import VideoFileSource
    from realtime.tracking.model_asset import resolve_model
    VideoFileSource(args.video).close()  # a bad video fails before any model download
    profile = load_profile(args.profile) if args.profile else None
    summary = analyze(args.video, args.out, resolve_model(args.model), profile=profile,
                      rest=args.rest, show_progress=not args.quiet)
    flagged = [f"{c['driver']}->{c['response']} ({c['side']}, lag {c['lag_s']:+.2f} s)"
               for c in summary["synkinesis"]]
    print(f"{summary['face_frames']}/{summary['frames']} frames with a face; synkinesis: "
          + ("; ".join(flagged) if flagged else "none detected") + f"; results in {args.out}")
    return 0
