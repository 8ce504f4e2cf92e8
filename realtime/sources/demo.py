"""The built-in demo face as a frame source, rendered on the fly."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from .base import Frame, FrameSource, Pacer
from .demo_face import DemoConfig, DemoFace


LIVE_DEMO = {"seconds": 120.0, "synkinesis": "left", "head_motion": True}


def live_demo_config(**settings) -> DemoConfig:
    """The demo face a live window or recording shows (2 min, left smile-eye synkinesis, head
    motion), with ``settings`` (DemoConfig fields: pattern, affected, rest_droop, movement,
    protocol and timeline, ...) changed."""
    # Built afresh rather than replaced: a config fills in its pattern's own strength and delay,
    # and replace() kept smile-eye's (a pucker-brow-down planted at 0.5 mm instead of 3).
    return DemoConfig(**{**LIVE_DEMO, **settings})


class DemoSource(FrameSource):
    """The demo face rendered on the fly; loops forever when ``loop``. ``config`` defaults to
    ``live_demo_config()``."""

    def __init__(self, config: DemoConfig | None = None, *, realtime: bool = True, loop: bool = True):
        self.config = config or live_demo_config()
        self.face = DemoFace(self.config)
        self.name = "demo"
        self.fps = self.config.fps
        self.live = realtime
        self._index = 0
        self._loop = loop
        self._pacer = Pacer(self.fps) if realtime else None
        self._performance: tuple[DemoFace, int] | None = None   # (face, frame it ends at)

    def perform(self, timeline: list[dict], protocol: str) -> None:
        """From the next frame, the face performs ``timeline`` (times from now: e.g. the weekly
        test the live window prompts), then goes back to what it did before. The head keeps
        its course, so nothing jumps."""
        start = self._index / self.fps
        shifted = [{**e, "start_s": e["start_s"] + start, "end_s": e["end_s"] + start} for e in timeline]
        end = max(e["end_s"] for e in shifted)
        face = DemoFace(dataclasses.replace(self.config, protocol=protocol, timeline=shifted, seconds=end + 1.0))
        face.truth.head[:] = self.face.truth.head[np.arange(face.n_frames) % self.face.n_frames]
        self._performance = (face, int(round(end * self.fps)))

    def read(self) -> Frame | None:
        if not self._loop and self._index >= self.face.n_frames:
            return None
        if self._pacer:
            self._pacer.wait(self._index)
        face = self.face
        if self._performance is not None:
            if self._index < self._performance[1]:
                face = self._performance[0]
            else:
                self._performance = None
        f = Frame(self._index, self._index / self.fps, face.render(self._index), time.perf_counter())
        self._index += 1
        return f
