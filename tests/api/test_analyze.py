"""``analyze_video`` on demo-face videos, measured by the real face model: the README's example
runs as written, and every table is what the files written beside it hold."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realtime.clinical.assessment import demo_timeline
from realtime.signals.features import SIGNALS, column_names
from realtime.signals.units import FACE_UNITS, face_unit

REPO = Path(__file__).resolve().parents[2]
# The right-sided synkinesis of tests/jobs/test_analyze.py (same name and settings: one video).
RIGHT = dict(seconds=10, seed=404, synkinesis="right", strength=0.6, delay_s=0.1)


def readme_example() -> str:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("\n## Python API\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def readme_run(demo_videos, model_path, tmp_path_factory):
    """The README's example, run as written in a folder where the demo video is clip.mp4."""
    import matplotlib
    matplotlib.use("Agg")   # the example plots; no display here
    video, truth = demo_videos("right_short", **RIGHT)
    work = tmp_path_factory.mktemp("readme")
    (work / "clip.mp4").symlink_to(video)
    code = readme_example()
    assert len(code.strip().splitlines()) == 5, code
    ns: dict = {}
    cwd = os.getcwd()
    os.chdir(work)
    try:
        exec(compile(code, "README.md", "exec"), ns)
    finally:
        os.chdir(cwd)
    return ns["res"], work / "clip-results", truth


def read_frames_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, index_col="frame", keep_default_na=False, na_values={c: [""] for c in column_names()})


def test_frames_are_frames_csv(readme_run):
    res, out, truth = readme_run
    assert res.folder == out.resolve() and res.kind == "analysis" and res.status == "analysed"
    assert set(res.files) == {"frames.csv", "coactivation.csv", "summary.json"}
    assert all(p.is_file() and p.parent == out.resolve() for p in res.files.values())
    csv = read_frames_csv(out / "frames.csv")
    f = res.frames
    assert list(f.columns) == list(csv.columns) and f.index.name == "frame"
    assert list(f.index) == list(csv.index) == list(range(len(truth.t)))
    np.testing.assert_array_equal(f["timestamp_s"], csv["timestamp_s"])
    np.testing.assert_array_equal(f[column_names()].to_numpy(), csv[column_names()].to_numpy())
    assert (f["face"] == csv["face"].astype(bool)).all() and (f["quality"] == csv["quality"].astype(bool)).all()
    assert list(f["reason"]) == list(csv["reason"])
    # the signals are the planted face's: the right eye narrows with the smile, the left does not
    assert np.corrcoef(f["smile_right"], truth.smile)[0, 1] > 0.95
    assert np.corrcoef(f["eye_closure_right"], truth.eye_planted["right"])[0, 1] > 0.8
    assert np.percentile(f["eye_closure_right"], 95) > 0.3 > np.percentile(f["eye_closure_left"], 95)


def test_coactivation_verdicts_and_quality_are_summary_json(readme_run):
    res, out, _ = readme_run
    summary = json.loads((out / "summary.json").read_text())
    co = res.coactivation
    assert len(co) == len(summary["coactivation"]) == len(SIGNALS) * (len(SIGNALS) - 1) * 2
    for (_, row), c in zip(co.iterrows(), summary["coactivation"]):
        assert (row.side, row.driver, row.response, row.verdict) == (c["side"], c["driver"], c["response"],
                                                                       c["verdict"])
        for k in ("peak_r", "lag_s", "gain", "confidence", "p_value"):
            assert row[k] == c[k] or (c[k] is None and np.isnan(row[k])), (k, row[k], c[k])
        unit = face_unit(c["response"])
        other = next(u for u in FACE_UNITS if u != unit)
        assert row[f"amplitude_{unit}"] == c["amplitude"] and np.isnan(row[f"amplitude_{other}"])
        assert row.activations == c["activations"] and row.reason == c["reason"] and row.moves == c["moves"]
    key = lambda v: (v["driver"], v["response"], v["side"])   # noqa: E731
    assert [key(vars(v)) for v in res.synkinesis] == [key(c) for c in summary["synkinesis"]] \
        == [("smile", "eye_closure", "right")]
    assert res.synkinesis[0].lag_s == summary["synkinesis"][0]["lag_s"] == pytest.approx(0.1, abs=0.1)
    assert [key(vars(v)) for v in res.undecided] == [key(c) for c in summary["undecided"]]
    q = res.quality
    assert (q.frames, q.face_frames, q.measured_frames) == (summary["frames"], summary["face_frames"],
                                                            summary["measured_frames"])
    assert q.measured_pct == summary["measured_pct"] and q.excluded == summary["excluded_frames"]
    assert res.fps == summary["fps"] and res.indices is None and res.events is None


def test_coactivation_csv_is_the_table(readme_run):
    res, out, _ = readme_run
    csv = pd.read_csv(out / "coactivation.csv", keep_default_na=False, na_values={
        c: [""] for c in res.coactivation.columns if c not in ("side", "driver", "response", "moves", "verdict", "reason")})
    pd.testing.assert_frame_equal(csv, res.coactivation, check_dtype=False)
    assert "lag_s" in csv.columns and "amplitude_iod" in csv.columns


def test_load_session_reads_the_same_tables(readme_run):
    from realtime import load_session
    res, out, _ = readme_run
    again = load_session(out)
    pd.testing.assert_frame_equal(again.frames, res.frames)
    pd.testing.assert_frame_equal(again.coactivation, res.coactivation)
    assert (again.synkinesis, again.undecided, again.quality) == (res.synkinesis, res.undecided, res.quality)


def test_an_assessment_without_out_keeps_nothing(demo_videos, model_path, tmp_path, monkeypatch):
    from realtime import analyze_video
    video, truth = demo_videos("api_right6", **{**RIGHT, "seconds": 6})   # rest, then one smile
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))   # where the private folder goes
    res = analyze_video(video, timeline=demo_timeline(truth), model=model_path, affected="right", progress=False)
    assert res.folder is None and res.files == {} and list(scratch.iterdir()) == []
    assert res.kind == "assessment" and len(res.frames) == res.summary["frames"] == len(truth.t)
    assert res.summary["affected_side"] == "right"
    assert list(res.indices.columns[:2]) == ["task", "side"]
    assert list(dict.fromkeys(res.indices["task"])) == ["all", "rest", "smile_open"]
    ix = res.indices.set_index(["task", "side"])
    # the planted right eye narrows in the smile: its ocular index is the worse one
    assert ix.loc[("all", "right"), "ocular_index_pct"] < 60 < ix.loc[("all", "left"), "ocular_index_pct"]
    assert ix.loc[("smile_open", "right"), "eye_narrowing_fissure_fraction"] > 0.3
    # 6 s hold one smile: too little to call it, and said so
    assert res.synkinesis == [] and ("smile", "eye_closure", "right") in [
        (v.driver, v.response, v.side) for v in res.undecided]
    assert all(v.reason.startswith("not enough data") for v in res.undecided)


def test_bad_arguments_fail_before_the_model_loads(demo_videos, tmp_path):
    from realtime import analyze_video
    from realtime.sinks.results_folder import OutputError
    from realtime.sources import SourceError
    video, truth = demo_videos("right_short", **RIGHT)
    no_model = tmp_path / "no.task"     # any use of the model would fail on this path instead
    with pytest.raises(SourceError, match="not found") as e:
        analyze_video(tmp_path / "missing.mp4", model=no_model)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="rest"):
        analyze_video(video, rest=(2.5, 2.7), model=no_model)
    with pytest.raises(ValueError, match="affected must be 'left' or 'right'"):
        analyze_video(video, affected="Left", model=no_model)
    with pytest.raises(ValueError, match="profile and rest do not apply"):
        analyze_video(video, timeline=demo_timeline(truth), rest=(0, 1), model=no_model)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "summary.json").write_text("{}")
    with pytest.raises(OutputError, match="already holds results"):
        analyze_video(video, tmp_path / "full", model=no_model)
