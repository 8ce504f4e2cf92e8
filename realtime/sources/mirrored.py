"""Mirrored input (``--mirrored``): a camera or video that shows the subject as in a mirror.

The measurement names sides after the subject ("left" is the subject's left), which holds for
images as a camera sees them. A mirrored image swaps them, so every frame of such a source is
flipped back before anything else sees it.
"""

from __future__ import annotations

import cv2
import numpy as np

from .base import Frame, FrameSource


def unmirror(image: np.ndarray) -> np.ndarray:
    return cv2.flip(image, 1)


class Unmirrored(FrameSource):
    """Any source (camera, demo) with each frame flipped horizontally."""

    def __init__(self, source: FrameSource):
        self.source = source
        self.name, self.fps, self.live = source.name, source.fps, source.live
        self.mirrored = True

    @property
    def frame_count(self) -> int:
        return int(getattr(self.source, "frame_count", 0) or 0)

    def read(self) -> Frame | None:
        f = self.source.read()
        if f is None:
            return None
        return Frame(f.index, f.timestamp_s, unmirror(f.image), f.captured)

    def close(self) -> None:
        self.source.close()
