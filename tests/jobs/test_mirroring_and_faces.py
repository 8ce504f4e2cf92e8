"""Sides and faces on real demo-face videos: a mirrored video (--mirrored) keeps "left" the
subject's left, and a second face in view is said, with the face that was measured."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.cli import main
from realtime.live.engine import LiveEngine
from realtime.pipeline.sink import LoopInfo, LoopResult
from realtime.sinks.session_folder import SessionFolder
from realtime.sources import Unmirrored
from realtime.sources.demo_face import DemoConfig, DemoFace


def write_frames(path: Path, frames, fps: float, size: tuple[int, int]) -> Path:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for rgb in frames:
        w.write(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    w.release()
    return path


@pytest.fixture(scope="module")
def mirrored_video(tmp_path_factory) -> Path:
    """A right-sided synkinesis filmed as in a mirror: the planted eye is on the picture's right."""
    cfg = DemoConfig(seconds=8, seed=404, synkinesis="right", strength=0.6, delay_s=0.1,
                     width=320, height=240, rest_s=2)
    face = DemoFace(cfg)
    return write_frames(tmp_path_factory.mktemp("mirror") / "selfie.mp4",
                        (face.render(i)[:, ::-1] for i in range(face.n_frames)), cfg.fps, (cfg.width, cfg.height))


def _flagged(out: Path) -> tuple[list, dict]:
    summary = json.loads((out / "summary.json").read_text())
    return [(c["driver"], c["response"], c["side"]) for c in summary["synkinesis"]], summary


def test_mirrored_flag_puts_the_planted_side_right(mirrored_video, model_path, tmp_path, capsys):
    assert main(["analyze", str(mirrored_video), "--out", str(tmp_path / "plain"), "--quiet",
                 "--model", str(model_path)]) == 0
    flagged, summary = _flagged(tmp_path / "plain")
    assert flagged == [("smile", "eye_closure", "left")] and summary["mirrored"] is False   # the wrong side
    assert main(["analyze", str(mirrored_video), "--out", str(tmp_path / "fixed"), "--quiet", "--mirrored",
                 "--model", str(model_path)]) == 0
    flagged, summary = _flagged(tmp_path / "fixed")
    assert flagged == [("smile", "eye_closure", "right")] and summary["mirrored"] is True
    capsys.readouterr()


def test_a_second_face_is_said_with_the_face_measured(model_path, tmp_path, capsys):
    """4 s: the subject alone on the left of a wide picture, then from 2 s another face on the right."""
    subject = DemoFace(DemoConfig(seconds=4, seed=5))
    other = DemoFace(DemoConfig(seconds=4, seed=6, width=320, height=240))

    def frames():
        for i in range(subject.n_frames):
            img = np.full((480, 960, 3), 90, np.uint8)
            img[:, :640] = subject.render(i)
            if i >= 60:
                img[120:360, 640:] = other.render(i)
            yield img
    video = write_frames(tmp_path / "two.mp4", frames(), 30, (960, 480))
    assert main(["analyze", str(video), "--out", str(tmp_path / "o"), "--quiet", "--model", str(model_path)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    warning = [line for line in err if "two or more faces" in line]
    assert len(warning) == 1 and warning[0].startswith("warning:") and "on the left of the picture" in warning[0]
    faces = json.loads((tmp_path / "o" / "summary.json").read_text())["faces"]
    assert 30 <= faces["frames_with_two_or_more"] <= 60 and faces["of_frames"] == 120
    assert faces["measured"]["in_picture"] == "left" and faces["measured"]["centre_px"][0] < 640
    assert "nearest" in faces["rule"]


def test_a_recording_says_it_was_mirrored(model_path, tmp_path):
    rec = SessionFolder(tmp_path / "s", model=model_path, playback="fast", mirrored=True)
    rec.started(LoopInfo("selfie.mp4", 30.0, 300, "fast"))
    rec.finished(LoopResult("complete", 0, 0, 0, None, None))
    assert json.loads((tmp_path / "s" / "session.json").read_text())["mirrored"] is True


def test_the_live_window_flips_its_sources_back(model_path):
    engine = LiveEngine(model_path, "demo", mirrored=True)
    assert isinstance(engine.loop.source, Unmirrored)
    assert not isinstance(LiveEngine(model_path, "demo").loop.source, Unmirrored)
