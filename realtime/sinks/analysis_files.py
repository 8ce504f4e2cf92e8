"""The files of an analysis: ``frames.csv`` (one row per frame) and ``summary.json``, written
when the loop finishes, each atomically."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from realtime import __version__
from realtime.files import atomic_write
from realtime.pipeline.analysis import Analysis
from realtime.pipeline.sink import LoopResult, Sink
from realtime.signals.coactivation import UNDECIDED
from realtime.signals.features import column_names
from realtime.sinks.framefile import HEADER, format_row


def summary_of(result: Analysis, video: str | Path) -> dict:
    cal = result.calibration
    cal_json = None if cal is None else cal.to_json()
    usable = result.usable()
    return {
        "video": str(video), "frames": int(len(result.timestamps)), "fps": round(result.fps, 4),
        "face_frames": int((~np.isnan(result.signals).any(axis=(1, 2))).sum()),
        "measured_frames": int(usable.sum()),
        "measured_pct": round(100.0 * usable.mean(), 1) if len(usable) else 0.0,
        "excluded_frames": dict(Counter(r for r in (result.reasons if result.reasons is not None else [])
                                        if r)),
        "signals": column_names(),
        "coactivation": [c.to_json() for c in result.couplings],
        "synkinesis": [c.to_json() for c in result.couplings if c.synkinesis],
        "undecided": [c.to_json() for c in result.couplings if c.verdict == UNDECIDED],
        "blink_frames": int(result.blinks.sum()),
        "reference_frame": result.reference_frame,
        "baseline": result.baseline.to_json(),
        "rest": None if cal is None else {k: cal_json[k] for k in ("mode", "rest_stretch_s", "rest_expression",
                                                                  "warning")},
        "software": {"name": "synkinesis", "version": __version__, "tracking_mode": "image"},
        "analysed": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def write_outputs(result: Analysis, video: str | Path, out_dir: str | Path) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def frames(f):
        w = csv.writer(f)
        w.writerow(HEADER)
        reasons = result.reasons if result.reasons is not None else [""] * len(result.timestamps)
        for i, (t, s, why) in enumerate(zip(result.timestamps, result.signals, reasons)):
            w.writerow(format_row(i, t, None if np.isnan(s).any() else s, why))

    summary = summary_of(result, video)
    atomic_write(out / "frames.csv", frames)
    atomic_write(out / "summary.json", lambda f: json.dump(summary, f, indent=1))
    return summary


class AnalysisFiles(Sink):
    """Writes the whole-recording analysis into ``out_dir`` when the loop completes."""

    def __init__(self, video: str | Path, out_dir: str | Path):
        self.video, self.out_dir = video, Path(out_dir)
        self.summary: dict | None = None

    def finished(self, result: LoopResult) -> None:
        if result.status == "complete" and result.analysis is not None:
            self.summary = write_outputs(result.analysis, self.video, self.out_dir)
