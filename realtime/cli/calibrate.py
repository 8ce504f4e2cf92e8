"""``run.py calibrate VIDEO --profile P``: save a rest baseline from a video's rest stretch."""

from realtime.cli import MIRRORED_HELP, rest_window

NAME = "calibrate"
HELP = "save a rest-baseline profile (JSON) from a video's rest stretch"


def add_arguments(p) -> None:
    p.add_argument("video")
    p.add_argument("--profile", required=True, help="profile to write (JSON)")
    p.add_argument("--rest", type=rest_window, default=None,
                   help="rest stretch START:END in s, at least 1 s (default: the video's most neutral stretch)")
    p.add_argument("--mirrored", action="store_true", help=MIRRORED_HELP)
    p.add_argument("--model", help="face_landmarker.task path")


def run(args) -> int:
    # A command's modules load only when it runs: --help and argument errors answer at once.
    from calibration.profile import Profile, max_voluntary_range, save_profile
    from realtime.jobs.analyze import run_analysis
    from realtime.jobs.inputs import check_analysis
    from realtime.tracking.model_asset import resolve_model
    check_analysis(args.video, None, rest=args.rest)   # before a model download or a measured frame
    result = run_analysis(args.video, resolve_model(args.model), rest=args.rest, mirrored=args.mirrored)
    profile = Profile(rest=result.baseline, max_range=max_voluntary_range(result.signals),
                      source=str(args.video))
    save_profile(profile, args.profile)
    print(f"wrote profile {args.profile} from {result.baseline.frames} rest frames")
    return 0
