"""Bad inputs fail at once, before the first frame is measured (and before a model download),
with one line that says what to do, and lose nothing."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime.cli import main
from realtime.clinical.assessment import default_timeline, load_timeline

FAST_S = 3.0    # far below measuring any of these videos (the model is never even loaded)


def gray_video(path: Path, seconds: float, fps: float = 30) -> Path:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    for i in range(int(round(seconds * fps))):
        w.write(np.full((48, 64, 3), 60 + i % 100, np.uint8))
    w.release()
    return path


@pytest.fixture
def cli(capsys, model_path):
    """cli(*args) -> (exit code, stderr, seconds); stderr must be one line when it failed."""
    def run(*args):
        t0 = time.monotonic()
        try:
            code = main([str(a) for a in args] + ["--model", str(model_path)])
        except SystemExit as exc:           # argparse's own exit (still one line: OneLineParser)
            code = exc.code
        elapsed = time.monotonic() - t0
        err = capsys.readouterr().err.strip()
        if code:
            assert err.startswith("error:") and "\n" not in err, err
        return code, err, elapsed
    return run


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return gray_video(tmp_path_factory.mktemp("v") / "ten.mp4", 10.0)


@pytest.mark.parametrize("rest, says", [
    ("0:0.01", "lasts 0.01 s: a rest stretch needs at least 0.5 s"),
    ("100:200", "beyond the end of .*10.0 s long.*within 0-10.0 s"),
    ("0:inf", "finite seconds"),
    ("3:1", "START must be >= 0 and below END"),
])
def test_a_bad_rest_stretch_fails_before_measuring(cli, video, tmp_path, rest, says):
    code, err, s = cli("analyze", video, "--out", tmp_path / "o", "--rest", rest)
    assert code == 2 and s < FAST_S
    assert re.search(says, err), err
    assert not (tmp_path / "o").exists()


def test_an_out_that_is_a_file_fails_before_measuring(cli, video, tmp_path):
    f = tmp_path / "results.txt"
    f.write_text("keep me")
    code, err, s = cli("analyze", video, "--out", f)
    assert code == 2 and s < FAST_S and "is a file, not a folder" in err and "Errno" not in err
    assert f.read_text() == "keep me"


def test_analyze_into_a_recorded_session_is_refused_and_keeps_its_frames(cli, video, tmp_path):
    session = tmp_path / "session"
    session.mkdir()
    (session / "session.json").write_text('{"status": "complete"}')
    (session / "frames.csv").write_text("the recording's own rows\n")
    for cmd in (["analyze", video], ["assess", video, "--timeline", _timeline(tmp_path / "t.json", (3, 6))]):
        code, err, s = cli(*cmd, "--out", session)
        assert code == 2 and s < FAST_S and "holds a recorded session" in err and "new --out" in err
    assert (session / "frames.csv").read_text() == "the recording's own rows\n"
    assert sorted(p.name for p in session.iterdir()) == ["frames.csv", "session.json"]
    results = tmp_path / "results"
    results.mkdir()
    (results / "summary.json").write_text("{}")
    code, err, _ = cli("analyze", video, "--out", results)
    assert code == 2 and "already holds results (summary.json)" in err and "--force" in err


def _timeline(path: Path, smile_s: tuple[float, float]) -> Path:
    """A rest hold from 0 to 3 s and a smile hold over ``smile_s``, written to ``path``."""
    path.write_text(json.dumps([{"task": "rest", "rep": 1, "start_s": 0, "end_s": 3, "phase": "hold"},
                                {"task": "smile_open", "rep": 1, "start_s": smile_s[0], "end_s": smile_s[1],
                                 "phase": "hold"}]))
    return path


def test_a_playlist_named_mp4_is_refused_at_once(cli, video, tmp_path):
    playlist = tmp_path / "loop.mp4"
    playlist.write_text(f"ffconcat version 1.0\nfile {playlist.name}\nfile {video}\n")
    code, err, s = cli("analyze", playlist, "--out", tmp_path / "o")
    assert code == 2 and s < FAST_S and "ffconcat playlist" in err and "mp4" in err


def test_a_video_too_short_to_analyse_fails_before_measuring(cli, tmp_path):
    short = gray_video(tmp_path / "twenty.mp4", 20 / 30)
    for cmd in (["analyze", short, "--out", tmp_path / "o"], ["record", short, "--out", tmp_path / "r"]):
        code, err, s = cli(*cmd)
        assert code == 2 and s < FAST_S and "too short" in err and "20 frames" in err, err
    assert not (tmp_path / "o").exists() and not (tmp_path / "r").exists()


def test_assess_without_a_timeline_on_a_short_video_says_how_to_fix_it(cli, video, tmp_path):
    code, err, s = cli("assess", video, "--out", tmp_path / "o")
    assert code == 2 and s < FAST_S
    assert "standard assessment timeline" in err and "--write-timeline" in err and "--timeline" in err
    t = tmp_path / "standard.json"
    code, _, _ = cli("assess", "--write-timeline", t)
    assert code == 0 and load_timeline(t) == default_timeline()
    assert "start_s" in json.loads(t.read_text())["about"]      # says how to edit it
    code, err, _ = cli("assess", "--write-timeline", t)
    assert code == 2 and "exists" in err                     # never overwritten without --force
    long = _timeline(tmp_path / "long.json", (25, 30))
    code, err, _ = cli("assess", video, "--out", tmp_path / "o", "--timeline", long)
    assert code == 2 and "lasts 10.0 s but the timeline needs 30.0 s" in err


def test_record_refuses_a_folder_with_other_files_before_starting(cli, video, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "theirs.txt").write_text("x")
    code, err, s = cli("record", video, "--out", out, "--fast")
    assert code == 2 and s < FAST_S and "not empty" in err
    assert [p.name for p in out.iterdir()] == ["theirs.txt"]
    code, err, _ = cli("record", "demo", "--out", tmp_path / "r", "--duration", "inf")
    assert code == 2 and "finite" in err


def test_validate_refuses_zero_cases(cli):
    code, err, s = cli("validate", "--cases", "0")
    assert code == 2 and s < FAST_S and "--cases" in err and "1 or more" in err
