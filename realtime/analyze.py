"""Offline analysis of a video: signals per frame, co-activation, verdicts."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from calibration.baseline import RestBaseline, rest_baseline
from calibration.profile import Profile
from calibration.reference import typical_index

from realtime import __version__
from realtime.signals.coactivation import Coupling, analyse
from realtime.sinks.framefile import HEADER, format_row
from realtime.tracking.meter import FaceMeter, Reference
from realtime.sinks.console import Progress
from realtime.signals.features import FEATURES, activations, column_names
from realtime.sources import SourceError, VideoFileSource
from realtime.tracking.landmarker import Landmarker


class AnalysisError(RuntimeError):
    pass


@dataclass
class Analysis:
    fps: float
    timestamps: np.ndarray        # (T,) s
    features: np.ndarray          # (T, 2, N_FEATURES), NaN where no face
    signals: np.ndarray           # (T, 2, N_SIGNALS), NaN where no face
    baseline: RestBaseline
    couplings: list[Coupling]
    blinks: np.ndarray            # (T,) bool
    reference_frame: int


def choose_reference(video: Path, landmarker: Landmarker, rest: tuple[float, float],
                     candidates: int = 15) -> tuple[Reference, int]:
    """The most typical face among frames of the rest stretch; if the stretch has no face,
    the first stretch of the video that has one."""
    with VideoFileSource(video) as src:
        start, end = rest
        step = max(1, int((end - start) * src.fps / candidates))
        found: list[tuple[int, float, np.ndarray, np.ndarray]] = []
        for f in src:
            if f.timestamp_s < start or (f.index - int(start * src.fps)) % step:
                continue
            faces = landmarker.detect(f.image)
            if faces:
                found.append((f.index, f.timestamp_s, f.image, faces[0]))
            if found and (f.timestamp_s >= end or len(found) >= candidates):
                break
    if not found:
        raise AnalysisError(f"no face found in {video}: the face must be visible and frontal")
    i = typical_index([lm for _, _, _, lm in found])
    index, t, image, lm = found[i]
    return Reference(image, lm, t), index


def run_analysis(video: str | Path, model_path: str | Path, *, profile: Profile | None = None,
                 rest: tuple[float, float] = (0.0, 2.0), workers: int = 2,
                 show_progress: bool = True) -> Analysis:
    video = Path(video)
    with VideoFileSource(video) as src:  # fails early, with a clear message, on a bad file
        fps, total = src.fps, src.frame_count
    with Landmarker(model_path) as full:
        reference, ref_index = choose_reference(video, full, rest)
        feats, stamps = [], []
        bar = Progress(f"analyze {video.name}", total or None, enabled=show_progress)
        def take(pending) -> None:
            m = pending.result()
            feats.append(m.features if m.face else np.full((2, len(FEATURES)), np.nan))
            stamps.append(m.timestamp_s)
            bar.update(len(stamps))

        # Two frames in flight: frame N+1 is decoded and registered while the model works on N.
        with FaceMeter(model_path, reference, workers=workers, full_landmarker=full, in_flight=2) as meter, \
                VideoFileSource(video) as src:
            pending = None
            for f in src:
                nxt = meter.submit(f.image, f.index, f.timestamp_s)
                if pending is not None:
                    take(pending)
                pending = nxt
            if pending is not None:
                take(pending)
        bar.close()
    features = np.array(feats, dtype=float)
    if np.isnan(features).all():
        raise AnalysisError(f"no face could be measured in {video}")
    stamps_a = np.array(stamps)
    if profile is not None:
        baseline = profile.rest
    else:
        in_rest = (stamps_a >= rest[0]) & (stamps_a <= rest[1])
        try:
            baseline = rest_baseline(features[in_rest])
        except ValueError as exc:
            raise AnalysisError(f"rest stretch {rest[0]}-{rest[1]} s: {exc}; choose another with --rest") from None
    sig = activations(features, baseline.level)
    couplings, blinks = analyse(sig, fps, baseline.noise,
                                max_range=profile.max_range if profile is not None else None)
    return Analysis(fps, stamps_a, features, sig, baseline, couplings, blinks, ref_index)


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_outputs(result: Analysis, video: str | Path, out_dir: str | Path) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def frames(f):
        w = csv.writer(f)
        w.writerow(HEADER)
        for i, (t, s) in enumerate(zip(result.timestamps, result.signals)):
            w.writerow(format_row(i, t, None if np.isnan(s).any() else s))

    summary = {
        "video": str(video), "frames": int(len(result.timestamps)), "fps": round(result.fps, 4),
        "face_frames": int((~np.isnan(result.signals).any(axis=(1, 2))).sum()),
        "signals": column_names(),
        "coactivation": [c.to_json() for c in result.couplings],
        "synkinesis": [c.to_json() for c in result.couplings if c.synkinesis],
        "blink_frames": int(result.blinks.sum()),
        "reference_frame": result.reference_frame,
        "baseline": result.baseline.to_json(),
        "software": {"name": "synkinesis", "version": __version__, "tracking_mode": "image"},
        "analysed": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    _atomic_write(out / "frames.csv", frames)
    _atomic_write(out / "summary.json", lambda f: json.dump(summary, f, indent=1))
    return summary


def analyze(video: str | Path, out_dir: str | Path, model_path: str | Path, *,
            profile: Profile | None = None, rest: tuple[float, float] = (0.0, 2.0),
            show_progress: bool = True) -> dict:
    try:
        result = run_analysis(video, model_path, profile=profile, rest=rest, show_progress=show_progress)
    except SourceError as exc:
        raise AnalysisError(str(exc)) from None
    return write_outputs(result, video, out_dir)
