"""A shortened simulated recovery, measured end to end (demo face videos, the face model,
weekly-test, the progress page): returning tone is told once its fall is confirmed, the first
movement at week 5, neither before, and a flat series made of the same kind of clips says nothing.

One measured clip per droop level is reused across weeks (``copy_week``); the flat series
alternates two clips of the same droop with different sensor noise."""

from __future__ import annotations

import re

import pytest

from realtime.checks.recovery_series import Week, copy_week, measure_week
from realtime.reports.progress_page import read_progress, write_progress
from realtime.reports.recovery_view import build

SCALE, FPS, SIZE = 0.2, 10.0, (480, 360)
CLIPS = {"d1a": (1.0, 0.0, 1), "d1b": (1.0, 0.0, 2), "d05": (0.5, 0.0, 3), "d0": (0.0, 0.0, 4),
         "d0m": (0.0, 0.7, 5)}      # name: (rest droop, movement, seed)


@pytest.fixture(scope="module")
def clips(tmp_path_factory, model_path):
    root = tmp_path_factory.mktemp("clips")
    return {name: measure_week(root / name, Week(0, 60, droop, move), model_path, scale=SCALE, fps=FPS, seed=seed,
                               size=SIZE)
            for name, (droop, move, seed) in CLIPS.items()}


def series(folder, clips, names):
    for k, name in enumerate(names):
        copy_week(clips[name], folder / f"week{k + 1:02d}", 60 + 7 * k)
    return folder


def said(folder) -> dict[str, str]:
    return dict(re.findall(r"data-message='([a-z-]+)'>([^<]*)<", (folder / "progress.html").read_text()))


def test_recovering_series_is_told_once_the_fall_is_confirmed(clips, tmp_path):
    """The droop falls at week 3 (1.0 -> 0.5) and again at week 4 (-> 0): one test showing a
    fall is never enough, so returning tone is told at week 4 (two falling tests) or week 5,
    not before; the first movement only comes at week 5."""
    patient = series(tmp_path / "recovering", clips, ["d1a", "d1b", "d05", "d0", "d0m"])
    write_progress(patient)
    view = build(read_progress(patient)[0])
    assert view.tone_week in (4, 5) and view.movement_week == 5, [m.text for m in view.messages]
    assert said(patient)["tone"].startswith("Your resting symmetry has improved for")
    assert "affected (left) side at week 5" in said(patient)["movement"]
    assert (patient / "contact_sheet.png").is_file()
    # up to the week before it was told, nothing is told
    for week in range(view.tone_week, 6):
        (patient / f"week{week:02d}").rename(tmp_path / f"week{week:02d}")
    write_progress(patient)
    assert not {"tone", "movement"} & set(said(patient))


def test_flat_series_with_the_same_noise_says_nothing(clips, tmp_path):
    patient = series(tmp_path / "flat", clips, ["d1a", "d1b", "d1a", "d1b", "d1a"])
    write_progress(patient)
    view = build(read_progress(patient)[0])
    assert view.tone_week is None and view.movement_week is None and view.worsening_week is None
    assert not {"tone", "tone-first", "movement", "worsening"} & set(said(patient))
