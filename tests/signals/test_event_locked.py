"""Event-locked averaging on synthetic signals whose answer is known."""

import numpy as np
import pytest

from realtime.signals.coactivation import NONE, SYNKINESIS, UNDECIDED
from realtime.signals.event_locked import EventLockedConfig, blink_events, event_frames, event_locked
from realtime.signals.features import SIGNALS, S

FPS = 30.0
NOISE_SD = 0.002          # IOD, ~0.13 mm: a steady face
NOISE = np.full((2, len(SIGNALS)), NOISE_SD)
NOISE[:, S["eye_closure"]] = 0.02


def burst(t, start, rise=0.1, hold=0.05, fall=0.15):
    """Raised-cosine burst, 1 at its plateau (the demo face's blink shape)."""
    x = t - start
    out = np.zeros_like(t)
    up = (x >= 0) & (x < rise)
    out[up] = 0.5 * (1 - np.cos(np.pi * x[up] / rise))
    out[(x >= rise) & (x < rise + hold)] = 1
    down = (x >= rise + hold) & (x < rise + hold + fall)
    out[down] = 0.5 * (1 + np.cos(np.pi * (x[down] - rise - hold) / fall))
    return out


def blinking_face(seconds=60.0, n_blinks=17, seed=0, response=None):
    """Signals (T, 2, N) with noise and n_blinks bilateral blinks; ``response``: {side: (signal,
    amplitude, lag_s)} planted with each blink's time course. Returns (sig, blink starts s)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FPS)) / FPS
    starts = np.sort(rng.choice(np.arange(1.0, seconds - 1.5, 0.37), n_blinks, replace=False))
    while np.any(np.diff(starts) < 1.3):       # blinks at least 1.3 s apart
        starts = np.sort(rng.choice(np.arange(1.0, seconds - 1.5, 0.37), n_blinks, replace=False))
    sig = rng.normal(0, 1, (len(t), 2, len(SIGNALS))) * NOISE
    blink = sum(burst(t, s) for s in starts)
    sig[:, :, S["eye_closure"]] += 0.85 * blink[:, None]
    for side, (name, amp, lag) in (response or {}).items():
        k = 0 if side == "left" else 1
        sig[:, k, S[name]] += amp * sum(burst(t, s + lag) for s in starts)
    return sig, starts


def find(results, response, side):
    return next(r for r in results if r.response == response and r.side == side)


def test_blink_mouth_found_on_its_side_with_sign_latency_and_size():
    sig, starts = blinking_face(response={"left": ("smile", 0.03, 0.1)}, seed=1)
    events = blink_events(sig, FPS, NOISE)
    assert len(events) == len(starts)
    res = event_locked(sig, FPS, events, noise=NOISE)
    left, right = find(res, "smile", "left"), find(res, "smile", "right")
    assert left.verdict == SYNKINESIS, left.describe()
    assert left.direction == 1 and abs(left.peak - 0.03) < 0.003
    assert abs(left.latency_s - 0.1) <= 1 / FPS
    assert left.n_events == 17 and left.consistent >= 15 and left.p_value < 0.01
    assert right.verdict == NONE and abs(right.peak) < 0.005
    others = [r for r in res if (r.response, r.side) != ("smile", "left")]
    assert all(r.verdict != SYNKINESIS for r in others), [r.describe() for r in others if r.verdict == SYNKINESIS]


def test_a_downward_response_is_signed_down():
    sig, _ = blinking_face(response={"right": ("brow_raise", -0.02, 0.2)}, seed=2)
    res = event_locked(sig, FPS, blink_events(sig, FPS, NOISE), noise=NOISE)
    right = find(res, "brow_raise", "right")
    assert right.verdict == SYNKINESIS and right.direction == -1
    assert abs(right.peak + 0.02) < 0.002 and abs(right.latency_s - 0.2) <= 1 / FPS
    assert find(res, "brow_raise", "left").verdict == NONE


def test_pure_noise_gives_nothing():
    sig, _ = blinking_face(seed=3)
    res = event_locked(sig, FPS, blink_events(sig, FPS, NOISE), noise=NOISE)
    assert all(r.verdict == NONE for r in res), [r.describe() for r in res if r.verdict != NONE]


def test_both_sides_alike_is_a_synergy_not_synkinesis():
    sig, _ = blinking_face(response={"left": ("cheek_raise", 0.02, 0.05), "right": ("cheek_raise", 0.02, 0.05)},
                           seed=4)
    res = event_locked(sig, FPS, blink_events(sig, FPS, NOISE), noise=NOISE)
    for side in ("left", "right"):
        r = find(res, "cheek_raise", side)
        assert r.p_value < 0.01 and abs(r.peak - 0.02) < 0.003   # the response is seen ...
        assert r.verdict == NONE and "alike" in r.reason         # ... and not called synkinesis


def test_two_events_are_not_enough_data():
    sig, _ = blinking_face(seconds=10, n_blinks=2, response={"left": ("smile", 0.03, 0.1)}, seed=5)
    res = event_locked(sig, FPS, blink_events(sig, FPS, NOISE), noise=NOISE)
    left = find(res, "smile", "left")
    assert left.n_events == 2 and left.verdict == UNDECIDED and "not enough data" in left.reason


def test_any_onset_list_unmeasured_frames_and_bad_input():
    sig, starts = blinking_face(response={"left": ("smile", 0.03, 0.1)}, seed=6)
    onsets = np.round(starts * FPS).astype(int)      # e.g. winks or quick smiles given as onsets
    sig[onsets[0] - 5:onsets[0] + 20] = np.nan       # one event not measured: left out, not fatal
    res = event_locked(sig, FPS, onsets, driver="wink", responses=("smile", "pucker"))
    left = find(res, "smile", "left")
    assert left.n_events == 16 and left.n_events_total == 17 and left.verdict == SYNKINESIS
    # from the onset, the plateau of the response starts 0.2 s later and lasts 0.05 s
    assert 0.2 - 1 / FPS <= left.latency_s <= 0.25 + 1 / FPS
    assert len(res) == 4 and all(np.isfinite(r.noise) for r in res)   # noise estimated when not given
    mask = np.zeros(len(sig), bool)
    mask[[10, 11, 12, 50]] = True
    assert event_frames(mask).tolist() == [10, 50]
    with pytest.raises(ValueError, match="shape"):
        event_locked(sig[:, 0], FPS, onsets)
    with pytest.raises(ValueError, match="unknown signal"):
        event_locked(sig, FPS, onsets, responses=("mouth",))
    with pytest.raises(ValueError, match="inside the recording"):
        event_locked(sig, FPS, [len(sig) + 3])


def test_stricter_rules_apply():
    sig, _ = blinking_face(response={"left": ("smile", 0.03, 0.4)}, seed=7)   # too late for a synkinesis
    res = event_locked(sig, FPS, blink_events(sig, FPS, NOISE), noise=NOISE, cfg=EventLockedConfig(max_latency_s=0.3))
    left = find(res, "smile", "left")
    assert left.verdict == NONE and "latency" in left.reason and abs(left.latency_s - 0.4) <= 1 / FPS


def test_a_closure_flat_on_top_is_timed_at_its_middle_and_so_is_its_response():
    # A closed eye reads fully closed for several frames: the event is the middle of that
    # plateau, not its first frame, and a response planted 0.1 s after the blink reads 0.1 s.
    sig, starts = blinking_face(response={"left": ("smile", 0.03, 0.1)}, seed=2)
    eye = sig[:, :, S["eye_closure"]]
    sig[:, :, S["eye_closure"]] = np.minimum(eye, 0.6)            # saturates over ~4 frames
    events = blink_events(sig, FPS, NOISE)
    # the blink plateau's middle (the closure falls slower than it rises: a little later)
    deepest = (starts + 0.1 + 0.025) * FPS
    assert np.abs(events - deepest).max() < 0.6, events - deepest
    left = find(event_locked(sig, FPS, events, noise=NOISE), "smile", "left")
    assert abs(left.latency_s - 0.1) < 0.75 / FPS, left.latency_s      # was 1.3-1.5 frames late


def test_a_corner_lifted_straight_up_reads_its_own_lift_not_its_smile_projection():
    """smile is (out + up) / sqrt 2 and pucker is -out: a corner lifted by 0.02 IOD reads smile
    0.014 and pucker 0; the response's size is the corner's own movement, 0.02, and its words
    say up, not up and out."""
    lift = 0.02
    sig, _ = blinking_face(response={"right": ("smile", lift / np.sqrt(2), 0.08)}, seed=3)
    res = event_locked(sig, FPS, blink_events(sig, FPS, NOISE), noise=NOISE)
    smile = find(res, "smile", "right")
    assert smile.verdict == SYNKINESIS, smile.describe()
    assert abs(smile.peak - lift / np.sqrt(2)) < 0.002
    assert abs(smile.size - lift) < 0.002 and smile.moves == "mouth corner up"
    assert smile.verdict_json()["amplitude"] == pytest.approx(smile.size, abs=1e-4)
    eye_like = find(res, "brow_raise", "right")             # not a corner: size is the peak's
    assert eye_like.size == abs(eye_like.peak) and eye_like.corner is None
