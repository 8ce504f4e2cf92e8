"""``run.py bench``: speed, delay and memory, measured against the face model itself;
``run.py bench --lsl S``: the Lab Streaming Layer outlet, read back by an inlet."""

from realtime.cli import seconds

NAME = "bench"
HELP = "measure speed per stage, live delay and memory (prints its figures; about a minute with the defaults)"


def add_arguments(p) -> None:
    p.add_argument("--seconds", type=seconds, default=8.0,
                   help="length of the demo video measured offline (default: %(default)s)")
    p.add_argument("--live-seconds", type=seconds, default=5.0,
                   help="live loop run at each frame rate, after calibration (default: %(default)s)")
    p.add_argument("--memory-minutes", type=float, default=0.0,
                   help="long live run sampling memory for leaks; 10 is a good check (default: %(default)s = skip)")
    p.add_argument("--lsl", type=seconds, metavar="S",
                   help="instead: record S s of the demo face with --lsl and read both LSL streams back "
                        "(channels, rate, timestamp jitter, capture-to-publish delay, markers)")
    p.add_argument("--model", help="face_landmarker.task path")


def run(args) -> int:
    if args.lsl is not None:
        # A command's modules load only when it runs: --help and argument errors answer at once.
        from realtime.checks.lsl_check import main as lsl_main
        return lsl_main(args.lsl, args.model)
    from realtime.checks.bench import main
    return main(args.seconds, args.live_seconds, args.memory_minutes, args.model)
