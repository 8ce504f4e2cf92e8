"""Recovery over weeks: what a series of weekly tests says, decided with known error rates.

Pure functions over one patient's tests sorted by days since onset (arrays: one row per test).
Each decision at a test uses only that test and the ones before it, so a page drawn at week 6
says what was known at week 6.

- Returning tone (``tone_returning``): resting asymmetry (left minus right, mm, with each test's
  noise; ``rest_symmetry``) shrinking over the last ``TONE_WINDOW_DAYS``. Per measure a straight
  line is fitted by weighted least squares (weights 1/noise^2) and tested one-sided. A test's
  own noise (the spread within its rest phase) can under-state how much the same face reads
  from one week to the next (posture, light), so two guards are added: the scatter between
  tests beyond their stated noise, estimated from second differences of the whole series so far
  (they cancel a steady trend), is added to every test's noise, and the fit's standard error is
  inflated by its own scatter where that is larger than the noise says (the Birge ratio).
  Improvement is found at a test when, for at least one measure, p < ``TONE_ALPHA`` / number of
  measures (Bonferroni) and the fitted change over the window is at least ``MIN_FALL_MM``, over a
  window spanning ``MIN_WEEKS`` weeks. It is reported once the clearest measure has been
  improving for ``MIN_WEEKS`` weeks (``falling_since``) and the improvement is found either at
  ``CONFIRM`` tests in a row or in ``CONFIRM`` measures at once. Which way is better: where the
  affected side is known, the way that undoes its droop (``rest_symmetry.droop_direction``; a
  face is rarely symmetric to start with, so the sides may cross and settle past level); else
  towards level, the side the asymmetry leans to taken from the window's weighted mean (which
  is independent of the fitted slope, so choosing it does not bias the test).
- First voluntary movement (``first_movement``): in a test, the affected side's movement in a
  task (median hold level of the task's own signal) is present when it exceeds ``MIN_SNR``
  times that test's rest noise of the signal and a clinically visible size; the first test
  where it is present after tests where it was absent in every task is the first movement.
- Worsening synkinesis (``worsening``): a synkinesis index of the affected side moving the
  worse way over the last ``WORSENING_WINDOW`` tests (ordinary least squares, one-sided t-test
  on its own scatter, Bonferroni over the indices measured in enough of those tests, at least
  the index's ``min_change``), found at ``CONFIRM`` tests in a row.

Natural history (``phase``): synkinesis develops over the first months, worsens fastest about
200-300 days after onset and plateaus after about 500 days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from realtime.clinical.assessment import TASKS, task_level, tasks_in
from realtime.clinical.weekly import WEEKLY_TASKS
from realtime.landmarks import SIDES
from realtime.signals.coactivation import CoactivationConfig, min_amplitude
from realtime.signals.features import S

WEEK_DAYS = 7.0
MIN_WEEKS = 3                 # improvement must span at least this many weeks ...
TONE_WINDOW_DAYS = MIN_WEEKS * WEEK_DAYS
MIN_WINDOW_TESTS = MIN_WEEKS + 1   # ... and as many weekly tests plus one
SPAN_SLACK_DAYS = 3.0         # weekly tests taken a few days early or late still count as a week
TONE_ALPHA = 1e-3             # false-alarm rate of one test's decision, over all measures
MIN_FALL_MM = 0.5             # smallest fall of a resting asymmetry worth telling a patient
MIN_SNR = CoactivationConfig().min_snr   # a movement exceeds this many rest-noise SDs and min_amplitude
CONFIRM = 2                   # a trend is reported once found at this many tests in a row (or measures)
WORSENING_WINDOW = 6          # tests in the worsening trend's window (at least MIN_WINDOW_TESTS)
WORSENING_ALPHA = 0.01
# Each task's own signal (the movement it asks for), weekly test and guided assessment.
TASK_SIGNAL = {t.key: t.driver for t in (*WEEKLY_TASKS, *TASKS) if t.driver}
# Natural history of synkinesis after facial palsy (days since onset).
PHASES = (("developing", 0.0, 200.0), ("fastest worsening", 200.0, 300.0), ("slowing", 300.0, 500.0),
          ("plateau", 500.0, float("inf")))


def phase(days: float) -> str:
    """The natural-history phase at ``days`` since onset."""
    return next(name for name, a, b in PHASES if a <= days < b)


# ------------------------------------------------------------------ trend fits

@dataclass(frozen=True)
class Fit:
    """A straight line through (days, y): the slope per week, its standard error, the level at
    the weighted mean day, and the fit's chi-square and degrees of freedom."""
    slope: float
    se: float
    level: float
    chi2: float
    dof: int
    span_days: float
    n: int


def weighted_fit(days: np.ndarray, y: np.ndarray, noise: np.ndarray | None = None) -> Fit | None:
    """Least-squares line, weighted by 1/noise^2 (noise None: ordinary least squares, its
    standard error from the scatter); NaN points left out. None with fewer than 3 points or
    all on one day."""
    days, y = np.asarray(days, float), np.asarray(y, float)
    w = np.ones_like(y) if noise is None else 1.0 / np.asarray(noise, float) ** 2
    ok = np.isfinite(days) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    if ok.sum() < 3:
        return None
    x, y, w = days[ok] / WEEK_DAYS, y[ok], w[ok]
    xm = np.sum(w * x) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)
    if sxx <= 0:
        return None
    level = np.sum(w * y) / np.sum(w)
    slope = np.sum(w * (x - xm) * (y - level)) / sxx
    resid = y - level - slope * (x - xm)
    chi2, dof = float(np.sum(w * resid ** 2)), int(ok.sum() - 2)
    se = np.sqrt(1.0 / sxx) if noise is not None else np.sqrt(chi2 / dof / sxx)
    return Fit(float(slope), float(se), float(level), chi2, dof, float(np.ptp(days[ok])), int(ok.sum()))


# ------------------------------------------------------------------ returning tone

@dataclass(frozen=True)
class AsymmetryTrend:
    """One measure's resting asymmetry over a window. ``fall_mm``: the fitted fall of the
    asymmetry's size over the window (positive = more symmetric); ``p``: one-sided."""
    measure: str
    fall_mm: float
    slope_mm_per_week: float     # of the asymmetry's size: negative = shrinking
    se_mm_per_week: float
    p: float
    improving: bool


def asymmetry_trend(measure: str, days, y, noise, alpha: float, droop: float | None = None) -> AsymmetryTrend | None:
    """``droop``: the sign the asymmetry takes when the affected side droops (None: unknown;
    then the side it leans to in the window)."""
    fit = weighted_fit(days, y, noise)
    if fit is None:
        return None
    lean = droop if droop is not None else (1.0 if fit.level >= 0 else -1.0)
    slope = lean * fit.slope
    se = fit.se * np.sqrt(max(1.0, fit.chi2 / fit.dof)) if fit.dof > 0 else fit.se
    p = 0.5 * math.erfc(-slope / se / math.sqrt(2))    # one-sided normal tail
    fall = -slope * fit.span_days / WEEK_DAYS
    improving = p < alpha and fall >= MIN_FALL_MM and fit.span_days >= TONE_WINDOW_DAYS - SPAN_SLACK_DAYS
    return AsymmetryTrend(measure, float(fall), float(slope), float(se), p, bool(improving))


@dataclass(frozen=True)
class ToneDecision:
    """At test ``index`` (days since onset ``days``): whether resting symmetry tests as
    improving beyond noise (``improving``), whether that is reported (``reported``: found at
    ``CONFIRM`` tests in a row), which measures say so, and for how many weeks (the longest
    trailing window over which it still tests as improving)."""
    index: int
    days: float
    improving: bool
    trends: tuple[AsymmetryTrend, ...]
    weeks: int = 0
    measure: str | None = None    # the clearest improving measure ...
    fall_mm: float = 0.0          # ... and how much more even it is now than ``weeks`` ago
    reported: bool = False


def _window(days: np.ndarray, end: int, span_days: float) -> slice:
    start = int(np.searchsorted(days, days[end] - span_days - SPAN_SLACK_DAYS, side="left"))
    return slice(start, end + 1)


def between_test_variance(y: np.ndarray, noise: np.ndarray) -> float:
    """The variance of a measure between tests beyond what their noise says (mm^2, >= 0), from
    second differences y[i+1] - 2 y[i] + y[i-1] (a steady trend cancels). (n,) arrays in test
    order; NaN tests left out; 0 with fewer than 3 tests."""
    y, noise = np.asarray(y, float), np.asarray(noise, float)
    ok = np.isfinite(y) & np.isfinite(noise)
    y, n2 = y[ok], noise[ok] ** 2
    if len(y) < 3:
        return 0.0
    d2 = y[2:] - 2 * y[1:-1] + y[:-2]
    expected = n2[2:] + 4 * n2[1:-1] + n2[:-2]
    return max(0.0, float(np.mean(d2 ** 2 - expected)) / 6.0)


def _total_noise(asym: np.ndarray, noise: np.ndarray, end: int) -> np.ndarray:
    """(end + 1,) each test's noise with the between-test scatter of the tests up to ``end``."""
    return np.sqrt(noise[:end + 1] ** 2 + between_test_variance(asym[:end + 1], noise[:end + 1]))


def _below_line(days, y, noise, prev: int, first: int, end: int) -> bool | None:
    """Whether test ``prev`` lies clearly (2 noise SDs) below the line fitted to tests
    ``first``..``end`` extended to it; None where that cannot be told."""
    sl = slice(first, end + 1)
    fit = weighted_fit(days[sl], y[sl], noise[sl])
    if fit is None or not np.isfinite(y[prev]):
        return None
    w = 1 / noise[sl] ** 2
    xm = np.sum(w * days[sl]) / np.sum(w)
    return bool(y[prev] < fit.level + fit.slope * (days[prev] - xm) / WEEK_DAYS - 2 * noise[prev])


def falling_since(days: np.ndarray, y: np.ndarray, noise: np.ndarray, start: int, end: int) -> int:
    """The earliest test from which a measure has been falling to ``end``. A test is part of
    the fall unless it lies clearly below the line fitted through the later tests (a flat
    stretch before a fall does): tests at the window's start (``start``) are dropped while they
    do (three are kept), then earlier tests are taken in while they do not. y: the asymmetry's
    size (oriented), noise: each test's total noise."""
    first = start
    while end - first >= 3 and _below_line(days, y, noise, first, first + 1, end):
        first += 1
    if first > start:
        return first
    while first > 0 and _below_line(days, y, noise, first - 1, first, end) is False:
        first -= 1
    return first


def tone_returning(days, asymmetry, noise, measures: tuple[str, ...], index: int | None = None,
                   droop: np.ndarray | None = None) -> ToneDecision:
    """Whether resting symmetry tests as improving at test ``index`` (default the last), from
    the tests up to it (``reported`` is left to ``tone_history``). days: (n,) sorted;
    asymmetry, noise: (n, M) left-minus-right mm and its noise per measure (NaN: not measured)."""
    days = np.asarray(days, float)
    asym = np.asarray(asymmetry, float).reshape(len(days), -1)
    noise = np.asarray(noise, float).reshape(len(days), -1)
    end = len(days) - 1 if index is None else int(index)
    alpha = TONE_ALPHA / max(1, len(measures))
    w = _window(days, end, TONE_WINDOW_DAYS)
    trends, totals = [], {}
    if end + 1 - w.start >= MIN_WINDOW_TESTS:
        for m, name in enumerate(measures):
            totals[m] = _total_noise(asym[:, m], noise[:, m], end)
            tr = asymmetry_trend(name, days[w], asym[w, m], totals[m][w], alpha,
                                 None if droop is None else float(droop[m]))
            if tr is not None:
                trends.append(tr)
    weeks, best, fall = 0, None, 0.0
    if any(tr.improving for tr in trends):
        # Told as "for N weeks": since when the clearest improving measure has been falling.
        best = min((tr for tr in trends if tr.improving), key=lambda tr: tr.p)
        m = measures.index(best.measure)
        total = totals[m]
        ok = np.isfinite(asym[:end + 1, m]) & np.isfinite(total)
        lean = float(droop[m]) if droop is not None else (np.sign(np.nansum(asym[w, m] / total[w] ** 2)) or 1.0)
        y = np.where(ok, lean * asym[:end + 1, m], np.nan)
        first = falling_since(days, y, np.where(ok, total, np.inf), w.start, end)
        weeks = int(round((days[end] - days[first]) / WEEK_DAYS))
        fall = float(y[first] - y[end]) if np.isfinite(y[first] - y[end]) else best.fall_mm
    return ToneDecision(end, float(days[end]), any(tr.improving for tr in trends), tuple(trends), weeks,
                        None if best is None else best.measure, fall)


def confirmed(found: list[bool]) -> list[bool]:
    """Reported at each test: found there and at the ``CONFIRM`` - 1 tests before it."""
    return [i + 1 >= CONFIRM and all(found[i + 1 - CONFIRM:i + 1]) for i in range(len(found))]


def tone_history(days, asymmetry, noise, measures: tuple[str, ...], droop: np.ndarray | None = None
                 ) -> list[ToneDecision]:
    """``tone_returning`` at every test, each from the tests up to it, with ``reported`` set:
    found falling for ``MIN_WEEKS`` weeks, and either found at the test before too or in
    ``CONFIRM`` measures at once (two measures rarely drift the same way by chance)."""
    out = [tone_returning(days, asymmetry, noise, measures, i, droop) for i in range(len(days))]
    found = [d.improving and d.weeks >= MIN_WEEKS for d in out]
    again = confirmed([d.improving for d in out])
    return [replace(d, reported=f and (a or sum(t.improving for t in d.trends) >= CONFIRM))
            for d, f, a in zip(out, found, again)]


def first_report(decisions: list) -> int | None:
    """The first test at which a decision (``ToneDecision``, ``Movement``, ``Worsening``) was
    reported."""
    return next((d.index for d in decisions if d.reported), None)


# ------------------------------------------------------------------ first movement

@dataclass(frozen=True)
class Movement:
    """At test ``index``: the tasks in which the affected side moved beyond its rest noise,
    and whether this is the first test with any (after tests where there was none)."""
    index: int
    days: float
    moving: tuple[str, ...]
    first: bool

    @property
    def reported(self) -> bool:
        return self.first


def task_movements(t: np.ndarray, sig: np.ndarray, timeline: list[dict], rest_noise: np.ndarray) -> dict:
    """Per task of the timeline with its own signal (``TASK_SIGNAL``): the signal, and per side
    its median hold level and its rest noise (face units). t: (T,); sig: (T, 2, N_SIGNALS);
    rest_noise: (2, N_SIGNALS) per-frame SD at rest."""
    out = {}
    for task in tasks_in(timeline):
        g = TASK_SIGNAL.get(task)
        if g is None:
            continue
        out[task] = {"signal": g,
                     "level": {side: task_level(t, sig[:, s, S[g]], timeline, task) for s, side in enumerate(SIDES)},
                     "rest_noise": {side: float(rest_noise[s, S[g]]) for s, side in enumerate(SIDES)}}
    return out


def movement_present(level: np.ndarray, rest_noise: np.ndarray, min_size: np.ndarray) -> np.ndarray:
    """Where a task's movement (its own signal's median hold level, face units, positive the
    task's way) clears ``MIN_SNR`` rest-noise SDs and the visible size. Shapes broadcast."""
    level, rest_noise = np.asarray(level, float), np.asarray(rest_noise, float)
    return np.isfinite(level) & (level >= np.maximum(MIN_SNR * rest_noise, np.asarray(min_size, float)))


def first_movement(days, levels, rest_noise, tasks: tuple[str, ...], signals: tuple[str, ...]) -> list[Movement]:
    """Per test: the tasks where the affected side moved (``movement_present``) and whether it
    is the first movement. levels, rest_noise: (n, T) per test and task (NaN: task not done);
    signals: (T,) each task's own signal. The first test with movement counts as first only if
    an earlier test measured the tasks and found none."""
    days = np.asarray(days, float)
    lv = np.asarray(levels, float).reshape(len(days), -1)
    rn = np.asarray(rest_noise, float).reshape(len(days), -1)
    present = movement_present(lv, rn, np.array([min_amplitude(g) for g in signals]))
    out, none_before, found = [], False, False
    for i in range(len(days)):
        moving = tuple(t for t, p in zip(tasks, present[i]) if p)
        first = bool(moving) and none_before and not found
        found |= bool(moving)
        none_before |= not moving and bool(np.isfinite(lv[i]).any())
        out.append(Movement(i, float(days[i]), moving, first))
    return out


# ------------------------------------------------------------------ worsening synkinesis

@dataclass(frozen=True)
class IndexTrend:
    index_name: str
    change: float          # fitted change over the window, the worse way positive
    p: float
    worsening: bool


@dataclass(frozen=True)
class Worsening:
    """At test ``index``: whether an index tests as worsening, and whether that is reported
    (found at ``CONFIRM`` tests in a row)."""
    index: int
    days: float
    worsening: bool
    trends: tuple[IndexTrend, ...]
    reported: bool = False


def worsening(days, values, names: tuple[str, ...], worse_sign: tuple[float, ...], min_change: tuple[float, ...],
              index: int | None = None) -> Worsening:
    """At test ``index`` (default the last): the synkinesis indices of the affected side,
    values (n, K) (NaN: not measured); worse_sign: +1 where a rise is worse, -1 where a fall
    is; min_change: the smallest change over the window that counts (index units)."""
    days = np.asarray(days, float)
    vals = np.asarray(values, float).reshape(len(days), -1)
    end = len(days) - 1 if index is None else int(index)
    start = max(0, end + 1 - WORSENING_WINDOW)
    trends = []
    if end + 1 - start >= MIN_WINDOW_TESTS:
        fits = [weighted_fit(days[start:end + 1], worse_sign[k] * vals[start:end + 1, k]) for k in range(len(names))]
        # Bonferroni over the indices tested here: an index never measured (the neck out of
        # view in every test) neither tests nor makes the others' bar stricter.
        alpha = WORSENING_ALPHA / max(1, sum(f is not None and f.dof >= 1 for f in fits))
        for k, (name, fit) in enumerate(zip(names, fits)):
            if fit is None or fit.dof < 1:
                continue
            if fit.se > 0:
                p = float(stats.t.sf(fit.slope / fit.se, fit.dof))
            else:   # a perfect line: decided by its direction alone
                p = 0.0 if fit.slope > 0 else 1.0
            change = fit.slope * fit.span_days / WEEK_DAYS
            trends.append(IndexTrend(name, float(change), p, bool(p < alpha and change >= min_change[k])))
    return Worsening(end, float(days[end]), any(t.worsening for t in trends), tuple(trends))


def worsening_history(days, values, names, worse_sign, min_change) -> list[Worsening]:
    """``worsening`` at every test, each from the tests up to it, with ``reported`` set."""
    out = [worsening(days, values, names, worse_sign, min_change, i) for i in range(len(days))]
    return [replace(d, reported=r) for d, r in zip(out, confirmed([d.worsening for d in out]))]


__all__ = ["phase", "weighted_fit", "tone_returning", "tone_history", "first_movement", "worsening",
           "worsening_history", "first_report", "PHASES"]
