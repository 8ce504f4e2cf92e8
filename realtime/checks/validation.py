"""Accuracy check on demo-face videos with random, untuned settings (``run.py validate``).

For each case: planted side flagged (smile -> eye_closure), the other side not, lag error,
and nothing flagged when nothing was planted. Prints one row per case and a summary.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from realtime.jobs.analyze import run_analysis
from realtime.sources.demo_face import DemoConfig, write_demo_video
from realtime.tracking.model_asset import resolve_model


@dataclass
class CaseResult:
    config: DemoConfig
    flagged: list[tuple[str, str, str]]
    lag_error_s: float | None
    correct: bool


def random_configs(n: int, seed: int, seconds: float) -> list[DemoConfig]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        side = ["left", "right", "none"][i % 3]
        out.append(DemoConfig(seconds=seconds, seed=int(rng.integers(1000, 10**6)), synkinesis=side,
                              strength=float(rng.uniform(0.3, 0.7)), delay_s=float(rng.uniform(0.0, 0.4)),
                              head_motion=bool(rng.integers(0, 2))))
    return out


def check_case(cfg: DemoConfig, model_path: Path, workdir: Path) -> CaseResult:
    video = workdir / f"case_{cfg.seed}.mp4"
    write_demo_video(video, cfg)
    result = run_analysis(video, model_path, show_progress=False)
    flagged = [(c.driver, c.response, c.side) for c in result.couplings if c.synkinesis]
    if cfg.synkinesis == "none":
        return CaseResult(cfg, flagged, None, not flagged)
    hit = [c for c in result.couplings if c.synkinesis and c.driver == "smile"
           and c.response == "eye_closure" and c.side == cfg.synkinesis]
    other = [f for f in flagged if f[2] != cfg.synkinesis]
    lag_err = abs(hit[0].lag_s - cfg.delay_s) if hit else None
    ok = bool(hit) and not other and lag_err is not None and lag_err <= 0.1
    return CaseResult(cfg, flagged, lag_err, ok)


def main(n: int, seed: int, seconds: float = 24.0, model: str | None = None) -> int:
    model_path = resolve_model(model)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for cfg in random_configs(n, seed, seconds):
            r = check_case(cfg, model_path, Path(tmp))
            results.append(r)
            lag = "-" if r.lag_error_s is None else f"{r.lag_error_s * 1000:.0f} ms"
            print(f"seed={cfg.seed:>6} planted={cfg.synkinesis:<5} strength={cfg.strength:.2f} "
                  f"delay={cfg.delay_s:.2f}s head={'yes' if cfg.head_motion else 'no ':<3} "
                  f"flagged={r.flagged} lag_error={lag} {'OK' if r.correct else 'WRONG'}", flush=True)
    lags = [r.lag_error_s for r in results if r.lag_error_s is not None]
    print(f"correct {sum(r.correct for r in results)}/{len(results)}; "
          f"lag error median {np.median(lags) * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms" if lags else "")
    return 0 if all(r.correct for r in results) else 1
