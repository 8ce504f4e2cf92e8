"""Co-activation maths and verdicts on synthetic signals with known coupling."""

import numpy as np
import pytest

from realtime.signals.coactivation import (analyse, blink_mask, delayed, explained, peak_lag, planted_response,
                                          undecided_words, xcorr, xcorr_matrix, xcorr_pair)
from realtime.signals.features import SIGNALS, S

FPS = 30.0


def bursts(n, starts, width=45, amp=1.0):
    x = np.zeros(n)
    for s in starts:
        t = np.arange(width)
        x[s:s + width] += amp * np.sin(np.pi * t / width) ** 2
    return x


def scenario(delay_frames=6, side=0, gain=0.3, both=False, seed=0, n=900):
    rng = np.random.default_rng(seed)
    noise = np.full((2, len(SIGNALS)), 0.005)
    sig = rng.normal(0, 0.005, (n, 2, len(SIGNALS)))
    smile = bursts(n, [90, 230, 380, 520, 700], width=60, amp=0.12)
    sig[:, :, S["smile"]] += smile[:, None]
    eye = gain * np.roll(smile, delay_frames) / 0.12
    for s in ([0, 1] if both else [side]):
        sig[:, s, S["eye_closure"]] += eye
    return sig, noise


def find(cs, driver, response, side):
    return next(c for c in cs if (c.driver, c.response, c.side) == (driver, response, side))


def test_xcorr_finds_exact_shift():
    rng = np.random.default_rng(1)
    a = rng.normal(size=500)
    b = np.roll(a, 7)
    r = xcorr(a, b, 20)
    peak, lag = peak_lag(r, 20)
    assert peak == pytest.approx(1.0, abs=0.03)
    assert lag == pytest.approx(7, abs=0.2)


def test_every_ordered_pair_and_side_is_reported():
    sig, noise = scenario()
    cs, _ = analyse(sig, FPS, noise)
    assert len(cs) == len(SIGNALS) * (len(SIGNALS) - 1) * 2
    assert {(c.driver, c.response, c.side) for c in cs} == {
        (d, r, s) for d in SIGNALS for r in SIGNALS if d != r for s in ("left", "right")}


@pytest.mark.parametrize("side", [0, 1])
def test_one_sided_delayed_coupling_is_flagged_on_that_side_only(side):
    sig, noise = scenario(delay_frames=6, side=side)
    cs, _ = analyse(sig, FPS, noise)
    name, other = ("left", "right") if side == 0 else ("right", "left")
    hit = find(cs, "smile", "eye_closure", name)
    assert hit.synkinesis
    assert hit.lag_s == pytest.approx(6 / FPS, abs=0.05)
    assert hit.gain == pytest.approx(0.3 / 0.12, rel=0.15)
    assert not find(cs, "smile", "eye_closure", other).synkinesis
    # the reverse direction has the response leading: never synkinesis
    assert not find(cs, "eye_closure", "smile", name).synkinesis
    assert [c for c in cs if c.synkinesis] == [hit]


def test_response_that_precedes_driver_is_not_flagged():
    sig, noise = scenario(delay_frames=-9, side=0)
    cs, _ = analyse(sig, FPS, noise)
    c = find(cs, "smile", "eye_closure", "left")
    assert c.lag_s < 0
    assert not c.synkinesis


def test_symmetric_healthy_coupling_is_not_flagged():
    sig, noise = scenario(gain=0.15, both=True)   # 15 % narrowing on both sides: normal
    cs, _ = analyse(sig, FPS, noise)
    assert not [c for c in cs if c.synkinesis]


def test_symmetric_coupling_beyond_healthy_range_is_flagged():
    sig, noise = scenario(gain=0.7, both=True)    # 70 % narrowing with smiles, both sides
    cs, _ = analyse(sig, FPS, noise)
    flagged = {(c.driver, c.response, c.side) for c in cs if c.synkinesis}
    assert flagged == {("smile", "eye_closure", "left"), ("smile", "eye_closure", "right")}


def test_blinks_are_found_and_ignored():
    n = 900
    rng = np.random.default_rng(3)
    sig = rng.normal(0, 0.005, (n, 2, len(SIGNALS)))
    noise = np.full((2, len(SIGNALS)), 0.005)
    smile = bursts(n, [100, 400, 700], width=60, amp=0.12)
    sig[:, :, S["smile"]] += smile[:, None]
    blinks = bursts(n, [120, 420, 720, 300, 550], width=8, amp=0.8)  # blinks during each smile
    sig[:, :, S["eye_closure"]] += blinks[:, None]
    mask = blink_mask(sig[:, :, S["eye_closure"]], FPS, noise[:, S["eye_closure"]])
    assert mask[[124, 424, 724, 304, 554]].all()
    assert mask.sum() < 120
    cs, found = analyse(sig, FPS, noise)
    assert found.sum() == mask.sum()
    assert not [c for c in cs if c.synkinesis]


def test_passengers_of_a_smile_are_not_reported_as_drivers():
    # The cheek rises with every smile on both sides (normal synergy); the right eye narrows
    # with the smile at zero delay. Only smile -> eye_closure on the right is synkinesis.
    sig, noise = scenario(delay_frames=0, side=1, gain=0.3)
    smile = sig[:, :, S["smile"]].copy()
    sig[:, :, S["cheek_raise"]] += 0.25 * smile
    sig[:, :, S["chin"]] += 0.3 * smile
    cs, _ = analyse(sig, FPS, noise)
    assert [(c.driver, c.response, c.side) for c in cs if c.synkinesis] == [("smile", "eye_closure", "right")]
    # the passengers are still reported with their numbers
    c = find(cs, "eye_closure", "cheek_raise", "right")
    assert c.peak_r > 0.8 and not c.synkinesis


# ---- evidence: a verdict needs enough of it -------------------------------------------------

def _called(couplings, side="left"):
    return [c for c in couplings if c.driver == "smile" and c.response == "eye_closure" and c.side == side]


def test_a_clear_one_sided_coupling_is_called_with_its_evidence():
    sig, noise = scenario(side=0)
    (c,) = _called(analyse(sig, FPS, noise)[0])
    assert c.synkinesis and c.verdict == "synkinesis"
    assert c.activations == 5 and c.p_value < 0.01 and c.confidence > 0.9


def test_too_short_a_stretch_is_undecided_not_none():
    sig, noise = scenario(side=0)
    short = sig[60:240]                        # 6 s with one and a half smiles
    (c,) = _called(analyse(short[:150], FPS, noise)[0])
    assert not c.synkinesis and c.verdict == "undecided" and "not enough data" in c.reason


def test_a_single_driver_movement_is_undecided():
    sig, noise = scenario(side=0)
    one = sig.copy()
    one[200:, :, :] = np.random.default_rng(3).normal(0, 0.005, one[200:].shape)   # only the first smile
    (c,) = _called(analyse(one, FPS, noise)[0])
    assert not c.synkinesis and c.verdict == "undecided" and "made 1 distinct movement" in c.reason


def test_a_driver_that_moved_but_not_in_distinct_movements_rules_nothing_out():
    """Pairs that are no candidate are undecided too when their driver moved visibly but not
    twice distinctly; a driver that never moved leaves its pairs "none"."""
    sig, noise = scenario(side=0)
    one = sig.copy()
    one[200:, :, :] = np.random.default_rng(3).normal(0, 0.005, one[200:].shape)   # only the first smile
    couplings = analyse(one, FPS, noise)[0]
    smile = [c for c in couplings if c.driver == "smile" and c.side == "left"]
    assert smile and all(c.verdict == "undecided" and "made 1 distinct movement" in c.reason for c in smile)
    assert {c.verdict for c in couplings if c.driver == "brow_raise"} == {"none"}
    # with every smile there, the pairs that are no candidate are "none" again, except the
    # other eye's: beside the left's 30 % narrowing, a 15 % one on the right would not stand out
    full = analyse(sig, FPS, noise)[0]
    rest = [c for c in full if c.driver == "smile" and not c.synkinesis]
    assert {c.verdict for c in rest if (c.response, c.side) != ("eye_closure", "right")} == {"none"}
    right = find(full, "smile", "eye_closure", "right")
    assert right.verdict == "undecided" and "other side" in right.reason, right.reason
    # the one line names each driver once and says what to do
    from realtime.signals.coactivation import undecided_words
    line = undecided_words([c.to_json() for c in couplings if c.verdict == "undecided"])
    assert "too few distinct movements (2 needed) of the " in line and line.count("smile") == 1
    assert "at least 2 times" in line and "\n" not in line


def test_a_lag_near_the_edge_of_the_window_is_not_synkinesis():
    sig, noise = scenario(delay_frames=24, side=0)   # 0.8 s: speech rhythm, not synkinesis
    (c,) = _called(analyse(sig, FPS, noise)[0])
    assert abs(c.lag_s - 0.8) < 0.05 and not c.synkinesis and c.verdict == "none" and "too late" in c.reason


def test_surrogates_tell_chance_from_coupling():
    from realtime.signals.coactivation import surrogate_p
    rng = np.random.default_rng(5)
    n = 900
    driver = bursts(n, [90, 230, 380, 520, 700], width=60)
    coupled = np.roll(driver, 6) + rng.normal(0, 0.05, n)
    unrelated = bursts(n, [150, 330, 610, 800], width=60) + rng.normal(0, 0.05, n)
    p_coupled, n_sur = surrogate_p(driver, coupled, 30, 60)
    p_unrelated, _ = surrogate_p(driver, unrelated, 30, 60)
    assert n_sur > 700 and p_coupled < 0.01 and p_unrelated > 0.05


def test_a_smile_filling_most_of_the_stretch_keeps_its_amplitude():
    from realtime.signals.coactivation import activity_range
    x = np.r_[np.zeros(300), np.full(600, 0.1)]   # smiling two thirds of the time
    assert activity_range(x) == pytest.approx(0.1)


def test_a_mostly_unmeasured_stretch_is_undecided():
    sig, noise = scenario(side=0)
    holes = sig.copy()
    for a in range(0, len(holes), 60):          # 36 of every 60 frames outside the envelope
        holes[a + 12:a + 48] = np.nan
    (c,) = _called(analyse(holes, FPS, noise)[0])
    assert not c.synkinesis and c.verdict == "undecided" and "could be measured" in c.reason


def test_a_stretch_shorter_than_the_lag_window_gives_no_numbers_not_an_error():
    sig, noise = scenario(side=0)
    cs, _ = analyse(sig[:28], FPS, noise)          # 28 frames, lags up to +-30
    assert len(cs) == len(SIGNALS) * (len(SIGNALS) - 1) * 2
    assert not [c for c in cs if c.synkinesis]
    r = xcorr(sig[:28, 0, S["smile"]], sig[:28, 0, S["eye_closure"]], 30)
    assert np.isnan(r[:4]).all() and np.isnan(r[-4:]).all() and np.isfinite(r[30])


def test_too_short_a_stretch_rules_nothing_out_either():
    """Pairs that would not be candidates on a long recording are not "none" on 5 s of it."""
    sig, noise = scenario(side=0)
    couplings = analyse(sig[:150], FPS, noise)[0]
    assert {c.verdict for c in couplings} == {"undecided"}
    assert all(c.reason.startswith("not enough data") for c in couplings)


@pytest.mark.parametrize("side", [0, 1])
def test_a_brow_pulled_down_by_a_pucker_is_flagged_with_its_direction(side):
    """A response that moves the opposite way to its own signal's positive sense (the brow
    pulled down) is found with its direction, on its side only."""
    n = 900
    rng = np.random.default_rng(5)
    noise = np.full((2, len(SIGNALS)), 0.004)
    sig = rng.normal(0, 0.004, (n, 2, len(SIGNALS)))
    pucker = bursts(n, [80, 240, 400, 560, 720], width=60, amp=0.08)
    sig[:, :, S["pucker"]] += pucker[:, None]
    sig[:, side, S["brow_raise"]] -= 0.5 * np.roll(pucker, 4)
    cs, _ = analyse(sig, FPS, noise)
    name, other = ("left", "right") if side == 0 else ("right", "left")
    hit = find(cs, "pucker", "brow_raise", name)
    assert hit.synkinesis and hit.direction == -1 and hit.moves == "brow down"
    assert hit.peak_r < -0.9 and hit.lag_s == pytest.approx(4 / FPS, abs=0.05)
    assert hit.amplitude == pytest.approx(0.04, rel=0.15) and hit.to_json()["moves"] == "brow down"
    assert not find(cs, "pucker", "brow_raise", other).synkinesis
    assert [c for c in cs if c.synkinesis] == [hit]


def test_smile_and_pucker_share_the_corner_so_their_opposition_is_not_a_coupling():
    n = 900
    rng = np.random.default_rng(6)
    noise = np.full((2, len(SIGNALS)), 0.004)
    sig = rng.normal(0, 0.004, (n, 2, len(SIGNALS)))
    smile = bursts(n, [80, 240, 400, 560, 720], width=60, amp=0.1)
    sig[:, 0, S["smile"]] += smile
    sig[:, 0, S["pucker"]] -= 0.7 * smile   # the corner moving out is both
    cs, _ = analyse(sig, FPS, noise)
    assert not find(cs, "smile", "pucker", "left").synkinesis
    assert find(cs, "smile", "pucker", "left").direction == 1


def test_a_response_that_follows_a_bilateral_movement_is_not_one_sided_through_its_passenger():
    """Both brows follow the jaw in speech (the chin goes down as the lower lip does); the left
    lower lip is busier with movements of its own, so only the right lower lip correlates well
    with the right brow. The brow follows the jaw on both sides: no one-sided verdict (franck, a
    healthy man talking, was called lower_lip -> brow_raise on the right this way)."""
    rng = np.random.default_rng(4)
    n = 1500
    sig = rng.normal(0, 0.004, (n, 2, len(SIGNALS)))
    noise = np.full((2, len(SIGNALS)), 0.004)
    jaw = bursts(n, range(60, n - 60, 110), width=50, amp=0.08)
    own = bursts(n, range(115, n - 60, 110), width=50, amp=0.08)    # the left lip's own movements
    for s in range(2):
        sig[:, s, S["chin"]] -= jaw
        sig[:, s, S["brow_raise"]] += 0.5 * jaw
    sig[:, 1, S["lower_lip"]] += jaw
    sig[:, 0, S["lower_lip"]] += jaw + 2.0 * own
    cs, _ = analyse(sig, FPS, noise)
    right = find(cs, "lower_lip", "brow_raise", "right")
    assert right.peak_r > 0.9 and find(cs, "lower_lip", "brow_raise", "left").peak_r < 0.6   # the trap is set
    assert not right.synkinesis, right
    # without the bilateral jaw the same one-sided pair is called
    sig[:, :, S["chin"]] += jaw[:, None]
    sig[:, 0, S["brow_raise"]] -= 0.5 * jaw
    cs, _ = analyse(sig, FPS, noise)
    assert find(cs, "lower_lip", "brow_raise", "right").synkinesis


def test_each_pair_knows_which_way_its_driver_moved():
    """A pucker pulls the "smile" signal down and the cheek with it: the pair is positively
    correlated, and both moved their negative way."""
    rng = np.random.default_rng(5)
    n = 900
    sig = rng.normal(0, 0.002, (n, 2, len(SIGNALS)))
    noise = np.full((2, len(SIGNALS)), 0.002)
    pucker = bursts(n, [100, 300, 500, 700], width=80, amp=0.06)
    for s in range(2):
        sig[:, s, S["pucker"]] += pucker
        sig[:, s, S["smile"]] -= 0.8 * pucker
        sig[:, s, S["cheek_raise"]] -= 0.3 * pucker
    cs, _ = analyse(sig, FPS, noise)
    c = find(cs, "smile", "cheek_raise", "left")
    assert c.peak_r > 0.9 and c.driver_direction == -1
    assert c.as_seen() == ("mouth corner down and in", "cheek down")
    assert find(cs, "pucker", "cheek_raise", "left").as_seen() == ("pucker", "cheek down")


def test_two_signals_move_together_within_a_frame_of_zero_lag():
    """``comoves``, the rule analyse's ride-along and direction rules and a task's findings share:
    r >= comove_r at |lag| <= 1 frame (30 fps: 33 ms), on either side of zero."""
    from realtime.signals.coactivation import comoves
    assert comoves(0.5, 1 / 30, 30.0, 0.5) and comoves(0.9, -1 / 30, 30.0, 0.5) and comoves(0.6, 0.0, 15.0, 0.5)
    assert not comoves(0.49, 0.0, 30.0, 0.5)                 # not closely enough
    assert not comoves(0.9, 0.05, 30.0, 0.5)                 # 1.5 frames late
    assert comoves(0.9, 0.05, 15.0, 0.5)                     # ... but under a frame at 15 fps
    assert not comoves(float("nan"), 0.0, 30.0, 0.5) and not comoves(0.9, float("nan"), 30.0, 0.5)


# ---- a "none" must rule something out --------------------------------------------------------

def test_planted_response_follows_the_driver_at_its_size_and_delay():
    driver = bursts(300, [50, 150], width=40, amp=0.2)
    y = planted_response(driver, np.full(300, 0.01), 0.15, 5)
    # rest (0) -> nothing added; the driver's full movement (its 98th percentile) -> 0.15
    expected = 0.01 + 0.15 * np.clip(driver / np.percentile(driver, 98), 0, 1)
    assert y[5:] == pytest.approx(expected[:-5]) and y[:5] == pytest.approx(0.01)
    assert y.max() == pytest.approx(0.16)


def test_an_eye_that_moves_on_its_own_leaves_the_pair_undecided_not_none():
    """Repeated smiles, no coupling: with a quiet eye "none" is earned (a 15 % narrowing would
    have been called); with an eye that moves as much on its own (gaze, speech), it is not."""
    sig, noise = scenario(gain=0.0)
    quiet = analyse(sig, FPS, noise)[0]
    assert find(quiet, "smile", "eye_closure", "left").verdict == "none"
    busy = sig.copy()
    rng = np.random.default_rng(9)
    own = np.convolve(rng.normal(0, 1, len(sig) + 30), np.hanning(31), "valid")[:len(sig)]
    busy[:, 0, S["eye_closure"]] += 0.25 * own / own.std()     # the left eye's own movement
    c = find(analyse(busy, FPS, noise)[0], "smile", "eye_closure", "left")
    assert c.verdict == "undecided" and "moves as much on its own" in c.reason and "15 %" in c.reason, c.reason
    assert not c.synkinesis
    line = undecided_words([c.to_json()])
    assert line.startswith("other movement would hide a mild co-activation with the smile (record each movement")


def test_the_pair_form_of_the_cross_correlation_matches_the_matrix_form():
    rng = np.random.default_rng(4)
    x = rng.normal(size=400).cumsum()
    y = np.roll(x, 5) + rng.normal(0, 2, 400)
    r, gain = xcorr_pair(x, y, 20)
    rm, gm = xcorr_matrix(np.stack([x, y], axis=1), 20)
    assert r == pytest.approx(rm[:, 0, 1], abs=1e-9) and gain == pytest.approx(gm[:, 0, 1], abs=1e-9)
    assert np.nanargmax(r) == 25


def test_what_the_driver_explains_is_removed_at_its_lag():
    rng = np.random.default_rng(6)
    x = np.convolve(rng.normal(size=700), np.hanning(21), "same")
    y = 0.5 * delayed(x, 4) + 0.1 * rng.normal(size=700)
    rest = y - explained(x, y, 20)
    assert abs(np.corrcoef(delayed(x, 4), rest)[0, 1]) < 0.05
    smiles = bursts(700, [100, 300, 500], width=60)
    assert not explained(smiles, -delayed(smiles, 4), 20).any()   # moving against it: nothing removed
    assert delayed(np.arange(5.0), 2).tolist() == [0, 0, 0, 1, 2]
    assert delayed(np.arange(5.0), -2).tolist() == [2, 3, 4, 4, 4]


def test_a_coupling_just_below_the_bar_does_not_earn_a_none():
    """A real coupling that misses the bar (the eye moves a lot on its own as well) must not
    carry the rule-out's planted 15 % over it: the pair is undecided, not "none"."""
    sig, noise = scenario(gain=0.3, side=0)
    rng = np.random.default_rng(11)
    own = np.convolve(rng.normal(0, 1, len(sig) + 30), np.hanning(31), "valid")[:len(sig)]
    sig[:, 0, S["eye_closure"]] += 0.12 * own / own.std()
    c = find(analyse(sig, FPS, noise)[0], "smile", "eye_closure", "left")
    assert not c.synkinesis and 0.4 < c.peak_r < 0.7, c.peak_r
    assert c.verdict == "undecided" and "moves as much on its own" in c.reason, c.reason
