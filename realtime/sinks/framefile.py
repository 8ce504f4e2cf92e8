"""The per-frame CSV shared by ``analyze`` and recorded sessions.

Columns: ``frame,timestamp_s,face`` then every ``<signal>_<side>`` (signals.column_names());
signal cells are empty where no face was measured.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from realtime.signals.features import (
    column_names,
    columns_to_signals,
    signals_to_columns,
)

HEADER = ["frame", "timestamp_s", "face"] + column_names()


def format_row(index: int, timestamp_s: float, sig: np.ndarray | None) -> list[str]:
    """One CSV row; sig: (2, N_SIGNALS) or None when there is no face."""
    if sig is None or not np.isfinite(sig).all():
        return [str(index), f"{timestamp_s:.4f}", "0"] + [""] * (len(HEADER) - 3)
    return [str(index), f"{timestamp_s:.4f}", "1"] + [f"{v:.5f}" for v in signals_to_columns(sig)]


def read_frames(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame indices (T,), timestamps (T,), signals (T, 2, N_SIGNALS) with NaN where no
    face). Rows cut short by a crash are skipped."""
    idx, ts, rows = [], [], []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != HEADER:
            raise ValueError(f"{path} is not a frames file of this program (unexpected header)")
        for row in reader:
            if len(row) != len(HEADER):
                continue
            try:
                idx.append(int(row[0]))
                ts.append(float(row[1]))
                rows.append([float(v) if v else np.nan for v in row[3:]])
            except ValueError:
                continue
    cols = np.array(rows, dtype=float).reshape(len(rows), len(HEADER) - 3)
    return np.array(idx, int), np.array(ts, float), columns_to_signals(cols)
