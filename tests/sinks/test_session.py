"""SessionWriter: format, permissions, flush interval, full disk, unwritable folder (no model)."""

from __future__ import annotations

import csv
import errno
import json
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from realtime.signals.features import SIGNALS
from realtime.sinks.framefile import read_frames
from realtime.sinks.session import (
    EVENTS_HEADER,
    STALE_S,
    SessionError,
    SessionFileError,
    SessionWriter,
    open_private,
    read_session_meta,
    writer_alive,
)

REPO = Path(__file__).resolve().parents[2]


def _sig(i: int) -> np.ndarray:
    return np.full((2, len(SIGNALS)), 0.001 * i)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_roundtrip_and_permissions(tmp_path):
    folder = tmp_path / "a" / "session"
    w = SessionWriter(folder, flush_interval_s=0.2)
    w.start({"source": "demo", "subject_id": "P01"})
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "recording" and meta["subject_id"] == "P01" and meta["started"]
    for i in range(50):
        w.add_frame(i, i / 30, None if i % 10 == 3 else _sig(i))
    w.add_event(1.0, 2.5, "smile", "eye_closure", "left", 0.31)
    w.update_meta(calibration={"mode": "auto from first seconds"})
    meta = w.close(frames_dropped=0)
    assert w.error is None
    assert meta["frames"] == 50 and meta["face_frames"] == 45 and meta["events"] == 1
    assert json.loads((folder / "session.json").read_text())["status"] == "complete"
    idx, ts, sig = read_frames(folder / "frames.csv")
    assert list(idx) == list(range(50))
    assert np.isnan(sig[3]).all() and np.allclose(sig[4], 0.004)
    rows = list(csv.reader(open(folder / "events.csv")))
    assert rows[0] == EVENTS_HEADER and rows[1][2:5] == ["smile", "eye_closure", "left"]
    assert _mode(folder) == 0o700
    for name in ("session.json", "frames.csv", "events.csv"):
        assert _mode(folder / name) == 0o600, name
    assert not list(folder.glob(".*tmp"))
    with pytest.raises(SessionError, match="already holds"):
        SessionWriter(folder).start({})


def test_rows_reach_disk_within_flush_interval(tmp_path):
    w = SessionWriter(tmp_path / "s", flush_interval_s=0.5)
    w.start({})
    for i in range(30):
        w.add_frame(i, i / 30, _sig(i))
    t0 = time.monotonic()
    # Without close(), another reader must see every row within the interval (+ margin).
    while time.monotonic() - t0 < 1.0:
        if len(read_frames(tmp_path / "s" / "frames.csv")[0]) == 30:
            break
        time.sleep(0.02)
    seen = time.monotonic() - t0
    assert len(read_frames(tmp_path / "s" / "frames.csv")[0]) == 30, "rows not flushed within 1 s"
    assert seen <= 0.8
    w.close()


class _FullDisk:
    """A text file whose writes start failing with ENOSPC after ``budget`` characters."""

    def __init__(self, f, budget: int):
        self._f, self.budget = f, budget

    def write(self, s: str) -> int:
        if len(s) > self.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.budget -= len(s)
        return self._f.write(s)

    def __getattr__(self, name):
        return getattr(self._f, name)


def test_full_disk_stops_cleanly_and_keeps_flushed_rows(tmp_path):
    folder = tmp_path / "s"

    def opener(path: Path):
        f = open_private(path)
        return _FullDisk(f, 20_000) if path.name == "frames.csv" else f

    w = SessionWriter(folder, flush_interval_s=0.1, opener=opener)
    w.start({})
    i, t0 = 0, time.monotonic()
    with pytest.raises(SessionError) as info:
        while time.monotonic() - t0 < 10:
            w.add_frame(i, i / 30, _sig(i))
            i += 1
            if i % 20 == 0:
                time.sleep(0.12)  # let the writer flush between bursts
    msg = str(info.value)
    assert "disk full" in msg and "\n" not in msg
    assert w.error == msg
    meta = w.close()  # never raises
    assert meta["status"].startswith("stopped: disk full")
    idx, _, _ = read_frames(folder / "frames.csv")
    assert len(idx) >= 60 and list(idx) == list(range(len(idx)))  # flushed rows survive, in order
    assert json.loads((folder / "session.json").read_text())["status"].startswith("stopped")


def _in_child(fn) -> tuple[int, str]:
    """Run fn() -> int in a forked child (as nobody when we are root: chmod does not stop
    root) with stdout/stderr captured; returns (exit code, output)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 99
        try:
            os.close(r)
            os.dup2(w, 1)
            os.dup2(w, 2)
            sys.stdout = sys.stderr = open(w, "w", closefd=False)  # pytest replaced them
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            code = fn()
        except BaseException as exc:  # noqa: BLE001 - report anything to the parent
            print(f"child raised {type(exc).__name__}: {exc}")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


@pytest.fixture
def readonly_dir():
    base = Path(tempfile.mkdtemp(prefix="synk-ro-"))  # not under pytest's 0700 tmp root
    os.chmod(base, 0o755)
    ro = base / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    yield ro
    os.chmod(ro, 0o755)
    for p in sorted(base.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    base.rmdir()


def _start(target: Path) -> int:
    try:
        SessionWriter(target).start({})
    except SessionError as e:
        print(e)
        return 3
    return 0


def test_unwritable_folder_gives_one_line_error(readonly_dir):
    for target in (readonly_dir / "session", readonly_dir):
        code, out = _in_child(lambda: _start(target))
        assert code == 3, out
        assert "permission denied" in out and out.count("\n") == 1, out
    assert list(readonly_dir.iterdir()) == []
    # The command fails before loading the model: exit 2, one "error:" line. Import what it
    # needs first (nobody cannot read this interpreter's standard library).
    import realtime.jobs.record  # noqa: F401
    from realtime.cli import build_parser, main
    from realtime.sources import open_source
    build_parser()
    open_source("demo").close()
    code, out = _in_child(lambda: main(["record", "demo", "--out", str(readonly_dir / "s"),
                                        "--duration", "1"]))
    assert code == 2, out
    lines = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "permission denied" in lines[0], out


def _frame(i: int) -> np.ndarray:
    # Sensor-like noise keeps the bitrate camera-like, so the encoder's output buffer (256 KB,
    # what a kill can lose) holds a few frames rather than the whole clip.
    return np.random.default_rng(i).integers(0, 256, (240, 320, 3), dtype=np.uint8)


def _count_video_frames(path: Path) -> int:
    import cv2
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_video_of_a_killed_recording_stays_readable(tmp_path):
    folder = tmp_path / "s"

    def record_then_die() -> int:
        w = SessionWriter(folder, save_video=True, fps=30, flush_interval_s=0.1)
        w.start({})
        for i in range(150):
            w.add_frame(i, i / 30, _sig(i))
            w.add_video_frame(_frame(i))
            time.sleep(1 / 60)
        time.sleep(0.5)            # the writer has handed every frame to the encoder
        os._exit(0)                # killed: no close(), no index written at the end

    code, out = _in_child_as_is(record_then_die)
    assert code == 0, out
    rows = len(read_frames(folder / "frames.csv")[0])
    frames = _count_video_frames(folder / "video.mkv")
    assert rows == 150
    assert frames >= 120, f"only {frames} of 150 video frames readable after a kill"


def _in_child_as_is(fn) -> tuple[int, str]:
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            code = fn()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), ""


def test_video_stops_before_the_disk_fills_and_signals_go_on(tmp_path):
    free = {"bytes": 10**9}
    w = SessionWriter(tmp_path / "s", save_video=True, fps=30, flush_interval_s=0.05,
                      video_reserve_bytes=200_000_000, free_bytes=lambda folder: free["bytes"])
    w.start({})
    for i in range(60):
        w.add_frame(i, i / 30, _sig(i))
        w.add_video_frame(_frame(i))
    time.sleep(0.3)
    assert w.warning is None
    free["bytes"] = 150_000_000                     # the disk is nearly full
    t0 = time.monotonic()
    while w.warning is None and time.monotonic() - t0 < 5:
        time.sleep(0.05)
    assert w.warning and "disk almost full" in w.warning and "\n" not in w.warning
    for i in range(60, 120):                        # rows are still taken; video frames ignored
        w.add_frame(i, i / 30, _sig(i))
        w.add_video_frame(_frame(i))
    meta = w.close()
    assert w.error is None and meta["status"] == "complete"
    assert meta["frames"] == 120 and meta["video_stopped"] == w.warning
    assert len(read_frames(tmp_path / "s" / "frames.csv")[0]) == 120
    assert 30 <= _count_video_frames(tmp_path / "s" / "video.mkv") <= 60


def _age(folder: Path, seconds: float) -> None:
    old = time.time() - seconds
    for p in folder.iterdir():
        os.utime(p, (old, old))


def test_a_killed_recording_is_marked_interrupted_on_the_next_read(tmp_path):
    folder = tmp_path / "s"

    def record_then_die() -> int:
        w = SessionWriter(folder, flush_interval_s=0.1)
        w.start({"subject_id": "P01"})
        for i in range(30):
            w.add_frame(i, i / 30, _sig(i))
        time.sleep(0.4)
        os._exit(0)                # killed: no close()

    code, out = _in_child_as_is(record_then_die)
    assert code == 0, out
    # Just killed: nothing tells it from a writer between two flushes yet on a lockless disk,
    # so it stays "recording" for the quiet time.
    assert read_session_meta(folder)["status"] == "recording"
    _age(folder, STALE_S + 1)
    meta = read_session_meta(folder)
    assert meta["status"] == "interrupted" and meta["ended"] and meta["subject_id"] == "P01"
    on_disk = json.loads((folder / "session.json").read_text())
    assert on_disk["status"] == "interrupted"
    assert _mode(folder / "session.json") == 0o600
    assert read_session_meta(folder)["status"] == "interrupted"


def test_a_live_writer_holds_its_session_open_however_quiet(tmp_path):
    w = SessionWriter(tmp_path / "s")
    w.start({})
    w.add_frame(0, 0.0, _sig(0))
    time.sleep(0.7)
    _age(tmp_path / "s", STALE_S + 60)
    assert writer_alive(tmp_path / "s") is True
    assert read_session_meta(tmp_path / "s")["status"] == "recording"
    w.close()
    assert writer_alive(tmp_path / "s") is False
    assert read_session_meta(tmp_path / "s")["status"] == "complete"


def test_without_locks_the_quiet_time_decides_and_close_corrects_a_wrong_mark(tmp_path, monkeypatch):
    from realtime.sinks import session
    monkeypatch.setattr(session, "fcntl", None)      # as on Windows
    w = SessionWriter(tmp_path / "s")
    w.start({})
    assert writer_alive(tmp_path / "s") is None
    assert read_session_meta(tmp_path / "s")["status"] == "recording"   # written just now
    _age(tmp_path / "s", STALE_S + 1)                 # a writer stalled for longer than that
    assert read_session_meta(tmp_path / "s")["status"] == "interrupted"
    w.close()                                         # it was alive after all: its close rewrites
    assert read_session_meta(tmp_path / "s")["status"] == "complete"


def test_a_session_json_that_is_not_an_object_is_one_line_error(tmp_path):
    (tmp_path / "session.json").write_text("[1, 2]")
    with pytest.raises(SessionFileError) as info:
        read_session_meta(tmp_path)
    assert "not a session description" in str(info.value) and "\n" not in str(info.value)
    assert read_session_meta(tmp_path / "nowhere") is None
