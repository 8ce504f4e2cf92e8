"""The rest choice of a video file (pipeline/calibrate.py choose_rest), on a demo video that
opens on a held smile: searched whole, or only in its first seconds (as a video played in
real time is), with the real face model."""

from __future__ import annotations

import pytest

from tests.conftest import SMILE_FIRST_DEMO


def test_rest_choice_searches_the_whole_video_or_its_first_seconds(demo_videos, model_path):
    from realtime.pipeline.calibrate import choose_rest
    from realtime.sources import VideoFileSource
    from realtime.tracking.landmarker import Landmarker
    video, truth = demo_videos("smile_first", **SMILE_FIRST_DEMO)
    still_from = float(truth.t[truth.smile > 0.01][-1])
    fractions: list[float] = []
    with Landmarker(model_path) as lm:
        whole = choose_rest(lm, VideoFileSource(video), progress=fractions.append)
        first = choose_rest(lm, VideoFileSource(video), within_s=3.0, advice="press the button")
    a, b = whole.window
    assert whole.whole and whole.warning is None and still_from <= a < b, (whole, still_from)
    assert whole.searched == pytest.approx((0.0, 8.0))
    assert whole.describe() == f"{a:.1f}-{b:.1f} s, the most neutral stretch of the video"
    assert fractions == sorted(fractions) and 0 < fractions[0] < 0.1 and fractions[-1] == 1.0, fractions
    # The first 3 s hold only the smile: the least expressive stretch there is not neutral, and
    # the warning says where it looked and what to do.
    assert not first.whole and first.searched == pytest.approx((0.0, 3.0))
    assert first.window[1] <= 3.0 + 1e-6
    assert first.expression > whole.expression + 1.0, (first.expression, whole.expression)
    assert first.warning is not None and first.warning.startswith("no neutral stretch found in its first 3 s")
    assert first.warning.endswith("; press the button"), first.warning
    assert first.describe().endswith("the most neutral stretch of the video's first 3 s")
