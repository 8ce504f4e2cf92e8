"""Crash-safe session folders: ``SessionWriter`` writes what a recording measured.

A session folder (mode 0o700; every file 0o600) holds:

- ``session.json``: who/what/when (written atomically at ``start`` so a killed session still
  has it, rewritten by ``update_meta`` and at ``close`` with end time and frame counts);
- ``frames.csv``: one row per measured frame, columns as ``framefile.HEADER``;
- ``events.csv``: ``start_s,end_s,driver,response,side,peak``, one row per co-activation episode;
- ``video.mkv`` (optional): the raw frames. Matroska, not MP4: an MP4 file is unreadable until
  its index is written at the end, so a killed recording would lose all of its video, while a
  Matroska file stays readable up to its last written block (checked in the tests).

Rows are handed to a background thread through a queue, so ``add_frame``/``add_event``/
``add_video_frame`` may be called from a capture thread and never wait for the disk. That thread
flushes and fsyncs the CSV files at least every ``flush_interval_s`` (default 0.5 s) whether or
not new rows arrive: a crash or ``kill -9`` loses at most the last half second, and
``framefile.read_frames`` skips a torn last line.

While it writes, the writer holds an exclusive ``flock`` on ``frames.csv`` (released at ``close``,
and by the kernel when the process dies): ``read_session_meta`` uses it to tell a recording
still under way from one that was killed, whose session.json still says "recording" (see
``resolve_status`` for the rule).

A write error (full disk, folder removed, permissions changed) stops the writer: ``error``
holds a one-line message, later ``add_*`` calls raise ``SessionError`` with it, and everything
flushed before the error stays readable. ``close()`` never raises. OpenCV's video writer reports
no write errors, so the video is guarded by free space instead: below ``video_reserve_bytes``
free, the video stops (``warning`` says so, session.json records it) and the signals go on.

Typical use (e.g. a record button)::

    w = SessionWriter(folder, save_video=True, fps=30)
    w.start({"source": "camera:0", ...})        # raises SessionError if the folder is unusable
    w.add_frame(index, t, sig)                  # sig (2, N_SIGNALS) or None (no face)
    w.add_event(start_s, end_s, "smile", "eye_closure", "left", 0.31)
    meta = w.close(frames_dropped=3)            # extra fields go into session.json
    if w.error: print(w.error)
"""

from __future__ import annotations

import csv
import errno
import json
import os
import queue
import shutil
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

import cv2
import numpy as np

from realtime.files import DIR_MODE, FILE_MODE, atomic_write, fsync_dir
from realtime.sinks.framefile import HEADER, format_row

try:
    import fcntl  # POSIX: the writer's lock tells a live recording from a killed one
except ImportError:  # Windows: readers go by the files' quiet time alone
    fcntl = None

EVENTS_HEADER = ["start_s", "end_s", "driver", "response", "side", "peak"]
FRAMES = "frames.csv"
EVENTS = "events.csv"
META = "session.json"
VIDEO = "video.mkv"
VIDEO_RESERVE_BYTES = 200_000_000   # free space kept for the signal files when saving video
FORMAT_VERSION = 1
RECORDING, INTERRUPTED = "recording", "interrupted"
# A "recording" session whose files have not changed for this long, with no writer holding its
# lock, is taken as interrupted. A live writer flushes every half second while frames arrive;
# the quiet time only matters where the lock cannot be seen (see resolve_status).
STALE_S = 30.0


class SessionError(OSError):
    """The session folder cannot be written. The message is one line and says what to do."""


class SessionFileError(ValueError):
    """A session file exists but cannot be used. The message is one line and says what to do."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def open_private(path: Path) -> TextIO:
    """A new text file readable by its owner only; never overwrites an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    return os.fdopen(fd, "w", newline="", encoding="utf-8")


def describe(exc: OSError, what: Path, folder: Path) -> str:
    """One-line message for a write error."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return f"disk full while writing {what}: recording stopped; what was written before is kept in {folder}"
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {what}: permission denied (choose a folder you can write to with --out)"
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"cannot write {what}: {reason}; recording stopped, what was written before is kept in {folder}"


_STOP = object()


def check_writable(folder: Path) -> None:
    """Fail early (before a model is loaded or downloaded) if ``folder`` cannot be created."""
    probe = Path(folder).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise SessionError(f"cannot write to {probe}: permission denied; choose another --out folder")


class SessionWriter:
    """Writes one session folder. See the module docstring for the format and the contract.

    ``opener(path) -> text file`` creates the CSV files (default ``open_private``); tests
    inject one whose ``write`` fails to simulate a full disk.
    """

    def __init__(self, folder: str | os.PathLike, *, save_video: bool = False, fps: float = 30.0,
                 flush_interval_s: float = 0.5, opener: Callable[[Path], TextIO] | None = None,
                 max_queue: int = 1000, video_reserve_bytes: int = VIDEO_RESERVE_BYTES,
                 free_bytes: Callable[[Path], int] | None = None):
        self.folder = Path(folder)
        self.save_video = save_video
        self.fps = float(fps)
        self.flush_interval_s = float(flush_interval_s)
        self._opener = opener or open_private
        self._q: queue.Queue = queue.Queue(maxsize=max_queue)
        self._meta: dict = {}
        self._meta_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._files: dict[str, TextIO] = {}
        self._csv: dict[str, csv.writer] = {}
        self._video = None
        self._closed = False
        self.error: str | None = None
        self.warning: str | None = None   # a non-fatal problem (the video stopped); rows go on
        self.video_reserve_bytes = int(video_reserve_bytes)
        self._free_bytes = free_bytes or (lambda folder: shutil.disk_usage(folder).free)
        self.frames = 0          # rows handed to the file (counted by the writer thread)
        self.face_frames = 0
        self.events = 0
        self.last_flush: float | None = None   # time.monotonic() of the last successful fsync
        self._lock_fd: int | None = None

    # -- public API ------------------------------------------------------------------------

    def start(self, meta: dict) -> None:
        """Create the folder and files, write session.json, start the writer thread.
        Raises SessionError (an OSError) if the folder cannot be used."""
        try:
            self._make_folder()
            with self._meta_lock:
                self._meta = {"format": "synkinesis-session", "format_version": FORMAT_VERSION,
                              "started": utc_now(), "status": "recording", **meta}
                self._write_meta()
            for name, header in ((FRAMES, HEADER), (EVENTS, EVENTS_HEADER)):
                f = self._opener(self.folder / name)
                self._files[name] = f
                self._csv[name] = csv.writer(f)
                self._csv[name].writerow(header)
            self._lock_fd = _hold_lock(self.folder / FRAMES)
            self._flush()
            fsync_dir(self.folder)
        except SessionError:
            self._close_files()
            self._release_lock()
            raise
        except OSError as exc:
            self._close_files()
            self._release_lock()
            raise SessionError(describe(exc, getattr(exc, "filename", None) or self.folder,
                                        self.folder)) from None
        self._thread = threading.Thread(target=self._run, name="session-writer", daemon=True)
        self._thread.start()

    def add_frame(self, index: int, timestamp_s: float, sig: np.ndarray | None, reason: str = "") -> None:
        """Queue one frames.csv row; sig: (2, N_SIGNALS) activations, or None without a face;
        reason: "" when the frame is measurable, else why not."""
        self._put(("frame", format_row(int(index), float(timestamp_s), sig, reason)))

    def add_event(self, start_s: float, end_s: float, driver: str, response: str, side: str,
                  peak: float) -> None:
        """Queue one events.csv row (an involuntary co-activation episode)."""
        self._put(("event", [f"{start_s:.3f}", f"{end_s:.3f}", driver, response, side, f"{peak:.5f}"]))

    def add_video_frame(self, rgb: np.ndarray) -> None:
        """Queue one RGB frame for the video (ignored unless ``save_video``, or once the video
        has stopped for lack of disk space)."""
        if self.save_video and self.warning is None:
            self._put(("video", rgb))

    def update_meta(self, **fields) -> None:
        """Merge fields into session.json and rewrite it now (atomically)."""
        with self._meta_lock:
            self._meta.update(fields)
            try:
                self._write_meta()
            except OSError as exc:
                self._fail(describe(exc, self.folder / META, self.folder))

    def close(self, **final) -> dict:
        """Flush and close everything, then record end time, counts and ``final`` fields in
        session.json. Returns the final metadata. Never raises; check ``error``."""
        if self._closed:
            return dict(self._meta)
        self._closed = True
        if self._thread is not None:
            self._q.put(_STOP)
            self._thread.join()
        self._close_files()
        status = final.pop("status", "complete")
        with self._meta_lock:
            self._meta.update(final)
            self._meta.update(ended=utc_now(), frames=self.frames, face_frames=self.face_frames,
                              events=self.events,
                              status=f"stopped: {self.error}" if self.error else status)
            if self._meta.get("started"):
                try:
                    self._write_meta()
                except OSError as exc:
                    if self.error is None:
                        self.error = describe(exc, self.folder / META, self.folder)
            # Only now: a reader that sees the lock free must also see the final status.
            self._release_lock()
            return dict(self._meta)

    @property
    def meta(self) -> dict:
        with self._meta_lock:
            return dict(self._meta)

    def __enter__(self) -> "SessionWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------

    def _put(self, item) -> None:
        if self.error is not None:
            raise SessionError(self.error)
        if self._thread is None or self._closed:
            raise RuntimeError("SessionWriter: call start() first; no adds after close()")
        self._q.put(item)

    def _make_folder(self) -> None:
        f = self.folder
        if f.exists():
            if not f.is_dir():
                raise SessionError(f"{f} exists and is not a folder; choose another --out")
            if any((f / n).exists() for n in (META, FRAMES, EVENTS)):
                raise SessionError(f"{f} already holds a recorded session; choose a new --out folder")
            if any(f.iterdir()):
                raise SessionError(f"{f} is not empty: a session goes into a new or empty folder; choose another --out")
            return   # an existing empty folder keeps the permissions its owner gave it
        f.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(f, DIR_MODE)
        os.chmod(f, DIR_MODE)  # undoes the umask

    def _write_meta(self) -> None:
        atomic_write(self.folder / META, lambda f: json.dump(self._meta, f, indent=1, default=_json_default))

    def _flush(self) -> None:
        for f in self._files.values():
            f.flush()
            os.fsync(f.fileno())
        self.last_flush = time.monotonic()

    def _fail(self, message: str) -> None:
        if self.error is None:
            self.error = message

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)   # closing the descriptor releases the flock
            self._lock_fd = None

    def _close_files(self) -> None:
        for f in self._files.values():
            try:
                f.close()
            except OSError:
                pass  # a full disk: unflushed rows are lost, flushed rows are on disk
        self._files.clear()
        if self._video is not None:
            self._video.release()
            self._video = None

    def _open_video(self, shape) -> None:
        path = self.folder / VIDEO
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))  # keeps 0o600
        h, w = shape[:2]
        self._video = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
        if not self._video.isOpened():
            raise OSError(errno.EIO, "OpenCV cannot open an mp4 writer", str(path))

    def _check_video_space(self) -> None:
        free = self._free_bytes(self.folder)
        if free >= self.video_reserve_bytes:
            return
        if self._video is not None:
            self._video.release()
            self._video = None
        seconds = self.frames / self.fps if self.fps > 0 else 0.0
        self.warning = (f"disk almost full ({free / 1e6:.0f} MB free): video saving stopped after "
                        f"{seconds:.0f} s; the signals are still being recorded in {self.folder}")
        with self._meta_lock:
            self._meta["video_stopped"] = self.warning
            try:
                self._write_meta()
            except OSError:
                pass   # written again at close; the rows matter more

    def _handle(self, item) -> None:
        kind, payload = item
        if kind == "frame":
            self._current = FRAMES
            self._csv[FRAMES].writerow(payload)
            self.frames += 1
            self.face_frames += payload[2] == "1"
        elif kind == "event":
            self._current = EVENTS
            self._csv[EVENTS].writerow(payload)
            self.events += 1
        elif kind == "video":
            self._current = VIDEO
            if self.warning is not None:
                return
            if self._video is None:
                self._open_video(payload.shape)
            self._video.write(cv2.cvtColor(payload, cv2.COLOR_RGB2BGR))

    def _run(self) -> None:
        self._current = FRAMES
        dirty = False
        next_flush = time.monotonic() + self.flush_interval_s
        while True:
            try:
                item = self._q.get(timeout=max(0.0, next_flush - time.monotonic()))
            except queue.Empty:
                item = None
            if item is _STOP:
                break
            if self.error is not None:
                continue  # failed: keep draining so producers never block
            try:
                if item is not None:
                    self._handle(item)
                    dirty = True
                if time.monotonic() >= next_flush:
                    if self.save_video and self.warning is None:
                        self._check_video_space()
                    if dirty:
                        self._current = "the session files"
                        self._flush()
                        dirty = False
                    next_flush = time.monotonic() + self.flush_interval_s
            except OSError as exc:
                self._fail(describe(exc, self.folder / self._current, self.folder))
                self._close_files()
        if self.error is None:
            try:
                self._flush()
            except OSError as exc:
                self._fail(describe(exc, self.folder / FRAMES, self.folder))


def _hold_lock(path: Path) -> int | None:
    """An exclusive flock on ``path`` through a descriptor of its own (the CSV file object may
    be closed early by a write error, the lock must last until ``close``). None where locks do
    not exist or the file system refuses them: readers then go by the quiet time."""
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def writer_alive(folder: str | os.PathLike) -> bool | None:
    """True while a SessionWriter holds ``folder``'s lock, False when none does, None when
    this cannot be told (no flock here, or no frames.csv)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(Path(folder) / FRAMES, os.O_RDONLY)
    except OSError:
        return None
    try:
        # A shared lock: two readers never take each other for a writer.
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)
    return False


def last_written(folder: str | os.PathLike) -> float | None:
    """Newest modification time (epoch seconds) of the session's files, None if none exists."""
    times = []
    for name in (META, FRAMES, EVENTS, VIDEO):
        try:
            times.append((Path(folder) / name).stat().st_mtime)
        except OSError:
            continue
    return max(times, default=None)


def resolve_status(folder: str | os.PathLike, meta: dict, *, now: float | None = None,
                   stale_s: float = STALE_S) -> dict:
    """``meta`` as read from ``folder``/session.json, with a dead recording marked.

    Rule: a session whose status is "recording" is interrupted when no process holds the
    writer's lock on frames.csv and none of its files changed for ``stale_s`` seconds. The
    lock alone would do on a local disk (the kernel drops it when the writer dies, even on
    ``kill -9`` or a crash); the quiet time also covers writers that hold no lock (older
    versions, Windows, file systems without flock), which touch frames.csv every half second
    while they live. A writer that is in fact alive rewrites session.json when it closes, so a
    wrong mark cannot outlast it.

    The mark is written back to session.json (atomically, owner-only) so every later reader
    agrees; where the folder is read-only only the returned dict carries it."""
    if meta.get("status") != RECORDING:
        return meta
    folder = Path(folder)
    written = last_written(folder)
    now = time.time() if now is None else now
    if writer_alive(folder) or written is None or now - written < stale_s:
        return meta
    out = {**meta, "status": INTERRUPTED,
           "status_note": "the recording program ended without closing the session: killed, crashed "
                          "or powered off",
           "interrupted_detected": utc_now()}
    out.setdefault("ended", datetime.fromtimestamp(written, timezone.utc).isoformat(timespec="seconds"))
    try:
        atomic_write(folder / META, lambda f: json.dump(out, f, indent=1, default=_json_default))
    except OSError:
        pass  # a read-only copy: the page still shows the status, the file keeps its own
    return out


def read_session_meta(folder: str | os.PathLike) -> dict | None:
    """``folder``/session.json as a dict with its status resolved (``resolve_status``); None
    when the file does not exist. Raises SessionFileError when it cannot be used."""
    path = Path(folder) / META
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SessionFileError(f"{path} cannot be read ({reason}): restore it from a backup, or move it "
                               "away to use the frames alone") from None
    if not isinstance(meta, dict):
        raise SessionFileError(f"{path} is not a session description (a JSON object expected, found "
                               f"{_json_kind(meta)}): restore it from a backup, or move it away to use the "
                               "frames alone")
    return resolve_status(folder, meta)


def _json_kind(v) -> str:
    return {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(v), "a number")


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
