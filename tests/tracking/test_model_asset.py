"""Model resolution: explicit path, environment, cache, verified download (from a local URL)."""

import shutil

import pytest

from realtime.tracking.model_asset import (
    MODEL_ENV,
    MODEL_SHA256,
    MODEL_URL,
    ModelError,
    resolve_model,
    sha256_of,
)


def test_explicit_path_wins(model_path, monkeypatch, tmp_path):
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "nope.task"))
    assert resolve_model(model_path) == model_path


def test_environment_variable(model_path, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(model_path))
    assert resolve_model(None) == model_path


def test_missing_and_truncated_files_name_the_variable_and_url(tmp_path, monkeypatch, model_path):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    with pytest.raises(ModelError) as e:
        resolve_model(tmp_path / "missing.task")
    assert MODEL_ENV in str(e.value) and MODEL_URL in str(e.value) and "\n" not in str(e.value)
    cut = tmp_path / "cut.task"
    cut.write_bytes(model_path.read_bytes()[:100_000])
    with pytest.raises(ModelError, match="corrupt or truncated"):
        resolve_model(cut)


def test_cache_is_used_when_hash_matches(tmp_path, monkeypatch, model_path):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    shutil.copy(model_path, tmp_path / "face_landmarker.task")
    assert resolve_model(None, cache=tmp_path, download=False) == tmp_path / "face_landmarker.task"


def test_download_verifies_hash(tmp_path, monkeypatch, model_path):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    cache = tmp_path / "cache"
    got = resolve_model(None, cache=cache, url=model_path.as_uri())
    assert sha256_of(got) == MODEL_SHA256
    # a corrupted download is rejected and leaves nothing behind
    bad = tmp_path / "bad.task"
    bad.write_bytes(model_path.read_bytes()[:-10])
    cache2 = tmp_path / "cache2"
    with pytest.raises(ModelError, match="sha256"):
        resolve_model(None, cache=cache2, url=bad.as_uri())
    assert not any(cache2.iterdir())


def test_no_network_gives_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    with pytest.raises(ModelError) as e:
        resolve_model(None, cache=tmp_path, url="http://127.0.0.1:9/face_landmarker.task")
    assert "could not download" in str(e.value) and MODEL_ENV in str(e.value)
