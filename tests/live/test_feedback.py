"""The biofeedback rules: what counts as the still region leaking."""

import numpy as np

from realtime.live.feedback import RepCounter, keep_below, still_movement
from realtime.signals.features import SIGNALS


def _reps(still: str, still_values: list[float]) -> tuple[int, int]:
    """(clean, total) of pucker repetitions while ``still`` takes ``still_values`` (face units)."""
    band = keep_below(np.full((2, len(SIGNALS)), 1e-4), None, 0, SIGNALS.index(still))
    rc = RepCounter()
    for pucker, v in zip([0, 1, 1, 0, 1, 1, 0], still_values):
        rc.update(pucker, 0.5, still_movement(v, still) > band.limit)
    return rc.clean, rc.total


def test_a_brow_pulled_down_leaks_as_a_raised_one_does():
    limit = keep_below(np.full((2, len(SIGNALS)), 1e-4), None, 0, SIGNALS.index("brow_raise")).limit
    # the pucker-brow-down demo in the live window: 2 mm of brow down with each pucker read
    # "OK -1.9 mm" and "Clean reps: 2 / 2"
    assert _reps("brow_raise", [0, -2 * limit, 0, 0, 0, 0, 0]) == (1, 2)
    assert _reps("brow_raise", [0, 0, 0, 0, 2 * limit, 0, 0]) == (1, 2)
    assert still_movement(-2 * limit, "brow_raise") == 2 * limit


def test_an_eye_opening_wider_is_no_leak():
    limit = keep_below(np.full((2, len(SIGNALS)), 1e-4), None, 0, SIGNALS.index("eye_closure")).limit
    assert _reps("eye_closure", [0, -2 * limit, 0, 0, 2 * limit, 0, 0]) == (1, 2)
    assert still_movement(-2 * limit, "eye_closure") == -2 * limit
