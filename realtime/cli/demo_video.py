"""``run.py demo-video OUT.mp4``: write a demo-face video with its ground truth."""

from realtime.cli import (
    DEMO_AFFECTED_HELP,
    MOVEMENT_HELP,
    REST_DROOP_HELP,
    fraction,
    seconds,
)

# The pattern names, repeated here so --help stays fast (the demo face module loads only in
# run(); tests/sources/test_demo_face_patterns.py checks they match).
PATTERN_NAMES = ["smile-eye", "blink-mouth", "pucker-brow-down", "brow-neck", "pucker-chin"]

NAME = "demo-video"
HELP = "write a demo-face video (ground truth beside it as <name>.truth.json)"


def add_arguments(p) -> None:
    p.add_argument("out", help="output video: .mp4 for the demo face; with --from, a lossless .mkv")
    p.add_argument("--from", dest="source", metavar="VIDEO",
                   help="plant the eye narrowing on this real video instead, driven by that face's own "
                        "smile (truth in OUT with suffix .json)")
    p.add_argument("--pattern", choices=PATTERN_NAMES, default="smile-eye",
                   help="planted synkinesis: smile-eye (eye narrows with smiles), blink-mouth (mouth "
                        "corner up with blinks), pucker-brow-down, brow-neck (platysma bands with brow "
                        "raises), pucker-chin (chin dimpling with puckers)")
    p.add_argument("--synkinesis", choices=["left", "right", "none"], default="left",
                   help="side of the planted response (subject's side)")
    p.add_argument("--strength", type=float, default=None,
                   help="planted size: smile-eye fraction of the fissure (0.5), blink-mouth and "
                        "pucker-brow-down mm (2, 3), brow-neck and pucker-chin skin contrast 0..1 (0.15, 0.2)")
    p.add_argument("--delay", type=float, default=None,
                   help="planted delay after the driver movement, s (smile-eye 0.15, blink-mouth 0.08, others 0.1)")
    p.add_argument("--blinks-per-min", type=float, default=12.0, help="spontaneous blink rate")
    p.add_argument("--seconds", type=seconds, default=None,
                   help="length (default 30 s; with --protocol weekly, the protocol's 91 s)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--head-motion", action="store_true", help="add slow head motion")
    p.add_argument("--affected", choices=["left", "right"], default="left", help=DEMO_AFFECTED_HELP)
    p.add_argument("--rest-droop", type=fraction, default=0.0, help=REST_DROOP_HELP)
    p.add_argument("--movement", type=fraction, default=1.0, help=MOVEMENT_HELP)
    p.add_argument("--protocol", choices=["bursts", "weekly"], default="bursts",
                   help="what the face does: bursts of the pattern's driver movement (default), or the "
                        "weekly test's tasks on its timeline (rest, eye closure, brow raise, smile, pucker, "
                        "show teeth, cheek puff), standing in for a patient doing the test")
    p.add_argument("--model", help="face_landmarker.task path (--from only)")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from pathlib import Path

    from realtime.checks.planted import plant_eye_narrowing
    from realtime.clinical.weekly import timeline_length, weekly_timeline
    from realtime.signals.features import TEXTURE, movement
    from realtime.sources import VideoFileSource
    from realtime.sources.demo_face import DemoConfig, write_demo_video
    from realtime.tracking.model_asset import resolve_model
    if args.source:
        if args.pattern != "smile-eye":
            raise ValueError("--from plants only the smile-eye pattern: drop --pattern or --from")
        if args.synkinesis == "none":
            raise ValueError("--from plants a narrowing: choose --synkinesis left or right")
        VideoFileSource(args.source).close()   # a bad video fails before the model loads
        out = Path(args.out).with_suffix(".mkv")
        strength = 0.5 if args.strength is None else args.strength
        delay = 0.15 if args.delay is None else args.delay
        truth = plant_eye_narrowing(args.source, out, args.synkinesis, strength, delay,
                                    resolve_model(args.model))
        print(f"wrote {out} ({args.source} with the {args.synkinesis} eye narrowed up to "
              f"{max(truth['planted_narrowing']):.0%} of its opening, {delay:g} s after the "
              f"smile; truth in {out.with_suffix('.json')})")
        return 0
    timeline = weekly_timeline() if args.protocol == "weekly" else None
    length = args.seconds or (timeline_length(timeline) if timeline else 30.0)
    cfg = DemoConfig(seconds=length, fps=args.fps, seed=args.seed, synkinesis=args.synkinesis,
                     strength=args.strength, delay_s=args.delay, head_motion=args.head_motion,
                     blinks_per_min=args.blinks_per_min, pattern=args.pattern, affected=args.affected,
                     rest_droop=args.rest_droop, movement=args.movement, protocol=args.protocol,
                     timeline=timeline)
    truth = write_demo_video(args.out, cfg)
    planted = "none"
    for r in truth.responses:
        # a skin-texture response is named by its signal's movement ("neck bands show")
        what = (f"{movement(r.signal, r.sign)}, skin {r.unit} {r.size:g}" if r.signal in TEXTURE
                else f"{r.response.replace('_', ' ')} {r.direction} {r.size:g} {r.unit}")
        planted = f"{cfg.pattern}, {r.side} {what}, {r.delay_s:g} s after each {r.driver.replace('_', ' ')}"
    palsy = ""
    if cfg.rest_droop > 0 or cfg.movement < 1:
        palsy = (f"; {cfg.affected} side: rest droop {cfg.rest_droop:g} (corner "
                 f"{truth.palsy['corner_down_mm']:g} mm lower), movement {cfg.movement:.0%} of the other side's")
    doing = "performing the weekly test" if timeline else "planted synkinesis: " + planted
    if timeline and truth.responses:
        doing += "; planted synkinesis: " + planted
    print(f"wrote {args.out} ({cfg.seconds:g} s, {doing}{palsy})")
    return 0
