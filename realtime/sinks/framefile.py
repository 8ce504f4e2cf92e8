"""The per-frame CSV shared by ``analyze`` and recorded sessions.

Columns: ``frame,timestamp_s,face`` then every ``<signal>_<side>`` (signals.column_names()),
then ``quality,reason``. Signal cells are empty where no face was measured, and a texture
signal's cell where its region was out of view (features.TEXTURE). ``quality`` is 1
where the frame lies inside the measurable envelope (tracking/quality.py) and 0 where it does
not; ``reason`` says why not ("turned", "too small", "occluded", ...). Frames with quality 0
keep their signal values (to look at) but are left out of co-activation. Files written before
the quality columns existed are read too.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from realtime.signals.features import (
    column_names,
    columns_to_signals,
    face_measured,
    signals_to_columns,
)

SIGNAL_HEADER = ["frame", "timestamp_s", "face"] + column_names()
HEADER = SIGNAL_HEADER + ["quality", "reason"]
_N_SIG = len(SIGNAL_HEADER) - 3


def format_row(index: int, timestamp_s: float, sig: np.ndarray | None, reason: str = "") -> list[str]:
    """One CSV row; sig: (2, N_SIGNALS) or None when there is no face; reason: "" when the frame
    is measurable, else why not."""
    head = [str(index), f"{timestamp_s:.4f}"]
    if sig is None or not face_measured(sig):
        return head + ["0"] + [""] * _N_SIG + ["0", reason or "no face"]
    return (head + ["1"] + [f"{v:.5f}" if np.isfinite(v) else "" for v in signals_to_columns(sig)]
            + ["0" if reason else "1", reason])


def read_frames(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame indices (T,), timestamps (T,), signals (T, 2, N_SIGNALS) with NaN where no
    face). Rows cut short by a crash are skipped."""
    idx, ts, sig, _ = read_frames_with_quality(path)
    return idx, ts, sig


def read_frames_with_quality(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """As ``read_frames``, plus each frame's reason (T,) str: "" where measurable (files from
    before the quality columns: "" where a face was measured, else "no face")."""
    idx, ts, rows, reasons = [], [], [], []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header not in (HEADER, SIGNAL_HEADER):
            raise ValueError(f"{path} is not a frames file of this program (unexpected header)")
        for row in reader:
            if len(row) != len(header):
                continue
            try:
                values = [float(v) if v else np.nan for v in row[3:3 + _N_SIG]]
                i, t = int(row[0]), float(row[1])
            except ValueError:
                continue
            idx.append(i)
            ts.append(t)
            rows.append(values)
            reasons.append(row[-1] if len(header) == len(HEADER) else ("" if row[2] == "1" else "no face"))
    cols = np.array(rows, dtype=float).reshape(len(rows), _N_SIG)
    return np.array(idx, int), np.array(ts, float), columns_to_signals(cols), np.array(reasons, dtype=object)
