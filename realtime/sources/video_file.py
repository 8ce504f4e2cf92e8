"""A video file as a frame source, read as fast as it decodes or paced to its frame rate, and
``probe_video``: what a video holds (frame rate, frames, duration), known before measuring."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from .base import Frame, FrameSource, Pacer, SourceError
from .container import check_container
from .mirrored import unmirror
from .read_ahead import ReadAhead

MIN_FPS, MAX_FPS = 1.0, 1000.0
MAX_DURATION_S = 24 * 3600.0   # longer is no recording of a face but a broken header


def _header_frames(cap: cv2.VideoCapture) -> float:
    n = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    return n if math.isfinite(n) else -1.0


class VideoFileSource(FrameSource):
    """``mirrored``: flip every frame horizontally (a video recorded as in a mirror).
    ``frame_count`` is the header's count, 0 when the header gives none that can be believed
    (``probe_video`` then counts). ``reopen()`` gives another pass over the same file, read the
    same way or as fast as it decodes (the loop pre-scans a file for its rest stretch before the
    main pass).
    ``read_ahead``: frames decoded ahead on a thread of the source's own while the caller
    measures the ones before (read_ahead.py); 0 decodes in ``read()`` itself, as a paced
    (``realtime``) source always does."""

    def __init__(self, path: str | Path, *, realtime: bool = False, mirrored: bool = False,
                 read_ahead: int = 0):
        self.mirrored = bool(mirrored)
        self._read_ahead = 0 if realtime else max(0, int(read_ahead))
        self._ahead: ReadAhead[Frame] | None = None
        self.path = Path(path)
        self._realtime = realtime
        self.name = str(path)
        if not self.path.is_file():
            raise SourceError(f"video not found: {self.path} (check the path)")
        self.container = check_container(self.path)
        # FFmpeg only: other backends (GStreamer, image sequences) read names their own way.
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok:
            self._cap.release()
            raise SourceError(f"cannot read video {self.path}: not a video file or a codec "
                              "OpenCV cannot decode (convert it to mp4/H.264)")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        if not (math.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
            self._cap.release()
            said = "gives no frame rate" if not (math.isfinite(fps) and fps > 0) else f"says {fps:g} frames a second"
            raise SourceError(f"cannot use video {self.path}: its header {said}, which cannot be "
                              "right; re-encode it with its real frame rate (e.g. ffmpeg -i IN -r 30 OUT.mp4)")
        self.fps = float(fps)
        n = _header_frames(self._cap)
        if n > MAX_DURATION_S * self.fps:
            self._cap.release()
            raise SourceError(f"cannot use video {self.path}: its header says {n:.0f} frames "
                              f"({n / self.fps / 3600:.0f} h), which cannot be right; re-encode it")
        self.frame_count = int(n) if n >= 1 else 0
        self.size = (first.shape[1], first.shape[0])
        self._pending = first
        self._index = 0
        self._pacer = Pacer(self.fps) if realtime else None

    def _next_bgr(self):
        if self._pending is not None:
            bgr, self._pending = self._pending, None
            return bgr
        ok, bgr = self._cap.read()
        return bgr if ok else None

    def reopen(self, *, realtime: bool | None = None) -> "VideoFileSource":
        """Another pass over the file, read the same way unless ``realtime`` says otherwise (a
        video played in real time is pre-scanned as fast as it decodes)."""
        paced = self._realtime if realtime is None else realtime
        return VideoFileSource(self.path, realtime=paced, mirrored=self.mirrored,
                               read_ahead=0 if paced else self._read_ahead)

    def read(self) -> Frame | None:
        if not self._read_ahead:
            return self._decode()
        if self._ahead is None:
            self._ahead = ReadAhead(self._decode, self._read_ahead, name="decode")
        return self._ahead.next()

    def _decode(self) -> Frame | None:
        bgr = self._next_bgr()
        if bgr is None:
            return None
        if self._pacer:
            self._pacer.wait(self._index)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        f = Frame(self._index, self._index / self.fps, unmirror(rgb) if self.mirrored else rgb,
                  time.perf_counter())
        self._index += 1
        return f

    def count_frames(self, limit: int) -> int:
        """Frames from here to the end, decoded but not converted, up to ``limit`` (this uses
        the source up; not after ``read()`` on a source that reads ahead)."""
        n = 0
        if self._pending is not None:
            self._pending, n = None, 1
        while n < limit and self._cap.grab():
            n += 1
        return n

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.close()          # the decoding thread stops before the decoder goes
        self._cap.release()


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    container: str
    fps: float
    frames: int
    size: tuple[int, int]
    counted: bool             # the header gave no usable frame count: frames were counted

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps


def probe_video(path: str | Path) -> VideoInfo:
    """What a video file holds, from its header; when the header gives no usable frame count
    (e.g. a recording killed before its end was written), the frames are counted (decoding,
    several times faster than measuring them). SourceError (one line) for anything that is not
    a usable video."""
    with VideoFileSource(path) as src:
        n, counted = src.frame_count, False
        if n <= 0:
            limit = int(MAX_DURATION_S * src.fps) + 1
            n, counted = src.count_frames(limit), True
            if n >= limit:
                raise SourceError(f"cannot use video {path}: it runs longer than "
                                  f"{MAX_DURATION_S / 3600:.0f} h; cut out the part to measure")
        return VideoInfo(Path(path), src.container, src.fps, n, src.size, counted)
