"""Irregular samples onto a regular grid: exact answers on linear signals."""

import numpy as np

from realtime.signals.resample import on_regular_grid


def test_linear_signal_with_dropped_frames_is_exact():
    fps = 30.0
    t = np.arange(90) / fps
    keep = np.ones(90, bool)
    keep[[5, 6, 7, 40, 41]] = False                           # dropped frames
    sig = np.stack([2.0 * t + 1, -t], axis=1)[:, None, :]     # (n, 1, 2)
    grid, res = on_regular_grid(t[keep], sig[keep], fps)
    np.testing.assert_allclose(grid, t, atol=1e-9)
    np.testing.assert_allclose(res[:, 0, 0], 2.0 * t + 1, atol=1e-9)
    np.testing.assert_allclose(res[:, 0, 1], -t, atol=1e-9)


def test_no_face_stretch_stays_missing_and_empty_slots_are_ignored():
    fps = 10.0
    t = np.r_[np.nan, np.nan, np.arange(30) / fps]            # an unfilled ring slot or two
    sig = np.tile(np.arange(32.0)[:, None, None], (1, 2, 3))
    sig[12:17] = np.nan                                       # face lost for 0.5 s
    grid, res = on_regular_grid(t, sig, fps)
    assert len(grid) == 30 and res.shape == (30, 2, 3)
    lost = np.isnan(res).any(axis=(1, 2))
    assert list(np.nonzero(lost)[0]) == [10, 11, 12, 13, 14]
    assert res[20, 1, 2] == 22.0


def test_too_few_faces_gives_none():
    assert on_regular_grid(np.arange(3.0), np.full((3, 2, 4), np.nan), 30.0) is None


def test_a_stretch_without_samples_stays_empty_with_max_gap():
    fps = 10.0
    t = np.r_[np.arange(0, 10), np.arange(20, 30)] / fps      # no samples for 1 s
    sig = np.tile(t[:, None, None], (1, 1, 2))
    grid, res = on_regular_grid(t, sig, fps, max_gap_s=0.5)
    empty = np.isnan(res).any(axis=(1, 2))
    assert list(np.nonzero(empty)[0]) == list(range(10, 20))
    np.testing.assert_allclose(res[~empty, 0, 0], grid[~empty])
    _, bridged = on_regular_grid(t, sig, fps)                  # without it: a straight line
    assert not np.isnan(bridged).any()
