"""A recorded assessment video, scored: the analysis files plus ``assessment.json``,
``indices.csv`` and ``timeline.json``, written as one set."""

from __future__ import annotations

import json
from pathlib import Path

from realtime.clinical.assessment import (
    rest_features_from,
    rest_window,
    score_assessment,
    validate_timeline,
)
from realtime.clinical.recovery import TASK_SIGNAL
from realtime.jobs.analyze import run_analysis
from realtime.jobs.inputs import check_assessment
from realtime.sinks.analysis_files import faces_of, write_outputs
from realtime.sinks.tables import INDICES_CSV, csv_text, indices_table


def assess_video(video: str | Path, out_dir: str | Path, model_path: str | Path,
                 timeline: list[dict], *, show_progress: bool = True, standard: bool = False,
                 force: bool = False, mirrored: bool = False, affected: str | None = None) -> dict:
    """Analyse a recorded assessment video and write frames.csv, coactivation.csv,
    summary.json, assessment.json, indices.csv and timeline.json into ``out_dir``.
    ``standard``: ``timeline`` is the default one (said so in errors and in assessment.json)."""
    timeline = validate_timeline(timeline)
    check_assessment(video, out_dir, timeline, standard=standard, force=force)
    rw = rest_window(timeline)
    result = run_analysis(video, model_path, rest=rw, show_progress=show_progress, mirrored=mirrored)
    rf = rest_features_from(result.features, result.timestamps, rw)
    if rf is None:
        rf = result.baseline.level
    scores = score_assessment(result.timestamps, result.signals, timeline, fps=result.fps,
                              rest_features=rf, noise=result.baseline.noise, blinks=result.blinks,
                              movements=TASK_SIGNAL)
    scores["video"] = str(video)
    scores["timeline_source"] = "standard" if standard else "given"
    scores["faces"] = faces_of(result)
    write_outputs(result, video, out_dir, mirrored=mirrored, affected=affected,
                  files={"assessment.json": json.dumps(scores, indent=1),
                         INDICES_CSV: csv_text(indices_table(scores)),
                         "timeline.json": json.dumps(timeline, indent=1)})
    return scores
