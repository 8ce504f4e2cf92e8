"""``run.py batch INPUT... --out DIR``: analyse an archive of videos on a Dask cluster."""

from realtime.cli import MIRRORED_HELP, positive_int

NAME = "batch"
HELP = ("analyse many videos (folders, globs, a CSV manifest) on a local or existing Dask cluster: "
        "DIR/batch.csv, batch.parquet, index.html and each video's results; run again to resume")
# Two workers: the serial parts of one analysis (the rest-stretch scan, the reference, the
# report) leave cores idle that a second analysis fills; measured 1.7x the videos/hour of one
# worker on this 2-core machine (README, "Batch analysis"). Bigger machines: about one a core.
DEFAULT_WORKERS = 2


def add_arguments(p) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="video files, folders (searched recursively), glob patterns (quoted, e.g. "
                        "'archive/**/*.mp4') or CSV manifests (columns path, subject, days_since_onset, "
                        "affected_side; see the README)")
    p.add_argument("--out", required=True, help="batch folder: new, empty, or an earlier batch's (resumed)")
    p.add_argument("--workers", type=positive_int, default=None,
                   help=f"worker processes of the local cluster (default {DEFAULT_WORKERS}; about one per core)")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="use this running Dask cluster instead of a local one (its workers must see the videos "
                        "and --out at the same paths)")
    p.add_argument("--retry-errors", action="store_true", help="analyse again the videos that failed in an earlier run")
    p.add_argument("--no-report", action="store_true", help="skip each video's report.html (faster)")
    p.add_argument("--mirrored", action="store_true", help=MIRRORED_HELP + " (every video of the batch)")
    p.add_argument("--model", help="face_landmarker.task path")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    import signal
    import sys
    from pathlib import Path

    from realtime.jobs.batch import check_scheduler, run_batch
    from realtime.jobs.batch_folder import check_batch_folder
    from realtime.jobs.batch_inputs import collect
    from realtime.jobs.batch_task import TaskOptions
    from realtime.jobs.inputs import InputError
    from realtime.tracking.model_asset import resolve_model

    if args.scheduler and args.workers:
        raise InputError("--workers sets the size of the local cluster; with --scheduler the cluster's own "
                         "workers run the batch: leave one of them out")
    # Every input is checked before the cluster starts or the first video is measured.
    out = check_batch_folder(args.out)
    items = collect(args.inputs, exclude=out)
    model = Path(resolve_model(args.model)).read_bytes()
    if args.scheduler:
        check_scheduler(args.scheduler)
    # `kill PID` stops the batch like Ctrl+C: what is finished is kept, the rest resumes later.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    where = args.scheduler or f"{args.workers or DEFAULT_WORKERS} local worker(s)"
    print(f"{len(items)} video(s) to {out} on {where}", file=sys.stderr)
    res = run_batch(items, out, model, workers=args.workers or DEFAULT_WORKERS, scheduler=args.scheduler,
                    options=TaskOptions(mirrored=args.mirrored, report=not args.no_report),
                    retry_errors=args.retry_errors, show_progress=not args.quiet)
    done = len(res.rows)
    rate = (f"; {res.analysed / res.seconds * 3600:.0f} videos/h, {res.frames / res.seconds:.1f} frames/s"
            if res.analysed and res.seconds > 0 else "")
    print(f"{done} of {len(items)} video(s) finished ({done - res.failed} ok, {res.failed} failed; "
          f"{res.skipped} from an earlier run, {res.redone} half-written redone) in {res.seconds:.0f} s{rate}; "
          f"table: {out / 'batch.csv'}, index: {out / 'index.html'}")
    if res.interrupted or res.pending:
        print(f"interrupted: {res.pending} video(s) not analysed yet; run the same command again to "
              "finish the batch", file=sys.stderr)
        return 130
    return 0    # a video that failed is a row of the table, not a failure of the batch
