"""A camera (OpenCV device index) as a frame source; media time is the capture clock."""

from __future__ import annotations

import time

import cv2

from .base import Frame, FrameSource, SourceError, SourceLost


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
