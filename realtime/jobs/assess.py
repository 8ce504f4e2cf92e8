"""A recorded assessment video, scored: the analysis files plus ``assessment.json`` and
``timeline.json``."""

from __future__ import annotations

import json
from pathlib import Path

from realtime.clinical.assessment import (
    rest_features_from,
    rest_window,
    save_timeline,
    score_assessment,
    validate_timeline,
)
from realtime.files import atomic_write_text
from realtime.jobs.analyze import run_analysis
from realtime.sinks.analysis_files import write_outputs


def assess_video(video: str | Path, out_dir: str | Path, model_path: str | Path,
                 timeline: list[dict], *, show_progress: bool = True) -> dict:
    """Analyse a recorded assessment video and write frames.csv, summary.json,
    assessment.json and timeline.json into ``out_dir``."""
    timeline = validate_timeline(timeline)
    rw = rest_window(timeline)
    result = run_analysis(video, model_path, rest=rw, show_progress=show_progress)
    out = Path(out_dir)
    write_outputs(result, video, out)
    rf = rest_features_from(result.features, result.timestamps, rw)
    if rf is None:
        rf = result.baseline.level
    scores = score_assessment(result.timestamps, result.signals, timeline, fps=result.fps,
                              rest_features=rf, noise=result.baseline.noise, blinks=result.blinks)
    scores["video"] = str(video)
    atomic_write_text(out / "assessment.json", json.dumps(scores, indent=1))
    save_timeline(timeline, out / "timeline.json")
    return scores
