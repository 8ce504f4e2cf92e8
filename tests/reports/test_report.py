"""Session report and progress pages built from real analyses of the demo face: the numbers
on the page match the session data, and each page is one self-contained file."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from realtime.clinical.assessment import demo_timeline, save_timeline
from realtime.reports.report import coupling_matrix, driver_rows, flagged_rows, task_rows, write_report
from realtime.signals.coactivation import Coupling
from realtime.signals.features import S
from realtime.signals.units import multiple_text
from tests.conftest import NECK_DEMO
from tests.reports.pages import assert_self_contained, parse

DEMO = dict(seconds=14, fps=15, seed=3, strength=0.5, delay_s=0.15)


@pytest.fixture(scope="module")
def session_dir(analysed, tmp_path_factory):
    """An ``analyze`` output of the left-synkinesis demo, turned into an assessment session by
    adding a timeline and a session.json (as the recorder writes)."""
    summary, out, truth = analysed("report_left", synkinesis="left", **DEMO)
    d = tmp_path_factory.mktemp("sessions") / "2025-03-01"
    shutil.copytree(out, d)
    save_timeline(demo_timeline(truth), d / "timeline.json")
    (d / "session.json").write_text(json.dumps({
        "start": "2025-03-01T09:30:00+00:00", "source": "demo", "software": {"name": "synkinesis"},
        "subject": "demo-patient", "days_since_onset": 120, "fps": 15.0}))
    (d / "events.csv").write_text("start_s,end_s,driver,response,side,peak\n4.0,5.5,smile,eye_closure,left,0.12\n")
    return d


def test_report_matches_session_data(session_dir):
    from realtime.cli import main
    from realtime.reports.report import load_session, session_scores
    assert main(["report", str(session_dir)]) == 0
    html_path = session_dir / "report.html"
    page = parse(html_path)
    assert_self_contained(page)
    text = html_path.read_text()
    assert "demo-patient" in text and "2025-03-01 09:30" in text
    scores = session_scores(load_session(session_dir))
    for side in ("left", "right"):
        shown = page.cell(index="ocular", side=side)
        assert float(shown) == pytest.approx(scores["indices"][side]["ocular"], abs=0.5)
    # the planted left synkinesis reads worse on the page too
    assert float(page.cell(index="ocular", side="left")) < float(page.cell(index="ocular", side="right"))
    # co-activation: flagged smile -> eye_closure on the left, as in summary.json
    summary = json.loads((session_dir / "summary.json").read_text())
    assert any(c["driver"] == "smile" and c["response"] == "eye_closure" and c["side"] == "left"
               for c in summary["synkinesis"])
    # in clinical words and units: the eye narrows with the smile, by a % of its rest opening
    m = re.search(r"left</td><td>smile</td><td>eye narrows</td><td class='num' data-col='size'>(\d+) %</td>", text)
    flagged = next(c for c in summary["synkinesis"] if (c["driver"], c["response"], c["side"]) == ("smile", "eye_closure", "left"))
    assert m and int(m.group(1)) == round(100 * flagged["amplitude"]), text[text.find("flagged"):][:600]
    # data quality numbers come from frames.csv
    assert int(page.cell(quality="Frames")) == summary["frames"]
    assert int(page.cell(quality="Frames with a face")) == summary["face_frames"]
    assert "events.csv" in text and "left smile&rarr;eye_closure: 1" in text


@pytest.fixture(scope="module")
def neck_session(analysed, tmp_path_factory):
    """An ``analyze`` output of the demo face with platysma bands planted on the left with each
    brow raise, turned into a brow-raise assessment of a left-sided palsy."""
    _, out, truth = analysed("brow_neck", **NECK_DEMO)
    d = tmp_path_factory.mktemp("sessions") / "neck"
    shutil.copytree(out, d)
    save_timeline(demo_timeline(truth, 0.5, task="brow_raise"), d / "timeline.json")
    (d / "session.json").write_text(json.dumps({
        "start": "2025-04-01T09:30:00+00:00", "source": "demo", "subject": "demo-neck", "affected_side": "left",
        "fps": 15.0}))
    return d


def test_report_shows_chin_dimpling_and_neck_bands_in_their_unit(neck_session):
    """The skin-texture regions on every part of the page a person reads, as a multiple of the
    rest texture contrast, with the direction in words."""
    from realtime.cli import main
    from realtime.reports.report import load_session, session_scores
    from realtime.signals.coactivation import MIN_AMPLITUDE
    assert main(["report", str(neck_session)]) == 0
    path = neck_session / "report.html"
    page, text = parse(path), path.read_text()
    summary = json.loads((neck_session / "summary.json").read_text())
    (called,) = [c for c in summary["synkinesis"] if c["response"] == "neck_bands"]
    assert (called["driver"], called["side"]) == ("brow_raise", "left")
    size = f"{multiple_text(1 + called['amplitude'])}× rest"
    # the flagged pair: how the neck moves, with what, how far in its unit; r last
    assert re.search(rf"left \(affected\)</td><td>brow raise</td><td>neck bands show</td>"
                     rf"<td class='num' data-col='size'>{size}</td>", text), text[text.find("flagged"):][:800]
    assert "× rest = × the skin&#39;s texture contrast at rest" in text
    # the matrix writes the response's size in its column's unit
    _, sizes, flag = coupling_matrix(summary["coactivation"])
    assert flag[0, S["brow_raise"], S["neck_bands"]]
    assert sizes[0, S["brow_raise"], S["neck_bands"]] == pytest.approx(1 + called["amplitude"])   # x rest contrast
    # the traces show both skin-texture signals, labelled with their unit
    alts = [a.get("alt", "") for tag, a in page.tags if tag == "img"]
    assert any("chin dimpling (× rest)" in a and "neck bands (× rest)" in a for a in alts), alts
    # the mentalis and platysma indices (eFACE items), in their unit; the planted side shaded
    scores = session_scores(load_session(neck_session))
    for side in ("left", "right"):
        for key in ("mentalis", "platysma"):
            shown = page.cell(index=key, side=side)
            assert shown == f"{multiple_text(1 + scores['indices'][side][key])}× rest", (key, side, shown)
    assert scores["indices"]["left"]["platysma"] > MIN_AMPLITUDE["neck_bands"] > scores["indices"]["right"]["platysma"]
    assert re.search(r"class='num bad' data-index='platysma' data-side='left'", text)
    table = pd.read_csv(neck_session / "indices.csv").set_index(["task", "side"])
    assert table.loc[("all", "left"), "platysma_texture_fraction"] == scores["indices"]["left"]["platysma"]
    # how much of the time each skin region was measured; why they are not in resting symmetry
    for name, region in (("Chin dimpling", "chin"), ("Neck bands", "neck")):
        shown = page.cell(quality=f"{name}: frames with its skin measured (left / right)")
        pct = [summary["texture"][f"{region}_{side}"]["measured_pct"] for side in ("left", "right")]
        assert [float(v) for v in re.findall(r"([\d.]+) %", shown)] == pytest.approx(pct, abs=1), shown
    assert "data-rest-note='texture'" in text and "not compared at rest" in text


def test_report_on_incomplete_folder_says_what_is_missing(session_dir, tmp_path):
    d = tmp_path / "partial"
    d.mkdir()
    shutil.copy(session_dir / "frames.csv", d / "frames.csv")  # a recording cut short: frames only
    page_path = write_report(d)
    text = page_path.read_text()
    assert_self_contained(parse(page_path))
    assert "No assessment timeline" in text
    assert "summary.json" in text and "session.json" in text  # listed as missing
    assert "co-activation matrix" in text  # computed from frames.csv alone
    empty = tmp_path / "empty"
    empty.mkdir()
    from realtime.cli import main
    from realtime.sinks.session import SessionFileError
    with pytest.raises(SessionFileError, match="holds no session or analysis"):
        write_report(empty)
    assert main(["report", str(empty)]) == 2 and main(["progress", str(empty)]) == 2
    assert not list(empty.iterdir())   # no page for nothing


def test_progress_page_over_sessions(session_dir, tmp_path):
    from realtime.cli import main
    from realtime.reports.report import load_session, session_scores
    patient = tmp_path / "patient"
    patient.mkdir()
    days = {"s1": (60, "2025-01-01T10:00:00Z"), "s2": (120, "2025-03-01T09:30:00Z"),
            "s3": (200, "2025-05-21T11:00:00Z")}
    for name, (dso, start) in days.items():
        shutil.copytree(session_dir, patient / name)
        meta = json.loads((patient / name / "session.json").read_text())
        meta.update(days_since_onset=dso, start=start)
        (patient / name / "session.json").write_text(json.dumps(meta))
    (patient / "s3" / "timeline.json").unlink()          # a plain recording: no indices
    (patient / "s3" / "report.html").unlink(missing_ok=True)
    (patient / "not_a_session").mkdir()
    assert main(["progress", str(patient)]) == 0
    page_path = patient / "progress.html"
    page = parse(page_path)
    assert_self_contained(page)
    rows = re.findall(r"<tr data-session='([^']+)'", page_path.read_text())
    assert rows == ["s1", "s2", "s3"]  # ordered by days since onset
    expected = session_scores(load_session(patient / "s1"))
    days_cells = [c["text"] for c in page.cells if c["attrs"].get("data-col") == "days"]
    assert days_cells == ["60", "120", "200"]
    oc = [c["text"] for c in page.cells if c["attrs"].get("data-col") == "ocular"
          and c["attrs"].get("data-side") == "left"]
    assert float(oc[0]) == pytest.approx(expected["indices"]["left"]["ocular"], abs=0.05)
    assert oc[2] == "–"
    sym = [c["text"] for c in page.cells if c["attrs"].get("data-col") == "symmetry"]
    assert float(sym[0]) == pytest.approx(expected["resting_symmetry"]["overall_pct"], abs=0.05)
    assert "no assessment timeline" in page_path.read_text()
    # progress.csv: the same sessions and values, a row each, the unreadable ones listed too
    (patient / "s4").mkdir()
    (patient / "s4" / "session.json").write_text("[]")
    assert main(["progress", str(patient)]) == 0
    table = pd.read_csv(patient / "progress.csv")
    assert list(table["session"]) == ["s1", "s2", "s3", "s4"]
    assert list(table["days_since_onset"][:3]) == [60, 120, 200] and table["status"][3] == "not read"
    assert table["ocular_index_pct_left"][0] == expected["indices"]["left"]["ocular"]
    assert table["ocular_corrected_index_pct_right"][1] == expected["indices"]["right"]["ocular_corrected"]
    assert table["resting_symmetry_pct"][0] == expected["resting_symmetry"]["overall_pct"]
    assert pd.isna(table["ocular_index_pct_left"][2]) and "no assessment timeline" in table["notes"][2]
    assert "session.json" in table["notes"][3]
    assert table["synkinesis_pairs_left"][0] >= 1 and table["smile_eye_closure_peak_r_left"][0] > 0.5


def test_report_writes_the_tables_of_a_recorded_session(tmp_path):
    from realtime.api import load_session as load_tables
    from realtime.reports.report import save_report
    from tests.reports.synthetic import SMILE_W, SMILES_S, full_rate_times, signals_at, write_session
    t = full_rate_times()
    timeline = [{"task": "rest", "rep": 1, "start_s": 0.0, "end_s": 2.5, "phase": "hold"}]
    timeline += [{"task": "smile_open", "rep": i + 1, "start_s": s + 0.6, "end_s": s + SMILE_W - 0.6, "phase": "hold"}
                 for i, s in enumerate(SMILES_S)]
    folder = tmp_path / "session"
    write_session(folder, t, signals_at(t), meta={"timeline": timeline})
    save_report(folder)
    res = load_tables(folder)
    co = pd.read_csv(folder / "coactivation.csv", keep_default_na=False, na_values={
        c: [""] for c in res.coactivation.columns if c not in ("side", "driver", "response", "moves", "verdict", "reason")})
    pd.testing.assert_frame_equal(co, res.coactivation, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_csv(folder / "indices.csv"), res.indices, check_dtype=False)
    called = co[co.verdict == "synkinesis"]
    assert ("left", "smile", "eye_closure") in set(zip(called.side, called.driver, called.response))
    # a recording too short to co-activate, without a timeline: no table pretends otherwise
    short = tmp_path / "short"
    write_session(short, t[:90], signals_at(t[:90]))
    save_report(short)
    assert (short / "report.html").is_file()
    assert not (short / "coactivation.csv").exists() and not (short / "indices.csv").exists()


def test_no_warning_reaches_the_terminal_while_writing_pages(session_dir, tmp_path):
    """matplotlib's and NumPy's warnings used to reach the user's terminal."""
    import warnings

    from realtime.reports.progress_page import write_progress
    patient = tmp_path / "patient"
    shutil.copytree(session_dir, patient / "s1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_report(patient / "s1")
        write_progress(patient)
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]


def test_progress_page_shows_texture_indices_and_involuntary_movement_in_clinical_units(session_dir, neck_session,
                                                                                       tmp_path):
    """The progress page reads like the report: the chin-dimpling (mentalis) and neck-band
    (platysma) indices per side in their unit, and each session's involuntary movement as how
    far the response moved (the eye's narrowing in % of its rest opening, the flagged pairs in
    words and units), r only beside it, labelled."""
    from realtime.cli import main
    from realtime.clinical.assessment import format_index
    from realtime.reports.report import load_session, session_couplings, session_scores
    from realtime.signals.units import format_clinical
    patient = tmp_path / "patient"
    for name, src, days in (("s1", session_dir, 60), ("s2", neck_session, 90)):
        shutil.copytree(src, patient / name)
        meta = json.loads((patient / name / "session.json").read_text())
        meta["days_since_onset"] = days
        (patient / name / "session.json").write_text(json.dumps(meta))
    assert main(["progress", str(patient)]) == 0
    page_path = patient / "progress.html"
    page = parse(page_path)
    table = pd.read_csv(patient / "progress.csv")
    shown_texture = 0
    for k, name in enumerate(("s1", "s2")):
        d = load_session(patient / name)
        scores, couplings = session_scores(d), session_couplings(d)
        for side in ("left", "right"):
            for key in ("mentalis", "platysma"):
                v = scores["indices"][side][key]
                cell = page.cell(session=name, col=key, side=side)
                assert cell == (format_index(key, v) or "–"), (name, key, side, cell)
                shown_texture += v is not None
            # smile -> eye closure: the eye's narrowing first, r after it and labelled
            se = next(c for c in couplings if (c["driver"], c["response"], c["side"]) == ("smile", "eye_closure", side))
            size = se["direction"] * se["driver_direction"] * se["amplitude"]   # as seen: as the matrix
            cell = page.cell(session=name, col="smile_eye", side=side)
            assert cell.startswith(format_clinical("eye_closure", size)), cell
            assert cell.endswith(f"r {se['peak_r']:.2f}") and cell.count("r ") == 1, cell
            assert table[f"smile_eye_closure_fissure_fraction_{side}"][k] == pytest.approx(size, abs=1e-4)
    # the neck session's indices are shown (brow raise: both texture indices scored), not dashes
    assert shown_texture >= 4
    # the flagged pairs in words and units (as on the report), r last
    flagged = next(c for c in session_couplings(load_session(patient / "s1"))
                   if c["synkinesis"] and (c["driver"], c["response"], c["side"]) == ("smile", "eye_closure", "left"))
    cell = page.cell(session="s1", col="flagged", side="left")
    assert f"eye narrows with smile: {format_clinical('eye_closure', flagged['amplitude'])}" in cell, cell
    assert cell.endswith(f"(r {flagged['peak_r']:.2f})") or f"(r {flagged['peak_r']:.2f})" in cell, cell
    neck = page.cell(session="s2", col="flagged", side="left")
    assert "neck bands show with brow raise:" in neck and "× rest" in neck, neck
    # the plot over time names the units it draws, r is no axis of it
    (alt,) = [a["alt"] for tag, a in page.tags if tag == "img" and a.get("alt", "").startswith("progress over time")]
    assert "% of the rest eye opening" in alt and "× the skin's texture contrast at rest" in alt, alt
    assert "peak r" not in alt, alt
    # the clinician's summary lists the texture indices per side too
    summary = (patient / "progress-summary.html").read_text()
    for label in ("chin dimpling (mentalis)", "neck bands (platysma)"):
        assert summary.count(label) == 2, label


def test_an_analysis_without_a_timeline_still_shows_resting_symmetry(analysed, tmp_path):
    """``analyze`` keeps each side's resting features in its baseline: the report of a plain
    analysis (no tasks, so no task scores) shows the resting symmetry from them."""
    _, out, _ = analysed("report_left", synkinesis="left", **DEMO)
    d = tmp_path / "plain"
    shutil.copytree(out, d)
    html = write_report(d).read_text()
    assert "Resting symmetry not available" not in html
    overall = re.search(r"data-rest='overall'>([^<]*)<", html)
    assert overall and 80 <= float(overall.group(1)) <= 100, overall    # the demo face is nearly symmetric


def test_a_matrix_cell_tells_the_way_the_response_moved_with_its_driver():
    """In a pucker the "smile" signal goes down and the cheek with it (r > 0): the cell says the
    cheek went down (negative), not up."""
    pucker = Coupling("smile", "cheek_raise", "left", peak_r=0.99, lag_s=0.0, gain=0.4, amplitude=0.02,
                      synkinesis=False, driver_direction=-1).to_json()
    _, size, _ = coupling_matrix([pucker])
    assert size[0, S["smile"], S["cheek_raise"]] < 0
    smile = {**pucker, "driver_direction": 1}
    assert coupling_matrix([smile])[1][0, S["smile"], S["cheek_raise"]] > 0


def test_a_row_is_named_for_the_movement_its_driver_made_on_that_side():
    """The "smile" signal going down (a pucker) names its row on that side "mouth corner down and
    in", and a flagged pair reads as it moved (the brow down with it), with the signals kept for
    a tooltip; a driver that only jittered (no cell written) keeps its signal's name."""
    pulled = Coupling("smile", "brow_raise", "right", peak_r=0.95, lag_s=0.1, gain=0.5, amplitude=0.05,
                      synkinesis=True, driver_direction=-1).to_json()
    jitter = Coupling("pucker", "chin", "right", peak_r=0.2, lag_s=0.0, gain=0.1, amplitude=0.001,
                      synkinesis=False, driver_direction=-1).to_json()
    rows = driver_rows([pulled, jitter])
    assert rows[1][S["smile"]] == "mouth corner down and in" and rows[1][S["pucker"]] == "pucker"
    assert rows[0][S["smile"]] == "smile"                     # the other side: nothing says otherwise
    (row,) = flagged_rows([pulled])
    assert (row["driver"], row["moves"], row["signals"]) == ("mouth corner down and in", "brow down",
                                                             "smile -> brow_raise")


def test_every_task_asked_for_gets_a_row_that_says_what_was_found_or_why_not():
    """A flagged pair, a plain "none flagged", undecided pairs with why, a window too short to
    score, and a session whose co-activation is refused: each task reads differently, and rest
    has no row."""
    flagged = Coupling("smile", "eye_closure", "left", peak_r=0.95, lag_s=0.15, gain=0.5, amplitude=0.2,
                       synkinesis=True, driver_direction=1).to_json()
    clear = {**flagged, "synkinesis": False, "verdict": "none"}
    few = {**clear, "driver": "pucker", "verdict": "undecided",
           "reason": "not enough data: the pucker made 1 distinct movement(s), 2 needed"}
    tasks = ["rest", "smile_open", "eye_gentle", "pucker", "brow_raise"]
    scores = {"task_coactivation": {"smile_open": [flagged], "eye_gentle": [clear], "pucker": [few]}}
    rows = {r["task"]: r for r in task_rows(tasks, scores, None)}
    assert [r for r in rows] == ["Open smile", "Gentle eye closure", "Lip pucker", "Brow raise"]
    assert rows["Open smile"]["note"] == "" and rows["Open smile"]["flagged"][0]["moves"] == "eye narrows"
    assert rows["Gentle eye closure"] == {"task": "Gentle eye closure", "flagged": [], "note": "none flagged"}
    assert rows["Lip pucker"]["note"].startswith("none flagged; 1 pair(s) undecided: too few distinct movements")
    assert rows["Brow raise"]["note"].startswith("not judged: too few measured frames")
    refused = task_rows(tasks, scores, "only 2.0 s of measured face")
    assert all(r["note"].startswith("not judged") and not r["flagged"] for r in refused) and len(refused) == 4


def test_the_progress_page_signs_smile_eye_as_the_matrix_does():
    """The eye's size with the smile signed as seen (``Coupling.as_seen``): where the "smile"
    signal's larger movements went down (the corner drawn in), an eye that closes with the signal
    (r > 0) widened as the corner went in: negative on the progress page as in the matrix."""
    from realtime.reports.progress_page import coactivation_strength
    down = Coupling("smile", "eye_closure", "left", peak_r=0.9, lag_s=0.1, gain=0.5, amplitude=0.2,
                    synkinesis=False, driver_direction=-1).to_json()
    up = {**down, "side": "right", "driver_direction": 1}
    got = coactivation_strength([down, up])
    _, size, _ = coupling_matrix([down, up])
    assert got["left"]["smile_eye_size"] == pytest.approx(-0.2) and got["right"]["smile_eye_size"] == pytest.approx(0.2)
    assert 100 * got["left"]["smile_eye_size"] == pytest.approx(size[0, S["smile"], S["eye_closure"]])
