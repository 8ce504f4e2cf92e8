"""The checks every job makes before its first frame is measured: the video (a real container,
a believable header, long enough), the rest stretch and the timeline against the video's
length (known from its header), and the output folder. Each failure is one line that says
what to do; nothing has been measured or written by then."""

from __future__ import annotations

import math
from pathlib import Path

from calibration.reference import SHORTEST_REST_S
from realtime.clinical.assessment import rest_window
from realtime.sinks.results_folder import check_results_folder
from realtime.sources import VideoInfo, probe_video

# Shortest video worth measuring: a rest stretch (the reference and baseline) and a movement.
MIN_VIDEO_S = 1.0
MIN_VIDEO_FRAMES = 15          # one per rest candidate (pipeline/calibrate.py CANDIDATES)
MIN_REST_S = SHORTEST_REST_S   # the shortest stretch the automatic choice takes too
MIN_REST_FRAMES = 3            # a rest baseline needs at least 3 frames (calibration/baseline.py)


class InputError(ValueError):
    """An argument or input file that cannot work. One line that says what to do."""


def check_video(video: str | Path, *, min_s: float = MIN_VIDEO_S, purpose: str = "analyse") -> VideoInfo:
    """The video's facts (SourceError if it is not a usable video); InputError if too short."""
    info = probe_video(video)
    if info.duration_s < min_s or info.frames < MIN_VIDEO_FRAMES:
        raise InputError(f"video {video} is too short to {purpose}: {info.frames} frames "
                         f"({info.duration_s:.2f} s); at least {max(min_s, MIN_VIDEO_S):g} s and "
                         f"{MIN_VIDEO_FRAMES} frames are needed (a rest stretch, then the movements)")
    return info


def check_rest(rest: tuple[float, float], info: VideoInfo, what: str = "--rest") -> None:
    """A rest stretch (START, END) in seconds must lie inside the video and be long enough."""
    a, b = rest
    label = f"{what} {a:g}:{b:g}"
    if not (math.isfinite(a) and math.isfinite(b) and 0 <= a < b):
        raise InputError(f"{label}: START and END must be seconds with 0 <= START < END, e.g. 0:2")
    if b - a < MIN_REST_S:
        raise InputError(f"{label} lasts {b - a:.2g} s: a rest stretch needs at least {MIN_REST_S:g} s "
                         f"(e.g. {a:g}:{a + 2:g})")
    dur, frame = info.duration_s, 1.0 / info.fps
    if b > dur + frame:
        raise InputError(f"{label} is beyond the end of {info.path} ({dur:.1f} s long): choose a "
                         f"stretch within 0-{dur:.1f} s")
    if (b - a) * info.fps < MIN_REST_FRAMES:
        raise InputError(f"{label} holds fewer than {MIN_REST_FRAMES} frames at {info.fps:g} fps: "
                         "choose a longer stretch")


def check_analysis(video: str | Path, out: str | Path | None, *, rest: tuple[float, float] | None = None,
                   force: bool = False) -> VideoInfo:
    """Everything ``analyze`` needs, checked before the first frame (out None: no folder)."""
    info = check_video(video)
    if rest is not None:
        check_rest(rest, info)
    if out is not None:
        check_results_folder(out, force=force)
    return info


def timeline_end(timeline: list[dict]) -> float:
    """When the timeline's last hold ends (a final relaxation may be cut short)."""
    return max((e["end_s"] for e in timeline if e["phase"] == "hold"), default=0.0)


def check_assessment(video: str | Path, out: str | Path | None, timeline: list[dict], *,
                     standard: bool = False, force: bool = False) -> VideoInfo:
    """Everything ``assess`` needs; ``standard``: the timeline is the default one (no
    --timeline given), which the message then says and tells how to replace."""
    info = check_video(video, purpose="assess")
    end = timeline_end(timeline)
    if info.duration_s < end:
        which = ("the standard assessment timeline (used because no --timeline was given)" if standard
                 else "the timeline")
        raise InputError(f"video {video} lasts {info.duration_s:.1f} s but {which} needs {end:.1f} s: "
                         "write the timeline with 'assess --write-timeline T.json', set its times to "
                         "the video's and pass it with --timeline T.json")
    check_rest(rest_window(timeline), info, what="the timeline's rest hold")
    if out is not None:
        check_results_folder(out, force=force)
    return info
