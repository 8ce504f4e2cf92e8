"""``run.py analyze VIDEO --out DIR``: offline measurement of a video."""

from realtime.cli import (
    AFFECTED_HELP,
    FORCE_HELP,
    MIRRORED_HELP,
    print_rest,
    rest_window,
)

NAME = "analyze"
HELP = "measure a video: DIR/frames.csv, DIR/coactivation.csv and DIR/summary.json"


def add_arguments(p) -> None:
    p.add_argument("video")
    p.add_argument("--out", required=True, help="output folder: new, or one without results")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--mirrored", action="store_true", help=MIRRORED_HELP)
    p.add_argument("--affected", choices=("left", "right"), help=AFFECTED_HELP)
    p.add_argument("--profile", help="calibration profile (JSON) to use for the rest baseline")
    p.add_argument("--model", help="face_landmarker.task path")
    p.add_argument("--rest", type=rest_window, default=None,
                   help="rest stretch START:END in s, at least 1 s (default: the video's most neutral stretch)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import sys

    from calibration.profile import load_profile
    from realtime.jobs.analyze import analyze
    from realtime.jobs.inputs import check_analysis
    from realtime.reports.session_data import as_seen, couplings_of
    from realtime.signals.coactivation import undecided_words
    from realtime.signals.features import NAMES
    from realtime.signals.units import format_clinical, format_lag
    from realtime.sinks.analysis_files import faces_warning
    from realtime.tracking.model_asset import resolve_model
    # Every argument is checked before a model download or the first measured frame.
    check_analysis(args.video, args.out, rest=args.rest, force=args.force)
    profile = load_profile(args.profile) if args.profile else None
    summary = analyze(args.video, args.out, resolve_model(args.model), profile=profile,
                      rest=args.rest, show_progress=not args.quiet, force=args.force, mirrored=args.mirrored,
                      affected=args.affected)
    print_rest(summary.get("rest"))
    if warning := faces_warning(summary.get("faces")):
        print(f"warning: {warning}", file=sys.stderr)
    def side(c) -> str:
        return c["side"] + ("" if not args.affected else " affected" if c["side"] == args.affected else " healthy")
    # Affected side first, as a clinician reads it.
    found = sorted(summary["synkinesis"], key=lambda c: c["side"] != args.affected)
    # The signals, then the pair as it moved (the driver named for its movement: "brow down").
    seen = [(c, as_seen(c)) for c in couplings_of(found)]
    flagged = [f"{c['driver']}->{c['response']} ({side(c)}: {moves} with the {NAMES.get(driver, driver)}, "
               f"{format_clinical(c['response'], c['amplitude'] or 0.0, words=True)}, "
               f"lag {format_lag(c['lag_s'])})" for c, (driver, moves) in seen]
    undecided = summary.get("undecided") or []
    reasons = sorted({c["reason"] for c in undecided})
    if flagged:
        verdict = "; ".join(flagged)
    elif len(reasons) == 1 and len(undecided) == len(summary["coactivation"]):
        verdict = reasons[0]           # the whole recording is too short: one reason for every pair
    elif undecided:
        verdict = f"none called; not enough data to decide {len(undecided)} pair(s): {undecided_words(undecided)}"
    else:
        verdict = "none detected"
    print(f"{summary['face_frames']}/{summary['frames']} frames with a face "
          f"({summary.get('measured_pct', 0):.0f} % measurable); synkinesis: {verdict}; results in {args.out}")
    return 0
