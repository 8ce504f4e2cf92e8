"""Where frames come from: camera, video file, the demo face, and an unpluggable test camera."""

from .base import Frame, FrameSource, SourceError, SourceLost
from .camera import CameraSource
from .demo import DemoSource
from .mirrored import Unmirrored
from .open import open_source
from .video_file import VideoFileSource, VideoInfo, probe_video

__all__ = ["Frame", "FrameSource", "SourceError", "SourceLost", "CameraSource", "DemoSource",
           "Unmirrored", "VideoFileSource", "VideoInfo", "open_source", "probe_video"]
