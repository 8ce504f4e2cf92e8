"""``import realtime`` stays light: the Python API and the version load when first asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_api_loads_only_when_used():
    code = ("import sys, realtime; heavy = [m for m in ('pandas', 'realtime.api', 'realtime.jobs.analyze', "
            "'importlib.metadata') if m in sys.modules]; print(heavy or '-', realtime.load_session.__module__, "
            "realtime.__version__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    heavy, module, version = r.stdout.split()
    assert heavy == "-" and module == "realtime.api.result" and version[0].isdigit()


def test_unknown_names_are_still_errors():
    import realtime
    with pytest.raises(AttributeError, match="no attribute 'analyse_video'"):
        realtime.analyse_video
    assert {"analyze_video", "load_session", "__version__"} <= set(dir(realtime))
