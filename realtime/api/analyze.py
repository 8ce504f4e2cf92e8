"""``analyze_video``: a video measured as ``run.py analyze`` (or, with a timeline, ``run.py
assess``) measures it, the results returned as tables (``result.SessionResult``).

The results always pass through the files the commands write, then are read back by
``load_session``: a result in a notebook and the folder on disk can never disagree. Without
``out`` they go into a private temporary folder (0700) that is removed before returning.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from calibration.profile import Profile, load_profile
from realtime.api.result import SessionResult, load_session
from realtime.clinical.assessment import load_timeline, validate_timeline
from realtime.jobs.analyze import analyze
from realtime.jobs.assess import assess_video
from realtime.jobs.inputs import check_analysis, check_assessment
from realtime.landmarks import SIDES
from realtime.tracking.model_asset import resolve_model

Timeline = list[dict] | str | os.PathLike


def _timeline(timeline: Timeline) -> list[dict]:
    if isinstance(timeline, (str, os.PathLike)):
        try:
            return load_timeline(timeline)
        except (OSError, ValueError) as exc:
            raise ValueError(f"timeline {timeline}: {exc}") from None
    return validate_timeline(timeline)


def analyze_video(video: str | os.PathLike, out: str | os.PathLike | None = None, *,
                  timeline: Timeline | None = None, model: str | os.PathLike | None = None,
                  profile: str | os.PathLike | Profile | None = None, rest: tuple[float, float] | None = None,
                  mirrored: bool = False, affected: str | None = None, force: bool = False,
                  progress: bool = True) -> SessionResult:
    """Measure ``video`` and return its tables.

    ``out``: the results folder (as ``run.py analyze --out``: new, or one without results unless
    ``force``); None keeps nothing on disk. ``timeline``: an assessment timeline (a list of
    ``{"task", "rep", "start_s", "end_s", "phase"}`` or a JSON file): the video is scored as
    ``run.py assess`` does, rest baseline from its rest hold, indices in ``.indices``.
    ``model``: face_landmarker.task (default: ``$SYNKINESIS_FACE_MODEL``, the user cache, else
    downloaded once). ``profile``: a calibration profile (path or Profile) for the rest
    baseline; ``rest``: the rest stretch (START, END) in seconds (default: the video's most
    neutral stretch); neither applies with a timeline. ``mirrored``: the video shows the subject
    as in a mirror. ``affected``: the subject's affected side, "left" or "right" (as
    ``--affected``: stored in summary.json). ``progress``: a progress bar on stderr.

    Every argument is checked before the model is loaded or a frame measured; a bad one raises
    with the one line the command line prints after ``error:`` (ValueError, OSError, or
    SourceError/ModelError/AnalysisError, which are RuntimeErrors)."""
    video = Path(video)
    if affected not in (None, *SIDES):
        raise ValueError(f"affected must be 'left' or 'right' (the subject's own side), not {affected!r}")
    if timeline is not None:
        if profile is not None or rest is not None:
            raise ValueError("profile and rest do not apply with a timeline: the rest baseline comes from "
                             "its rest hold; leave them out")
        tl = _timeline(timeline)
        check_assessment(video, out, tl, force=force)
    else:
        check_analysis(video, out, rest=rest, force=force)
    if profile is not None and not isinstance(profile, Profile):
        profile = load_profile(profile)
    model_path = resolve_model(model)

    def measure(folder: Path) -> SessionResult:
        if timeline is not None:
            assess_video(video, folder, model_path, tl, show_progress=progress, force=force, mirrored=mirrored,
                         affected=affected)
        else:
            analyze(video, folder, model_path, profile=profile, rest=rest, show_progress=progress,
                    force=force, mirrored=mirrored, affected=affected)
        return load_session(folder)

    if out is not None:
        return measure(Path(out))
    with tempfile.TemporaryDirectory(prefix="synkinesis-") as tmp:
        return replace(measure(Path(tmp) / "results"), folder=None, files={})
