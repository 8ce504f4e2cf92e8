"""Every synkinesis pattern against a known truth (``run.py validate --patterns``).

Demo-face videos with each pattern of ``demo_face.PATTERNS`` planted on the left, on the right,
at the pattern's default strength and at a smaller one (``small_strength``), and one clean video
per pattern, each with its own seed. A planted case is right when its pair (driver -> the
planted response's signal) is called synkinesis on the planted side, moving the planted way, at
the planted delay within one frame, and nothing else is called; a clean case when nothing is
called. Cross-correlated pairs and blink-locked responses (``blink-mouth``) both count as called.

Each response follows its own driver movement (0.7-1 of a full one), so the table gives the
planted response's largest size too ("planted peak", in the strength's unit). The smaller
strength is half the default, except where half would plant at the floor of what the product
calls visible (coactivation.MIN_AMPLITUDE): half of a 3 mm brow lowering is 1.05-1.5 mm, on the
1.26 mm floor, and a reading at a threshold cannot be asked to fall on one side of it. There
the smaller strength is ``SMALL``, and a movement well below the floor (``BELOW_FLOOR``, planted
on the left) must be called nothing: both sides of the floor are checked, not its edge.

``blink-mouth`` videos last at least ``BLINK_SECONDS``: its driver is the spontaneous blink
(12 a minute), and a 24 s video holds too few of them for the event-locked average
(``event_locked.EventLockedConfig.min_events``).

The rest stretch is the demo's leading still stretch (``DemoConfig.rest_s``), given as
``--rest`` would give it: the demo photograph smiles, so a pucker lowers its expression score
and the automatic "most neutral stretch" can land inside a pucker, which puts the baseline
inside the movement.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from realtime.jobs.analyze import run_analysis
from realtime.signals.features import movement
from realtime.signals.units import format_clinical
from realtime.sources.demo_face import PATTERNS, DemoConfig, write_demo_video
from realtime.tracking.model_asset import resolve_model

SECONDS = 24.0
BLINK_SECONDS = 60.0
TEXTURE_PATTERNS = ("brow-neck", "pucker-chin")
# Smaller strengths where half the default plants at the visible floor (pucker-brow-down: 1.26 mm).
SMALL = {"pucker-brow-down": 2.0}
# Movements well below the visible floor, in the pattern's unit: must be called nothing. A brow
# lowering of 0.6 mm (floor 1.26 mm); a blink-locked corner lift of 0.3 mm (floor 0.63 mm over
# an average of blinks).
BELOW_FLOOR = {"pucker-brow-down": 0.6, "blink-mouth": 0.3}


@dataclass(frozen=True)
class Called:
    """A pair called synkinesis: driver -> response on a side, its lag (s) and which way the
    response moved (+1 its signal's positive way)."""
    driver: str
    response: str
    side: str
    lag_s: float
    direction: int
    moves: str = ""       # the response's movement in words ("brow down", "mouth corner up")
    size: float = float("nan")   # how far the response moved with its driver (signal units)

    def key(self) -> tuple[str, str, str]:
        return self.driver, self.response, self.side

    def __str__(self) -> str:
        return f"{self.side} {self.driver}->{self.response}"


@dataclass
class PatternCase:
    config: DemoConfig
    called: list[Called]                     # every pair called synkinesis
    found: Called | None                     # the planted pair, if called
    lag_error_frames: float | None
    direction_ok: bool | None
    correct: bool
    seconds: float                           # analysis time
    planted_peak: float | None = None        # the planted response's largest size, in the pattern's unit
    below_floor: bool = False                # planted too small to see: right when nothing is called

    @property
    def others(self) -> list[Called]:
        return [c for c in self.called if c is not self.found]


def small_strength(pattern: str) -> float:
    return SMALL.get(pattern, PATTERNS[pattern].strength / 2)


def cases(seed: int, seconds: float = SECONDS, patterns: tuple[str, ...] = tuple(PATTERNS)) -> list[DemoConfig]:
    """Each pattern on each side at its default strength and the smaller one, clean, and below
    the visible floor where ``BELOW_FLOOR`` has it: five or six videos per pattern, seeds
    ``seed + 10 k + j`` (pattern k, case j)."""
    out = []
    for k, pattern in enumerate(patterns):
        full = PATTERNS[pattern].strength
        length = max(seconds, BLINK_SECONDS) if PATTERNS[pattern].driver == "blink" else seconds
        runs = [(side, s) for side in ("left", "right") for s in (full, small_strength(pattern))] + [("none", None)]
        if pattern in BELOW_FLOOR:
            runs.append(("left", BELOW_FLOOR[pattern]))
        for j, (side, strength) in enumerate(runs):
            out.append(DemoConfig(seconds=length, seed=seed + 10 * k + j, pattern=pattern, synkinesis=side,
                                  strength=strength))
    return out


def check_case(cfg: DemoConfig, model_path: Path, workdir: Path) -> PatternCase:
    video = workdir / f"{cfg.pattern}_{cfg.synkinesis}_{cfg.seed}.mp4"
    truth = write_demo_video(video, cfg)
    started = time.perf_counter()
    result = run_analysis(video, model_path, rest=(0.0, cfg.rest_s - 0.5), show_progress=False)
    took = time.perf_counter() - started
    called = [Called(c.driver, c.response, c.side, c.lag_s, c.direction, movement(c.response, c.direction),
                     c.amplitude) for c in result.couplings if c.synkinesis]
    called += [Called(r.driver, r.response, r.side, r.latency_s, r.direction, r.moves, r.size)
               for r in result.blink_responses if r.verdict == "synkinesis"]
    case = PatternCase(cfg, called, None, None, None, False, took)
    if cfg.synkinesis == "none":
        case.correct = not called
        return case
    planted = truth.responses[0]
    case.planted_peak = float(abs(planted.trace).max())
    if cfg.strength is not None and cfg.strength == BELOW_FLOOR.get(cfg.pattern):
        case.below_floor, case.correct = True, not called
        return case
    case.found = next((c for c in called if c.key() == (planted.driver, planted.signal, planted.side)), None)
    if case.found is not None:
        case.lag_error_frames = abs(case.found.lag_s - planted.delay_s) * cfg.fps
        case.direction_ok = case.found.direction == planted.sign
    case.correct = bool(case.found and case.direction_ok and case.lag_error_frames <= 1.0 and not case.others)
    return case


def row(c: PatternCase) -> str:
    cfg = c.config
    spec = PATTERNS[cfg.pattern]
    strength = "-" if cfg.synkinesis == "none" else f"{cfg.strength:g} {spec.unit}"
    peak = "-" if c.planted_peak is None else f"{c.planted_peak:.2f}"
    if c.below_floor:
        found = "below the visible floor: nothing expected" + (", nothing called" if not c.called else "")
    elif c.found is None:
        found = "-" if cfg.synkinesis == "none" else "not found"
    else:
        way = c.found.moves or movement(c.found.response, c.found.direction)
        found = (f"{c.found.side}, {way}{'' if c.direction_ok else ' (WRONG way)'}, "
                 f"{format_clinical(c.found.response, c.found.size)}, lag error {c.lag_error_frames:.2f}")
    others = ", ".join(str(o) for o in c.others) or "none"
    return (f"| {cfg.pattern} | {cfg.synkinesis} | {strength} | {peak} | {cfg.seed} | {cfg.seconds:g} | {found} | {others} "
            f"| {c.seconds:.0f} | {'right' if c.correct else 'WRONG'} |")


HEADER = ("| pattern | planted side | strength | planted peak | seed | video s "
          "| found (side, direction, size read, lag error in frames) | other pairs called | analysis s | result |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def summary(results: list[PatternCase]) -> str:
    return f"{sum(c.correct for c in results)} of {len(results)} right"


def main(seed: int, seconds: float = SECONDS, model: str | None = None,
         patterns: tuple[str, ...] = tuple(PATTERNS)) -> int:
    model_path = resolve_model(model)
    results = []
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for cfg in cases(seed, seconds, patterns):
            results.append(check_case(cfg, model_path, Path(tmp)))
            print(row(results[-1]), flush=True)
    print(summary(results))
    return 0 if all(c.correct for c in results) else 1
