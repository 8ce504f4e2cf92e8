"""The keyframes sink on frames with known signals: which frame each task keeps, where it goes,
and that only one picture is held at a time."""

from __future__ import annotations

import json
import stat

import cv2
import numpy as np

from realtime.landmarks import IRIS_CENTRE
from realtime.pipeline.sink import MeasuredFrame
from realtime.signals.features import SIGNALS, S
from realtime.sinks.keyframes import Keyframes
from realtime.sinks.session_folder import SessionFolder
from realtime.sources import Frame
from realtime.tracking.meter import FrameMeasurement

TIMELINE = [{"task": "rest", "rep": 1, "start_s": 0.0, "end_s": 1.0, "phase": "hold"},
            {"task": "smile", "rep": 1, "start_s": 1.0, "end_s": 1.5, "phase": "prompt"},
            {"task": "smile", "rep": 1, "start_s": 1.5, "end_s": 2.5, "phase": "hold"},
            {"task": "smile", "rep": 1, "start_s": 2.5, "end_s": 3.0, "phase": "relax"}]
WARP = np.array([[1.0, 0.0, 5.0], [0.0, 1.0, -3.0]])     # reference px -> frame px


def frame(i: int, signals: np.ndarray, reason: str = "") -> MeasuredFrame:
    t = i / 30
    image = np.full((48, 64, 3), i % 256, np.uint8)          # each frame its own picture
    image[0, 0] = (255, 0, 0)                                # red where the PNG must keep red (RGB)
    landmarks = {}
    for side, x in (("left", 40.0), ("right", 20.0)):
        lm = np.zeros((478, 2))
        lm[IRIS_CENTRE[side]] = (x, 10.0)
        landmarks[side] = lm
    m = FrameMeasurement(i, t, True, "ok", warp=WARP, landmarks=landmarks)
    return MeasuredFrame(Frame(i, t, image, 0.0), m, signals, True, 0.0, reason)


def test_each_task_keeps_its_peak_and_writes_it_when_its_hold_ends(tmp_path):
    rec = SessionFolder(tmp_path / "s", model=tmp_path / "m.task", playback="fast")
    rec.folder.mkdir(mode=0o700)
    rec.t0 = 0.0
    kf = Keyframes(rec, TIMELINE, {"smile": ("smile",)})
    rng = np.random.default_rng(0)
    smile_peak = 60                                          # t = 2.0 s, inside the smile's hold
    for i in range(90):
        sig = rng.normal(0, 0.0005, (2, len(SIGNALS)))
        if i == 12:
            sig[:] = 0.0                                     # the most neutral rest frame
        if i == 20:
            sig[:, S["eye_closure"]] = 0.9                   # a blink at rest: never the rest picture
        if 45 <= i < 75:
            sig[:, S["smile"]] += 0.05 * (1 - abs(i - smile_peak) / 15)
        if i == 40:
            sig[:, S["smile"]] = 0.5                         # in the prompt, not the hold: ignored
        if i == 62:
            sig[:, S["smile"]] = 0.9                         # bigger, but not measurable
        kf.measured(frame(i, sig, "turned" if i == 62 else ""))
        assert len(kf.best) <= 1                             # one picture held at most
        if i == 31:                                          # the rest hold is over: its picture is out
            assert (rec.folder / "keyframes" / "rest.png").exists() and "rest" not in kf.best
    kf.finished(None)
    index = json.loads((rec.folder / "keyframes.json").read_text())["tasks"]
    assert {k: v["t_s"] for k, v in index.items()} == {"rest": round(12 / 30, 3), "smile": round(smile_peak / 30, 3)}
    assert index["smile"]["eyes_px"] == [[45.0, 7.0], [25.0, 7.0]]       # warped: subject's left first
    assert index["smile"]["peak_signals"] == ["smile"]
    png = cv2.imread(str(rec.folder / index["smile"]["file"]))
    assert png[5, 5, 0] == smile_peak and tuple(png[0, 0]) == (0, 0, 255)   # BGR on disk
    for p in [rec.folder / "keyframes.json", *(rec.folder / "keyframes").iterdir()]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE((rec.folder / "keyframes").stat().st_mode) == 0o700


def test_a_test_cut_short_keeps_the_hold_under_way(tmp_path):
    rec = SessionFolder(tmp_path / "s", model=tmp_path / "m.task", playback="fast")
    rec.folder.mkdir()
    rec.t0 = 0.0
    kf = Keyframes(rec, TIMELINE, {"smile": ("smile",)})
    for i in range(55):                                      # stops in the smile's hold
        sig = np.zeros((2, len(SIGNALS)))
        sig[:, S["smile"]] = 0.01 * max(0, i - 45)
        kf.measured(frame(i, sig))
    kf.finished(None)
    index = json.loads((rec.folder / "keyframes.json").read_text())["tasks"]
    assert list(index) == ["rest", "smile"] and index["smile"]["t_s"] == round(54 / 30, 3)
