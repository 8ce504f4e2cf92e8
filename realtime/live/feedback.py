"""Biofeedback rules as plain functions: the "keep below" band of the region that must stay
still, and a counter of clean repetitions of the practised movement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realtime.signals.coactivation import MOVES_BOTH_WAYS, min_amplitude
from realtime.signals.features import SIGNALS


@dataclass(frozen=True)
class Band:
    limit: float        # activation the still region must stay below
    how: str            # where the limit comes from, for the user


def keep_below(noise: np.ndarray, max_range: np.ndarray | None, side: int, signal: int, *,
               k: float = 4.0, fraction: float = 0.25, floor: float | None = None) -> Band:
    """Limit for one side/signal: ``fraction`` of the voluntary maximum when the profile has
    it, otherwise ``k`` rest-noise SDs, but never below ``floor`` (default: the smallest
    clinically visible movement of that signal, so that tracking jitter alone never turns
    the gauge red and discourages a patient)."""
    if floor is None:
        name = SIGNALS[signal]
        floor = min_amplitude(name)
    if max_range is not None and np.isfinite(max_range[side, signal]) and max_range[side, signal] > 0:
        limit, how = float(fraction * max_range[side, signal]), f"{fraction:.0%} of max range"
    else:
        sd = noise[side, signal] if np.isfinite(noise[side, signal]) else 0.0   # NaN: region never in view
        limit, how = float(k * max(sd, 1e-3)), f"rest noise x {k:g}"
    if limit < floor:
        return Band(floor, "smallest visible movement")
    return Band(limit, how)


def still_movement(value: float, signal: str) -> float:
    """How far the still region moved from rest, the way that counts as a leak: either way for a
    region synkinesis pulls both ways (a brow pulled down with each pucker, ``MOVES_BOTH_WAYS``),
    else its own way only (an eye opening wider is no leak)."""
    return abs(value) if signal in MOVES_BOTH_WAYS else value


class RepCounter:
    """A repetition starts when the practised signal rises above ``on`` and ends when it
    falls below ``on / 2`` (hysteresis); it is clean if the still region never crossed its
    band meanwhile."""

    def __init__(self) -> None:
        self.total = 0
        self.clean = 0
        self.active = False
        self._dirty = False

    def update(self, practised: float, on: float, still_over: bool) -> str | None:
        """Feed one frame; returns "clean" or "leaked" when a repetition ends, else None."""
        if not np.isfinite(practised):
            return None
        if not self.active:
            if practised > on:
                self.active, self._dirty = True, still_over
            return None
        self._dirty |= still_over
        if practised < on / 2:
            self.active = False
            self.total += 1
            if not self._dirty:
                self.clean += 1
                return "clean"
            return "leaked"
        return None

    def reset(self) -> None:
        self.__init__()


class BlinkGate:
    """Tells a blink from a leak of the watched eye: both eyes over their bands, for no
    longer than a blink lasts (~0.5 s). A longer bilateral closure is real activation."""

    def __init__(self, max_s: float = 0.5):
        self.max_s = max_s
        self._since: float | None = None

    def update(self, t: float, this_over: bool, other_over: bool) -> bool:
        if this_over and other_over:
            if self._since is None:
                self._since = t
            return t - self._since <= self.max_s
        self._since = None
        return False
