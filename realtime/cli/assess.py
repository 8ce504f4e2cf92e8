"""``run.py assess VIDEO --out DIR --timeline T.json``: score a recorded guided assessment."""

NAME = "assess"
HELP = ("score a recorded assessment: DIR/frames.csv, summary.json, assessment.json "
        "(synkinesis indices per side) and timeline.json")


def add_arguments(p) -> None:
    p.add_argument("video")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--timeline", help="task timeline JSON (list of {task, rep, start_s, end_s, phase}); "
                   "default: the standard sequence starting at 0 s")
    p.add_argument("--model", help="face_landmarker.task path")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from realtime.clinical.assessment import default_timeline, load_timeline
    from realtime.jobs.assess import assess_video
    from realtime.sources import VideoFileSource
    from realtime.tracking.model_asset import resolve_model
    VideoFileSource(args.video).close()
    timeline = load_timeline(args.timeline) if args.timeline else default_timeline()
    scores = assess_video(args.video, args.out, resolve_model(args.model), timeline,
                          show_progress=not args.quiet)
    for side, ix in scores["indices"].items():
        parts = [f"{k} {v}" for k, v in ix.items() if v is not None]
        print(f"{side}: " + ("; ".join(parts) if parts else "no index could be computed"))
    for n in scores["notes"]:
        print(f"note: {n}")
    print(f"results in {args.out}")
    return 0
