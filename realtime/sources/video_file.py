"""A video file as a frame source, read as fast as it decodes or paced to its frame rate."""

from __future__ import annotations

import time
from pathlib import Path

import cv2

from .base import Frame, FrameSource, Pacer, SourceError


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
        self._pacer = Pacer(self.fps) if realtime else None

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
