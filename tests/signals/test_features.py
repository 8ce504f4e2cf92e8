"""Signal maths on synthetic landmark arrays with exactly known answers."""

import numpy as np
import pytest

from realtime.landmarks import REGIONS
from realtime.signals.features import (
    FEATURES,
    N_LANDMARK,
    SIGNALS,
    F,
    FaceFrame,
    S,
    activations,
    column_names,
    columns_to_signals,
    corner_movement,
    corner_words,
    face_measured,
    frame_features,
    side_features,
    signals_to_columns,
)


def neutral_face() -> np.ndarray:
    """478 landmarks in pixels: iris centres 100 px apart, every region at a known place."""
    lm = np.zeros((478, 2))
    lm[:] = (300.0, 300.0)
    lm[473] = (350, 200)   # subject's left iris (image right)
    lm[468] = (250, 200)
    for side, sx in (("left", 1), ("right", -1)):
        r = REGIONS[side]
        cx = 300 + sx * 50
        lm[r["eye_inner"]] = (cx - sx * 15, 200)
        lm[r["eye_outer"]] = (cx + sx * 15, 200)
        lm[r["eye_upper"]] = (cx, 190)
        lm[r["eye_lower"]] = (cx, 200)
        lm[r["brow"]] = (cx, 170)
        lm[r["cheek"]] = (cx, 250)
        lm[r["ala"]] = (300 + sx * 20, 260)
        lm[r["corner"]] = (300 + sx * 40, 300)
        lm[r["lower_lip"]] = (300 + sx * 20, 310)
        lm[r["chin"]] = (300 + sx * 20, 360)
    return lm


def test_face_frame_units_and_axes():
    fr = FaceFrame.from_landmarks(neutral_face())
    assert fr.iod_px == pytest.approx(100)
    np.testing.assert_allclose(fr.origin, (300, 200))
    np.testing.assert_allclose(fr.u, (1, 0))     # towards the subject's left
    np.testing.assert_allclose(fr.v, (0, -1))    # up in the image
    np.testing.assert_allclose(fr.to_face(np.array([[350.0, 150.0]])), [[0.5, 0.5]])


def test_side_features_exact():
    lm = neutral_face()
    fr = FaceFrame.from_landmarks(lm)
    f = side_features(fr.to_face(lm), "left")
    assert f[F["eye_aperture"]] == pytest.approx(10 / 30)
    assert f[F["brow_height"]] == pytest.approx(0.30)
    assert f[F["corner_lateral"]] == pytest.approx(0.40)
    assert f[F["corner_height"]] == pytest.approx(-1.0)
    assert f[F["chin_height"]] == pytest.approx(-1.6)
    # the right side mirrors: lateral is measured outwards on each side
    assert side_features(fr.to_face(lm), "right")[F["corner_lateral"]] == pytest.approx(0.40)


def test_activations_from_known_movements():
    lm = neutral_face()
    fr = FaceFrame.from_landmarks(lm)
    rest = frame_features({"left": lm, "right": lm}, fr)
    moved = lm.copy()
    r = REGIONS["left"]
    moved[r["eye_upper"]] += (0, 5)          # left fissure halves
    moved[r["corner"]] += (10, -10)          # left corner 0.1 IOD out and 0.1 up
    moved[r["brow"]] += (0, -4)              # brow up 0.04 IOD
    sig = activations(frame_features({"left": moved, "right": moved}, fr), rest)
    L, R = 0, 1
    assert sig[L, S["eye_closure"]] == pytest.approx(0.5)
    assert sig[L, S["smile"]] == pytest.approx(0.2 / np.sqrt(2))
    assert sig[L, S["pucker"]] == pytest.approx(-0.1)
    assert sig[L, S["brow_raise"]] == pytest.approx(0.04 + 0.0)  # corners unchanged
    np.testing.assert_allclose(sig[R, :N_LANDMARK], 0, atol=1e-12)   # the right side did not move
    np.testing.assert_allclose(activations(rest, rest)[:, :N_LANDMARK], 0, atol=1e-12)
    # skin texture is not landmark geometry: measured from the image (tracking/texture.py)
    assert np.isnan(sig[:, N_LANDMARK:]).all() and face_measured(sig).all()


def test_texture_signals_are_the_change_from_rest_and_may_be_missing():
    feats = np.full((2, len(FEATURES)), 1.0)
    rest = feats.copy()
    rest[:, F["chin_texture"]], rest[:, F["neck_texture"]] = 0.02, 0.04
    feats[:, F["chin_texture"]], feats[:, F["neck_texture"]] = (0.03, 0.02), (0.04, np.nan)
    sig = activations(feats, rest)
    np.testing.assert_allclose(sig[:, S["chin_dimpling"]], [0.5, 0.0])     # +50 %: dimpling
    assert sig[0, S["neck_bands"]] == 0 and np.isnan(sig[1, S["neck_bands"]])
    # the neck out of view leaves the face measured; a landmark signal missing does not
    assert face_measured(sig)
    sig[1, S["smile"]] = np.nan
    assert not face_measured(sig)


def test_pucker_moves_corner_inwards():
    lm = neutral_face()
    fr = FaceFrame.from_landmarks(lm)
    rest = frame_features({"left": lm, "right": lm}, fr)
    moved = lm.copy()
    moved[REGIONS["right"]["corner"]] += (8, 0)   # right corner towards the midline
    sig = activations(frame_features({"left": moved, "right": moved}, fr), rest)
    assert sig[1, S["pucker"]] == pytest.approx(0.08)
    assert sig[0, S["pucker"]] == pytest.approx(0.0)


@pytest.mark.parametrize("angle,scale,shift", [(10, 1.0, (0, 0)), (-25, 1.7, (40, -30)), (3, 0.6, (-80, 5))])
def test_features_do_not_depend_on_head_position(angle, scale, shift):
    lm = neutral_face()
    th = np.deg2rad(angle)
    rot = scale * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    moved = lm @ rot.T + shift
    a = frame_features({"left": lm, "right": lm}, FaceFrame.from_landmarks(lm))
    b = frame_features({"left": moved, "right": moved}, FaceFrame.from_landmarks(moved))
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_column_round_trip():
    sig = np.arange(2 * len(SIGNALS), dtype=float).reshape(2, len(SIGNALS))
    cols = signals_to_columns(sig)
    names = column_names()
    assert names[cols.tolist().index(sig[0, S["eye_closure"]])] == "eye_closure_left"
    assert names[cols.tolist().index(sig[1, S["smile"]])] == "smile_right"
    np.testing.assert_array_equal(columns_to_signals(cols), sig)
    assert len(FEATURES) == len(SIGNALS) == 10


@pytest.mark.parametrize("out, up, words", [(0.0, 0.02, "mouth corner up"), (0.01, 0.01, "mouth corner up and out"),
                                            (-0.03, 0.0, "mouth corner in"), (0.0, -0.01, "mouth corner down"),
                                            (-0.01, -0.012, "mouth corner down and in")])
def test_corner_movement_inverts_smile_and_pucker(out, up, words):
    rest = np.zeros((2, len(FEATURES)))
    rest[:, F["eye_aperture"]] = 0.3
    moved = rest.copy()
    moved[1, F["corner_lateral"]] += out
    moved[1, F["corner_height"]] += up
    corner = corner_movement(activations(moved, rest))
    assert corner[1] == pytest.approx([out, up]) and corner[0] == pytest.approx([0.0, 0.0])
    assert corner_words(*corner[1]) == words
