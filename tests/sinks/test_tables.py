"""The tables a person opens: units in the column names, one value per cell, text that a
spreadsheet would run as a formula written as text, and pandas reads them back as written."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from realtime.clinical.assessment import score_assessment
from realtime.signals.coactivation import analyse
from realtime.signals.features import SIGNALS
from realtime.sinks.tables import (
    COACTIVATION_HEADER,
    INDICES_HEADER,
    cell,
    coactivation_table,
    csv_text,
    indices_table,
)
from tests.reports.synthetic import FPS, SMILE_W, SMILES_S, full_rate_times, signals_at


def test_cells():
    assert [cell(None), cell(True), cell(False), cell(0.25), cell(3), cell("smile")] == \
        ["", "true", "false", "0.25", "3", "smile"]
    for formula in ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx"):
        assert cell(formula) == "'" + formula


def test_coactivation_table_names_its_units():
    t = full_rate_times()
    couplings = [c.to_json() for c in analyse(signals_at(t), FPS, np.full((2, len(SIGNALS)), 0.004))[0]]
    table = coactivation_table(couplings)
    assert {"lag_s", "amplitude_iod", "amplitude_fissure_fraction"} <= set(COACTIVATION_HEADER)
    df = pd.read_csv(io.StringIO(csv_text(table)))
    pairs = len(SIGNALS) * (len(SIGNALS) - 1) * 2
    assert list(df.columns) == COACTIVATION_HEADER and len(df) == len(couplings) == pairs
    eye = df["response"] == "eye_closure"
    assert df.loc[eye, "amplitude_iod"].isna().all() and df.loc[~eye, "amplitude_fissure_fraction"].isna().all()
    got = df.loc[eye, "amplitude_fissure_fraction"].to_numpy()
    want = [c["amplitude"] for c in couplings if c["response"] == "eye_closure"]
    np.testing.assert_array_equal(got, np.array(want, dtype=float))
    np.testing.assert_array_equal(df["lag_s"], [np.nan if c["lag_s"] is None else c["lag_s"] for c in couplings])
    row = df[(df.side == "left") & (df.driver == "smile") & (df.response == "eye_closure")].iloc[0]
    assert row.verdict == "synkinesis"


def test_indices_table_per_task_and_side():
    t = full_rate_times()
    timeline = [{"task": "rest", "rep": 1, "start_s": 0.0, "end_s": 2.5, "phase": "hold"}]
    timeline += [{"task": "smile_open", "rep": i + 1, "start_s": s + 0.6, "end_s": s + SMILE_W - 0.6,
                  "phase": "hold"} for i, s in enumerate(SMILES_S)]
    timeline += [{"task": "=1+1", "rep": 1, "start_s": 36.0, "end_s": 37.5, "phase": "hold"}]
    scores = score_assessment(t, signals_at(t), timeline, fps=FPS)
    df = pd.read_csv(io.StringIO(csv_text(indices_table(scores))))
    assert list(df.columns) == INDICES_HEADER
    assert list(zip(df.task, df.side)) == [("all", "left"), ("all", "right"), ("rest", "left"), ("rest", "right"),
                                           ("smile_open", "left"), ("smile_open", "right"),
                                           ("'=1+1", "left"), ("'=1+1", "right")]
    ix = df.set_index(["task", "side"])
    for side in ("left", "right"):
        assert ix.loc[("all", side), "ocular_index_pct"] == scores["indices"][side]["ocular"]
        assert ix.loc[("smile_open", side), "fissure_ratio_to_other_eye"] == \
            scores["ocular_detail"][side]["k"]["smile_open"]
        assert ix.loc[("smile_open", side), "smile_level_iod"] == scores["levels"][side]["smile"]["smile_open"]
    # the left eye narrows with each smile (the synthetic synkinesis)
    assert ix.loc[("smile_open", "left"), "eye_narrowing_fissure_fraction"] > 0.2
    assert ix.loc[("all", "left"), "ocular_index_pct"] < ix.loc[("all", "right"), "ocular_index_pct"]
