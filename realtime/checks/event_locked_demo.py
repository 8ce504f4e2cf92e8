"""Event-locked averaging on analysed demo-face videos: what blinks do to every region.

    python -m realtime.checks.event_locked_demo RESULTS_DIR [RESULTS_DIR ...]

Each RESULTS_DIR is an ``analyze`` output (frames.csv, summary.json) of a demo video; the
video's ``<name>.truth.json`` is read when it lies beside the video. Prints, per folder, the
planted response and each side's blink-locked response of every signal, in mm or % of the
fissure, with the verdict.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from realtime.signals.event_locked import blink_events, event_locked
from realtime.signals.features import SIGNALS
from realtime.signals.units import shown, unit
from realtime.sinks.framefile import read_frames


def rest_noise(summary: dict) -> np.ndarray:
    """(2, N_SIGNALS) rest-noise SDs from an analysis summary."""
    noise = summary["baseline"]["noise"]
    return np.array([[noise[side][name] for name in SIGNALS] for side in ("left", "right")])


def report(folder: Path) -> list[str]:
    summary = json.loads((folder / "summary.json").read_text())
    _, _, sig = read_frames(folder / "frames.csv")
    fps = float(summary["fps"])
    noise = rest_noise(summary)
    events = blink_events(sig, fps, noise)
    lines = [f"{folder.name}: {len(events)} blinks found"]
    truth_path = Path(summary["video"]).with_suffix(".truth.json")
    if truth_path.is_file():
        truth = json.loads(truth_path.read_text())
        n_true = int(np.sum(np.diff((np.asarray(truth["blink"]) > 0).astype(int)) == 1))
        planted = [f"{r['side']} {r['response']} {r['direction']} {r['size']:g} {r['unit']} after "
                   f"{r['delay_s'] * 1000:.0f} ms" for r in truth.get("responses", [])]
        lines.append(f"  planted: {', '.join(planted) or 'nothing'}; {n_true} blinks planted")
    for r in event_locked(sig, fps, events, noise=noise):
        if r.verdict == "synkinesis" or r.response in ("smile", "pucker") or abs(r.peak) > 3 * r.noise:
            lines.append(f"  {r.response:>12} {r.side:>5}: peak {_change(r.response, r.peak)} "
                         f"(other side {_change(r.response, r.other_side)}) at {r.latency_s * 1000:.0f} ms, "
                         f"{r.consistent} of {r.n_events} blinks, p {r.p_value:.4f} -> {r.verdict}"
                         f"{': ' + r.reason if r.reason else ''}")
    return lines


def _change(signal: str, value: float) -> str:
    """An event-locked peak (a change from the level before the event) in the unit a person
    reads: "+1.1 mm", "+12 %", "+0.35× rest" (the texture contrast rose by 0.35 of its rest level)."""
    u = unit(signal)
    return f"{round(shown(signal, value) - shown(signal, 0.0), 2) + 0.0:+.2f}{'' if u.startswith('×') else ' '}{u}"


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print("\n".join(report(Path(arg))))
