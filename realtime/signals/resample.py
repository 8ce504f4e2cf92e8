"""Irregular live samples on a regular time grid.

Live measurement drops frames when it falls behind and loses the face now and then, so its
samples are irregular in time; cross-correlation lags are counted in samples and need a
regular grid at the source rate. Used by the live co-activation matrix and the recorder's
episode detector, so both see the same signal.
"""

from __future__ import annotations

import numpy as np


def on_regular_grid(t: np.ndarray, sig: np.ndarray, fps: float,
                    max_gap_s: float | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """``t``: (n,) seconds, increasing where finite (NaN: an empty slot, ignored); ``sig``:
    (n, ...) values, NaN where a value is missing (all NaN: no face; one texture signal: its
    region out of view). Returns ``grid`` (m,) at ``fps`` from the first to the last timed
    sample and the values on it, (m, ...): each value linear between the samples that have it,
    NaN where the nearest sample had none (``coactivation.analyse`` bridges short gaps itself).
    ``max_gap_s``: grid points inside an interval between timed samples longer than this are
    NaN too, so a stretch with no samples at all counts as unmeasured rather than as a straight
    line. None if fewer than two samples have any value."""
    t = np.asarray(t, float)
    sig = np.asarray(sig, float)
    timed = np.isfinite(t)
    t, sig = t[timed], sig[timed]
    flat = sig.reshape(len(sig), -1)
    have = np.isfinite(flat)                           # (n, values)
    if have.any(axis=1).sum() < 2:
        return None
    grid = np.arange(t[0], t[-1] + 1e-9, 1.0 / fps)
    after = np.clip(np.searchsorted(t, grid), 1, len(t) - 1)
    nearest = np.where(np.abs(t[after - 1] - grid) <= np.abs(t[after] - grid), after - 1, after)
    res = np.full((len(grid), flat.shape[1]), np.nan)
    for j in range(flat.shape[1]):
        ok = have[:, j]
        if ok.sum() >= 2:
            res[:, j] = np.interp(grid, t[ok], flat[ok, j])
    res[~have[nearest]] = np.nan
    if max_gap_s is not None:
        before = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(t) - 2)
        inside = (grid > t[before] + 1e-9) & (grid < t[before + 1] - 1e-9)
        res[inside & (t[before + 1] - t[before] > max_gap_s)] = np.nan
    return grid, res.reshape((len(grid),) + sig.shape[1:])
