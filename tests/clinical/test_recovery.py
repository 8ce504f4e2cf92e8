"""Recovery decisions on synthetic weekly series with known answers: how often a planted
improvement is found, how often a flat series with the same noise raises a false alarm."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.clinical.recovery import (
    MIN_FALL_MM,
    TONE_ALPHA,
    first_movement,
    first_report,
    phase,
    tone_history,
    tone_returning,
    weighted_fit,
    worsening_history,
)

MEASURES = ("mouth_corner", "eye", "brow", "cheek", "nose_wing")
WEEKS = 10
DAYS = 60.0 + 7.0 * np.arange(WEEKS)
# A left palsy's resting asymmetry (left minus right, mm): mouth corner and brow lower, the eye
# wider, the cheek and nose wing lower.
DROOP_MM = np.array([-3.0, 1.5, -3.0, -1.5, -1.0])
LEFT = np.sign(DROOP_MM)          # the sign of each asymmetry when the left side droops
NOISE_MM = 0.2
SERIES = 1000
UNDER = 500             # series whose noise is under-stated


def droop(falling_from: int | None) -> np.ndarray:
    """(WEEKS,) droop factor: 1 until week ``falling_from`` (1-based), then falling by 0.2 a week
    to 0; None: flat."""
    f = np.ones(WEEKS)
    if falling_from is not None:
        k = np.arange(1, WEEKS + 1)
        f = np.clip(1.0 - 0.2 * (k - falling_from + 1), 0.0, 1.0)
        f[k < falling_from] = 1.0
    return f


def series(rng, falling_from: int | None, noise_mm: float = NOISE_MM, true_noise_mm: float | None = None):
    """Asymmetry (WEEKS, M) and the noise each test reports; the scatter is ``true_noise_mm``
    (default: as reported), each test's reported noise varying by +/-30 %."""
    reported = noise_mm * rng.uniform(0.7, 1.3, (WEEKS, len(MEASURES)))
    scatter = reported if true_noise_mm is None else true_noise_mm * reported / noise_mm
    y = droop(falling_from)[:, None] * DROOP_MM[None] + rng.normal(0, 1, reported.shape) * scatter
    return y, reported


def report_weeks(falling_from, n=SERIES, seed=0, droop=LEFT, **kw) -> list[int | None]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        y, noise = series(rng, falling_from, **kw)
        i = first_report(tone_history(DAYS, y, noise, MEASURES, droop))
        out.append(None if i is None else i + 1)
    return out


def test_weighted_fit_recovers_a_line():
    y = 2.0 - 0.5 * (DAYS - DAYS[0]) / 7.0
    fit = weighted_fit(DAYS, y, np.full(WEEKS, 0.1))
    assert fit.slope == pytest.approx(-0.5) and fit.chi2 == pytest.approx(0.0, abs=1e-12)
    assert fit.se == pytest.approx(0.1 / np.sqrt(np.sum((np.arange(WEEKS) - 4.5) ** 2)))
    assert weighted_fit(DAYS[:2], y[:2], np.full(2, 0.1)) is None


def test_planted_improvement_is_found_and_flat_series_stay_quiet(capsys):
    """Droop falling from week 3 by 0.6 mm of mouth corner a week: reported mostly at week 5
    (three weeks of fall, weeks 2-5), in nearly every series; a flat series with the same noise:
    no false alarm in 1000 (each decision's rate is bounded by TONE_ALPHA)."""
    planted = report_weeks(3)
    found = [w for w in planted if w is not None]
    flat = report_weeks(None, seed=1)
    false_alarms = sum(w is not None for w in flat)
    # under-estimated noise (the tests' scatter twice what they report): the fit's own scatter
    # inflates the error
    under = report_weeks(None, n=UNDER, seed=2, true_noise_mm=2 * NOISE_MM)
    # the affected side not known: the asymmetry's size must shrink towards level
    blind = report_weeks(3, n=UNDER, seed=3, droop=None)
    blind_flat = report_weeks(None, n=UNDER, seed=4, droop=None)
    with capsys.disabled():
        print(f"\nreturning tone, noise {NOISE_MM} mm: detected in {len(found)}/{SERIES} planted series "
              f"(weeks {dict(zip(*np.unique(found, return_counts=True)))}); false alarms in "
              f"{false_alarms}/{SERIES} flat series, {sum(w is not None for w in under)}/{UNDER} "
              f"with the noise under-estimated 2x; side unknown: detected in {sum(w is not None for w in blind)}/"
              f"{UNDER}, false alarms {sum(w is not None for w in blind_flat)}/{UNDER}")
    assert len(found) >= 0.99 * SERIES
    assert set(found) <= {4, 5, 6, 7} and np.median(found) == 5
    # seven decisions per series (weeks 4-10) at TONE_ALPHA each: at most 0.7 % by the bound
    assert false_alarms <= 7 * TONE_ALPHA * SERIES
    assert sum(w is not None for w in under) <= 0.02 * UNDER
    assert sum(w is not None for w in blind) >= 0.99 * UNDER and sum(w is not None for w in blind_flat) <= 2


def test_improvement_needs_a_meaningful_size_and_three_weeks():
    # a steady, noiseless fall of 0.1 mm a week is "significant" but too small to tell
    y = np.tile(DROOP_MM, (WEEKS, 1)) + 0.1 * np.arange(WEEKS)[:, None] * np.sign(-DROOP_MM)
    d = tone_returning(DAYS, y, np.full(y.shape, 0.01), MEASURES, droop=LEFT)
    assert not d.improving and max(t.fall_mm for t in d.trends) < MIN_FALL_MM
    # a big fall over two weeks only (three tests) is not yet three weeks
    y = np.tile(DROOP_MM, (3, 1)) * np.array([1.0, 0.6, 0.2])[:, None]
    assert not tone_returning(DAYS[:3], y, np.full(y.shape, 0.1), MEASURES, droop=LEFT).improving


def test_improving_weeks_grow_with_the_fall():
    y = droop(3)[:, None] * DROOP_MM[None]
    hist = tone_history(DAYS, y, np.full(y.shape, 0.1), MEASURES, LEFT)
    first = first_report(hist)
    # found at week 4 (weeks 1-4 fall by 1.2 mm) but falling only since week 2; reported at
    # week 5, three weeks after
    assert hist[3].improving and hist[3].weeks == 2 and first == 4 and hist[first].weeks == 3
    assert hist[6].reported and hist[6].weeks == 5
    assert {t.measure for t in hist[6].trends if t.improving} == set(MEASURES)
    # the affected side unknown: an asymmetry shrinking either way is improving
    assert tone_returning(DAYS, -y, np.full(y.shape, 0.1), MEASURES, 6).improving
    assert tone_returning(DAYS, y, np.full(y.shape, 0.1), MEASURES, 6).improving
    # a growing droop is not; nor is the right side's droop shrinking when the left is affected
    assert not any(d.improving for d in tone_history(DAYS, y[::-1], np.full(y.shape, 0.1), MEASURES, LEFT))
    assert not any(d.improving for d in tone_history(DAYS, -y, np.full(y.shape, 0.1), MEASURES, LEFT))
    # a droop lifting past level (a face is rarely symmetric) still counts as lifting
    past = (1.0 - 0.2 * np.maximum(0, np.arange(WEEKS) - 2))[:, None] * DROOP_MM[None]   # to -0.4 of it
    assert tone_history(DAYS, past, np.full(y.shape, 0.1), MEASURES, LEFT)[8].reported


def test_first_movement_after_weeks_without():
    tasks = ("smile", "brow_raise", "eye_closure_gentle")
    signals = ("smile", "brow_raise", "eye_closure")
    noise = np.full((WEEKS, 3), 0.002)                     # rest noise, face units
    levels = np.full((WEEKS, 3), 0.001)
    levels[5:, 0] = 0.03                                   # the smile returns at week 6
    levels[7:, 2] = 0.2                                    # the eye closes at week 8
    hist = first_movement(DAYS, levels, noise, tasks, signals)
    assert first_report(hist) == 5 and hist[5].moving == ("smile",) and hist[5].reported
    assert hist[7].moving == ("smile", "eye_closure_gentle") and not hist[7].first
    # below the visible size, or within the rest noise: no movement
    small = levels.copy()
    small[5:, 0] = 0.015
    assert first_report(first_movement(DAYS, small, noise, tasks, signals)) == 7
    noisy = noise.copy()
    noisy[:, 0] = 0.01
    assert first_report(first_movement(DAYS, levels, noisy, tasks, signals)) == 7
    # moving from the first test on is not a "first" movement
    assert first_report(first_movement(DAYS, np.full((WEEKS, 3), 0.05), noise, tasks, signals)) is None


def test_worsening_synkinesis_trend():
    names, sign, min_change = ("ocular", "oral"), (-1.0, 1.0), (10.0, 0.1)
    rng = np.random.default_rng(3)
    flat = np.column_stack([rng.normal(90, 2, WEEKS), rng.normal(0.1, 0.02, WEEKS)])
    assert first_report(worsening_history(DAYS, flat, names, sign, min_change)) is None
    worse = flat.copy()
    worse[4:, 0] -= 5.0 * np.arange(1, WEEKS - 3)          # ocular index falling 5 points a week
    hist = worsening_history(DAYS, worse, names, sign, min_change)
    assert first_report(hist) in (6, 7, 8) and hist[-1].reported
    assert [t.index_name for t in hist[-1].trends if t.worsening] == ["ocular"]


def test_false_alarms_of_the_worsening_trend_on_flat_series(capsys):
    names, sign, min_change = ("ocular", "oral", "brow"), (-1.0, 1.0, 1.0), (10.0, 0.1, 0.1)
    rng = np.random.default_rng(4)
    alarms = 0
    for _ in range(SERIES):
        flat = np.column_stack([rng.normal(85, 4, WEEKS), rng.normal(0.2, 0.04, WEEKS), rng.normal(0.1, 0.04, WEEKS)])
        alarms += first_report(worsening_history(DAYS, flat, names, sign, min_change)) is not None
    with capsys.disabled():
        print(f"\nworsening synkinesis: false alarms in {alarms}/{SERIES} flat 10-week series")
    assert alarms <= 0.02 * SERIES


def test_natural_history_phases():
    assert [phase(d) for d in (10, 199, 200, 299, 300, 499, 500, 900)] == [
        "developing", "developing", "fastest worsening", "fastest worsening", "slowing", "slowing",
        "plateau", "plateau"]
