"""``run.py assess VIDEO --out DIR --timeline T.json``: score a recorded guided assessment;
``run.py assess --write-timeline T.json``: the standard timeline, to edit and pass back."""

from realtime.cli import AFFECTED_HELP, FORCE_HELP, MIRRORED_HELP

NAME = "assess"
HELP = ("score a recorded assessment: DIR/frames.csv, coactivation.csv, summary.json, assessment.json "
        "and indices.csv (synkinesis indices per side) and timeline.json")


def add_arguments(p) -> None:
    p.add_argument("video", nargs="?")
    p.add_argument("--out", help="output folder: new, or one without results")
    p.add_argument("--timeline", help="task timeline JSON (list of {task, rep, start_s, end_s, phase}); "
                   "default: the standard sequence starting at 0 s (the video must be as long)")
    p.add_argument("--write-timeline", metavar="FILE",
                   help="write the standard timeline as JSON to FILE (to edit and pass with --timeline), then stop")
    p.add_argument("--force", action="store_true", help=FORCE_HELP + "; with --write-timeline: replace FILE")
    p.add_argument("--mirrored", action="store_true", help=MIRRORED_HELP)
    p.add_argument("--affected", choices=("left", "right"), help=AFFECTED_HELP)
    p.add_argument("--model", help="face_landmarker.task path")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _extent(timeline: list[dict]) -> str:
    tasks = list(dict.fromkeys(e["task"] for e in timeline))
    end = max(e["end_s"] for e in timeline)
    return f"{len(tasks)} tasks, {len(timeline)} phases, 0-{end:.0f} s"


def _write_timeline(path: str, force: bool) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import json
    from pathlib import Path

    from realtime.clinical.assessment import default_timeline
    from realtime.files import atomic_write_text
    p = Path(path)
    if p.exists() and not force:
        raise ValueError(f"{p} exists: choose another file, or add --force to replace it")
    timeline = default_timeline()
    doc = {"about": "The standard assessment sequence: set each phase's start_s/end_s (seconds from "
                    "the video's start) to when the task was done in your video, delete the tasks "
                    "not done, then: run.py assess VIDEO --out DIR --timeline THIS_FILE. phase: "
                    "'hold' (the task is held) or 'relax'.",
           "timeline": timeline}
    atomic_write_text(p, json.dumps(doc, indent=1))
    print(f"wrote the standard timeline to {p} ({_extent(timeline)}); edit it and pass it with --timeline")
    return 0


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import sys

    from realtime.clinical.assessment import default_timeline, format_index, load_timeline
    from realtime.jobs.assess import assess_video
    from realtime.jobs.inputs import check_assessment
    from realtime.sinks.analysis_files import faces_warning
    from realtime.tracking.model_asset import resolve_model
    if args.write_timeline:
        if args.video or args.out:
            raise ValueError("--write-timeline FILE only writes the timeline: run it alone, then "
                             "assess with --timeline FILE")
        return _write_timeline(args.write_timeline, args.force)
    if not args.video or not args.out:
        raise ValueError("give the video and --out DIR: run.py assess VIDEO --out DIR [--timeline T.json]")
    if args.timeline:
        try:
            timeline = load_timeline(args.timeline)
        except (OSError, ValueError) as exc:
            raise ValueError(f"timeline {args.timeline}: {exc}") from None
    else:
        timeline = default_timeline()
    standard = not args.timeline
    # Every argument is checked before a model download or the first measured frame.
    check_assessment(args.video, args.out, timeline, standard=standard, force=args.force)
    source = "the standard sequence (no --timeline given)" if standard else args.timeline
    print(f"timeline: {source} ({_extent(timeline)})", flush=True)
    scores = assess_video(args.video, args.out, resolve_model(args.model), timeline,
                          show_progress=not args.quiet, standard=standard, force=args.force,
                          mirrored=args.mirrored, affected=args.affected)
    for side, ix in scores["indices"].items():
        parts = [f"{k.replace('_', ' ')} {format_index(k, v, words=True)}" for k, v in ix.items() if v is not None]
        print(f"{side}: " + ("; ".join(parts) if parts else "no index could be computed"))
    for n in scores["notes"]:
        print(f"note: {n}")
    if warning := faces_warning(scores.get("faces")):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"results in {args.out}")
    return 0
