"""``run.py analyze`` end to end on demo-face videos not used for tuning, and on bad input."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.signals.features import SIGNALS, column_names

REPO = Path(__file__).resolve().parents[2]

CASES = {
    # name: DemoConfig fields (seeds, strengths and delays never used while tuning)
    "left_headmotion": dict(seconds=24, seed=101, synkinesis="left", strength=0.4, delay_s=0.25, head_motion=True),
    "right_fast": dict(seconds=24, seed=202, synkinesis="right", strength=0.6, delay_s=0.05),
    "none_headmotion": dict(seconds=24, seed=303, synkinesis="none", head_motion=True),
    "right_short": dict(seconds=10, seed=404, synkinesis="right", strength=0.6, delay_s=0.1),
    # blink -> mouth corner up on the left, 2.5 mm, 90 ms after each blink (~12 blinks)
    "blink_mouth_left": dict(seconds=24, seed=505, pattern="blink-mouth", synkinesis="left",
                             strength=2.5, delay_s=0.09, blinks_per_min=30),
}


def run_cli(*args, env_model=None, **kw):
    import os
    env = dict(os.environ)
    if env_model:
        env["SYNKINESIS_FACE_MODEL"] = str(env_model)
    return subprocess.run([sys.executable, str(REPO / "run.py"), *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=600, **kw)


@pytest.mark.parametrize("name", ["left_headmotion", "right_fast"])
def test_planted_side_flagged_with_the_right_lag(analysed, name):
    cfg = CASES[name]
    summary, _, _ = analysed(name, **cfg)
    flagged = [c for c in summary["synkinesis"]]
    assert [(c["driver"], c["response"], c["side"]) for c in flagged] == [("smile", "eye_closure", cfg["synkinesis"])]
    assert flagged[0]["lag_s"] == pytest.approx(cfg["delay_s"], abs=0.1)


def test_no_planted_synkinesis_flags_nothing(analysed):
    summary, _, _ = analysed("none_headmotion", **CASES["none_headmotion"])
    assert summary["synkinesis"] == []
    assert not any(c["synkinesis"] for c in summary["coactivation"])


def test_output_formats(analysed):
    summary, out, truth = analysed("right_fast", **CASES["right_fast"])
    n = len(truth.t)
    assert set(summary) >= {"video", "frames", "fps", "face_frames", "signals", "coactivation"}
    assert summary["frames"] == n and summary["face_frames"] == n and summary["fps"] == 30.0
    assert summary["signals"] == column_names()
    pairs = {(c["driver"], c["response"], c["side"]) for c in summary["coactivation"]}
    assert len(pairs) == len(summary["coactivation"]) == len(SIGNALS) * (len(SIGNALS) - 1) * 2
    for c in summary["coactivation"]:
        assert set(c) >= {"driver", "response", "side", "peak_r", "lag_s", "gain", "synkinesis"}
        assert c["side"] in ("left", "right")
    with open(out / "frames.csv") as f:
        rows = list(csv.reader(f))
    # the columns users already read, then the per-frame quality verdict
    assert rows[0] == ["frame", "timestamp_s", "face"] + column_names() + ["quality", "reason"]
    assert {r[-2] for r in rows[1:]} == {"1"} and {r[-1] for r in rows[1:]} == {""}
    assert summary["measured_frames"] == n and summary["excluded_frames"] == {}
    assert len(rows) == n + 1
    assert [int(r[0]) for r in rows[1:]] == list(range(n))
    assert float(rows[31][1]) == pytest.approx(1.0, abs=1e-3)
    # the measured smile follows the planted one
    smile = np.array([float(r[rows[0].index("smile_right")]) for r in rows[1:]])
    assert np.corrcoef(smile, truth.smile)[0, 1] > 0.95


def test_cli_success_and_profile(demo_videos, model_path, tmp_path):
    video, _ = demo_videos("right_short", **CASES["right_short"])
    prof = tmp_path / "me.json"
    r = run_cli("calibrate", video, "--profile", prof, "--rest", "0:2.5", env_model=model_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(prof.read_text())["rest"]["frames"] >= 60
    r = run_cli("analyze", video, "--out", tmp_path / "o", "--profile", prof, "--quiet", "--affected", "right",
                env_model=model_path)
    assert r.returncode == 0, r.stderr
    assert "smile->eye_closure (right affected: eye narrows" in r.stdout, r.stdout
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["affected_side"] == "right"
    from realtime.cli import main
    assert main(["report", str(tmp_path / "o")]) == 0
    page = (tmp_path / "o" / "report.html").read_text()
    assert "<td>right (affected)</td><td>smile</td><td>eye narrows</td>" in page


def test_bad_inputs_exit_nonzero_with_one_line(tmp_path, model_path):
    out = tmp_path / "out"
    r = run_cli("analyze", tmp_path / "missing.mp4", "--out", out, env_model=model_path)
    assert r.returncode != 0 and r.stderr.strip().count("\n") == 0 and "not found" in r.stderr
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    r = run_cli("analyze", junk, "--out", out, env_model=model_path)
    assert r.returncode != 0 and "cannot read video" in r.stderr and r.stderr.strip().count("\n") == 0
    # a video with no face in it
    faceless = tmp_path / "wall.mp4"
    w = cv2.VideoWriter(str(faceless), cv2.VideoWriter_fourcc(*"mp4v"), 30, (320, 240))
    for i in range(45):
        w.write(np.full((240, 320, 3), 60 + i, np.uint8))
    w.release()
    r = run_cli("analyze", faceless, "--out", out, "--quiet", env_model=model_path)
    assert r.returncode != 0 and "no face" in r.stderr
    assert not (out / "summary.json").exists()
    # a corrupt model
    bad_model = tmp_path / "bad.task"
    bad_model.write_bytes(b"garbage")
    r = run_cli("analyze", faceless, "--out", out, "--model", bad_model)
    assert r.returncode != 0 and "corrupt" in r.stderr and r.stderr.strip().count("\n") == 0


def test_blink_pulling_the_mouth_corner_up_is_found_around_the_blinks(analysed):
    """Blinks are removed from the cross-correlation; what a blink pulls along is seen in the
    average around the blinks, on its side only, with its direction and latency."""
    cfg = CASES["blink_mouth_left"]
    summary, _, truth = analysed("blink_mouth_left", **cfg)
    found = [c for c in summary["synkinesis"] if c["method"] == "event-locked"]
    assert [(c["driver"], c["side"]) for c in found] == [("blink", "left")], found
    (c,) = found
    assert c["response"] in ("smile", "pucker") and c["direction"] == 1 and "up" in c["moves"]
    assert c["lag_s"] == pytest.approx(cfg["delay_s"], abs=1.5 / 30)   # within 1.5 frames
    assert c["events"] >= 5 and c["consistent"] >= 0.6 * c["events"]
    assert not [x for x in summary["synkinesis"] if x["side"] == "right"]
    locked = {(r["response"], r["side"]): r for r in summary["blink_locked"]}
    assert locked[(c["response"], "right")]["verdict"] != "synkinesis"
