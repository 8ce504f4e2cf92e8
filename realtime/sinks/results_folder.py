"""The output folder of ``analyze`` and ``assess``: checked before any work, written as a set.

Checked first (``check_results_folder``), before a frame is measured: ``--out`` must be a
folder (or a new path) the user can write to, and it must not already hold a recorded session
or results (``RESULT_FILES``) unless ``force``; nothing is ever overwritten without a word.

Written as one set (``ResultSet``): every file goes into a hidden staging folder first, and only
when all of them are complete are they moved in:

- a new ``--out`` folder: the staging folder (created 0700, beside it) is renamed to it, in one
  step; readers see no folder or the whole set;
- an existing folder (its permissions are its owner's and stay as they are): an old
  ``summary.json`` is removed first, the files are moved in one by one (each rename atomic) and
  ``summary.json`` comes last. **A results folder is complete when it holds summary.json**; a
  run stopped while moving leaves a folder without it, never a mix that looks complete.

A run that fails or is interrupted before the move removes its staging folder; the old set
stays untouched. Files are 0600 (health data).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, TextIO

from realtime.files import FILE_MODE, atomic_write, fsync_dir
from realtime.sinks.tables import COACTIVATION_CSV, INDICES_CSV, PROGRESS_CSV

SUMMARY = "summary.json"
SESSION = "session.json"
# What a session or analysis folder holds; a folder holding any of them is not written over
# without --force. Other files (the user's own) are left alone either way.
RESULT_FILES = (SESSION, "frames.csv", "events.csv", SUMMARY, "assessment.json", "timeline.json",
                COACTIVATION_CSV, INDICES_CSV, "report.html", "progress.html", PROGRESS_CSV, "video.mkv")


class OutputError(OSError):
    """``--out`` cannot take the results. One line that says what to do."""


def _nearest_existing(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_results_folder(out: str | os.PathLike, *, force: bool = False) -> Path:
    """Raise OutputError unless ``out`` can take a new set of results; returns it resolved."""
    out = Path(out).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder: choose a folder (new, or one without results)")
    if out.is_dir() and not os.access(out, os.R_OK | os.X_OK):
        raise OutputError(f"cannot look into --out {out}: permission denied; choose another folder")
    if out.is_dir():
        held = [n for n in RESULT_FILES if (out / n).exists()]
        if held and not force:
            if SESSION in held:
                raise OutputError(f"--out {out} holds a recorded session (session.json): writing there would "
                                  "replace its frames.csv; choose a new --out folder")
            raise OutputError(f"--out {out} already holds results ({', '.join(held)}): choose a new --out "
                              "folder, or add --force to replace them")
        where = out
    else:
        where = _nearest_existing(out)
        if not where.is_dir():
            raise OutputError(f"cannot create --out {out}: {where} is a file, not a folder")
    _probe_writable(where)
    return out


def _probe_writable(folder: Path) -> None:
    """Create and remove a hidden folder in ``folder``: permissions alone do not tell (root
    ignores them; a read-only or special file system refuses anyway)."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".synkinesis-probe-", dir=folder))
    except OSError as exc:
        why = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
        raise OutputError(f"cannot write to {folder}: {why}; choose another --out folder") from None


class ResultSet:
    """Write files into a staging folder; ``commit`` moves them into ``out`` (module docstring).
    As a context manager: commits when the block ends normally, discards on an exception."""

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)
        self._existed = self.out.is_dir()
        if self._existed:
            self.staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.out))
        else:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.partial-", dir=self.out.parent))
        self.names: list[str] = []

    def write(self, name: str, write: Callable[[TextIO], object]) -> None:
        atomic_write(self.staging / name, write, mode=FILE_MODE)
        self.names.append(name)

    def write_text(self, name: str, text: str) -> None:
        self.write(name, lambda f: f.write(text))

    def commit(self) -> Path:
        if not self._existed and not self.out.exists():
            os.rename(self.staging, self.out)     # mkdtemp made it 0700
            fsync_dir(self.out.parent)
            return self.out
        summary = self.out / SUMMARY
        if summary.exists():
            summary.unlink()
        for name in sorted(self.names, key=lambda n: n == SUMMARY):
            os.replace(self.staging / name, self.out / name)
        fsync_dir(self.out)
        self.discard()
        return self.out

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> "ResultSet":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            if exc_type is None:
                self.commit()
        finally:
            self.discard()
