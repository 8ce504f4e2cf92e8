"""The output folder of a batch, and where each video of it stands.

    DIR/batch.json            marks the folder as a batch's (written first; a resumed run needs it)
    DIR/videos/<name>/        one video's results, as ``analyze`` writes them (frames.csv,
                              summary.json), its report.html and, last, row.json
    DIR/batch.csv, .parquet   one row per video (jobs/batch_table.py)
    DIR/index.html            links to every video's report (reports/batch_index.py)

**A video is finished when its folder holds row.json**: its row, written after everything else
(ok or error; an ok row counts only beside its summary.json). A folder without it was being
written when the run stopped and is redone, as are the hidden staging folders
(``.<name>.partial-*``) a stopped ``analyze`` leaves beside it.
Folders are created 0700 and files 0600 (health data).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from realtime import __version__
from realtime.files import DIR_MODE, atomic_write_text
from realtime.jobs.batch_inputs import BatchItem
from realtime.sinks.results_folder import SUMMARY, OutputError, check_results_folder

MARKER = "batch.json"
VIDEOS = "videos"
ROW = "row.json"
ERROR_DETAIL = "error.txt"   # the traceback of an unexpected failure (a bug), beside its row
# What a batch writes into its own folder; a folder holding anything else is not a batch's.
BATCH_FILES = (MARKER, VIDEOS, "batch.csv", "batch.parquet", "index.html")

DONE, ERROR, PARTIAL, NEW = "done", "error", "partial", "new"


def check_batch_folder(out: str | os.PathLike) -> Path:
    """``out`` resolved if it can take a batch: a new path, an empty folder or an earlier
    batch's folder (which is resumed); OutputError (one line) otherwise."""
    out = check_results_folder(out)     # a file, unwritable, or a single analysis's results
    if out.is_dir():
        names = sorted(n for n in os.listdir(out) if not n.startswith(".synkinesis-probe-"))
        own = (out / MARKER).is_file()
        other = [n for n in names if n not in BATCH_FILES and not n.startswith(".")]
        if names and not own:
            raise OutputError(f"--out {out} holds other files ({', '.join(names[:3])}"
                              f"{', ...' if len(names) > 3 else ''}) and no earlier batch: choose a new or empty "
                              "folder (or the folder of an earlier batch, to resume it)")
        if other:
            raise OutputError(f"--out {out} holds files that are not the batch's ({', '.join(other[:3])}): "
                              "move them out or choose another folder")
    return out


def open_batch(out: Path) -> None:
    """Create the batch folder (0700) and its marker, unless there already."""
    new = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    if new:
        os.chmod(out, DIR_MODE)
    videos = out / VIDEOS
    if not videos.exists():
        videos.mkdir(mode=DIR_MODE)
    if not (out / MARKER).exists():
        atomic_write_text(out / MARKER, json.dumps({
            "kind": "synkinesis batch", "software": {"name": "synkinesis", "version": __version__},
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "layout": "videos/<name>/ holds one video's results; row.json is written last"}, indent=1))


def video_folder(out: Path, item: BatchItem) -> Path:
    return out / VIDEOS / item.name


def read_row(out: Path, item: BatchItem) -> dict | None:
    """The finished video's row, None if it is not finished (or its row cannot be read)."""
    try:
        row = json.loads((video_folder(out, item) / ROW).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) and row.get("status") in ("ok", "error") else None


def state_of(out: Path, item: BatchItem) -> tuple[str, dict | None]:
    """(DONE or ERROR, its row) for a finished video; (PARTIAL, None) when a run stopped while
    writing it; (NEW, None) when nothing of it is there."""
    row = read_row(out, item)
    folder = video_folder(out, item)
    if row is not None and row["status"] != "ok":
        return ERROR, row
    if row is not None and (folder / SUMMARY).is_file():
        return DONE, row
    if folder.exists() or _staging(out, item):
        return PARTIAL, None
    return NEW, None


def _staging(out: Path, item: BatchItem) -> list[Path]:
    return sorted((out / VIDEOS).glob(f".{item.name}.partial-*"))


def clear(out: Path, item: BatchItem) -> None:
    """Remove what an earlier run left of this video (the whole folder: it is the batch's own)."""
    for p in [video_folder(out, item), *_staging(out, item)]:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def write_row(folder: Path, row: dict) -> None:
    """The row last: from now on the video counts as finished."""
    if not folder.exists():
        folder.mkdir(mode=DIR_MODE)
    atomic_write_text(folder / ROW, json.dumps(row, indent=1))
