"""``run.py demo-video OUT.mp4``: write a demo-face video with its ground truth."""

NAME = "demo-video"
HELP = "write a demo-face video (ground truth beside it as <name>.truth.json)"


def add_arguments(p) -> None:
    p.add_argument("out", help="output video: .mp4 for the demo face; with --from, a lossless .mkv")
    p.add_argument("--from", dest="source", metavar="VIDEO",
                   help="plant the eye narrowing on this real video instead, driven by that face's own "
                        "smile (truth in OUT with suffix .json)")
    p.add_argument("--synkinesis", choices=["left", "right", "none"], default="left",
                   help="side of the planted eye narrowing with smiles (subject's side)")
    p.add_argument("--strength", type=float, default=0.5, help="planted narrowing, fraction of the fissure")
    p.add_argument("--delay", type=float, default=0.15, help="planted delay after the smile, s")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--head-motion", action="store_true", help="add slow head motion")
    p.add_argument("--model", help="face_landmarker.task path (--from only)")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from pathlib import Path

    from realtime.checks.planted import plant_eye_narrowing
    from realtime.sources import VideoFileSource
    from realtime.sources.demo_face import DemoConfig, write_demo_video
    from realtime.tracking.model_asset import resolve_model
    if args.source:
        if args.synkinesis == "none":
            raise ValueError("--from plants a narrowing: choose --synkinesis left or right")
        VideoFileSource(args.source).close()   # a bad video fails before the model loads
        out = Path(args.out).with_suffix(".mkv")
        truth = plant_eye_narrowing(args.source, out, args.synkinesis, args.strength, args.delay,
                                    resolve_model(args.model))
        print(f"wrote {out} ({args.source} with the {args.synkinesis} eye narrowed up to "
              f"{max(truth['planted_narrowing']):.0%} of its opening, {args.delay:g} s after the "
              f"smile; truth in {out.with_suffix('.json')})")
        return 0
    cfg = DemoConfig(seconds=args.seconds, fps=args.fps, seed=args.seed, synkinesis=args.synkinesis,
                     strength=args.strength, delay_s=args.delay, head_motion=args.head_motion)
    write_demo_video(args.out, cfg)
    print(f"wrote {args.out} ({cfg.seconds:g} s, planted synkinesis: {cfg.synkinesis})")
    return 0
