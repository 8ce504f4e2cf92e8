"""Online co-activation episodes: when a pair starts and stops being called synkinesis.

Stateful but pure NumPy (no I/O, no threads): fed one frame of signals at a time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from realtime.landmarks import SIDES
from realtime.signals.coactivation import (
    Coupling,
    analyse,
    min_amplitude,
)
from realtime.signals.features import SIGNALS, S, face_measured
from realtime.signals.resample import on_regular_grid


@dataclass
class Episode:
    driver: str
    response: str
    side: str
    start_s: float
    end_s: float
    peak: float          # the response's largest movement its own way (>= 0 once active)
    direction: int = 1   # which way the response moves (+1 its positive way; -1 e.g. brow down)

    @property
    def signed_peak(self) -> float:
        """The peak as a signal value (negative for a response that moves the opposite way)."""
        return self.direction * self.peak


# The sliding co-activation: the last WINDOW_S seconds, analysed every EVERY_S seconds of media
# time once MIN_WINDOW_S seconds are in (shorter stretches give unstable lags).
WINDOW_S = 10.0
EVERY_S = 1.0
MIN_WINDOW_S = 4.0


class EpisodeDetector:
    """Online co-activation episodes.

    Every ``every_s`` seconds of media time, ``coactivation.analyse`` runs on the last
    ``window_s`` seconds of signals (resampled to the source rate, so dropped frames do not
    distort lags). A pair (driver -> response, side) flagged as synkinesis opens an episode;
    the episode stays open while later analyses keep flagging the pair and closes at the
    first analysis that does not (or at ``finish``).

    ``start_s``: first time in the window at which the response was active (above
    ``k_noise`` rest-noise SDs and half the smallest visible movement: a quiet tracker's tiny
    rest offsets are not an onset) when the pair was first flagged, never before the end of the
    previous episode of the same pair; ``end_s``: last time the response was active while the
    episode was open; ``peak``: the response's highest activation during the episode, in its
    signal's units (e.g. eye closure as a fraction of the rest eye opening).
    """

    def __init__(self, fps: float, noise: np.ndarray, *, max_range: np.ndarray | None = None,
                 window_s: float = WINDOW_S, every_s: float = EVERY_S, min_window_s: float = MIN_WINDOW_S,
                 k_noise: float = 4.0):
        self.fps = float(fps)
        self.noise = np.maximum(np.asarray(noise, float), 1e-4)
        self.max_range = max_range
        # The newest sliding analysis: (couplings, seconds analysed); the live matrix shows it.
        self.latest: tuple[list[Coupling], float] | None = None
        self.window_s, self.every_s, self.min_window_s, self.k = window_s, every_s, min_window_s, k_noise
        self._t: deque[float] = deque()
        self._sig: deque[np.ndarray] = deque()
        self._next = None
        self._open: dict[tuple[str, str, str], Episode] = {}
        self._last_end: dict[tuple[str, str, str], float] = {}
        self.analyses = 0

    def feed(self, t: float, sig: np.ndarray | None) -> list[Episode]:
        """Add one frame (sig None: no face); returns episodes that closed."""
        self._t.append(float(t))
        self._sig.append(np.full((2, len(SIGNALS)), np.nan) if sig is None else np.asarray(sig, float))
        while self._t and self._t[0] < t - self.window_s:
            self._t.popleft()
            self._sig.popleft()
        if self._next is None:
            self._next = self._t[0] + self.min_window_s
        if t < self._next:
            return []
        self._next = t + self.every_s
        return self._step(t)

    def finish(self) -> list[Episode]:
        """Close every open episode (end of recording)."""
        out = list(self._open.values())
        for key, ep in self._open.items():
            self._last_end[key] = ep.end_s
        self._open.clear()
        return out

    def _window(self) -> tuple[np.ndarray, np.ndarray] | None:
        t = np.array(self._t)
        sig = np.array(self._sig)
        face = face_measured(sig)
        if face.sum() < 0.5 * self.min_window_s * min(self.fps, 10.0) or t[-1] - t[0] < self.min_window_s:
            return None
        return on_regular_grid(t, sig, self.fps)

    def _step(self, now: float) -> list[Episode]:
        w = self._window()
        if w is None:
            return []
        grid, sig = w
        self.analyses += 1
        couplings, _ = analyse(sig, self.fps, self.noise, max_range=self.max_range)
        self.latest = (couplings, float(grid[-1] - grid[0]))
        direction = {(c.driver, c.response, c.side): c.direction for c in couplings if c.synkinesis}
        flagged = set(direction)
        closed = []
        for key in list(self._open):
            if key not in flagged:
                ep = self._open.pop(key)
                self._last_end[key] = ep.end_s
                closed.append(ep)
        for key in flagged:
            driver, response, side = key
            si, ri = SIDES.index(side), S[response]
            resp = direction[key] * sig[:, si, ri]   # the response's own way (a brow pulled down)
            level = max(self.k * self.noise[si, ri], 0.5 * min_amplitude(response))
            active = np.isfinite(resp) & (resp > level)
            ep = self._open.get(key)
            if ep is None:
                cand = grid[active & (grid > self._last_end.get(key, -np.inf))]
                if not len(cand):
                    continue   # correlated, but the region never visibly did its own movement
                start = float(cand[0])
                ep = self._open[key] = Episode(driver, response, side, start, start, float("-inf"))
            sel = grid >= ep.start_s
            if np.any(sel & active):
                ep.end_s = max(ep.end_s, float(grid[sel & active][-1]))
            vals = resp[sel]
            if np.isfinite(vals).any():
                ep.peak = max(ep.peak, float(np.nanmax(vals)))
            ep.direction = direction[key]
        return closed
