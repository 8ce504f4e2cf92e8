"""The rest lid margin's choice among edge candidates (tracking/eye_opening.peak_centre), on
edge-score profiles whose answer is known."""

from __future__ import annotations

import numpy as np

from realtime.tracking.eye_opening import STRONG_EDGE, peak_centre


def _bump(n: int, at: float, height: float, width: float = 1.5) -> np.ndarray:
    x = np.arange(n, dtype=float)
    return height * np.exp(-0.5 * ((x - at) / width) ** 2)


def test_a_score_highest_at_the_end_of_the_range_is_not_the_edge():
    # a fold just above the searched band: the score still rises at index 0
    a = _bump(30, -3.0, 40.0, 3.0) + _bump(30, 19.0, 30.0)
    assert abs(peak_centre(a) - 19.0) < 0.5
    assert abs(peak_centre(a, towards=1) - 19.0) < 0.5


def test_of_two_nearly_equal_edges_the_one_nearest_the_globe_is_the_margin():
    fold, margin = 6.0, 19.0                       # upper lid: the globe lies below (+1)
    a = _bump(30, fold, 33.0) + _bump(30, margin, 30.0)
    assert abs(peak_centre(a) - fold) < 0.5        # the strongest alone takes the fold
    assert abs(peak_centre(a, towards=1) - margin) < 0.5
    lower = a[::-1]                                # lower lid: the globe lies above (-1)
    assert abs(peak_centre(lower, towards=-1) - (29 - margin)) < 0.5


def test_a_weak_edge_nearer_the_globe_does_not_win():
    weak = 0.5 * STRONG_EDGE * 30.0
    a = _bump(30, 8.0, 30.0) + _bump(30, 22.0, weak)
    assert abs(peak_centre(a, towards=1) - 8.0) < 0.5


def test_a_profile_without_an_inner_peak_or_below_its_median_still_gives_an_index():
    assert peak_centre(np.linspace(0.0, 1.0, 10), towards=1) == 9.0
    a = -np.abs(np.arange(11) - 5.0) - 10.0        # every value below zero, one inner peak
    assert abs(peak_centre(a, towards=-1) - 5.0) < 1e-6
