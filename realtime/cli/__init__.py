"""Command line: ``python run.py <command> ...``; each command is a module in
``realtime/cli`` (listed in ``COMMANDS``). ``python run.py --version`` prints the version."""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys

from calibration.profile import ProfileError
from realtime import subjects
from realtime.pipeline.analysis import AnalysisError
from realtime.sources import SourceError
from realtime.tracking.model_asset import ModelError
from realtime.version import DISTRIBUTION, package_version

# Sub-command modules, in the order shown by --help.
COMMANDS = [
    "realtime.cli.demo_video",
    "realtime.cli.analyze",
    "realtime.cli.batch",
    "realtime.cli.calibrate",
    "realtime.cli.assess",
    "realtime.cli.report",
    "realtime.cli.progress",
    "realtime.cli.record",
    "realtime.cli.weekly_test",
    "realtime.cli.live",
    "realtime.cli.validate",
    "realtime.cli.bench",
]
DEFAULT_COMMAND: list[str] = ["live"]  # arguments used when run.py is given none


def rest_window(text: str) -> tuple[float, float]:
    """argparse type for START:END seconds (whether the stretch fits the video is checked
    against the video, before measuring: realtime.jobs.inputs)."""
    try:
        a, b = (float(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError("use START:END in seconds, e.g. 0:2") from None
    if not (math.isfinite(a) and math.isfinite(b)):
        raise argparse.ArgumentTypeError("START and END must be finite seconds, e.g. 0:2")
    if not 0 <= a < b:
        raise argparse.ArgumentTypeError("START must be >= 0 and below END")
    return a, b


def print_rest(rest: dict | None) -> None:
    """The rest stretch a command measured against (``Calibration.to_json()``), and the warning
    when no stretch was neutral enough: analyze, record and live say it alike."""
    rest = rest or {}
    if rest.get("rest_stretch_s"):
        a, b = rest["rest_stretch_s"]
        searched = rest.get("rest_searched_s")
        where = f" of {searched[0]:g}-{searched[1]:.1f} s" if searched else ""
        print(f"rest baseline from {a:.1f}-{b:.1f} s ({rest['mode']}{where})", flush=True)
    if rest.get("warning"):
        print(f"warning: {rest['warning']}", file=sys.stderr, flush=True)


def seconds(text: str) -> float:
    """argparse type: a finite number of seconds above 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of seconds") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError("must be a finite number of seconds above 0")
    return v


def fraction(text: str) -> float:
    """argparse type: a number from 0 to 1."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a number from 0 to 1") from None
    if not (math.isfinite(v) and 0 <= v <= 1):
        raise argparse.ArgumentTypeError("must be a number from 0 to 1")
    return v


def positive_int(text: str) -> int:
    """argparse type: a whole number, 1 or more."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return v


MIRRORED_HELP = ("the video or camera shows the subject as in a mirror (e.g. a selfie camera that "
                 "mirrors): every frame is flipped back first, so 'left' stays the subject's left")
AFFECTED_HELP = ("the subject's affected side (the palsy's side): findings there are compared with the "
                 "healthy side, as clinicians do; bilateral findings are still reported")
# The demo face's palsy settings (demo-video, and the demo source of weekly-test).
DEMO_AFFECTED_HELP = "demo face: the palsy's side (subject's), where --rest-droop and --movement apply"
REST_DROOP_HELP = ("demo face: resting droop of the affected side, 0..1 (mouth corner, cheek and brow lower, "
                   "eye wider open; 1 = a clearly visible palsy, the corner 4 mm lower)")
MOVEMENT_HELP = "demo face: the affected side's voluntary movement as a fraction of the healthy side's, 0..1"
def add_demo_palsy(p, *, side_from_affected: bool = True) -> None:
    """--rest-droop and --movement: the demo source's palsy, read back by ``demo_settings``."""
    note = "; the side is --affected (default left)" if side_from_affected else ""
    p.add_argument("--rest-droop", type=fraction, help=REST_DROOP_HELP + note)
    p.add_argument("--movement", type=fraction, help=MOVEMENT_HELP)


def demo_settings(args) -> dict | None:
    """The demo face's palsy from --rest-droop/--movement (side: --affected, default left);
    None when neither is given."""
    demo = {k: v for k, v in (("rest_droop", args.rest_droop), ("movement", args.movement)) if v is not None}
    if not demo:
        return None
    return {**demo, "affected": getattr(args, "affected", None) or "left"}


LSL_HELP = ("also publish the signals (stream synkinesis-signals) and the events (synkinesis-markers: "
            "task prompts, episodes, calibration, recording start/stop) to Lab Streaming Layer, "
            "e.g. for LabRecorder next to EMG")
FORCE_HELP = "replace results already in --out (a recorded session's frames.csv too)"


def subject_id(text: str) -> str:
    """argparse type: a pseudonymous subject code, never a name."""
    try:
        return subjects.subject_code(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def days_since_onset(text: str) -> int:
    """argparse type: whole days since onset, 0 or more."""
    try:
        return subjects.days_since_onset(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line, like every other error of the program (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    p = OneLineParser(prog="run.py", description="See facial synkinesis as it happens.")
    p.add_argument("--version", action="version", version=f"{DISTRIBUTION} {package_version()}",
                   help="print the program's version and exit")
    sub = p.add_subparsers(dest="command")
    modules = {}
    for name in COMMANDS:
        mod = importlib.import_module(name)
        mod.add_arguments(sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP))
        modules[mod.NAME] = mod
    return p, modules


def main(argv: list[str] | None = None) -> int:

    # FFmpeg prints its own complaint before OpenCV reports a bad file; ours says what to do.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    argv = sys.argv[1:] if argv is None else argv
    parser, modules = build_parser()
    args = parser.parse_args(argv or DEFAULT_COMMAND)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(modules[args.command].run(args) or 0)
    except (AnalysisError, ModelError, SourceError, ProfileError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
