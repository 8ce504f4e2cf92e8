"""A patient's weekly tests with a known recovery, written by the real SessionWriter: signals
made from a known resting level (a left palsy whose droop falls from a given week, whose
movement returns from another), and keyframes rendered by the demo face with the same palsy.

The resting level goes into session.json as the recorder writes it (calibration ->
rest_baseline): the resting asymmetry is read from it and the rest phase's signals."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from calibration.baseline import RestBaseline
from realtime.clinical.weekly import PEAK_SIGNALS, PROTOCOL, WEEKLY_BY_KEY, weekly_timeline
from realtime.files import atomic_write_text
from realtime.signals.features import FEATURES, N_LANDMARK, SIGNALS, F, S
from realtime.signals.units import EYE_WIDTH_MM, IOD_MM
from realtime.sinks.session import SessionWriter
from realtime.sources.demo_face import _PHOTO_POINTS, DROOP, DemoConfig, DemoFace

FPS = 15.0
SCALE = 0.4                    # of the weekly protocol's phases (91 s -> 36 s)
FACE = {"brow_height": 0.30, "eye_aperture": 0.32, "cheek_height": -0.45, "ala_height": -0.62,
        "corner_lateral": 0.42, "corner_height": -0.95, "lower_lip_height": -1.05, "chin_height": -1.45,
        "chin_texture": 0.05, "neck_texture": 0.04}     # skin texture contrast at rest
# Each task's movement on a healthy side (face units of its own signal).
FULL = {"eye_closure": 0.9, "brow_raise": 0.065, "smile": 0.12, "pucker": 0.10, "lower_lip": 0.06}


def rest_level(droop: float) -> np.ndarray:
    """(2, N_FEATURES): the subject's left side drooping by ``droop`` (0..1) of the demo's palsy."""
    lv = np.array([[FACE[f] for f in FEATURES]] * 2)
    lv[0, F["corner_height"]] -= droop * DROOP["corner_down_mm"] / IOD_MM
    lv[0, F["brow_height"]] -= droop * DROOP["brow_down_mm"] / IOD_MM
    lv[0, F["cheek_height"]] -= droop * DROOP["cheek_down_mm"] / IOD_MM
    lv[0, F["eye_aperture"]] *= 1 + droop * DROOP["fissure_widening"]
    return lv


def test_signals(t: np.ndarray, timeline: list[dict], movement: float, rng, noise: float = 0.002) -> np.ndarray:
    """(T, 2, N_SIGNALS): each hold moves its task's signal, the left side ``movement`` of it."""
    # Noise on the landmark signals only, so that the series' random draws (and the figures the
    # tests expect) do not depend on how many texture signals there are; texture stays at rest.
    sig = np.zeros((len(t), 2, len(SIGNALS)))
    sig[..., :N_LANDMARK] = rng.normal(0, noise, (len(t), 2, N_LANDMARK))
    for e in timeline:
        task = WEEKLY_BY_KEY[e["task"]]
        if e["phase"] != "hold" or task.driver is None:
            continue
        inside = (t >= e["start_s"]) & (t < e["end_s"])
        sig[inside, 0, S[task.driver]] += movement * FULL[task.driver]
        sig[inside, 1, S[task.driver]] += FULL[task.driver]
    return sig


def eyes_px(face: DemoFace) -> list[list[float]]:
    return [[round(float(v), 2) for v in face._to_image(_PHOTO_POINTS[s]["iris"])] for s in ("left", "right")]


def write_keyframes(folder: Path, droop: float, movement: float, timeline: list[dict], seed: int) -> None:
    face = DemoFace(DemoConfig(seconds=max(e["end_s"] for e in timeline), fps=FPS, seed=seed, rest_droop=droop,
                               movement=movement, protocol=PROTOCOL, timeline=timeline, blinks_per_min=0,
                               width=320, height=240))
    (folder / "keyframes").mkdir(mode=0o700)
    index = {}
    for e in timeline:
        if e["phase"] != "hold":
            continue
        t_s = (e["start_s"] + e["end_s"]) / 2
        rgb = face.render(int(round(t_s * FPS)))
        name = f"keyframes/{e['task']}.png"
        cv2.imwrite(str(folder / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        index[e["task"]] = {"file": name, "t_s": t_s, "eyes_px": eyes_px(face),
                            "peak_signals": list(PEAK_SIGNALS.get(e["task"], ()))}
    atomic_write_text(folder / "keyframes.json", json.dumps({"tasks": index}))


def write_weekly_test(folder: Path, *, days: float, droop: float, movement: float, seed: int,
                      keyframes: bool = True, affected: str | None = "left", subject: str = "P-014") -> Path:
    timeline = weekly_timeline(SCALE)
    rng = np.random.default_rng(seed)
    t = np.arange(int(max(e["end_s"] for e in timeline) * FPS)) / FPS
    level = rest_level(droop)
    # the rest phase's frames scatter around the level: a test's noise
    noise = np.full((2, len(SIGNALS)), 0.002)
    baseline = RestBaseline(level, noise, 30)
    w = SessionWriter(folder, fps=FPS)
    w.start({"fps": FPS, "source": "synthetic weekly test", "protocol": PROTOCOL, "timeline": timeline,
             "days_since_onset": days, "affected_side": affected, "subject": subject,
             "start": f"2026-01-01T09:00:00+00:00",
             "calibration": {"rest_baseline": baseline.to_json()}})
    sig = test_signals(t, timeline, movement, rng)
    for i, ti in enumerate(t):
        w.add_frame(i, float(ti), sig[i])
    w.close()
    meta = json.loads((folder / "session.json").read_text())
    meta["start"] = f"2026-{1 + int(days // 28) % 12:02d}-{1 + int(days) % 28:02d}T09:00:00+00:00"
    atomic_write_text(folder / "session.json", json.dumps(meta))
    if keyframes:
        write_keyframes(folder, droop, movement, timeline, seed)
    return folder


def recovery_series(patient: Path, weeks: int, *, droop_from: int | None, movement_from: int | None,
                    keyframes: bool = True, first_day: float = 60.0) -> list[Path]:
    """``weeks`` weekly tests: droop 1 until week ``droop_from`` (1-based), then falling by 0.2 a
    week; no movement on the left until week ``movement_from``, then rising by 0.25 a week.
    None: never."""
    out = []
    for k in range(1, weeks + 1):
        droop = 1.0 if droop_from is None or k < droop_from else max(0.0, 1.0 - 0.2 * (k - droop_from + 1))
        move = 0.0 if movement_from is None or k < movement_from else min(1.0, 0.25 * (k - movement_from + 1))
        out.append(write_weekly_test(patient / f"week{k:02d}", days=first_day + 7 * (k - 1), droop=droop,
                                     movement=move, seed=k, keyframes=keyframes))
    return out


__all__ = ["recovery_series", "write_weekly_test", "EYE_WIDTH_MM"]
