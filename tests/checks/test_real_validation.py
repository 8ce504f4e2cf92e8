"""validate --real: how far a clip could show a planted pair at all (``reach_r``), and its table."""

from __future__ import annotations

import numpy as np

from realtime.checks.real_validation import _short, reach_r
from realtime.jobs.analyze import run_analysis
from realtime.signals.coactivation import CoactivationConfig, remove_blinks
from realtime.signals.features import S


def test_reach_grows_with_the_planted_share_and_starts_at_the_eyes_own_r(real_clips, model_path):
    base = run_analysis(real_clips["single_face"], model_path, show_progress=False)
    n = len(base.signals)
    # A drive the eye does not follow by itself: a slow ramp across the clip.
    drive = np.linspace(0.0, 1.0, n)
    face = np.ones(n, bool)
    alone = reach_r(base, "left", np.zeros(n), drive, face)
    # with nothing planted it is the eye's own r with the drive, on the eye the verdict sees
    # (measured frames, blinks taken out)
    measured = np.where(base.usable()[:, None, None], base.signals, np.nan)
    eye = remove_blinks(measured, base.fps, base.baseline.noise, CoactivationConfig().blink_max_s)[0][:, 0, S["eye_closure"]]
    ok = np.isfinite(eye)
    assert alone is not None and abs(alone) < 0.9
    assert abs(alone - np.corrcoef(eye[ok], drive[ok])[0, 1]) < 1e-9
    reach = [reach_r(base, "left", k * drive, drive, face) for k in (0.1, 0.5, 5.0)]
    assert reach[0] < reach[1] < reach[2] and reach[2] > 0.99, reach
    # frames the planting had no face in are left out, and too few frames give no figure
    assert reach_r(base, "left", drive, drive, np.zeros(n, bool)) is None


def test_an_undecided_reason_fits_the_table():
    own = ("not enough data: a coupling of 15 % (eye narrows) with the smile would not have been called: the "
           "eye closure moves as much on its own (such a coupling would correlate at r 0.31, 0.7 needed)")
    side = ("not enough data: a coupling of 3.8 mm (brow down) with the pucker would not have been called: the "
            "other side's moves with the pucker about as much")
    assert _short(own) == "own movement would hide 15 % (r 0.31)"
    assert _short(side) == "the other side would hide 3.8 mm"
    assert _short("not enough data: 2.4 s measured, 6 s needed") == "2.4 s measured, 6 s needed"
