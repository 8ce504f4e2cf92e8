"""Frame sources: camera, video file, demo face, behind one interface."""

import threading
import time

import numpy as np
import pytest

from realtime.sources import DemoSource, SourceError, VideoFileSource, open_source
from realtime.sources.demo_face import DemoConfig


def test_missing_camera_says_what_to_do():
    with pytest.raises(SourceError, match="no camera at index 97"):
        open_source("camera:97")
    with pytest.raises(SourceError, match="camera:N"):
        open_source("camera:x")


def test_video_file_frames_and_timestamps(demo_videos):
    path, truth = demo_videos("src_short", seconds=2, seed=3)
    with VideoFileSource(path) as src:
        frames = list(src)
    assert len(frames) == len(truth.t) == 60
    assert frames[0].image.shape == (480, 640, 3) and frames[0].image.dtype == np.uint8
    assert [f.index for f in frames] == list(range(60))
    assert frames[30].timestamp_s == pytest.approx(1.0)


def test_video_file_read_ahead_gives_the_same_frames_and_stops_on_close(demo_videos):
    path, _ = demo_videos("src_short", seconds=2, seed=3)
    with VideoFileSource(path, mirrored=True) as src:
        plain = list(src)
    before = threading.active_count()
    with VideoFileSource(path, mirrored=True, read_ahead=3) as src:
        ahead = list(src)
        assert src.read() is None and src.read() is None      # the end stays the end
    assert [f.index for f in ahead] == [f.index for f in plain]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(ahead, plain))
    assert [f.timestamp_s for f in ahead] == [f.timestamp_s for f in plain]
    # Closed part-way (a pre-scan stops at the end of the rest stretch): the thread ends too,
    # and so does a reopened pass, which reads ahead like its source.
    with VideoFileSource(path, read_ahead=2) as src, src.reopen() as again:
        assert src.read().index == 0 and again.read().index == 0
        assert threading.active_count() == before + 2
    assert threading.active_count() == before
    assert src.read() is None                       # read after close: the end, not a hang


def test_video_file_plays_at_its_own_rate(demo_videos):
    path, _ = demo_videos("src_short", seconds=2, seed=3)
    t0 = time.perf_counter()
    with VideoFileSource(path, realtime=True) as src:
        n = sum(1 for _ in zip(range(15), src))
    assert n == 15 and time.perf_counter() - t0 >= 14 / 30 - 0.02


def test_demo_source_is_finite_or_loops():
    finite = DemoSource(DemoConfig(seconds=1), realtime=False, loop=False)
    assert sum(1 for _ in finite) == 30
    looping = DemoSource(DemoConfig(seconds=1), realtime=False, loop=True)
    frames = [looping.read() for _ in range(45)]
    assert frames[-1].index == 44
    np.testing.assert_array_equal(frames[31].image, frames[1].image)   # same scripted frame


def test_bad_video_paths(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        VideoFileSource(tmp_path / "nope.mp4")
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"\0" * 1000)
    with pytest.raises(SourceError, match="cannot read video"):
        VideoFileSource(junk)
