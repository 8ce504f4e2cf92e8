"""The reference/calibration stage: the subject's neutral reference frame and rest baseline.

Candidates are frames spread over the rest stretch (``CANDIDATES`` of them, one every
``rest_s / CANDIDATES`` seconds); the reference is the most typical face among them (blinks
and twitches are outliers, never chosen), and the rest baseline comes from the rest frames
measured against that reference. One ``Calibrator`` serves every source: fed inline from a
live source, or from a pre-scan of a video file before its main pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calibration.baseline import REST_S, RestBaseline, rest_baseline
from calibration.profile import Profile
from calibration.reference import NEUTRAL_ENOUGH, neutral_stretch, typical_index
from realtime.sources import Frame, VideoFileSource
from realtime.tracking.eye_opening import eye_view
from realtime.tracking.landmarker import FaceObservation, Landmarker
from realtime.tracking.meter import FaceMeter, FrameMeasurement, Reference
from realtime.tracking.quality import ENVELOPE

CANDIDATES = 15


class CalibrationError(ValueError):
    """No usable rest stretch. One-line message that says what to do."""


@dataclass
class Calibration:
    reference: Reference
    reference_frame: int
    baseline: RestBaseline
    mode: str                        # "auto from first seconds", "most neutral stretch", "rest window", "profile"
    rest: tuple[float, float]        # media seconds of the rest stretch
    profile: str | None = None       # path of the profile used, if any
    warning: str | None = None       # e.g. no stretch was neutral enough
    expression: float | None = None  # how expressive the rest stretch was (see most_neutral_stretch)
    searched: tuple[float, float] | None = None   # media seconds searched for the most neutral stretch

    def to_json(self) -> dict:
        return {"mode": self.mode, "rest_s": round(self.rest[1] - self.rest[0], 3),
                "rest_stretch_s": [round(self.rest[0], 3), round(self.rest[1], 3)],
                "rest_expression": None if self.expression is None else round(self.expression, 2),
                "rest_searched_s": None if self.searched is None else [round(t, 3) for t in self.searched],
                "warning": self.warning,
                "reference_frame": self.reference_frame, "profile": self.profile,
                "rest_baseline": self.baseline.to_json()}


@dataclass
class RestChoice:
    window: tuple[float, float]
    expression: float
    warning: str | None
    searched: tuple[float, float]    # the media seconds searched (a bounded search: the first ones)
    whole: bool                      # the whole video was searched

    def describe(self) -> str:
        """Where the rest came from: "4.2-6.2 s, the most neutral stretch of the video's first 60 s"."""
        a, b = self.window
        return f"{a:.1f}-{b:.1f} s, the most neutral stretch of {searched_words(self.searched[1], self.whole)}"


def searched_words(seconds: float, whole: bool) -> str:
    return "the video" if whole else f"the video's first {seconds:.0f} s"


# What to do when no stretch is neutral enough, for a command that takes --rest.
REST_ADVICE = "give a relaxed stretch with --rest START:END"


# Frames sampled to find a video's most neutral stretch: one every NEUTRAL_EVERY_S seconds, at
# most MAX_NEUTRAL_SAMPLES over the whole video.
NEUTRAL_EVERY_S = 0.2
MAX_NEUTRAL_SAMPLES = 300


def _facing(o: FaceObservation) -> bool:
    return abs(o.yaw_deg) <= ENVELOPE.max_yaw_deg and abs(o.pitch_deg) <= ENVELOPE.max_pitch_deg


# Head pose the reference may differ from the subject's usual pose (median over facing frames),
# degrees of yaw and of pitch. Every frame is registered to the reference: one taken mid-turn
# (cap12_edit's most neutral 2 s held a turn from +3 to -11 deg) left 95 % of the clip
# registered through a skewed warp, outside the envelope.
USUAL_POSE_DEG = 5.0


def _usual_pose(poses: np.ndarray, facing: np.ndarray) -> np.ndarray:
    """(n,) bool: facing samples within USUAL_POSE_DEG of the median facing pose (all facing
    samples if none is)."""
    usual = facing & (np.abs(poses - np.median(poses[facing], axis=0)) <= USUAL_POSE_DEG).all(axis=1)
    return usual if usual.any() else facing


def choose_rest(detector: Landmarker, src: VideoFileSource, rest_s: float = REST_S, *,
                within_s: float | None = None, progress: Callable[[float], None] | None = None,
                advice: str = REST_ADVICE) -> RestChoice:
    """The most neutral stretch of a video file (``src``, read through once and closed), from
    MediaPipe's expression scores of sampled frames. Short videos get a shorter stretch (a
    quarter of the time the face is seen, at least 0.5 s), so that a smile filling most of a
    2-3 s clip is not taken as rest. ``within_s``: search only the first seconds (None: the
    whole video); ``progress`` is told the fraction searched after each sample (it may raise
    to stop the search); ``advice`` ends the warning given when no stretch is neutral enough."""
    path = src.path
    with src:
        fps, n = src.fps, src.frame_count
        duration = n / fps if n else 0.0
        span = min(duration or np.inf, np.inf if within_s is None else within_s)
        span = span if np.isfinite(span) else 0.0        # unknown length: steps of NEUTRAL_EVERY_S
        step = max(1, int(round(max(NEUTRAL_EVERY_S, span / MAX_NEUTRAL_SAMPLES) * fps)))
        end = np.inf if within_s is None else within_s * fps    # first frame index not searched
        times, scores, facing, poses = [], [], [], []
        last, cut = 0.0, False
        for f in src:
            if f.index >= end:
                cut = True
                break
            last = f.timestamp_s
            if f.index % step:
                continue
            faces = detector.observe(f.image)
            times.append(f.timestamp_s)
            scores.append(faces[0].expression() if faces else np.nan)
            facing.append(bool(faces) and _facing(faces[0]))
            poses.append((faces[0].yaw_deg, faces[0].pitch_deg) if faces else (np.nan, np.nan))
            if progress is not None and span:
                progress(min(1.0, (f.timestamp_s + step / fps) / span))
    searched = (0.0, last + 1.0 / fps)
    where = f" in its first {searched[1]:.0f} s" if cut else ""
    scores = np.array(scores)
    # A quarter of the time the face is in view, not of the video: a face that leaves after
    # 2.7 s of a 6.4 s clip (smiling for 2 of them) would otherwise get a stretch of 1.6 s, and
    # every one that long holds the smile.
    seen = float(np.isfinite(scores).sum()) * step / fps if fps else 0.0
    length = min(rest_s, max(0.5, seen / 4))
    if any(facing):    # a turned face is outside the measurable envelope: never the reference
        scores = np.where(facing, scores, np.nan)
        scores = np.where(_usual_pose(np.array(poses), np.array(facing)), scores, np.nan)
    try:
        a, b, score = neutral_stretch(np.array(times), scores, length)
    except ValueError:
        raise CalibrationError(f"no face found in {path}{where}: the face must be visible and frontal") from None
    warning = None
    if score > NEUTRAL_ENOUGH:
        warning = (f"no neutral stretch found{where}: the least expressive one ({a:.1f}-{b:.1f} s) "
                   f"scores {score:.1f} where a relaxed face scores about 2, so the rest baseline may "
                   f"be off; {advice}")
    return RestChoice((a, b), score, warning, searched, not cut)


class Calibrator:
    """Collects rest candidates frame by frame.

    ``window``: the rest stretch in media seconds; None means the first ``rest_s`` seconds
    after a face first appears. ``offer`` says what became of each frame."""

    BEFORE, CANDIDATE, SKIP, DONE = "before", "candidate", "skip", "done"

    def __init__(self, detector: Landmarker, *, window: tuple[float, float] | None = None,
                 rest_s: float = REST_S):
        self.detector = detector
        self.window = window
        self.rest_s = float(rest_s if window is None else window[1] - window[0])
        self.step = self.rest_s / CANDIDATES
        self.found: list[tuple[Frame, np.ndarray]] = []
        self._facing: list[bool] = []     # candidate inside the envelope's head pose
        self._start = None if window is None else float(window[0])
        self._next = -np.inf
        self.face_in_view = False         # what the last detection saw (between them: unchanged)

    @property
    def started_at(self) -> float | None:
        return self._start

    @property
    def progress(self) -> float:
        if self._start is None or not self.found:
            return 0.0
        return min(1.0, (self.found[-1][0].timestamp_s - self._start) / self.rest_s)

    def offer(self, f: Frame) -> str:
        t = f.timestamp_s
        if self._start is not None and t < self._start:
            return self.BEFORE
        if self._start is not None and (t >= self._start + self.rest_s or len(self.found) >= CANDIDATES):
            return self.DONE if self.found else self._fail()
        if t < self._next:
            return self.SKIP if self._start is not None else self.BEFORE
        self._next = t + self.step
        faces = self.detector.observe(f.image)
        self.face_in_view = bool(faces)
        if not faces:
            return self.SKIP if self._start is not None else self.BEFORE
        if self._start is None:
            self._start = t
        self.found.append((f, faces[0].landmarks))
        self._facing.append(_facing(faces[0]))
        return self.CANDIDATE

    def _fail(self) -> str:
        a, b = self.window or (self._start, self._start + self.rest_s)
        raise CalibrationError(f"no face in the rest stretch {a:g}-{b:g} s: choose another with --rest")

    def reference(self) -> tuple[Reference, int]:
        if not self.found:
            raise CalibrationError("no face found: the face must be visible and frontal")
        # The reference must face the camera (a turned one puts every frame outside the envelope).
        pool = [k for k, ok in enumerate(self._facing) if ok] or list(range(len(self.found)))
        i = pool[typical_index([self.found[k][1] for k in pool])]
        f, lm = self.found[i]
        views = tuple(eye_view(self.found[k][0].image, self.found[k][1]) for k in pool if k != i)
        return Reference(f.image, lm, f.timestamp_s, views), f.index

    def rest_span(self) -> tuple[float, float]:
        if self.window is not None:
            return self.window
        return (self._start or 0.0, (self._start or 0.0) + self.rest_s)


def measure_rest(meter: FaceMeter, frames: list[Frame], in_flight: int = 2,
                 progress: Callable[[float], None] | None = None) -> list[FrameMeasurement]:
    """Each rest frame measured against the new reference, in the frames' order, with the model
    calls of ``in_flight`` frames overlapping (a live source is not measured meanwhile). Measuring
    starts at the frame nearest the reference, where registration is easiest. ``progress`` is
    told the fraction measured (it may raise to stop)."""
    ref_t = meter.reference.timestamp_s
    order = sorted(range(len(frames)), key=lambda k: (frames[k].timestamp_s < ref_t, frames[k].timestamp_s))
    out: list[FrameMeasurement | None] = [None] * len(frames)
    pending: list[tuple[int, object]] = []
    done = 0
    for k in order:
        pending.append((k, meter.submit(frames[k].image, frames[k].index, frames[k].timestamp_s)))
        if len(pending) >= in_flight:
            i, p = pending.pop(0)
            out[i] = p.result()
            done += 1
            if progress is not None:
                progress(done / len(frames))
    for i, p in pending:
        out[i] = p.result()
    return out


def baseline_from(features: np.ndarray, profile: Profile | None, where: str) -> RestBaseline:
    """The rest baseline: level from these rest frames (features are relative to this session's
    reference, so a profile's level from another session would not fit), noise from the
    profile when there is one (measured over a longer, deliberate rest)."""
    try:
        base = rest_baseline(features)
    except ValueError as exc:
        raise CalibrationError(f"{where}: {exc}; keep the face still and visible there, or choose "
                               "another stretch with --rest") from None
    if profile is not None:   # a profile from before a signal existed has no noise for it
        noise = profile.rest.noise
        base = RestBaseline(base.level, np.where(np.isfinite(noise), noise, base.noise), base.frames)
    return base


def calibration_mode(window: tuple[float, float] | None, profile_path: str | Path | None,
                     chosen: RestChoice | None = None) -> str:
    if profile_path is not None:
        return "profile"
    if chosen is not None:
        return "most neutral stretch"
    return "rest window" if window is not None else "auto from first seconds"
