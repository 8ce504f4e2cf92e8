"""Decoding ahead of the reader: a source's frames decoded on a thread of the source's own while
the frames before them are being measured (the decoder releases the GIL), kept in a bounded
queue so memory stays at ``depth`` frames whatever the video's length."""

from __future__ import annotations

import queue
import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class ReadAhead(Generic[T]):
    """Calls ``read`` on its own thread, up to ``depth`` results ahead of ``next()``. ``read``
    returns None at the end; what it raises is raised by the ``next()`` that reaches it. After
    the end, and after ``close()``, ``next()`` returns None. ``close()`` stops the thread (a
    ``read`` under way finishes first) and must come before whatever ``read`` uses is released."""

    def __init__(self, read: Callable[[], T | None], depth: int, name: str = "read-ahead"):
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, int(depth)))
        self._stop = threading.Event()
        self._ended = False
        self._thread = threading.Thread(target=self._run, args=(read,), name=name, daemon=True)
        self._thread.start()

    def _run(self, read: Callable[[], T | None]) -> None:
        try:
            while not self._stop.is_set():
                item = read()
                if not self._put((item, None)) or item is None:
                    return
        except BaseException as exc:  # handed to the reader, who decides what it means
            self._put((None, exc))

    def _put(self, entry) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def next(self) -> T | None:
        while not self._ended:
            try:
                item, exc = self._queue.get(timeout=0.1)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():   # stopped: nothing more comes
                    self._ended = True
        else:
            return None
        if exc is not None or item is None:
            self._ended = True
        if exc is not None:
            raise exc
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._ended = True                 # frames decoded but not taken are dropped
        while not self._queue.empty():
            self._queue.get_nowait()
