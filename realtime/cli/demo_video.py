"""``run.py demo-video OUT.mp4``: write a demo-face video with its ground truth."""

NAME = "demo-video"
HELP = "write a demo-face video (ground truth beside it as <name>.truth.json)"


def add_arguments(p) -> None:
    p.add_argument("out", help="output .mp4")
    p.add_argument("--synkinesis", choices=["left", "right", "none"], default="left",
                   help="side of the planted eye narrowing with smiles (subject's side)")
    p.add_argument("--strength", type=float, default=0.5, help="planted narrowing, fraction of the fissure")
    p.add_argument("--delay", type=float, default=0.15, help="planted delay after the smile, s")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--head-motion", action="store_true", help="add slow head motion")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from realtime.sources.demo_face import DemoConfig, write_demo_video
    cfg = DemoConfig(seconds=args.seconds, fps=args.fps, seed=args.seed, synkinesis=args.synkinesis,
                     strength=args.strength, delay_s=args.delay, head_motion=args.head_motion)
    write_demo_video(args.out, cfg)
    print(f"wrote {args.out} ({cfg.seconds:g} s, planted synkinesis: {cfg.synkinesis})")
    return 0
