"""``run.py progress PATIENT_DIR``: one page comparing a patient's sessions over time."""

NAME = "progress"
HELP = ("write PATIENT_DIR/progress.html and progress.csv (symmetry, synkinesis indices, co-activation "
        "per session)")


def add_arguments(p) -> None:
    p.add_argument("folder", help="a folder holding one sub-folder per session")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from pathlib import Path

    from realtime.reports.progress_page import write_progress
    if not Path(args.folder).is_dir():
        raise ValueError(f"{args.folder} is not a folder")
    path, n = write_progress(args.folder)
    print(f"{n} sessions; progress page written to {path} (the table: {path.with_name('progress.csv')})")
    return 0
