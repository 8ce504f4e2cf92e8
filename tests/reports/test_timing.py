"""The pages use the rows' timestamps: dropped frames do not shorten lags, a slow session shows
its real rate and gaps and no lags. Sessions written by the real SessionWriter; signals with an
exact lag (tests/reports/synthetic.py)."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.clinical.assessment import estimate_noise
from realtime.reports.report import load_session, save_report, session_couplings
from realtime.reports.timing import MIN_LAG_FPS, on_grid, timing_of
from realtime.signals.coactivation import analyse
from tests.reports.pages import parse
from tests.reports.synthetic import (
    FPS,
    LAG_S,
    SECONDS,
    dropped_mask,
    full_rate_times,
    signals_at,
    write_session,
)


def smile_eye(couplings, side):
    return next(c for c in couplings
                if (c["driver"], c["response"], c["side"]) == ("smile", "eye_closure", side))


def test_timing_of_rows_with_drops_is_exact():
    t = np.arange(300) / 30.0
    keep = np.ones(300, bool)
    keep[[10, 11, 12, 100]] = False                  # 4 frames dropped
    measured = np.ones(keep.sum(), bool)
    measured[50:60] = False                          # the face lost for 10 kept rows
    tm = timing_of(t[keep], measured, 30.0)
    assert tm.rows == 296 and tm.dropped == 4
    assert tm.measured_fps == pytest.approx(295 / (299 / 30.0))
    kept = t[keep]
    assert tm.longest_gap_s == pytest.approx(kept[60] - kept[49] - 1 / 30.0)
    assert tm.lags_ok


def test_a_slow_session_has_its_own_rate_and_no_lags():
    t = np.arange(0, 20, 1 / 2.8)
    tm = timing_of(t, np.ones(len(t), bool), 30.0)
    assert tm.measured_fps == pytest.approx(2.8, rel=1e-3)
    assert tm.longest_gap_s == pytest.approx(1 / 2.8 - 1 / 30.0)
    assert not tm.lags_ok and MIN_LAG_FPS > 2.8
    assert tm.dropped == round(t[-1] * 30) + 1 - len(t)


def test_grid_keeps_long_gaps_empty_and_bridges_short_drops():
    t = np.r_[np.arange(0, 60), np.arange(90, 150)] / 30.0      # 1 s with no rows at all
    t = np.delete(t, [20, 21])                                  # and two dropped frames
    sig = np.tile(t[:, None, None], (1, 2, 3))
    tm = timing_of(t, np.ones(len(t), bool), 30.0)
    grid, res = on_grid(t, sig, tm)
    assert len(grid) == 150
    np.testing.assert_allclose(res[20:22, 0, 0], grid[20:22])  # bridged, linear and exact
    empty = np.isnan(res[:, 0, 0])
    assert list(np.nonzero(empty)[0]) == list(range(60, 90))


def test_dropped_frames_do_not_shorten_the_lag(tmp_path):
    t = full_rate_times()
    sig = signals_at(t)
    keep = dropped_mask(len(t))
    assert 0.2 < 1 - keep.mean() < 0.45
    folder = tmp_path / "drops"
    write_session(folder, t[keep], sig[keep], idx=np.flatnonzero(keep))
    # the reference: every frame, analysed at the source rate
    full = [c.to_json() for c in analyse(sig, FPS, estimate_noise(t, sig, (0, 2)))[0]]
    got = session_couplings(load_session(folder))
    left = smile_eye(got, "left")
    assert left["synkinesis"]
    assert left["lag_s"] == pytest.approx(LAG_S, abs=1 / FPS)
    for side in ("left", "right"):
        assert smile_eye(got, side)["peak_r"] == pytest.approx(smile_eye(full, side)["peak_r"], abs=0.05)
    path, warnings = save_report(folder)
    page = parse(path)
    assert float(page.cell(col="lag")) == pytest.approx(LAG_S, abs=1 / FPS)
    assert int(page.cell(quality="Frames")) == keep.sum()
    assert page.cell(quality="Frames dropped").startswith(f"{(~keep).sum()} (")
    assert page.cell(quality="Measured rate") == f"{(keep.sum() - 1) / t[keep][-1]:.1f} frames/s"
    assert any("not measured" in w for w in warnings)


def test_a_session_at_three_frames_a_second_shows_its_rate_and_no_lags(tmp_path, capsys):
    from realtime.cli import main
    t = np.arange(0, SECONDS, 1 / 2.8)
    folder = tmp_path / "slow"
    write_session(folder, t, signals_at(t))
    assert main(["report", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "warning: Co-activation is not shown: the frames were measured at 2.8 frames/s" in err
    path = folder / "report.html"
    page = parse(path)
    text = path.read_text()
    assert page.cell(quality="Measured rate") == "2.8 frames/s"
    assert page.cell(quality="Source frame rate") == "30.0 frames/s"
    assert page.cell(quality="Longest gap without a measured face") == f"{1 / 2.8 - 1 / 30:.2f} s"
    assert "data-refusal='coactivation'" in text
    assert "co-activation matrix" not in text and "data-col='lag'" not in text
