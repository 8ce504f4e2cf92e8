"""What counts as a video: real containers only (never a playlist FFmpeg would follow), a header
that can be believed, a length known before measuring; and mirrored sources flipped back."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.sources import DemoSource, SourceError, Unmirrored, VideoFileSource, open_source, probe_video
from realtime.sources.container import container_of
from realtime.sources.demo_face import DemoConfig


def write_video(path: Path, n: int, *, fps: float = 30, fourcc: str = "mp4v", size=(64, 48)) -> Path:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert w.isOpened()
    rng = np.random.default_rng(0)
    for _ in range(n):
        img = rng.integers(0, 255, (size[1], size[0], 3), np.uint8)
        img[:, : size[0] // 4] = 255            # a bright left edge: shows which way a frame is flipped
        w.write(img)
    w.release()
    return path


def test_real_containers_are_recognised(tmp_path):
    assert probe_video(write_video(tmp_path / "a.mp4", 20)).container == "mp4/mov"
    assert probe_video(write_video(tmp_path / "a.mkv", 20)).container == "matroska/webm"
    assert probe_video(write_video(tmp_path / "a.avi", 20, fourcc="MJPG")).container == "avi"
    assert container_of(b"\x47" + b"\0" * 187 + b"\x47" + b"\0" * 10) == "mpeg-ts"
    assert container_of(b"OggS\0\0") == "ogg" and container_of(b"FLV\x01") == "flv"


@pytest.mark.parametrize("text, kind", [
    ("ffconcat version 1.0\nfile {self}\nfile a.mp4\n", "ffconcat playlist"),
    ("#EXTM3U\n#EXTINF:10,\na.mp4\n", "m3u/HLS playlist"),
    ("v=0\no=- 0 0 IN IP4 127.0.0.1\nm=video 5004 RTP/AVP 96\n", "SDP"),
    ("just some notes\n", "text file"),
    ("", "empty"),
])
def test_playlists_and_text_named_mp4_are_refused_before_ffmpeg_opens_them(tmp_path, text, kind):
    """A self-listing ffconcat playlist made analyze run for ever with memory growing."""
    write_video(tmp_path / "a.mp4", 20)
    bad = tmp_path / "bad.mp4"
    bad.write_text(text.format(self=bad.name))
    t0 = time.monotonic()
    with pytest.raises(SourceError, match=f"cannot read video .*not a video file .*{kind}") as info:
        VideoFileSource(bad)
    assert time.monotonic() - t0 < 1.0 and "\n" not in str(info.value)


def _patch_mp4_rate(src: Path, dst: Path, timescale: int, delta: int) -> Path:
    """The same frames, with a track time scale and frame duration that claim another rate."""
    data = bytearray(src.read_bytes())
    m = data.find(b"mdhd")
    assert data[m + 4] == 0                                   # version 0: 32-bit fields
    n = struct.unpack(">I", data[data.find(b"stts") + 12:data.find(b"stts") + 16])[0]
    data[m + 16:m + 24] = struct.pack(">II", timescale, n * delta)
    s = data.find(b"stts")
    data[s + 16:s + 20] = struct.pack(">I", delta)
    dst.write_bytes(bytes(data))
    return dst


def test_an_absurd_frame_rate_in_the_header_is_refused_at_once(tmp_path):
    ok = write_video(tmp_path / "ok.mp4", 40)
    crazy = _patch_mp4_rate(ok, tmp_path / "crazy.mp4", 1_000_000_000, 1)
    assert cv2.VideoCapture(str(crazy)).get(cv2.CAP_PROP_FPS) == pytest.approx(1e9)
    with pytest.raises(SourceError, match="1e\\+09 frames a second.*re-encode"):
        VideoFileSource(crazy)


def test_a_header_without_a_believable_frame_count_is_counted(tmp_path):
    """A Matroska file whose duration is zeroed (like a recording killed before its end was
    written): OpenCV reports a huge negative frame count; the frames are counted instead."""
    ok = write_video(tmp_path / "ok.mkv", 45)
    data = bytearray(ok.read_bytes())
    d = data.find(b"\x44\x89")                 # Segment Info: Duration
    size = data[d + 2] & 0x7F
    data[d + 3:d + 3 + size] = bytes(size)
    broken = tmp_path / "no_duration.mkv"
    broken.write_bytes(bytes(data))
    assert cv2.VideoCapture(str(broken)).get(cv2.CAP_PROP_FRAME_COUNT) < 0
    assert VideoFileSource(broken).frame_count == 0            # unknown, never negative
    info = probe_video(broken)
    assert info.counted and info.frames == 45 and info.duration_s == pytest.approx(1.5)


def test_a_mirrored_video_is_flipped_in_every_pass(tmp_path):
    path = write_video(tmp_path / "m.mp4", 5)
    plain = VideoFileSource(path).read().image
    src = VideoFileSource(path, mirrored=True)
    flipped = src.read().image
    np.testing.assert_array_equal(flipped, plain[:, ::-1])
    assert flipped[:, -5:].mean() > 250                        # the bright edge is now on the right
    # The loop passes over a video file twice (its rest pre-scan): the second pass is flipped too.
    again = src.reopen()
    assert again.mirrored
    np.testing.assert_array_equal(again.read().image, flipped)
    assert not VideoFileSource(path).mirrored


def test_a_mirrored_camera_or_demo_is_flipped():
    cfg = DemoConfig(seconds=1)
    plain = DemoSource(cfg, realtime=False).read().image
    mirrored = Unmirrored(DemoSource(cfg, realtime=False))
    assert mirrored.mirrored and mirrored.name == "demo" and mirrored.fps == 30
    np.testing.assert_array_equal(mirrored.read().image, plain[:, ::-1])
    assert isinstance(open_source("demo", mirrored=True), Unmirrored)
    assert not isinstance(open_source("demo"), Unmirrored)
