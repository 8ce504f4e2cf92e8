"""A fixed-size, thread-safe ring buffer of per-frame signals (T, 2, N_SIGNALS)."""

from __future__ import annotations

import threading

import numpy as np

from realtime.pipeline.sink import CoactivationUpdate, LoopInfo, MeasuredFrame, Sink
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


class DisplaySink(Sink):
    """What a display needs from the loop, handed over without blocking it: every frame's
    signals in a ``SignalRing``, the newest measured frame in a one-slot mailbox (a display
    that is slower than the loop skips frames), and the newest sliding co-activation."""

    def __init__(self, ring: SignalRing):
        self.ring = ring
        self.latest_coactivation: CoactivationUpdate | None = None
        self.face_ok = False
        self.reason = ""                   # why the newest frame is not measurable ("" if it is)
        self._packet: MeasuredFrame | None = None

    def started(self, info: LoopInfo) -> None:
        self.ring.push(float("nan"), None)   # a gap in the traces between sources

    def measured(self, mf: MeasuredFrame) -> None:
        self.face_ok = mf.face or mf.reason == "calibrating"   # face seen at the calibrator's last look
        self.reason = mf.reason
        self.ring.push(mf.frame.timestamp_s, mf.signals)
        self._packet = mf

    def coactivation(self, update: CoactivationUpdate) -> None:
        self.latest_coactivation = update

    def take(self) -> MeasuredFrame | None:
        """The newest measured frame not yet taken (None if nothing new)."""
        p, self._packet = self._packet, None
        return p
