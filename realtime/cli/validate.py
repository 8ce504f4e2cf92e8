"""``run.py validate``: accuracy on demo-face videos with random, untuned settings."""

from realtime.cli import positive_int, seconds

NAME = "validate"
HELP = "check detection and lag accuracy on random demo-face videos, or on real faces (prints a table)"
DEFAULT_SEED = 2026            # the random cases and --texture
PATTERNS_SEED = 5100           # --patterns: seeds not used while building the measurement


def add_arguments(p) -> None:
    p.add_argument("--cases", type=positive_int, default=6, help="demo videos to check (1 or more)")
    p.add_argument("--seed", type=int, default=None,
                   help=f"seed for drawing the case settings ({DEFAULT_SEED}; with --patterns the first "
                        f"video's seed, {PATTERNS_SEED})")
    p.add_argument("--seconds", type=seconds, default=24.0,
                   help="length of each demo video (blink-mouth: at least 60 s, for enough blinks)")
    p.add_argument("--real", nargs="?", const="", metavar="DIR",
                   help="real faces instead: every video in DIR unplanted and with a one-sided eye "
                        "narrowing planted on each side at strengths 0.3 and 0.5 (without DIR: the "
                        "real clips from the registry packages, tuning and held-out parts apart)")
    p.add_argument("--patterns", action="store_true",
                   help="every synkinesis pattern instead (smile-eye, blink-mouth, pucker-brow-down, "
                        "brow-neck, pucker-chin), each planted on each side at its default strength and "
                        "a smaller one, clean, and below the visible floor (27 demo videos, prints a table)")
    p.add_argument("--texture", action="store_true",
                   help="the skin-texture patterns only: brow-neck and pucker-chin, as --patterns does "
                        "them (10 demo videos)")
    p.add_argument("--model", help="face_landmarker.task path")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from realtime.checks import pattern_table, real_validation, validation
    chosen = [name for name, on in (("--patterns", args.patterns), ("--texture", args.texture),
                                    ("--real", args.real is not None)) if on]
    if len(chosen) > 1:
        raise ValueError(f"{' and '.join(chosen)} are separate checks: run one, then the other")
    if args.patterns:
        seed = PATTERNS_SEED if args.seed is None else args.seed
        return pattern_table.main(seed, args.seconds, args.model)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    if args.texture:
        return pattern_table.main(seed, args.seconds, args.model, pattern_table.TEXTURE_PATTERNS)
    if args.real is not None:
        return real_validation.main(args.real or None, args.model)
    return validation.main(args.cases, seed, args.seconds, args.model)
