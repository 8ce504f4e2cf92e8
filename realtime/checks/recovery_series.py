"""A simulated recovery over weekly tests, measured end to end: does the progress page say the
right thing at the right week, and nothing on a flat series with the same noise?

    python -m realtime.checks.recovery_series OUT [--weeks 10] [--scale 0.5] [--fps 15]

Makes two patients in OUT, each a series of weekly tests on the demo face (days since onset
60, 67, ...; affected side left), every test its own demo video (its own seed: its own sensor
noise) measured by ``weekly-test`` (``jobs/weekly_test.py``, the video read frame by frame):

- ``recovering``: the palsied side's resting droop is full for two weeks and falls by a fifth a
  week from week 3 to nothing; its voluntary movement is absent until week 6 and returns by
  ``MOVEMENT_STEPS`` a week;
- ``flat``: full droop and no movement every week.

Then writes each patient's progress pages and prints, per week, the resting asymmetry and what
the page says, and the weeks at which returning tone and the first movement are first reported.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from realtime.clinical.rest_symmetry import REST_MEASURES
from realtime.clinical.weekly import timeline_length, weekly_timeline
from realtime.files import atomic_write_text
from realtime.jobs.weekly_test import WeeklyOptions, weekly_test
from realtime.reports.progress_page import read_progress, write_progress
from realtime.reports.recovery_view import RecoveryView, build
from realtime.sources.demo_face import DemoConfig, write_demo_video
from realtime.tracking.model_asset import resolve_model

FIRST_DAY = 60
DROOP_FROM = 3                     # the first week with less droop
DROOP_STEP = 0.2                   # droop lost each week from then on
MOVEMENT_FROM = 6                  # the first week with voluntary movement on the affected side
MOVEMENT_STEPS = (0.3, 0.5, 0.7, 0.85, 1.0)
AFFECTED = "left"


@dataclass(frozen=True)
class Week:
    number: int
    days: int
    droop: float
    movement: float


def plan(weeks: int, recovering: bool, droop_from: int = DROOP_FROM, movement_from: int = MOVEMENT_FROM,
         droop_step: float = DROOP_STEP) -> list[Week]:
    """The weeks of a series: recovering (droop falling from ``droop_from`` by ``droop_step`` a
    week, movement from ``movement_from``) or flat."""
    out = []
    for k in range(1, weeks + 1):
        droop, move = 1.0, 0.0
        if recovering and k >= droop_from:
            droop = max(0.0, round(1.0 - droop_step * (k - droop_from + 1), 3))
        if recovering and k >= movement_from:
            move = MOVEMENT_STEPS[min(k - movement_from, len(MOVEMENT_STEPS) - 1)]
        out.append(Week(k, FIRST_DAY + 7 * (k - 1), droop, move))
    return out


def measure_week(out: Path, week: Week, model: Path, *, scale: float, fps: float, seed: int,
                 size: tuple[int, int] = (640, 480), log=sys.stderr) -> Path:
    """One weekly test: the demo face with the week's palsy performs it in a video (beside
    ``out``, in ``out``'s parent's ``videos``), measured by weekly-test into ``out``."""
    timeline = weekly_timeline(scale)
    videos = out.parent / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    video = videos / f"{out.name}.mp4"
    write_demo_video(video, DemoConfig(seconds=timeline_length(timeline) + 1.0, fps=fps, seed=seed,
                                       affected=AFFECTED, rest_droop=week.droop, movement=week.movement,
                                       protocol="weekly", timeline=timeline, width=size[0], height=size[1]))
    weekly_test(WeeklyOptions(source=str(video), out=out, model=model, subject="SIM-14",
                              days_since_onset=week.days, affected=AFFECTED, fast=True, scale=scale, log=log))
    return out


def copy_week(src: Path, dst: Path, days: int) -> Path:
    """A measured weekly test again, as the test of another day (tests reuse one measured clip
    per droop level)."""
    shutil.copytree(src, dst)
    meta = json.loads((dst / "session.json").read_text(encoding="utf-8"))
    meta["days_since_onset"] = days
    atomic_write_text(dst / "session.json", json.dumps(meta, indent=1))
    return dst


def run_series(folder: Path, weeks: list[Week], model: Path, *, scale: float, fps: float, size=(640, 480),
               seed0: int = 0, log=sys.stderr) -> RecoveryView:
    """Each week's demo video, measured by weekly-test into ``folder``/weekNN; then the pages."""
    for w in weeks:
        out = folder / f"week{w.number:02d}"
        if not (out / "session.json").is_file():     # resumable: a week already measured is kept
            measure_week(out, w, model, scale=scale, fps=fps, seed=seed0 + w.number, size=size, log=log)
    write_progress(folder)
    return build(read_progress(folder)[0])


def describe(name: str, weeks: list[Week], view: RecoveryView, folder: Path) -> list[str]:
    rows = read_progress(folder)[0]
    lines = [f"{name}: {len(weeks)} weekly tests, affected side {view.affected} ({view.affected_source})"]
    keys = [m.key for m in REST_MEASURES]
    lines.append("  week day droop movement | rest left-right mm (" + ", ".join(keys) + ")")
    for w, r in zip(weeks, rows):
        asym = ", ".join(f"{(r['asymmetry'].get(k) or {}).get('left_minus_right_mm', float('nan')):+.2f}" for k in keys)
        lines.append(f"  {w.number:4d} {w.days:3d} {w.droop:5.2f} {w.movement:8.2f} | {asym}")
    lines.append(f"  returning tone first reported at week: {view.tone_week}")
    lines.append(f"  first voluntary movement reported at week: {view.movement_week}")
    lines.append(f"  worsening synkinesis reported at week: {view.worsening_week}")
    lines += [f"  page says [{m.kind}]: {m.text}" for m in view.messages]
    lines.append(f"  pages: {folder / 'progress.html'}, {folder / 'progress-summary.html'}"
                 + (f", {folder / 'contact_sheet.png'}" if (folder / 'contact_sheet.png').is_file() else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m realtime.checks.recovery_series", description=__doc__.split("\n")[0])
    p.add_argument("out", help="folder for the two simulated patients (kept; re-running resumes)")
    p.add_argument("--weeks", type=int, default=10)
    p.add_argument("--scale", type=float, default=0.5, help="of the weekly test's phases (1.0: the real 91 s)")
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--model", help="face_landmarker.task path")
    args = p.parse_args(argv)
    if args.weeks < 1 or not args.scale > 0 or not args.fps > 0:
        p.error("--weeks, --scale and --fps must be positive")
    model = resolve_model(args.model)
    out = Path(args.out)
    for name, recovering, seed0 in (("recovering", True, 100), ("flat", False, 200)):
        weeks = plan(args.weeks, recovering)
        view = run_series(out / name, weeks, model, scale=args.scale, fps=args.fps, seed0=seed0)
        print("\n".join(describe(name, weeks, view, out / name)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
