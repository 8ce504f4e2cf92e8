"""One row per video of a batch: from the video's summary.json (or its error), and the table of
all rows as ``batch.csv`` and ``batch.parquet``.

The columns are fixed (``COLUMNS``, with their types), so the table of a batch where every
video failed has the same schema as any other. Key figures are given for the two classic
synkinesis pairs on each side: ``smile_eye`` (smile -> eye_closure, oral-ocular) and
``eye_smile`` (eye_closure -> smile, ocular-oral): peak correlation ``r``, ``lag_s`` (positive:
the response follows), ``gain`` (response per unit driver) and the pair's ``verdict``.
"""

from __future__ import annotations

from pathlib import Path

from realtime.files import atomic_write
from realtime.jobs.batch_inputs import BatchItem
from realtime.landmarks import SIDES
from realtime.signals.coactivation import undecided_words
from realtime.signals.units import format_lag

OK, FAILED = "ok", "error"
KEY_PAIRS = {"smile_eye": ("smile", "eye_closure"), "eye_smile": ("eye_closure", "smile")}
KEY_FIGURES = {"r": "peak_r", "lag_s": "lag_s", "gain": "gain", "verdict": "verdict"}

# name -> pandas dtype. Nullable types: an error row leaves the figures empty.
COLUMNS: dict[str, str] = {
    "video": "string", "name": "string", "subject": "string", "days_since_onset": "Int64",
    "affected_side": "string", "status": "string", "error": "string",
    "duration_s": "Float64", "fps": "Float64", "frames": "Int64", "face_frames": "Int64",
    "measured_pct": "Float64", "synkinesis": "string", "synkinesis_pairs": "Int64",
    "synkinesis_left": "Int64", "synkinesis_right": "Int64", "affected_side_flagged": "boolean",
    "undecided_pairs": "Int64", "blink_frames": "Int64", "frames_two_faces": "Int64",
    "rest_start_s": "Float64", "rest_end_s": "Float64", "rest_warning": "string",
    **{f"{key}_{fig}_{side}": ("string" if fig == "verdict" else "Float64")
       for key in KEY_PAIRS for side in SIDES for fig in KEY_FIGURES},
    "folder": "string", "report": "string", "seconds": "Float64", "worker": "string", "finished": "string",
}


def item_fields(item: BatchItem) -> dict:
    return {"video": str(item.video), "name": item.name, "subject": item.subject,
            "days_since_onset": item.days_since_onset, "affected_side": item.affected_side}


def error_row(item: BatchItem, error: str, **extra) -> dict:
    return {**item_fields(item), "status": FAILED, "error": one_line(error), **extra}


def one_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else "failed without a message"


def _pair_text(c: dict) -> str:
    lag = c.get("lag_s")
    when = f" ({format_lag(lag)})" if isinstance(lag, (int, float)) else ""
    return f"{c['side']}: {c['driver']}->{c['response']}{when}"


def verdict_text(summary: dict) -> str:
    """The called pairs; else "none" only when every pair could be decided (a pair lacking the
    data is not a "no": the same rule as ``analyze``'s console line)."""
    flagged = summary.get("synkinesis") or []
    if flagged:
        return "; ".join(_pair_text(c) for c in flagged)
    undecided = summary.get("undecided") or []
    if not undecided:
        return "none"
    return f"undecided ({len(undecided)} of {len(summary.get('coactivation') or [])} pairs): {undecided_words(undecided)}"


def summary_row(item: BatchItem, summary: dict, **extra) -> dict:
    """The row of a video analysed into ``summary`` (summary.json, as analyze writes it)."""
    flagged = summary.get("synkinesis") or []
    sides = [c.get("side") for c in flagged]
    rest = (summary.get("rest") or {})
    stretch = rest.get("rest_stretch_s") or [None, None]
    fps = summary.get("fps")
    row = {**item_fields(item), "status": OK, "error": None,
           "duration_s": round(summary["frames"] / fps, 3) if fps else None, "fps": fps,
           "frames": summary.get("frames"), "face_frames": summary.get("face_frames"),
           "measured_pct": summary.get("measured_pct"),
           "synkinesis": verdict_text(summary),
           "synkinesis_pairs": len(flagged),
           **{f"synkinesis_{s}": sides.count(s) for s in SIDES},
           "affected_side_flagged": None if item.affected_side is None else item.affected_side in sides,
           "undecided_pairs": len(summary.get("undecided") or []),
           "blink_frames": summary.get("blink_frames"),
           "frames_two_faces": (summary.get("faces") or {}).get("frames_with_two_or_more"),
           "rest_start_s": stretch[0], "rest_end_s": stretch[1], "rest_warning": rest.get("warning")}
    by_pair = {(c["driver"], c["response"], c["side"]): c for c in summary.get("coactivation") or []}
    for key, (driver, response) in KEY_PAIRS.items():
        for side in SIDES:
            c = by_pair.get((driver, response, side)) or {}
            for fig, field in KEY_FIGURES.items():
                row[f"{key}_{fig}_{side}"] = c.get(field)
    row.update(extra)
    return row


def frame_of(rows: list[dict]):
    # pandas only where a table is written: a worker never needs it
    import pandas as pd
    df = pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    return df.astype(COLUMNS)


def write_tables(out: Path, rows: list[dict]) -> tuple[Path, Path]:
    """``out``/batch.csv and batch.parquet, each replaced atomically, owner-only."""
    df = frame_of(rows)
    csv_path = atomic_write(out / "batch.csv", lambda f: df.to_csv(f, index=False))
    parquet_path = atomic_write(out / "batch.parquet", lambda f: df.to_parquet(f, index=False), binary=True)
    return csv_path, parquet_path
