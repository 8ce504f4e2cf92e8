"""Open a source from its command-line spelling."""

from __future__ import annotations

from .base import FrameSource, SourceError
from .camera import CameraSource
from .demo import DemoSource
from .video_file import VideoFileSource


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
