"""``run.py validate``: accuracy on demo-face videos with random, untuned settings."""

from realtime.cli import positive_int, seconds

NAME = "validate"
HELP = "check detection and lag accuracy on random demo-face videos, or on real faces (prints a table)"


def add_arguments(p) -> None:
    p.add_argument("--cases", type=positive_int, default=6, help="demo videos to check (1 or more)")
    p.add_argument("--seed", type=int, default=2026, help="seed for drawing the case settings")
    p.add_argument("--seconds", type=seconds, default=24.0, help="length of each demo video")
    p.add_argument("--real", nargs="?", const="", metavar="DIR",
                   help="real faces instead: every video in DIR unplanted and with a one-sided eye "
                        "narrowing planted on each side at strengths 0.3 and 0.5 (without DIR: the "
                        "real clips from the registry packages, tuning and held-out parts apart)")
    p.add_argument("--texture", action="store_true",
                   help="the skin-texture patterns instead: brow-neck and pucker-chin planted on each "
                        "side at two strengths, and clean (10 demo videos, prints a table)")
    p.add_argument("--model", help="face_landmarker.task path")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from realtime.checks import real_validation, texture_patterns, validation
    if args.texture and args.real is not None:
        raise ValueError("--texture and --real are separate checks: run one, then the other")
    if args.texture:
        return texture_patterns.main(args.seed, args.seconds, args.model)
    if args.real is not None:
        return real_validation.main(args.real or None, args.model)
    return validation.main(args.cases, args.seed, args.seconds, args.model)
