"""What a batch analyses: the videos named by folders, glob patterns, single files and CSV
manifests, each with what is known of its subject, and the folder its results go to.

Everything here is checked before any video is measured; a bad input is one ``InputError``
line that says what to do. A video that exists but cannot be read is *not* an input error: it
becomes its own error row while the batch goes on (jobs/batch_task.py).

A manifest is a CSV file (UTF-8, header row) with the columns

    path               the video; relative paths are relative to the manifest's folder
    subject            optional: a pseudonymous code (letters, digits, . _ -), never a name
    days_since_onset   optional: whole days since the palsy's onset, 0 or more
    affected_side      optional: left or right, the subject's own side

Only ``path`` is required; any other column is refused (a misspelt column would silently
lose its data). Blank lines and lines whose first cell starts with ``#`` are skipped.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from realtime import subjects
from realtime.jobs.inputs import InputError

MANIFEST_SUFFIX = ".csv"
MANIFEST_COLUMNS = ("path", "subject", "days_since_onset", "affected_side")
# Files a folder or glob contributes (a file named on the command line is taken whatever its name).
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".3gp", ".mkv", ".webm", ".avi", ".ts", ".mts",
                            ".m2ts", ".mpg", ".mpeg", ".vob", ".flv", ".ogv", ".ogg", ".wmv", ".asf",
                            ".y4m"})
_GLOB_CHARS = re.compile(r"[*?\[]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NAME_STEM_CHARS = 48   # readable part of a video's results folder name


@dataclass(frozen=True)
class BatchItem:
    """One video of a batch and what is known of its subject."""
    video: Path                      # resolved path
    subject: str | None = None
    days_since_onset: int | None = None
    affected_side: str | None = None  # "left" / "right" (the subject's own side)

    @property
    def name(self) -> str:
        """Its results folder's name: readable, safe on every file system, and the same on every
        run for the same file (so a resumed batch finds its earlier results), distinct for two
        files of the same name in different folders."""
        stem = _UNSAFE.sub("_", self.video.stem).strip("._-")[:NAME_STEM_CHARS] or "video"
        digest = hashlib.sha256(str(self.video).encode("utf-8", "surrogateescape")).hexdigest()[:10]
        return f"{stem}-{digest}"


def collect(inputs: list[str], *, exclude: Path | None = None) -> list[BatchItem]:
    """The videos of ``inputs`` (folders searched recursively, globs, files, ``*.csv``
    manifests), each once, in the order given (a folder's and a glob's in sorted order).
    Files under ``exclude`` (the batch's own output folder) are left out."""
    items: dict[Path, BatchItem] = {}
    if not inputs:
        raise InputError("no inputs: give video files, folders, glob patterns or a CSV manifest")
    for given in inputs:
        for item in _expand(given, exclude):
            old = items.get(item.video)
            if old is None or old == BatchItem(item.video):
                items[item.video] = item
            elif item != old and item != BatchItem(item.video):
                raise InputError(f"{item.video} is listed twice with different subject details "
                                 f"({_details(old)} / {_details(item)}): keep one row for it")
    if not items:
        raise InputError(f"no videos found in {' '.join(inputs)} (looked for "
                         f"{', '.join(sorted(VIDEO_SUFFIXES))}): check the paths")
    return list(items.values())


def _details(item: BatchItem) -> str:
    return f"subject={item.subject} days={item.days_since_onset} side={item.affected_side}"


def _expand(given: str, exclude: Path | None) -> list[BatchItem]:
    path = Path(given).expanduser()
    if path.is_dir():
        found = _videos_in(sorted(p for p in path.rglob("*") if p.is_file()), exclude)
        if not found:
            raise InputError(f"no videos in folder {given} (looked for {', '.join(sorted(VIDEO_SUFFIXES))})")
        return found
    if path.is_file():
        if path.suffix.lower() == MANIFEST_SUFFIX:
            return read_manifest(path)
        return [BatchItem(path.resolve())]
    if _GLOB_CHARS.search(given):
        matches = sorted(Path(m) for m in glob.glob(str(path), recursive=True))
        files = [f for m in matches for f in (sorted(m.rglob("*")) if m.is_dir() else [m]) if f.is_file()]
        found = _videos_in(files, exclude)
        if not found:
            raise InputError(f"no videos match {given}: check the pattern (quote it so that the shell "
                             "leaves it to the program, e.g. 'archive/**/*.mp4')")
        return found
    raise InputError(f"{given} does not exist: give video files, folders, glob patterns or a CSV manifest")


def _videos_in(files: list[Path], exclude: Path | None) -> list[BatchItem]:
    out = []
    for f in files:
        r = f.resolve()
        hidden = any(part.startswith(".") for part in f.parts if part not in (".", ".."))
        if f.suffix.lower() in VIDEO_SUFFIXES and not hidden and not (exclude and r.is_relative_to(exclude)):
            out.append(BatchItem(r))
    return out


def read_manifest(path: str | Path) -> list[BatchItem]:
    """The videos a CSV manifest lists (module docstring); InputError for anything unusable,
    with its line number. Every listed video must exist: a typo is found before the work."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise InputError(f"cannot read manifest {path}: it is not UTF-8 text; save it as CSV (UTF-8)") from None
    except csv.Error as exc:
        raise InputError(f"cannot read manifest {path}: not valid CSV ({exc}); save it as CSV (UTF-8)") from None
    except OSError as exc:
        raise InputError(f"cannot read manifest {path}: {exc.strerror or exc}") from None
    numbered = [(n, r) for n, r in enumerate(rows, 1) if any(c.strip() for c in r)
                and not r[0].lstrip().startswith("#")]
    if not numbered:
        raise InputError(f"manifest {path} is empty: give a header row ({','.join(MANIFEST_COLUMNS)}) and one "
                         "row per video")
    header_line, header = numbered[0]
    columns = [c.strip().lower() for c in header]
    unknown = [c for c in columns if c not in MANIFEST_COLUMNS]
    if unknown or "path" not in columns or len(set(columns)) != len(columns):
        what = (f"unknown column {unknown[0]!r}" if unknown else
                "no 'path' column" if "path" not in columns else "a column named twice")
        raise InputError(f"manifest {path} line {header_line}: {what}; the header must name columns among "
                         f"{', '.join(MANIFEST_COLUMNS)} (path required)")
    items, missing = [], []
    for n, row in numbered[1:]:
        if len(row) > len(columns):
            raise InputError(f"manifest {path} line {n}: {len(row)} cells for {len(columns)} columns "
                             "(a comma inside a path needs quotes)")
        cells = dict(zip(columns, (c.strip() for c in row)))
        item = _manifest_item(path, n, cells)
        if not item.video.is_file():
            missing.append(f"line {n}: {cells['path']}")
        items.append(item)
    if missing:
        shown = "; ".join(missing[:3]) + (f"; and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise InputError(f"manifest {path}: {len(missing)} listed video(s) not found ({shown}); fix the paths "
                         "(relative paths are relative to the manifest's folder) or remove the rows")
    if not items:
        raise InputError(f"manifest {path} lists no videos: add one row per video under the header")
    return items


def _manifest_item(manifest: Path, line: int, cells: dict[str, str]) -> BatchItem:
    where = f"manifest {manifest} line {line}"
    if not cells.get("path"):
        raise InputError(f"{where}: the path is empty; give the video's path")
    video = Path(cells["path"]).expanduser()
    video = (video if video.is_absolute() else manifest.parent / video).resolve()
    subject = cells.get("subject") or None
    days = cells.get("days_since_onset") or None
    side = (cells.get("affected_side") or "").lower() or None
    try:
        if subject is not None:
            subjects.subject_code(subject)
    except ValueError as exc:
        raise InputError(f"{where}: subject {subject!r}: {exc}") from None
    try:
        days_n = None if days is None else subjects.days_since_onset(days)
    except ValueError as exc:
        raise InputError(f"{where}: days_since_onset {days!r}: {exc}") from None
    if side is not None and side not in subjects.SIDES_GIVEN:
        raise InputError(f"{where}: affected_side {cells['affected_side']!r}: use left or right (the subject's "
                         "own side), or leave it empty")
    return BatchItem(video, subject, days_n, side)
