"""A stand-in for a camera that disconnects mid-session (like a USB cable pulled), built on
the demo face, for tests of what the live window and the recorder do then."""

from realtime.sources import DemoSource, FrameSource, SourceLost
from realtime.sources.demo_face import DemoConfig


class UnpluggedCamera(FrameSource):
    live = True

    def __init__(self, frames: int):
        self._demo = DemoSource(DemoConfig(seconds=30, synkinesis="left"), realtime=True)
        self.frames, self.name, self.fps = frames, "camera:0", 30.0

    def read(self):
        if self._demo._index >= self.frames:
            raise SourceLost("camera:0 stopped sending frames (unplugged?); reconnect it or switch to the demo")
        return self._demo.read()
