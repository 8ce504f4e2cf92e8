"""Command line: ``python run.py [live|analyze|demo-video|calibrate] ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _rest(text: str) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError("use START:END in seconds, e.g. 0:2") from None
    if not 0 <= a < b:
        raise argparse.ArgumentTypeError("START must be >= 0 and below END")
    return a, b


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py", description="See facial synkinesis as it happens.")
    sub = p.add_subparsers(dest="command")

    d = sub.add_parser("demo-video", help="write a demo-face video (with ground truth beside it)")
    d.add_argument("out", help="output .mp4")
    d.add_argument("--synkinesis", choices=["left", "right", "none"], default="left",
                   help="side of the planted eye narrowing with smiles (subject's side)")
    d.add_argument("--strength", type=float, default=0.5, help="planted narrowing, fraction of the fissure")
    d.add_argument("--delay", type=float, default=0.15, help="planted delay after the smile, s")
    d.add_argument("--seconds", type=float, default=30.0)
    d.add_argument("--fps", type=float, default=30.0)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--head-motion", action="store_true", help="add slow head motion")

    a = sub.add_parser("analyze", help="measure a video: frames.csv and summary.json")
    a.add_argument("video")
    a.add_argument("--out", required=True, help="output folder")
    a.add_argument("--profile", help="calibration profile (JSON) to use for the rest baseline")
    a.add_argument("--model", help="face_landmarker.task path")
    a.add_argument("--rest", type=_rest, default=(0.0, 2.0), help="rest stretch START:END in s (default 0:2)")
    a.add_argument("--quiet", action="store_true", help="no progress bar")

    c = sub.add_parser("calibrate", help="save a rest-baseline profile from a video's rest stretch")
    c.add_argument("video")
    c.add_argument("--profile", required=True, help="profile to write (JSON)")
    c.add_argument("--rest", type=_rest, default=(0.0, 2.0))
    c.add_argument("--model")
    return p


def main(argv: list[str] | None = None) -> int:
    from .analyze import AnalysisError
    from .model_asset import ModelError
    from .sources import SourceError
    from calibration.profile import ProfileError

    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo-video":
            from .demo_face import DemoConfig, write_demo_video
            cfg = DemoConfig(seconds=args.seconds, fps=args.fps, seed=args.seed, synkinesis=args.synkinesis,
                             strength=args.strength, delay_s=args.delay, head_motion=args.head_motion)
            write_demo_video(args.out, cfg)
            print(f"wrote {args.out} ({cfg.seconds:g} s, planted synkinesis: {cfg.synkinesis})")
            return 0
        if args.command == "analyze":
            from calibration.profile import load_profile
            from .analyze import analyze
            from .model_asset import resolve_model
            profile = load_profile(args.profile) if args.profile else None
            summary = analyze(args.video, args.out, resolve_model(args.model), profile=profile,
                              rest=args.rest, show_progress=not args.quiet)
            flagged = [f"{c['driver']}->{c['response']} ({c['side']}, lag {c['lag_s']:+.2f} s)"
                       for c in summary["synkinesis"]]
            print(f"{summary['face_frames']}/{summary['frames']} frames with a face; synkinesis: "
                  + ("; ".join(flagged) if flagged else "none detected") + f"; results in {args.out}")
            return 0
        if args.command == "calibrate":
            from calibration.profile import Profile, save_profile
            from .analyze import run_analysis
            from .model_asset import resolve_model
            result = run_analysis(args.video, resolve_model(args.model), rest=args.rest)
            save_profile(Profile(rest=result.baseline, source=str(args.video)), args.profile)
            print(f"wrote profile {args.profile} from {result.baseline.frames} rest frames")
            return 0
        build_parser().print_help()
        return 0
    except (AnalysisError, ModelError, SourceError, ProfileError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
