"""Open a source from its command-line spelling."""

from __future__ import annotations

from .base import FrameSource, SourceError
from .camera import CameraSource
from .demo import DemoSource, live_demo_config
from .mirrored import Unmirrored
from .video_file import VideoFileSource


def open_source(spec: str, *, realtime: bool = True, mirrored: bool = False,
                demo: dict | None = None) -> FrameSource:
    """``camera``, ``camera:N``, ``demo`` or a video file path. ``mirrored``: the source shows
    the subject as in a mirror; its frames are flipped back. ``demo``: settings of the demo face
    (``live_demo_config``), e.g. ``{"rest_droop": 0.5, "movement": 0.3}``."""
    if spec == "camera" or spec.startswith("camera:"):
        idx = spec.partition(":")[2] or "0"
        if not idx.isdigit():
            raise SourceError(f"bad camera spec {spec!r}: use camera or camera:N")
        src: FrameSource = CameraSource(int(idx))
    elif spec == "demo":
        src = DemoSource(live_demo_config(**(demo or {})), realtime=realtime)
    else:
        return VideoFileSource(spec, realtime=realtime, mirrored=mirrored)
    return Unmirrored(src) if mirrored else src
