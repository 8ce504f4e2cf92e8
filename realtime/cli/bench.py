"""``run.py bench``: speed, delay and memory, measured against the face model itself."""

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
    p.add_argument("--model", help="face_landmarker.task path")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from realtime.checks.bench import main
    return main(args.seconds, args.live_seconds, args.memory_minutes, args.model)
