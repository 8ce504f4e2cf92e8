"""The frame-source interface: ``Frame``, ``FrameSource`` and the errors sources raise.

Every source yields ``Frame`` objects with RGB images as the camera saw them (never mirrored:
mirroring swaps the model's left and right; the display mirrors, the measurement does not).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


class SourceError(RuntimeError):
    """A source cannot be opened or has stopped delivering frames. The message says what to do."""


class SourceLost(SourceError):
    """A live source (camera) stopped mid-session."""


@dataclass
class Frame:
    index: int
    timestamp_s: float     # media time from the source's start
    image: np.ndarray      # (H, W, 3) uint8 RGB
    captured: float        # time.perf_counter() when the frame was obtained


class FrameSource:
    name = "source"
    fps = 30.0
    live = False           # True: frames arrive in real time and cannot be re-read

    def read(self) -> Frame | None:
        """The next frame, or None at the end of a finite source."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        while (f := self.read()) is not None:
            yield f


class Pacer:
    """Holds frames back to their media time (for files and the demo played live)."""

    def __init__(self, fps: float):
        self.period = 1.0 / fps
        self.start: float | None = None

    def wait(self, index: int) -> None:
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        delay = self.start + index * self.period - now
        if delay > 0:
            time.sleep(delay)
