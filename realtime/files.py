"""Writing files so that a crash never leaves a half-written one, readable by the owner only
(session data is health data)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable, TextIO

FILE_MODE = 0o600
DIR_MODE = 0o700


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[TextIO], object], *,
                 mode: int = FILE_MODE, binary: bool = False) -> Path:
    """Write a file through ``write(f)`` into a temporary file beside it, fsync it and rename it
    over ``path``: readers see the old file or the new one, never a mix. ``f`` is a UTF-8 text
    file, or a binary one with ``binary``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="", encoding="utf-8")) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike, text: str, *, mode: int = FILE_MODE) -> Path:
    return atomic_write(path, lambda f: f.write(text), mode=mode)


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
