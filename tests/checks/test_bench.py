"""``run.py bench`` runs end to end and prints every figure it promises (values are not asserted:
speed belongs to the benchmark, not to the tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import REPO


def test_bench_prints_its_figures_with_progress(model_path):
    env = dict(os.environ, SYNKINESIS_FACE_MODEL=str(model_path), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "run.py", "bench", "--seconds", "4", "--live-seconds", "1"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert [int(m) for m in re.findall(r"^\[(\d)/4\]", out, re.M)] == [1, 2, 3, 4], out
    assert re.search(r"bare FaceLandmarker .*: +[\d.]+ fps", out)
    assert re.search(r"ratio analyze / bare: [\d.]+", out)
    assert re.search(r"bare FaceLandmarker .* CPU +[\d.]+ ms/frame", out)
    assert re.search(r"analyze end to end .* CPU +[\d.]+ ms/frame", out)
    assert re.search(r"CPU ratio analyze / bare .*: [\d.]+", out)
    assert re.search(r"live demo at 30 fps: processed [\d.]+ fps", out)
    assert re.search(r"peak memory \(max RSS\): \d+ MB", out)
    assert "Warning" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-2000:]
