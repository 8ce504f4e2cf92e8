"""Offline analysis of a video file: every frame measured, the whole recording co-activated,
``frames.csv`` and ``summary.json`` written."""

from __future__ import annotations

from pathlib import Path

from calibration.profile import Profile
from realtime.jobs.inputs import check_analysis
from realtime.pipeline.analysis import Analysis, AnalysisError
from realtime.pipeline.calibrate import CalibrationError
from realtime.pipeline.capture import FAST
from realtime.pipeline.loop import FrameLoop, LoopOptions
from realtime.pipeline.sink import Sink
from realtime.sinks.analysis_files import AnalysisFiles
from realtime.sinks.console import ProgressBar
from realtime.sinks.results_folder import check_results_folder
from realtime.sources import SourceError, VideoFileSource

# Frames decoded ahead while the ones before them are measured (the decoder and the model calls
# overlap; a few frames of memory).
READ_AHEAD = 4


def run_analysis(video: str | Path, model_path: str | Path, *, profile: Profile | None = None,
                 rest: tuple[float, float] | None = None, workers: int = 2, show_progress: bool = True,
                 sinks: list[Sink] | tuple[Sink, ...] = (), mirrored: bool = False) -> Analysis:
    """``rest``: the rest stretch in seconds; None: the most neutral stretch of the video
    (pipeline/calibrate.py choose_rest). ``mirrored``: the video shows the subject as in a
    mirror (frames are flipped back)."""
    video = Path(video)
    try:
        check_analysis(video, None, rest=rest)  # a bad video or stretch fails before measuring
        src = VideoFileSource(video, mirrored=mirrored, read_ahead=READ_AHEAD)
    except SourceError as exc:
        raise AnalysisError(str(exc)) from None
    opts = LoopOptions(pace=FAST, rest=rest, profile=profile, workers=workers, sliding=False,
                       whole_recording=True)
    loop = FrameLoop(src, model_path, opts, [ProgressBar(f"analyze {video.name}", enabled=show_progress),
                                             *sinks])
    try:
        result = loop.run()
    except SourceError as exc:
        raise AnalysisError(str(exc)) from None
    except CalibrationError as exc:
        raise AnalysisError(f"{video}: {exc}") from None
    if result.analysis is None:
        raise AnalysisError(f"no face could be measured in {video}")
    return result.analysis


def analyze(video: str | Path, out_dir: str | Path, model_path: str | Path, *,
            profile: Profile | None = None, rest: tuple[float, float] | None = None,
            show_progress: bool = True, force: bool = False, mirrored: bool = False,
            affected: str | None = None) -> dict:
    """Measure ``video`` and write its results into ``out_dir`` (refused, before measuring, when
    it holds a session or results, unless ``force``). Returns the summary."""
    check_results_folder(out_dir, force=force)   # the video and rest stretch: in run_analysis
    files = AnalysisFiles(video, out_dir, mirrored=mirrored, affected=affected)
    run_analysis(video, model_path, profile=profile, rest=rest, show_progress=show_progress, sinks=[files],
                 mirrored=mirrored)
    if files.summary is None:   # the loop stopped early (Ctrl+C): nothing was written
        raise KeyboardInterrupt
    return files.summary
