"""Output folders: results never overwrite a session or older results without --force, are
swapped in as one set, and a session only goes into a new or empty folder whose permissions
the program leaves alone unless it created it."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from realtime.sinks import results_folder
from realtime.sinks.results_folder import OutputError, ResultSet, check_results_folder
from realtime.sinks.session import SessionError, SessionWriter
from realtime.sinks.session_folder import check_session_folder


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _old_set(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "frames.csv").write_text("old frames\n")
    (folder / "summary.json").write_text('{"old": true}')


def test_a_session_or_results_folder_is_refused_unless_forced(tmp_path):
    session = tmp_path / "session"
    session.mkdir()
    (session / "session.json").write_text("{}")
    (session / "frames.csv").write_text("recorded\n")
    with pytest.raises(OutputError, match="holds a recorded session.*new --out"):
        check_results_folder(session)
    check_results_folder(session, force=True)
    results = tmp_path / "results"
    _old_set(results)
    with pytest.raises(OutputError, match=r"already holds results \(frames.csv, summary.json\).*--force"):
        check_results_folder(results)
    check_results_folder(results, force=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_results_folder(tmp_path / "file")
    with pytest.raises(OutputError, match="is a file"):
        check_results_folder(tmp_path / "file" / "sub")
    mine = tmp_path / "mine"                        # the user's own files are no results
    mine.mkdir()
    (mine / "notes.txt").write_text("x")
    check_results_folder(mine)
    check_results_folder(tmp_path / "new" / "deeper")
    assert not (tmp_path / "new").exists()          # checking creates nothing


def test_a_new_folder_appears_with_the_whole_set_at_once(tmp_path):
    out = tmp_path / "a" / "out"
    with ResultSet(out) as rs:
        rs.write_text("frames.csv", "f\n")
        assert not out.exists()                     # nothing visible until every file is written
        rs.write_text("summary.json", "{}")
    assert sorted(p.name for p in out.iterdir()) == ["frames.csv", "summary.json"]
    assert _mode(out) == 0o700 and all(_mode(p) == 0o600 for p in out.iterdir())
    assert [p.name for p in out.parent.iterdir()] == ["out"]    # no staging folder left


def test_an_existing_folder_keeps_its_permissions_and_other_files(tmp_path):
    out = tmp_path / "shared"
    out.mkdir()
    os.chmod(out, 0o755)
    (out / "notes.txt").write_text("mine")
    with ResultSet(out) as rs:
        rs.write_text("frames.csv", "f\n")
        rs.write_text("summary.json", "{}")
    assert _mode(out) == 0o755 and (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["frames.csv", "notes.txt", "summary.json"]


def test_a_failed_run_leaves_the_old_set_untouched(tmp_path):
    out = tmp_path / "out"
    _old_set(out)
    with pytest.raises(RuntimeError):
        with ResultSet(out) as rs:
            rs.write_text("frames.csv", "new frames\n")
            raise RuntimeError("interrupted while writing")
    assert (out / "frames.csv").read_text() == "old frames\n"
    assert json.loads((out / "summary.json").read_text()) == {"old": True}
    assert sorted(p.name for p in out.iterdir()) == ["frames.csv", "summary.json"]


def test_a_swap_stopped_halfway_leaves_no_summary(tmp_path, monkeypatch):
    """The rule: a results folder is complete when it holds summary.json (removed first when a
    set is replaced, moved in last). A failure between the moves leaves none."""
    out = tmp_path / "out"
    _old_set(out)
    real_replace = os.replace

    def fail_on_summary(src, dst):
        if Path(dst) == out / "summary.json":      # the move into place, not the staging write
            raise OSError(28, "No space left on device")
        real_replace(src, dst)
    monkeypatch.setattr(results_folder.os, "replace", fail_on_summary)
    with pytest.raises(OSError):
        with ResultSet(out) as rs:
            rs.write_text("frames.csv", "new frames\n")
            rs.write_text("summary.json", "{}")
    assert not (out / "summary.json").exists()
    assert sorted(p.name for p in out.iterdir()) == ["frames.csv"]


def _as_nobody(fn) -> int:
    """fn() in a forked child, as nobody when we are root (root ignores permissions)."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            code = fn()
        except BaseException as exc:  # noqa: BLE001 - the parent only sees the exit code
            print(f"child raised {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture
def readonly_dir():
    base = Path(tempfile.mkdtemp(prefix="synk-ro-"))       # not under pytest's 0700 tmp root
    os.chmod(base, 0o755)
    ro = base / "ro"
    ro.mkdir(mode=0o555)
    os.chmod(ro, 0o555)
    yield ro
    os.chmod(ro, 0o755)
    ro.rmdir()
    base.rmdir()


def test_an_unwritable_out_is_refused_before_any_work(readonly_dir):
    def check() -> int:
        try:
            check_results_folder(readonly_dir / "out")
        except OutputError as exc:
            return 3 if "permission denied" in str(exc) and "--out" in str(exc) else 4
        return 0
    assert _as_nobody(check) == 3
    assert not any(readonly_dir.iterdir())


def test_a_session_goes_only_into_a_new_or_empty_folder(tmp_path):
    shared = tmp_path / "shared"              # like /tmp: world-writable, sticky, someone's file in it
    shared.mkdir()
    os.chmod(shared, 0o1777)
    (shared / "theirs.txt").write_text("not yours")
    with pytest.raises(SessionError, match="not empty.*new or empty folder"):
        check_session_folder(shared)
    with pytest.raises(SessionError, match="not empty"):
        SessionWriter(shared).start({})
    assert _mode(shared) == 0o1777 and [p.name for p in shared.iterdir()] == ["theirs.txt"]

    empty = tmp_path / "empty"                # not created by the program: permissions stay
    empty.mkdir()
    os.chmod(empty, 0o750)
    check_session_folder(empty)
    w = SessionWriter(empty)
    w.start({})
    w.close()
    assert _mode(empty) == 0o750 and _mode(empty / "session.json") == 0o600

    new = tmp_path / "new" / "session"        # created by the program: owner only
    check_session_folder(new)
    w = SessionWriter(new)
    w.start({})
    w.close()
    assert _mode(new) == 0o700
    (tmp_path / "f").write_text("x")
    with pytest.raises(SessionError, match="is a file"):
        check_session_folder(tmp_path / "f")
