"""``run.py report DIR``: one self-contained HTML page for a session or analysis folder."""

NAME = "report"
HELP = ("write DIR/report.html (traces, co-activation, indices, data quality) for a session folder, and "
        "its tables coactivation.csv and indices.csv")


def add_arguments(p) -> None:
    p.add_argument("folder", help="a recorded session folder or an analyze/assess output folder")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import sys
    from pathlib import Path

    from realtime.reports.report import save_report
    from realtime.sinks.tables import COACTIVATION_CSV, INDICES_CSV
    if not Path(args.folder).is_dir():
        raise ValueError(f"{args.folder} is not a folder")
    path, warnings = save_report(args.folder)   # a damaged file: SessionFileError, exit 2
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    tables = [n for n in (COACTIVATION_CSV, INDICES_CSV) if (path.parent / n).is_file()]
    print(f"report written to {path}" + (f" (tables beside it: {', '.join(tables)})" if tables else ""))
    return 0
