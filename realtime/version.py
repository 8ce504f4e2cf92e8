"""The program's version: the installed package's metadata, else the ``pyproject.toml`` of the
source checkout this code runs from (run.py without an install)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "synkinesis"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
UNKNOWN = "unknown"


def pyproject_version(path: Path) -> str | None:
    """``[project] version`` of a pyproject.toml; None when there is none (one line read: tomllib
    is not in Python 3.10)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    section = None
    for line in lines:
        s = line.strip()
        if s.startswith("["):
            section = s
        elif section == "[project]" and (m := re.fullmatch(r"""version\s*=\s*["']([^"']+)["']""", s)):
            return m[1]
    return None


@lru_cache(maxsize=1)
def package_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return pyproject_version(PYPROJECT) or UNKNOWN
