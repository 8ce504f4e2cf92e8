"""Frame sources behind one interface: camera, video file, and the built-in demo face.

Every source yields ``Frame`` objects with RGB images as the camera saw them (never mirrored:
mirroring swaps the model's left and right; the display mirrors, the measurement does not).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .demo_face import DemoConfig, DemoFace


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


class _Pacer:
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


class VideoFileSource(FrameSource):
    def __init__(self, path: str | Path, *, realtime: bool = False):
        self.path = Path(path)
        self.name = str(path)
        if not self.path.is_file():
            raise SourceError(f"video not found: {self.path} (check the path)")
        self._cap = cv2.VideoCapture(str(self.path))
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok:
            self._cap.release()
            raise SourceError(f"cannot read video {self.path}: not a video file or a codec "
                              "OpenCV cannot decode (convert it to mp4/H.264)")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1 <= fps <= 1000 else 30.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.size = (first.shape[1], first.shape[0])
        self._pending = first
        self._index = 0
        self._pacer = _Pacer(self.fps) if realtime else None

    def read(self) -> Frame | None:
        if self._pending is not None:
            bgr, self._pending = self._pending, None
        else:
            ok, bgr = self._cap.read()
            if not ok:
                return None
        if self._pacer:
            self._pacer.wait(self._index)
        f = Frame(self._index, self._index / self.fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
                  time.perf_counter())
        self._index += 1
        return f

    def close(self) -> None:
        self._cap.release()


class CameraSource(FrameSource):
    live = True

    def __init__(self, index: int = 0, *, width: int = 640, height: int = 480):
        self.name = f"camera:{index}"
        # OpenCV logs its own "camera index out of range" lines before we can say it plainly.
        previous = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        try:
            self._cap = cv2.VideoCapture(index)
        finally:
            cv2.utils.logging.setLogLevel(previous)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"no camera at index {index} (check it is connected and not used "
                              "by another program, or use --source demo)")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1 <= fps <= 240 else 30.0
        self._index = 0
        self._t0: float | None = None

    def read(self) -> Frame | None:
        ok, bgr = self._cap.read()
        now = time.perf_counter()
        if not ok or bgr is None:
            raise SourceLost(f"{self.name} stopped sending frames (unplugged?); reconnect it "
                             "or switch to the demo")
        if self._t0 is None:
            self._t0 = now
        f = Frame(self._index, now - self._t0, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), now)
        self._index += 1
        return f

    def close(self) -> None:
        self._cap.release()


class DemoSource(FrameSource):
    """The demo face rendered on the fly; loops forever when ``loop``."""

    def __init__(self, config: DemoConfig | None = None, *, realtime: bool = True, loop: bool = True):
        self.config = config or DemoConfig(seconds=120.0, synkinesis="left", head_motion=True)
        self.face = DemoFace(self.config)
        self.name = "demo"
        self.fps = self.config.fps
        self.live = realtime
        self._index = 0
        self._loop = loop
        self._pacer = _Pacer(self.fps) if realtime else None

    def read(self) -> Frame | None:
        if not self._loop and self._index >= self.face.n_frames:
            return None
        if self._pacer:
            self._pacer.wait(self._index)
        f = Frame(self._index, self._index / self.fps, self.face.render(self._index), time.perf_counter())
        self._index += 1
        return f


def open_source(spec: str, *, realtime: bool = True) -> FrameSource:
    """``camera``, ``camera:N``, ``demo`` or a video file path."""
    if spec == "camera" or spec.startswith("camera:"):
        idx = spec.partition(":")[2] or "0"
        if not idx.isdigit():
            raise SourceError(f"bad camera spec {spec!r}: use camera or camera:N")
        return CameraSource(int(idx))
    if spec == "demo":
        return DemoSource(realtime=realtime)
    return VideoFileSource(spec, realtime=realtime)
