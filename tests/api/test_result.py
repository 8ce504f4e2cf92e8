"""``load_session`` on recorded sessions: a real recording of the demo face (the record job, the
real model) and a longer synthetic one written by the real SessionWriter; and on bad folders."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realtime import load_session
from realtime.signals.features import SIGNALS, column_names
from realtime.sinks.session import SessionFileError
from tests.reports.synthetic import (
    LAG_S,
    SMILE_W,
    SMILES_S,
    full_rate_times,
    signals_at,
    write_session,
)


@pytest.fixture(scope="module")
def recorded(model_path, tmp_path_factory):
    """``run.py record --source demo --duration 4``, through the job behind it."""
    from realtime.jobs.record import RecordOptions, record
    out = tmp_path_factory.mktemp("rec") / "session"
    record(RecordOptions(source="demo", out=out, model=model_path, duration=4, log=io.StringIO()))
    return out


def test_a_recorded_demo_session(recorded):
    res = load_session(recorded)
    meta = json.loads((recorded / "session.json").read_text())
    assert res.kind == "recording" and res.status == meta["status"] == "complete"
    assert res.session["fps"] == meta["fps"] and res.fps == meta["fps"]
    assert set(res.files) == {"session.json", "frames.csv", "events.csv"}
    csv = pd.read_csv(recorded / "frames.csv", index_col="frame", keep_default_na=False,
                      na_values={c: [""] for c in column_names()})
    f = res.frames
    assert len(f) == meta["frames"] == len(csv) > 0
    assert list(f.index) == list(csv.index) and list(f.columns) == list(csv.columns)
    np.testing.assert_array_equal(f["timestamp_s"], csv["timestamp_s"])
    np.testing.assert_array_equal(f[column_names()].to_numpy(), csv[column_names()].to_numpy())
    assert list(f["reason"]) == list(csv["reason"])
    assert (f["face"] == csv["face"].astype(bool)).all() and int(f["face"].sum()) == meta["face_frames"]
    q = res.quality
    assert q.frames == len(csv) and q.measured_frames == int(csv["quality"].sum())
    assert q.excluded == csv.loc[csv["reason"] != "", "reason"].value_counts().to_dict()
    assert q.measured_pct == round(100 * csv["quality"].mean(), 1)
    assert list(res.events.columns) == ["start_s", "end_s", "driver", "response", "side", "peak"]
    assert len(res.events) == meta["events"]
    # 4 s hold less than the 6 s of measured face co-activation needs: said, not computed
    assert res.coactivation.empty and res.synkinesis == [] and res.indices is None
    assert any(n.startswith("no co-activation:") for n in res.notes), res.notes


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """40 s recorded at 30 frames/s, the left eye narrowing LAG_S after each smile, with an
    assessment timeline in session.json."""
    t = full_rate_times()
    timeline = [{"task": "rest", "rep": 1, "start_s": 0.0, "end_s": 2.5, "phase": "hold"}]
    timeline += [{"task": "smile_open", "rep": i + 1, "start_s": s + 0.6, "end_s": s + SMILE_W - 0.6, "phase": "hold"}
                 for i, s in enumerate(SMILES_S)]
    folder = tmp_path_factory.mktemp("syn") / "session"
    write_session(folder, t, signals_at(t), meta={"timeline": timeline},
                  events=[(3.1, 4.9, "smile", "eye_closure", "left", 0.4)])
    return folder


def test_a_recording_is_coactivated_and_scored_as_the_report_does(synthetic):
    from realtime.reports.report import load_session as read_folder
    from realtime.reports.report import session_couplings, session_scores
    res = load_session(synthetic)
    d = read_folder(synthetic)
    couplings, scores = session_couplings(d), session_scores(d)
    assert len(res.coactivation) == len(couplings) == len(SIGNALS) * (len(SIGNALS) - 1) * 2
    assert list(res.coactivation["peak_r"]) == [c["peak_r"] for c in couplings]
    called = [(v.driver, v.response, v.side) for v in res.synkinesis]
    assert ("smile", "eye_closure", "left") in called and all(side == "left" for *_, side in called)
    lag = next(v.lag_s for v in res.synkinesis if (v.driver, v.response) == ("smile", "eye_closure"))
    assert lag == pytest.approx(LAG_S, abs=1 / 30)
    ix = res.indices.set_index(["task", "side"])
    for side in ("left", "right"):
        assert ix.loc[("all", side), "ocular_index_pct"] == scores["indices"][side]["ocular"]
    assert ix.loc[("all", "left"), "ocular_index_pct"] < ix.loc[("all", "right"), "ocular_index_pct"]
    assert res.events.iloc[0].to_dict() == {"start_s": 3.1, "end_s": 4.9, "driver": "smile",
                                            "response": "eye_closure", "side": "left", "peak": 0.4}
    assert res.quality.measured_pct == 100.0 and res.notes == []


def test_bad_folders_fail_with_one_line(tmp_path):
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        load_session(tmp_path / "missing")
    with pytest.raises(ValueError, match="holds no session or results"):
        load_session(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "session.json").write_text("{not json")
    with pytest.raises(SessionFileError) as e:
        load_session(bad)
    assert "\n" not in str(e.value) and "restore it from a backup" in str(e.value)

