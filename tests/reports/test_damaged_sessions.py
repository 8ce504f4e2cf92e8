"""Short, faceless, damaged and killed sessions: ``report`` says what is wrong in one line (or
warns on a page it can still make), and the progress page lists what it cannot read and shows
the rest. Sessions written by the real SessionWriter."""

from __future__ import annotations

import json
import os
import time

import pytest

from realtime.cli import main
from realtime.sinks.session import STALE_S
from tests.reports.pages import parse
from tests.reports.synthetic import full_rate_times, signals_at, write_session


def short_session(folder, rows=28):
    t = full_rate_times()[:rows]
    write_session(folder, t, signals_at(t))


def good_session(folder):
    t = full_rate_times()
    write_session(folder, t, signals_at(t), meta={"start": "2025-02-01T10:00:00Z"})


def error_lines(capsys) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def test_a_short_session_gets_a_page_with_a_warning(tmp_path, capsys):
    short_session(tmp_path / "s")
    assert main(["report", str(tmp_path / "s")]) == 0
    err = error_lines(capsys)
    assert err and err[0].startswith("warning: Too few measured frames: 28 frames (0.9 s)")
    page = parse(tmp_path / "s" / "report.html")
    text = (tmp_path / "s" / "report.html").read_text()
    assert "Too few measured frames" in text and "data-refusal='coactivation'" in text
    assert page.cell(quality="Frames") == "28"


def test_a_session_without_a_face_says_so(tmp_path, capsys):
    t = full_rate_times()[:300]
    write_session(tmp_path / "s", t, None)
    assert main(["report", str(tmp_path / "s")]) == 0
    err = error_lines(capsys)
    assert any(ln.startswith("warning: No face was measured in any of the 300 frames") for ln in err)
    text = (tmp_path / "s" / "report.html").read_text()
    assert "No face was measured in any of the 300 frames" in text
    assert parse(tmp_path / "s" / "report.html").cell(quality="Frames with a face") == "0"


def test_a_session_killed_before_its_first_row_says_so(tmp_path, capsys):
    write_session(tmp_path / "s", full_rate_times()[:0], None)
    assert main(["report", str(tmp_path / "s")]) == 0
    assert "warning: frames.csv holds no frames" in capsys.readouterr().err
    assert "frames.csv holds no frames" in (tmp_path / "s" / "report.html").read_text()


@pytest.mark.parametrize("damage, expected", [
    (lambda d: (d / "session.json").write_text('["a", "list"]'), "session.json is not a session description"),
    (lambda d: (d / "session.json").write_text('{"status": "rec'), "session.json cannot be read"),
    (lambda d: (d / "frames.csv").write_text("this,is,not\n1,2,3\n"), "frames.csv cannot be read"),
    (lambda d: (d / "assessment.json").write_text('{"tasks": []}'), "assessment.json is not an assessment"),
    (lambda d: (d / "summary.json").write_text("[1, 2]"), "summary.json is not a file of this program"),
], ids=["session-list", "session-cut", "frames-header", "assessment-shape", "summary-list"])
def test_a_damaged_file_gives_one_line_error(tmp_path, capsys, damage, expected):
    short_session(tmp_path / "s", rows=60)
    damage(tmp_path / "s")
    assert main(["report", str(tmp_path / "s")]) == 2
    err = error_lines(capsys)
    assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0], err
    assert "restore" in err[0] or "run.py assess" in err[0]        # says what to do
    assert not (tmp_path / "s" / "report.html").exists()


def test_progress_lists_unreadable_sessions_and_shows_the_rest(tmp_path):
    patient = tmp_path / "patient"
    good_session(patient / "good")
    short_session(patient / "short")
    short_session(patient / "list")
    (patient / "list" / "session.json").write_text("[]")
    short_session(patient / "garbled")
    (patient / "garbled" / "frames.csv").write_bytes(b"\xff\xfe\x00garbage")
    assert main(["progress", str(patient)]) == 0
    page = parse(patient / "progress.html")
    text = (patient / "progress.html").read_text()
    shown = [a["data-session"] for tag, a in page.tags if tag == "tr" and "data-session" in a]
    assert sorted(shown) == ["good", "short"]
    skipped = {a["data-skipped"] for tag, a in page.tags if tag == "li" and "data-skipped" in a}
    assert skipped == {"list", "garbled"}
    assert "session.json is not a session description" in text and "frames.csv cannot be read" in text
    notes = {c["text"] for c in page.cells if c["attrs"].get("data-col") == "notes"}
    assert any("no co-activation: only 0.9 s of measured face" in n for n in notes)


def age(folder, seconds):
    """Files last written ``seconds`` ago (what a killed recording looks like later)."""
    old = time.time() - seconds
    for p in folder.iterdir():
        os.utime(p, (old, old))


def killed_session(folder):
    """A recording whose process died without closing it: a child writes rows and exits."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            t = full_rate_times()
            write_session(folder, t, signals_at(t), meta={"start": "2025-03-01T10:00:00Z"}, close=False)
            time.sleep(1.0)           # the writer thread has flushed every row
            code = 0
        finally:
            os._exit(code)            # killed: no close()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert json.loads((folder / "session.json").read_text())["status"] == "recording"


def test_a_killed_session_shows_as_interrupted_on_every_page(tmp_path, capsys):
    patient = tmp_path / "patient"
    good_session(patient / "done")
    killed_session(patient / "killed")
    age(patient / "killed", STALE_S + 5)
    assert main(["report", str(patient / "killed")]) == 0
    assert any("This recording was interrupted" in ln for ln in error_lines(capsys))
    page = parse(patient / "killed" / "report.html")
    status = [a for tag, a in page.tags if "data-status" in a]
    assert [a["data-status"] for a in status] == ["interrupted"]
    assert "This recording was interrupted" in (patient / "killed" / "report.html").read_text()
    assert main(["progress", str(patient)]) == 0
    cells = {c["attrs"]["data-status"] for c in parse(patient / "progress.html").cells
             if c["attrs"].get("data-col") == "status"}
    assert cells == {"interrupted", "complete"}


def test_a_session_still_being_written_is_shown_as_recording(tmp_path):
    t = full_rate_times()
    w = write_session(tmp_path / "s", t, signals_at(t), close=False)
    try:
        time.sleep(0.7)
        age(tmp_path / "s", STALE_S + 5)    # quiet, but its writer holds the lock
        assert main(["report", str(tmp_path / "s")]) == 0
        page = parse(tmp_path / "s" / "report.html")
        assert [a["data-status"] for tag, a in page.tags if "data-status" in a] == ["recording"]
    finally:
        w.close()
    assert json.loads((tmp_path / "s" / "session.json").read_text())["status"] == "complete"
