"""``run.py --version``: the installed package's version, else the source checkout's pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed
from pathlib import Path

import realtime.version as v

REPO = Path(__file__).resolve().parents[1]


def test_version_flag():
    r = subprocess.run([sys.executable, "run.py", "--version"], capture_output=True, text=True, cwd=REPO,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"synkinesis {installed('synkinesis')}"
    assert installed("synkinesis") == v.pyproject_version(v.PYPROJECT)   # the install is of this version


def test_pyproject_is_the_fallback(tmp_path, monkeypatch):
    p = tmp_path / "pyproject.toml"
    p.write_text('[tool.other]\nversion = "9.9"\n\n[project]\nname = "synkinesis"\nversion = "1.2.3"\n'
                 '[tool.x]\nversion = "0"\n')
    assert v.pyproject_version(p) == "1.2.3"
    assert v.pyproject_version(tmp_path / "missing.toml") is None

    def not_installed(name):
        raise PackageNotFoundError(name)
    monkeypatch.setattr(v, "version", not_installed)
    monkeypatch.setattr(v, "PYPROJECT", p)
    v.package_version.cache_clear()
    try:
        assert v.package_version() == "1.2.3"
        monkeypatch.setattr(v, "PYPROJECT", tmp_path / "missing.toml")
        v.package_version.cache_clear()
        assert v.package_version() == v.UNKNOWN
    finally:
        v.package_version.cache_clear()
