"""Chin dimpling and neck bands against a known truth (``run.py validate --texture``).

Demo-face videos with ``brow-neck`` (platysma bands with brow raises) and ``pucker-chin``
(mentalis dimpling with puckers) planted on the left, on the right, at the pattern's default
strength and at half of it, and with nothing planted. A planted case is right when its pair
(brow_raise -> neck_bands, pucker -> chin_dimpling) is called synkinesis on the planted side
only, its response moves the planted way (the skin's texture contrast rises) and the lag is
the planted delay within one frame; a clean case when no pair with a texture signal is called.
Pairs between landmark signals that are called (on main too) are listed apart, as "other".

The rest stretch is the demo's leading still stretch (``DemoConfig.rest_s``), given as
``--rest`` would give it: the demo photograph smiles, so a pucker lowers its expression score
and the automatic "most neutral stretch" can land inside a pucker (main picks 20-22 s on a
pucker video), which puts the baseline inside the movement.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from realtime.jobs.analyze import run_analysis
from realtime.signals.features import TEXTURE
from realtime.sources.demo_face import PATTERNS, DemoConfig, write_demo_video
from realtime.tracking.model_asset import resolve_model

TEXTURE_PATTERNS = ("brow-neck", "pucker-chin")
SECONDS = 24.0


@dataclass
class TextureCase:
    config: DemoConfig
    flagged: list[tuple[str, str, str]]      # every pair called: (driver, response, side)
    lag_error_frames: float | None
    direction_ok: bool | None
    correct: bool
    seconds: float                           # analysis time

    @property
    def texture_flags(self) -> list[tuple[str, str, str]]:
        return [f for f in self.flagged if f[0] in TEXTURE or f[1] in TEXTURE]

    @property
    def other_flags(self) -> list[tuple[str, str, str]]:
        return [f for f in self.flagged if f not in self.texture_flags]


def cases(seed: int = 31, seconds: float = SECONDS) -> list[DemoConfig]:
    """Each texture pattern on each side at its default strength and half of it, and clean:
    ten videos, each with its own seed (none used while building the measurement)."""
    out = []
    for k, pattern in enumerate(TEXTURE_PATTERNS):
        full = PATTERNS[pattern].strength
        runs = [(side, s) for side in ("left", "right") for s in (full, full / 2)] + [("none", None)]
        for j, (side, strength) in enumerate(runs):
            out.append(DemoConfig(seconds=seconds, seed=seed + 10 * k + j, pattern=pattern, synkinesis=side,
                                  strength=strength))
    return out


def check_case(cfg: DemoConfig, model_path: Path, workdir: Path) -> TextureCase:
    video = workdir / f"{cfg.pattern}_{cfg.synkinesis}_{cfg.seed}.mp4"
    truth = write_demo_video(video, cfg)
    started = time.perf_counter()
    result = run_analysis(video, model_path, rest=(0.0, cfg.rest_s - 0.5), show_progress=False)
    took = time.perf_counter() - started
    flagged = [(c.driver, c.response, c.side) for c in result.couplings if c.synkinesis]
    case = TextureCase(cfg, flagged, None, None, False, took)
    if cfg.synkinesis == "none":
        case.correct = not case.texture_flags
        return case
    planted = truth.responses[0]
    hit = [c for c in result.couplings if c.synkinesis and (c.driver, c.response, c.side)
           == (planted.driver, planted.signal, planted.side)]
    if hit:
        case.lag_error_frames = abs(hit[0].lag_s - planted.delay_s) * cfg.fps
        case.direction_ok = hit[0].direction == planted.sign
    wrong = [f for f in case.texture_flags if f != (planted.driver, planted.signal, planted.side)]
    case.correct = bool(hit) and not wrong and case.direction_ok and case.lag_error_frames <= 1.0
    return case


def row(c: TextureCase) -> str:
    cfg = c.config
    strength = "-" if cfg.synkinesis == "none" else f"{cfg.strength:.3f}"
    lag = "-" if c.lag_error_frames is None else f"{c.lag_error_frames:.2f}"
    way = "-" if c.direction_ok is None else ("up" if c.direction_ok else "WRONG")
    tex = ", ".join(f"{s} {d}->{r}" for d, r, s in c.texture_flags) or "none"
    other = ", ".join(f"{s} {d}->{r}" for d, r, s in c.other_flags) or "none"
    return (f"| {cfg.pattern} | {cfg.synkinesis} | {strength} | {cfg.seed} | {tex} | {way} | {lag} | {other} "
            f"| {c.seconds:.0f} | {'OK' if c.correct else 'WRONG'} |")


HEADER = ("| pattern | planted side | strength (contrast) | seed | texture pairs called | direction "
          "| lag error (frames) | other pairs called | analysis s | result |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def main(seed: int = 31, seconds: float = SECONDS, model: str | None = None) -> int:
    model_path = resolve_model(model)
    results = []
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for cfg in cases(seed, seconds):
            results.append(check_case(cfg, model_path, Path(tmp)))
            print(row(results[-1]), flush=True)
    print(f"correct {sum(c.correct for c in results)}/{len(results)}")
    return 0 if all(c.correct for c in results) else 1
