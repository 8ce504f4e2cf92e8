"""When a session's rows were measured: rate, gaps, dropped frames, and the rows on a regular grid.

A recording writes one row per frame it measured, not one per frame the camera delivered: it
drops frames when it falls behind, and a slow machine may measure only a few frames a second.
Lags are counted in samples, so the rows are put on a regular grid at the source's rate first
(``signals.resample``, as the live path does), and lags are refused below ``MIN_LAG_FPS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.signals.resample import on_regular_grid

# Synkinetic responses follow their driver by 0.1-0.3 s: rows further apart than 0.1 s cannot
# place that lag, however finely they are interpolated afterwards.
MIN_LAG_FPS = 10.0
# An interval between rows is a gap (no measurement, not a line to interpolate) when it is longer
# than this and than GAP_INTERVALS typical intervals (a slow but steady session has no gaps).
GAP_S = 0.25
GAP_INTERVALS = 2.5


@dataclass(frozen=True)
class Timing:
    rows: int
    measured_rows: int            # rows with a face inside the measurable envelope
    duration_s: float
    source_fps: float | None      # the rate the source delivers frames at
    source_fps_known: bool        # False: estimated from the timestamps
    measured_fps: float | None    # rows written per second
    dropped: int | None           # source frames with no row
    longest_gap_s: float | None   # longest stretch with no measured face, beyond one frame

    @property
    def lags_ok(self) -> bool:
        return self.measured_fps is not None and self.measured_fps >= MIN_LAG_FPS

    @property
    def dropped_pct(self) -> float | None:
        if self.dropped is None or self.dropped + self.rows == 0:
            return None
        return 100.0 * self.dropped / (self.dropped + self.rows)

    @property
    def measured_s(self) -> float:
        """Seconds of measured face at the measured rate."""
        return self.measured_rows / self.measured_fps if self.measured_fps else 0.0


def typical_interval(t: np.ndarray) -> float | None:
    dt = np.diff(t)
    dt = dt[dt > 0]
    return float(np.median(dt)) if len(dt) else None


def gap_threshold(t: np.ndarray) -> float:
    typical = typical_interval(t)
    return max(GAP_S, GAP_INTERVALS * typical) if typical else GAP_S


def timing_of(t: np.ndarray, measured: np.ndarray, source_fps: float | None) -> Timing:
    """``t`` (n,) increasing seconds of the rows; ``measured`` (n,) bool; ``source_fps`` from
    session.json/summary.json when known, else estimated from the typical interval."""
    n = len(t)
    duration = float(t[-1] - t[0]) if n > 1 else 0.0
    known = bool(source_fps and source_fps > 0)
    if not known:
        typical = typical_interval(t)
        source_fps = 1.0 / typical if typical else None
    measured_fps = (n - 1) / duration if duration > 0 else None
    dropped = longest = None
    if source_fps:
        dropped = max(0, round(duration * source_fps) + 1 - n) if n else 0
        ends = np.r_[t[0], t[measured], t[-1]] if n else np.zeros(0)
        longest = max(0.0, float(np.max(np.diff(ends), initial=0.0)) - 1.0 / source_fps)
        if n and not measured.any():
            longest = duration
    return Timing(rows=n, measured_rows=int(measured.sum()), duration_s=duration, source_fps=source_fps,
                  source_fps_known=known, measured_fps=measured_fps, dropped=dropped, longest_gap_s=longest)


def increasing(t: np.ndarray) -> np.ndarray:
    """Mask of the rows whose timestamp is finite and later than every row before it: a clock
    that jumps back would otherwise fold the recording onto itself."""
    ok = np.isfinite(t)
    before = np.maximum.accumulate(np.where(ok, t, -np.inf))
    later = np.r_[True, t[1:] > before[:-1]] if len(t) else ok
    return ok & later


def on_grid(t: np.ndarray, sig: np.ndarray, timing: Timing) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows (NaN where not measured) on a regular grid at the source rate; gaps stay NaN.
    None with fewer than two measured rows."""
    if not timing.source_fps:
        return None
    return on_regular_grid(t, sig, timing.source_fps, max_gap_s=gap_threshold(t))
