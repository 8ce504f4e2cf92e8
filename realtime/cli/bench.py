"""``run.py bench``: speed, delay and memory, measured against the face model itself."""

NAME = "bench"
HELP = "measure speed per stage, live delay and memory (prints its figures)"


def add_arguments(p) -> None:
    p.add_argument("--seconds", type=float, default=20.0, help="length of the demo video")
    p.add_argument("--live-seconds", type=float, default=10.0, help="live loop run per frame rate")
    p.add_argument("--memory-minutes", type=float, default=10.0, help="long live run for memory (0 = skip)")
    p.add_argument("--model", help="face_landmarker.task path")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from realtime.checks.bench import main
    return main(args.seconds, args.live_seconds, args.memory_minutes, args.model)
