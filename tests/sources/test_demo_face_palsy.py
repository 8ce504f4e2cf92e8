"""The demo face's palsy settings (resting droop, movement strength of the affected side) and its
weekly-test protocol: what is drawn, where, and what the face model reads from it."""

import json

import numpy as np
import pytest

from realtime.clinical.assessment import task_mask
from realtime.clinical.weekly import PEAK_SIGNALS, timeline_length, weekly_timeline
from realtime.landmarks import REGIONS
from realtime.signals.features import FaceFrame, F, frame_features
from realtime.signals.units import IOD_MM
from realtime.sources.demo import DemoSource, live_demo_config
from realtime.sources.demo_face import DROOP, TASK_MOVES, DemoConfig, DemoFace, write_demo_video
from realtime.sources.open import open_source
from realtime.tracking.landmarker import Landmarker

MID = 312          # the face's midline in the 640-wide frame; the subject's left is the image's right


def halves(diff: np.ndarray) -> dict[str, float]:
    return {"left": float(diff[:, MID + 30:].sum()), "right": float(diff[:, :MID - 30].sum())}


def test_settings_are_checked():
    for bad in ({"rest_droop": 1.5}, {"movement": -0.1}, {"movement": float("nan")}, {"affected": "both"},
                {"protocol": "weekly"}, {"timeline": weekly_timeline()}):
        with pytest.raises(ValueError):
            DemoConfig(**bad)


@pytest.mark.parametrize("affected", ["left", "right"])
def test_rest_droop_lowers_the_affected_corner_and_brow_as_the_model_reads_them(model_path, affected):
    """At rest (no movement at all), the face model reads the affected mouth corner and brow
    lower than on the same face without droop, and the healthy side where it was."""
    plain = DemoFace(DemoConfig(seconds=1, noise=0, synkinesis="none"))
    droop = DemoFace(DemoConfig(seconds=1, noise=0, synkinesis="none", affected=affected, rest_droop=1.0))
    with Landmarker(model_path) as lm:
        pts = [lm.detect(face.render(0))[0][:, :2] for face in (plain, droop)]
    feats = [frame_features({"left": p, "right": p}, FaceFrame.from_landmarks(p)) for p in pts]
    a, h = ("left", "right") if affected == "left" else ("right", "left")
    corner_mm = {s: (feats[1] - feats[0])[i, F["corner_height"]] * IOD_MM for i, s in enumerate(("left", "right"))}
    assert corner_mm[a] < -0.5 * DROOP["corner_down_mm"], corner_mm          # face units, v up
    # The whole-face model reads the healthy corner 0.45 mm lower with a right-sided droop (12 % of
    # the affected corner's; 5 % before the whole brow drooped its 3 mm, its arched lateral end
    # had drooped half): the raw model's leak, which the composites remove.
    assert abs(corner_mm[h]) < 0.15 * abs(corner_mm[a]), corner_mm
    # The brow, in image pixels (y down): the whole mesh of the eye follows it part of the way,
    # so its height above the eye corners hardly changes in the raw mesh, and the whole-face
    # model copies a third of it to the other brow (FIELD_NOTES; the composites remove that).
    brow_mm = {s: float(np.mean(pts[1][REGIONS[s]["brow"], 1] - pts[0][REGIONS[s]["brow"], 1])) / plain.px_per_mm
               for s in ("left", "right")}
    assert brow_mm[a] > 0.3 * DROOP["brow_down_mm"] and abs(brow_mm[h]) < 0.5 * brow_mm[a], brow_mm


def test_movement_is_the_affected_sides_fraction_of_the_healthy_sides():
    tl = weekly_timeline(scale=0.3)
    kw = dict(seconds=timeline_length(tl), noise=0, synkinesis="none", blinks_per_min=0, protocol="weekly",
              timeline=tl)
    healthy = DemoFace(DemoConfig(**kw))
    weak = DemoFace(DemoConfig(**kw, affected="right", movement=0.0))
    smile = int(np.argmax(healthy.truth.smile))
    rest = healthy.render(0).astype(int)
    moved = {name: halves(np.abs(face.render(smile).astype(int) - rest).sum(axis=2))
             for name, face in (("healthy", healthy), ("weak", weak))}
    # the right side of the weak face does not move; its left moves as the healthy face's does
    assert moved["weak"]["right"] < 0.02 * moved["healthy"]["right"], moved
    assert moved["weak"]["left"] == pytest.approx(moved["healthy"]["left"], rel=0.05), moved


def test_weekly_protocol_moves_each_task_in_its_hold_only(tmp_path):
    tl = weekly_timeline(scale=0.2)
    video = tmp_path / "w.mp4"
    truth = write_demo_video(video, DemoConfig(seconds=timeline_length(tl), fps=10, width=160, height=120,
                                               synkinesis="none", protocol="weekly", timeline=tl,
                                               rest_droop=0.4, movement=0.5, affected="right"))
    t = truth.t
    for task in PEAK_SIGNALS:
        trace = truth.driver(TASK_MOVES[task])
        hold = task_mask(t, tl, task, "hold")
        assert trace[hold].max() > 0.8, task                       # performed in its hold
        others = ~hold & ~task_mask(t, tl, task, "relax")          # let go during its relaxation
        assert trace[others].max() == 0, task
    assert all(truth.driver(m)[task_mask(t, tl, "rest")].max() == 0 for m in set(TASK_MOVES.values()))
    saved = json.loads(video.with_suffix(".truth.json").read_text())
    assert {k: saved["config"][k] for k in ("protocol", "affected", "rest_droop", "movement")} == \
        {"protocol": "weekly", "affected": "right", "rest_droop": 0.4, "movement": 0.5}
    assert saved["config"]["timeline"] == tl
    assert saved["palsy"]["corner_down_mm"] == pytest.approx(0.4 * DROOP["corner_down_mm"])


def test_the_live_and_recording_demo_source_takes_the_settings():
    src = open_source("demo", realtime=False, demo={"rest_droop": 0.7, "affected": "right", "movement": 0.2})
    assert isinstance(src, DemoSource)
    assert (src.config.rest_droop, src.config.affected, src.config.movement) == (0.7, "right", 0.2)
    assert src.config.seconds == live_demo_config().seconds       # the rest of the live demo as before
    plain = open_source("demo", realtime=False)
    assert plain.config == live_demo_config() and plain.config.rest_droop == 0
