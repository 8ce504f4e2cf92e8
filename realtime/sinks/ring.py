"""A fixed-size, thread-safe ring buffer of per-frame signals (T, 2, N_SIGNALS)."""

from __future__ import annotations

import threading

import numpy as np

from realtime.signals.features import SIGNALS


class SignalRing:
    """Holds the last ``capacity`` samples; NaN rows mark frames without a face. ``count``
    only grows, so readers can ask for what arrived since they last looked."""

    def __init__(self, capacity: int = 900):
        self.capacity = capacity
        self._t = np.full(capacity, np.nan)
        self._sig = np.full((capacity, 2, len(SIGNALS)), np.nan)
        self.count = 0
        self._lock = threading.Lock()

    def push(self, t: float, sig: np.ndarray | None) -> None:
        with self._lock:
            i = self.count % self.capacity
            self._t[i] = t
            self._sig[i] = np.nan if sig is None else sig
            self.count += 1

    @property
    def last_time(self) -> float | None:
        """Media time of the newest sample (None when empty)."""
        with self._lock:
            return None if self.count == 0 else float(self._t[(self.count - 1) % self.capacity])

    def _ordered(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        n = min(n, self.count, self.capacity)
        idx = (np.arange(self.count - n, self.count)) % self.capacity
        return self._t[idx].copy(), self._sig[idx].copy()

    def last(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The newest ``n`` samples in time order: times (n,), signals (n, 2, N)."""
        with self._lock:
            return self._ordered(n)

    def since(self, count: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Samples pushed after the reader's ``count`` (at most a buffer's worth) and the new count."""
        with self._lock:
            t, s = self._ordered(self.count - count)
            return t, s, self.count

    def window(self, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """Samples of the last ``seconds`` of media time."""
        with self._lock:
            t, s = self._ordered(self.capacity)
        if len(t) == 0:
            return t, s
        keep = t >= t[-1] - seconds
        return t[keep], s[keep]
