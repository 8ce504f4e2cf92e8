"""One picture per task of a guided test, at the task's peak: ``SESSION/keyframes/<task>.png``
and ``SESSION/keyframes.json``.

The peak of a task is its hold's frame where the task's own region moved most: the sum, over
both sides, of the sizes of the signals the task names (``peak_signals``; either way, as a puffed
cheek may push the mouth corner out or the pressed lips pull it in). Rest has no movement to find: its keyframe is the hold's most neutral frame, the one
whose signals are, in units of each signal's rest noise, nearest zero (a blink or a twitch is
never picked). Only measurable frames count.

Memory stays bounded: only the best frame so far of a task whose hold is under way is kept; it
is written (owner-only, atomically) as soon as the hold ends, and ``keyframes.json`` is rewritten
each time, so a test cut short keeps the pictures of the tasks it finished.

``keyframes.json``: ``{"tasks": {task: {"file": "keyframes/<task>.png", "t_s", "eyes_px":
[[x, y] of the subject's left eye centre, [x, y] of the right], "peak_signals", "peak_value"}}}``,
times from the recording's start, pixels of the picture (as the camera saw the subject, never
mirrored: the subject's left eye is on the picture's right).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.files import DIR_MODE, atomic_write, atomic_write_text
from realtime.landmarks import IRIS_CENTRE, SIDES
from realtime.pipeline.calibrate import Calibration
from realtime.pipeline.sink import LoopInfo, LoopResult, MeasuredFrame, Sink
from realtime.signals.features import SIGNALS, S
from realtime.sinks.session_folder import SessionFolder

FOLDER = "keyframes"
INDEX = "keyframes.json"
REST_TASK = "rest"


@dataclass
class _Best:
    score: float
    t_s: float
    image: np.ndarray          # (H, W, 3) uint8 RGB, a copy
    eyes_px: list[list[float]]


def eye_centres(mf: MeasuredFrame) -> list[list[float]] | None:
    """The subject's left and right iris centres in the frame's pixels, [[xl, yl], [xr, yr]]
    (the landmarks are in the reference's pixels; the registration warp maps them here)."""
    m = mf.measurement
    if m is None or m.warp is None or any(s not in m.landmarks for s in SIDES):
        return None
    out = []
    for side in SIDES:
        p = np.asarray(m.landmarks[side][IRIS_CENTRE[side], :2], float)
        out.append([round(float(v), 2) for v in m.warp[:, :2] @ p + m.warp[:, 2]])
    return out


def file_stem(task: str) -> str:
    """A task key as a file name (a timeline may come from a file)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", task)[:64] or "task"


class Keyframes(Sink):
    """``recording``: the session folder this test is recorded into (its folder and clock);
    ``timeline``: the test's timeline, times from the recording's start; ``peak_signals``:
    per task, the signals of its own region."""

    def __init__(self, recording: SessionFolder, timeline: list[dict], peak_signals: dict[str, tuple[str, ...]]):
        self.recording = recording
        self.peak_signals = {k: tuple(S[s] for s in v) for k, v in peak_signals.items()}
        self.holds = [(e["task"], float(e["start_s"]), float(e["end_s"])) for e in timeline
                      if e["phase"] == "hold" and (e["task"] == REST_TASK or e["task"] in peak_signals)]
        self.ends = {}
        for task, _, end in self.holds:
            self.ends[task] = max(end, self.ends.get(task, end))
        self.noise: np.ndarray | None = None       # (2, N_SIGNALS) rest noise, for the neutral score
        self.best: dict[str, _Best] = {}
        self.written: dict[str, dict] = {}

    # ---- the loop's calls --------------------------------------------------------------
    def started(self, info: LoopInfo) -> None:
        if info.calibration is not None:
            self.calibrated(info.calibration)

    def calibrated(self, calibration: Calibration) -> None:
        self.noise = np.asarray(calibration.baseline.noise, float)

    def measured(self, mf: MeasuredFrame) -> None:
        t0 = self.recording.t0
        if t0 is None:
            return
        t = mf.frame.timestamp_s - t0
        for task in [k for k in self.best if t >= self.ends[k]]:
            self._write(task)
        if not mf.usable:
            return
        for task, start, end in self.holds:
            if start <= t < end and task not in self.written:
                self._offer(task, t, mf)

    def finished(self, result: LoopResult) -> None:
        for task in list(self.best):     # a test cut short during a hold keeps that hold's best
            self._write(task)

    # ---- choosing and writing ------------------------------------------------------------
    def score(self, task: str, sig: np.ndarray) -> float:
        """Higher is better: the task's movement, or for rest minus the distance from rest."""
        if task == REST_TASK:
            noise = self.noise if self.noise is not None else np.ones((len(SIDES), len(SIGNALS)))
            return -float(np.sum(np.abs(sig) / noise))
        return float(np.sum(np.abs(sig[:, list(self.peak_signals[task])])))

    def _offer(self, task: str, t: float, mf: MeasuredFrame) -> None:
        eyes = eye_centres(mf)
        if eyes is None:
            return
        score = self.score(task, mf.signals)
        best = self.best.get(task)
        if best is None or score > best.score:
            self.best[task] = _Best(score, t, mf.frame.image.copy(), eyes)

    def _write(self, task: str) -> None:
        best = self.best.pop(task)
        folder = Path(self.recording.folder)
        pictures = folder / FOLDER
        if not pictures.is_dir():
            os.mkdir(pictures, DIR_MODE)
            os.chmod(pictures, DIR_MODE)   # undoes the umask
        name = f"{FOLDER}/{file_stem(task)}.png"
        ok, png = cv2.imencode(".png", cv2.cvtColor(best.image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise OSError(f"could not encode the {task} keyframe as PNG")
        atomic_write(folder / name, lambda f: f.write(png.tobytes()), binary=True)
        sigs = self.peak_signals.get(task, ())
        self.written[task] = {"file": name, "t_s": round(best.t_s, 3), "eyes_px": best.eyes_px,
                              "peak_signals": [SIGNALS[i] for i in sigs] if task != REST_TASK else [],
                              "peak_value": round(best.score, 5) if task != REST_TASK else None}
        atomic_write_text(folder / INDEX, json.dumps({"tasks": self.written}, indent=1))
