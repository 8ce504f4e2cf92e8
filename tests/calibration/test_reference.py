"""The rest stretch: the most neutral part of a recording, as long as the face allows."""

from __future__ import annotations

import numpy as np

from calibration.reference import most_neutral_stretch, neutral_stretch


def _scores(t: np.ndarray, relaxed: tuple[float, float]) -> np.ndarray:
    """Smiling (score 7) everywhere but ``relaxed`` (score 2)."""
    return np.where((t >= relaxed[0]) & (t <= relaxed[1]), 2.0, 7.0)


def test_a_short_relaxed_gap_between_smiles_is_the_rest_not_two_seconds_that_hold_a_smile():
    t = np.arange(0, 9.6, 0.2)
    e = _scores(t, (4.2, 5.4))
    fixed = most_neutral_stretch(t, e, 2.0)
    assert fixed[2] > 3.0                        # any 2 s stretch holds part of a smile
    a, b, score = neutral_stretch(t, e, 2.0)
    assert 4.2 - 1e-9 <= a and b <= 5.4 + 1e-9 and score == 2.0
    assert b - a >= 1.0 - 1e-9                   # the longest that stays relaxed


def test_a_long_relaxed_stretch_keeps_the_full_length():
    t = np.arange(0, 20, 0.2)
    e = _scores(t, (10.0, 15.0)) + 0.1 * np.sin(t)
    a, b, _ = neutral_stretch(t, e, 2.0)
    assert b - a == 2.0 and 10.0 <= a and b <= 15.0
