"""Capture: frames from a source, either read on demand (as fast as they are measured) or by
a capture thread that keeps only the newest frame (a real-time source: when measuring falls
behind, frames are dropped and counted, never queued, so the signals keep up with the face)."""

from __future__ import annotations

import threading
from typing import Callable

from realtime.sources import Frame, FrameSource

FAST, REAL_TIME = "fast", "real time"


class Capture:
    """``read()`` returns the next frame to measure or None at the end of the source; it raises
    what the source raised (e.g. ``SourceLost``). ``on_frame`` sees every frame the source
    delivered, dropped ones included (on the capture thread in real time)."""

    def __init__(self, source: FrameSource, pace: str, on_frame: Callable[[Frame], None] | None = None):
        self.source = source
        self.pace = pace
        self.on_frame = on_frame
        self.dropped = 0
        self._cv = threading.Condition()
        self._latest: Frame | None = None
        self._done = False
        self._exc: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if pace == REAL_TIME:
            self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                f = self.source.read()
                if f is not None and self.on_frame is not None:
                    self.on_frame(f)
                with self._cv:
                    if f is None:
                        self._done = True
                    else:
                        self.dropped += self._latest is not None
                        self._latest = f
                    self._cv.notify_all()
                if f is None:
                    return
        except BaseException as exc:   # SourceLost, or a sink failing in on_frame
            with self._cv:
                self._exc = exc
                self._done = True
                self._cv.notify_all()

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame; in real time the newest one. With ``timeout`` (real time only) returns
        None early when no frame arrived; check ``ended`` to tell the two apart."""
        if self._thread is None:
            f = self.source.read()
            if f is not None and self.on_frame is not None:
                self.on_frame(f)
            self._done = f is None
            return f
        with self._cv:
            waited = 0.0
            while self._latest is None and not self._done:
                self._cv.wait(0.05)
                waited += 0.05
                if timeout is not None and waited >= timeout:
                    return None
            if self._latest is not None:
                f, self._latest = self._latest, None
                return f
            if self._exc is not None:
                exc, self._exc = self._exc, None
                raise exc
            return None

    @property
    def ended(self) -> bool:
        with self._cv:
            return self._done and self._latest is None and self._exc is None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.source.close()
