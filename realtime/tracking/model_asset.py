"""Find the face model file: explicit path, environment variable, user cache, verified download."""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from realtime.files import sha256_of

MODEL_ENV = "SYNKINESIS_FACE_MODEL"
MODEL_URL = ("https://storage.googleapis.com/mediapipe-models/face_landmarker/"
             "face_landmarker/float16/latest/face_landmarker.task")
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
MODEL_NAME = "face_landmarker.task"


class ModelError(RuntimeError):
    """The face model cannot be found, fetched or read. The message says what to do."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "synkinesis"


def _advice() -> str:
    return (f"set {MODEL_ENV}=/path/to/{MODEL_NAME} (or pass --model) to a copy of {MODEL_URL}")


def check_model_file(path: Path, origin: str) -> Path:
    """A model bundle is a zip archive; catch missing, empty and truncated files early."""
    if not path.is_file():
        raise ModelError(f"face model not found at {path} (from {origin}); {_advice()}")
    if path.stat().st_size == 0 or not zipfile.is_zipfile(path):
        raise ModelError(f"face model at {path} (from {origin}) is corrupt or truncated; "
                         f"replace it: {_advice()}")
    return path


def resolve_model(explicit: str | os.PathLike | None = None, *, download: bool = True,
                  url: str = MODEL_URL, expected_sha256: str = MODEL_SHA256,
                  cache: Path | None = None) -> Path:
    """Return a usable model path, downloading it once into the cache if needed."""
    if explicit:
        return check_model_file(Path(explicit).expanduser(), "--model")
    env = os.environ.get(MODEL_ENV)
    if env:
        return check_model_file(Path(env).expanduser(), f"${MODEL_ENV}")
    cached = (cache or cache_dir()) / MODEL_NAME
    if cached.is_file() and sha256_of(cached) == expected_sha256:
        return cached
    if not download:
        raise ModelError(f"face model not in cache {cached}; {_advice()}")
    return download_model(cached, url=url, expected_sha256=expected_sha256)


def download_model(dest: Path, *, url: str = MODEL_URL, expected_sha256: str = MODEL_SHA256,
                   timeout_s: float = 30.0) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    print(f"Downloading the face model once from {url}", file=sys.stderr)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    tmp = Path(tmp_name)
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as resp, os.fdopen(fd, "wb") as out:
                total = int(resp.headers.get("Content-Length") or 0)
                done = 0
                while True:
                    block = resp.read(1 << 16)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if total:
                        print(f"\r  {done * 100 // total:3d}% of {total / 1e6:.1f} MB",
                              end="", file=sys.stderr)
                print(file=sys.stderr)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ModelError(f"could not download the face model ({exc}); on an offline machine "
                             f"{_advice()}") from None
        digest = sha256_of(tmp)
        if digest != expected_sha256:
            raise ModelError(f"downloaded face model has sha256 {digest[:12]}..., expected "
                             f"{expected_sha256[:12]}... (truncated or altered); {_advice()}")
        os.replace(tmp, dest)
        return dest
    finally:
        if tmp.exists():
            tmp.unlink()
