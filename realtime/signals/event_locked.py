"""Event-locked averaging: how every region responds, on each side, to brief driver events.

Pure functions on arrays. Signals: shape (T, 2, N_SIGNALS) as in ``features.py`` (sides in
``SIDES`` order, 0 at rest, NaN where unmeasured), sampled at ``fps``. Events: frame indices of
brief driver movements (spontaneous blinks, winks, quick smiles), e.g. from ``blink_events``.

Why: a blink lasts ~0.3 s and happens every few seconds; a mouth corner that twitches up with
each one is a synkinesis that cross-correlation never sees (blinks are removed before it, and a
twitch of 1 mm in 0.3 s carries little variance). Averaging the response around every event
(an event-triggered average) lifts it out of the noise, with its spread, latency and count.

Units: every amplitude (mean, sd, ci95, peak, noise) is in the signal's own units (face units,
features.py: IOD for displacements, fraction of the rest fissure for eye_closure); convert for
people with realtime/signals/units.py. Times in seconds; latency is from the event frame (for
blinks: the deepest closure) to the response's peak.

Verdict (``EventLockedResponse.verdict``), all of:
- enough events: at least ``min_events`` with a measured window (else UNDECIDED, "not enough data");
- significant: the peak beats the same average at circularly shifted event times (p < ``max_p``);
- consistent: at least ``min_consistent_share`` of the single events move beyond ``k_noise``
  rest-noise SDs in the direction of the average (a few large events do not make a pattern);
- latency inside ``min_latency_s``..``max_latency_s``: synkinetic responses follow the driver
  within a few hundred ms (a response before the driver is not caused by it);
- one-sided: this side's peak is at least ``laterality_ratio`` times the other side's response
  at the same latency and the paired per-event difference is significant (p < ``max_p``): both
  sides responding alike is a normal synergy (e.g. the cheek lifting in a blink), not synkinesis.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from realtime.landmarks import SIDES
from realtime.signals.coactivation import (
    NONE,
    PRIORITY,
    SYNKINESIS,
    TYPICAL_RANGE,
    UNDECIDED,
    blink_mask,
    fill_gaps,
    min_amplitude,
)
from realtime.signals.features import (
    CORNER_SIGNALS,
    SIGNALS,
    S,
    corner_movement,
    corner_words,
    movement,
)


@dataclass(frozen=True)
class EventLockedConfig:
    pre_s: float = 0.3                 # window before the event
    post_s: float = 0.8                # window after it
    baseline_end_s: float = -0.15      # each event's baseline: -pre_s .. this (before a blink starts)
    min_latency_s: float = 0.0
    max_latency_s: float = 0.3
    min_events: int = 5
    min_measured_share: float = 0.8    # of an event's window; fewer measured frames: event left out
    k_noise: float = 2.0               # a single event responds when beyond this many rest-noise SDs
    min_consistent_share: float = 0.6
    laterality_ratio: float = 2.0
    max_p: float = 0.01
    n_surrogates: int = 400
    seed: int = 0                      # surrogate shifts: the same data give the same p


@dataclass
class EventLockedResponse:
    """The average response of one signal on one side around a driver's events.

    Arrays have shape (n_lags,) over ``lags_s``; amplitudes in the signal's units, relative to
    each event's own pre-event baseline."""
    driver: str
    response: str
    side: str
    lags_s: np.ndarray
    mean: np.ndarray
    sd: np.ndarray                     # across events
    ci95: np.ndarray                   # half-width of the 95 % confidence interval of the mean
    n_events: int                      # events used (window measured)
    n_events_total: int                # events given
    peak: float = float("nan")         # signed mean at the peak (signal units)
    latency_s: float = float("nan")    # event -> peak, sub-frame (parabolic)
    consistent: int = 0                # single events beyond k_noise SDs in the peak's direction
    noise: float = float("nan")        # rest noise SD used (signal units)
    other_side: float = float("nan")   # the other side's mean at the same latency
    p_value: float = float("nan")      # peak vs circularly shifted events
    laterality_p: float = float("nan")  # paired per-event difference from the other side
    verdict: str = NONE                # SYNKINESIS, UNDECIDED (not enough data) or NONE
    reason: str = ""
    per_event: np.ndarray = field(default_factory=lambda: np.zeros(0))  # each event at the peak
    # Mouth-corner responses (smile, pucker): the corner's own mean movement at the peak
    # (lateral out +, up +; IOD). smile and pucker are projections of it: a corner pulled
    # straight up reads 0.71 of its lift as smile and nothing as pucker.
    corner: tuple[float, float] | None = None

    @property
    def size(self) -> float:
        """How far the response moved at its peak, in the signal's units: for a mouth corner
        its own movement, whichever way it went; else the peak's size."""
        if self.corner is not None and np.all(np.isfinite(self.corner)):
            return float(np.hypot(*self.corner))
        return abs(self.peak)

    @property
    def moves(self) -> str:
        """Which way the response moved, in words."""
        if self.corner is not None and np.all(np.isfinite(self.corner)):
            return corner_words(*self.corner)
        return movement(self.response, self.direction or 1)

    @property
    def direction(self) -> int:
        """+1 / -1: the sign of the response in the signal's convention (features.py)."""
        return int(np.sign(self.peak)) if np.isfinite(self.peak) else 0

    def describe(self) -> str:
        """One line, in signal units: 'blink -> smile, left: +0.0170 at 80 ms, 14 of 17 events'."""
        if self.n_events == 0:
            return f"{self.driver} -> {self.response}, {self.side}: no usable event"
        return (f"{self.driver} -> {self.response}, {self.side}: {self.moves} {self.size:.4f} at "
                f"{self.latency_s * 1000:.0f} ms, {self.consistent} of {self.n_events} events "
                f"({self.verdict}{': ' + self.reason if self.reason else ''})")

    def verdict_json(self) -> dict:
        """The same keys as a cross-correlated pair's (``Coupling.to_json``), so a script that
        reads summary.json's ``synkinesis`` list reads these too: lag is the latency, amplitude the
        average peak's size, r none."""
        def num(v):
            return None if not np.isfinite(v) else round(float(v), 4)
        return {"driver": self.driver, "response": self.response, "side": self.side, "peak_r": None,
                "lag_s": num(self.latency_s), "gain": None, "amplitude": num(self.size),
                "synkinesis": self.verdict == SYNKINESIS, "direction": self.direction or 1,
                "moves": self.moves, "verdict": self.verdict,
                "reason": self.reason, "activations": self.n_events, "p_value": num(self.p_value),
                "confidence": num((1 - self.p_value) * self.consistent / max(self.n_events, 1))
                if self.verdict == SYNKINESIS else 0.0,
                "method": "event-locked", "events": self.n_events, "consistent": self.consistent}

    def to_json(self) -> dict:
        def num(v):
            return None if not np.isfinite(v) else round(float(v), 6)
        return {"driver": self.driver, "response": self.response, "side": self.side,
                "n_events": self.n_events, "n_events_total": self.n_events_total,
                "peak": num(self.peak), "size": num(self.size), "moves": self.moves,
                "direction": self.direction, "latency_s": num(self.latency_s),
                "consistent": self.consistent, "noise": num(self.noise), "other_side": num(self.other_side),
                "p_value": num(self.p_value), "laterality_p": num(self.laterality_p),
                "verdict": self.verdict, "reason": self.reason,
                "lags_s": [round(float(v), 4) for v in self.lags_s],
                "mean": [num(v) for v in self.mean], "ci95": [num(v) for v in self.ci95]}


def event_frames(mask: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
    """One event per run of True in ``mask`` (T,): the frame of the run's largest ``x`` (T,),
    or the run's first frame without ``x``. Returns int indices (n_events,)."""
    mask = np.asarray(mask, dtype=bool)
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if x is None:
        return starts.astype(int)
    x = np.where(np.isfinite(x), x, -np.inf)
    return np.array([s + int(np.argmax(x[s:e])) for s, e in zip(starts, ends)], dtype=int)


def event_centres(mask: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One event per run of True in ``mask`` (T,): the centre of the run's peak of ``x`` (T,),
    in fractional frames (n_events,): the centroid of the frames within 10 % of the peak's
    height above the run's lowest value. The argmax alone is the first frame of a peak that
    is flat on top (a closed eye reads fully closed for several frames): demo blinks were
    then placed 1-1.5 frames before their deepest closure, and every response read that late."""
    x = np.where(np.isfinite(x), x, np.nan)
    out = []
    for i in event_frames(mask):
        e = i
        while e < len(mask) and mask[e]:
            e += 1
        run = x[i:e]
        if not np.isfinite(run).any():
            out.append(float(i))
            continue
        top, low = np.nanmax(run), np.nanmin(run)
        w = np.nan_to_num(run - (top - 0.1 * (top - low)), nan=0.0).clip(0) + (run == top) * 1e-9
        out.append(float(i + (np.arange(len(run)) * w).sum() / w.sum()))
    return np.array(out)


def blink_events(sig: np.ndarray, fps: float, noise: np.ndarray, max_s: float = 0.5) -> np.ndarray:
    """Spontaneous blinks in signals (T, 2, N_SIGNALS): the time of each blink's deepest
    closure (both eyes' mean; fractional frames, ``event_centres``), found with the
    co-activation's blink detector. noise: (2, N_SIGNALS) rest-noise SDs."""
    eye = fill_gaps(sig[:, :, S["eye_closure"]])
    mask = blink_mask(eye, fps, np.asarray(noise)[:, S["eye_closure"]], max_s)
    return event_centres(mask, eye.mean(axis=1))


def _epochs(x: np.ndarray, events: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """(n_events, n_lags) windows of x (T, ...) around events; out-of-range frames NaN."""
    idx = events[:, None] + lags[None, :]
    ok = (idx >= 0) & (idx < len(x))
    out = np.full(idx.shape + x.shape[1:], np.nan)
    out[ok] = x[idx[ok]]
    return out


def _subframe_peak(y: np.ndarray, i: int) -> float:
    """Offset (-0.5..0.5 frames) of the parabola's vertex through y[i-1..i+1]."""
    if 0 < i < len(y) - 1 and np.all(np.isfinite(y[i - 1:i + 2])):
        a, b, c = y[i - 1], y[i], y[i + 1]
        den = a - 2 * b + c
        if den < 0:
            return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    return 0.0


def event_locked(sig: np.ndarray, fps: float, events, driver: str = "blink",
                 responses: tuple[str, ...] | None = None, noise: np.ndarray | None = None,
                 cfg: EventLockedConfig | None = None) -> list[EventLockedResponse]:
    """Event-triggered average of each response signal on each side around ``events`` (frame
    indices, fractional ones allowed, or a (T,) bool mask whose runs are events). Windows are
    cut at the nearest frame; the latency counts from the events' own times. ``responses``: signal names (default:
    all but the driver's own signal, eye_closure for blinks). ``noise``: (2, N_SIGNALS) rest
    SDs; None: estimated from the pre-event baselines. Returns one result per side x response,
    sides in ``SIDES`` order within each response."""
    cfg = cfg or EventLockedConfig()
    sig = np.asarray(sig, dtype=np.float64)
    if sig.ndim != 3 or sig.shape[1:] != (2, len(SIGNALS)):
        raise ValueError(f"signals must have shape (T, 2, {len(SIGNALS)}), got {sig.shape}")
    if not fps > 0:
        raise ValueError("fps must be positive")
    ev = np.asarray(events)
    if ev.dtype == bool:
        if ev.shape != (len(sig),):
            raise ValueError("an event mask must have one value per frame")
        ev = event_frames(ev)
    ev = np.asarray(ev, dtype=np.float64)
    if len(ev) and (np.nanmin(ev) < -0.5 or np.nanmax(ev) >= len(sig) - 0.5 or not np.isfinite(ev).all()):
        raise ValueError("event frames must lie inside the recording")
    frames, first = np.unique(np.rint(ev).astype(int), return_index=True)
    early = ev[first] - frames            # -0.5..0.5: each event's time after its window's frame
    ev = frames
    own = "eye_closure" if driver == "blink" else driver
    names = responses if responses is not None else tuple(n for n in SIGNALS if n != own)
    unknown = [n for n in names if n not in S]
    if unknown:
        raise ValueError(f"unknown signal(s) {', '.join(unknown)}: choose from {', '.join(SIGNALS)}")

    pre, post = int(round(cfg.pre_s * fps)), int(round(cfg.post_s * fps))
    lags = np.arange(-pre, post + 1)
    lags_s = lags / fps
    base_sel = lags_s <= cfg.baseline_end_s
    search = lags_s >= 0     # the peak is sought after the event (an earlier one fails the latency rule)
    cols = [S[n] for n in names]
    ep = _epochs(sig[:, :, cols], ev, lags)                     # (n_ev, n_lags, 2, n_resp)
    measured = np.isfinite(ep).mean(axis=1) >= cfg.min_measured_share   # (n_ev, 2, n_resp)
    with warnings.catch_warnings():   # an event whose baseline was not measured: NaN, left out below
        warnings.simplefilter("ignore", RuntimeWarning)
        base = np.nanmean(np.where(base_sel[None, :, None, None], ep, np.nan), axis=1)  # (n_ev, 2, n_resp)
        corner_ep = _epochs(corner_movement(sig), ev, lags)        # (n_ev, n_lags, 2, 2): lateral, up
        corner_ep = corner_ep - np.nanmean(np.where(base_sel[None, :, None, None], corner_ep, np.nan), axis=1)[:, None]
    ep = ep - base[:, None]
    filled = fill_gaps(sig[:, :, cols])                          # for the surrogates
    rng = np.random.default_rng(cfg.seed)
    min_shift = pre + post + 1
    T = len(sig)
    shifts = (rng.integers(min_shift, T - min_shift, cfg.n_surrogates)
              if T > 2 * min_shift + 1 and len(ev) else np.zeros(0, int))

    out: list[EventLockedResponse] = []
    for r, name in enumerate(names):
        per_side = {}
        for k, side in enumerate(SIDES):
            use = measured[:, k, r] & np.isfinite(base[:, k, r])
            e = ep[use, :, k, r]
            n = int(use.sum())
            with warnings.catch_warnings():   # unmeasured lags (all NaN) are expected
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(e, axis=0) if n else np.full(len(lags), np.nan)
                sd = np.nanstd(e, axis=0, ddof=1) if n > 1 else np.full(len(lags), np.nan)
            ci = stats.t.ppf(0.975, max(n - 1, 1)) * sd / np.sqrt(max(n, 1))
            res = EventLockedResponse(driver, name, side, lags_s, mean, sd, ci, n, len(ev))
            if noise is not None:
                res.noise = float(np.asarray(noise)[k, S[name]])
            elif n > 1:   # pooled SD of the baseline stretches around their own means
                b = e[:, base_sel]
                res.noise = float(np.nanstd(b - np.nanmean(b, axis=1, keepdims=True)))
            per_side[side] = (res, use)
        for k, side in enumerate(SIDES):
            res, use = per_side[side]
            other, other_use = per_side[SIDES[1 - k]]
            _peak_and_tests(res, other, ep[:, :, k, r], ep[:, :, 1 - k, r], use, other_use,
                            filled[:, k, r], ev[use], shifts, lags, search, fps, cfg,
                            float(early[use].mean()) if use.any() else 0.0)
            at = _peak_index(res.mean, search) if name in CORNER_SIGNALS and res.n_events else None
            if at is not None:
                res.corner = tuple(float(v) for v in np.nanmean(corner_ep[use, at, k], axis=0))
            out.append(res)
    return out


def _peak_index(mean: np.ndarray, search: np.ndarray) -> int | None:
    """The lag index of an average response's peak: its largest size where ``search`` (after
    the event); None where none of it was measured."""
    y = np.where(search, mean, np.nan)
    return int(np.nanargmax(np.abs(y))) if np.isfinite(y).any() else None


def _peak_and_tests(res: EventLockedResponse, other: EventLockedResponse, ep: np.ndarray,
                    ep_other: np.ndarray, use: np.ndarray, other_use: np.ndarray, x: np.ndarray, ev: np.ndarray,
                    shifts: np.ndarray, lags: np.ndarray, search: np.ndarray, fps: float,
                    cfg: EventLockedConfig, offset: float = 0.0) -> None:
    """``offset``: the used events' mean time after their windows' frames (frames)."""
    if res.n_events < cfg.min_events:
        res.verdict, res.reason = UNDECIDED, f"not enough data: {res.n_events} event(s) measured, {cfg.min_events} needed"
        if res.n_events == 0:
            return
    i = _peak_index(res.mean, search)
    if i is None:
        res.verdict, res.reason = UNDECIDED, "not enough data: the response window was not measured"
        return
    sign = 1.0 if res.mean[i] >= 0 else -1.0
    res.latency_s = float((lags[i] + _subframe_peak(sign * res.mean, i) - offset) / fps)
    res.peak = float(res.mean[i])
    near = slice(max(0, i - 1), i + 2)    # single events are noisy: their value over +-1 frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        single = np.nanmean(ep[:, near], axis=1)
        d = (single - np.nanmean(ep_other[:, near], axis=1))[use & other_use]
    used_single = single[use & np.isfinite(single)]
    res.per_event = used_single
    noise = res.noise if np.isfinite(res.noise) and res.noise > 0 else 0.0
    res.consistent = int(np.sum(sign * used_single > cfg.k_noise * noise))
    res.other_side = float(other.mean[i]) if other.n_events else float("nan")

    # Chance: the same peak statistic at circularly shifted event times (intervals kept).
    if len(shifts):
        idx = (ev[None, :, None] + shifts[:, None, None] + lags[None, None, :]) % len(x)
        w = x[idx]
        w = w - w[:, :, lags / fps <= cfg.baseline_end_s].mean(axis=2, keepdims=True)
        surr = np.max(np.where(search, sign * w.mean(axis=1), -np.inf), axis=1)
        res.p_value = float((1 + np.sum(surr >= abs(res.peak))) / (1 + len(shifts)))
    d = d[np.isfinite(d)]
    if len(d) > 1 and np.std(d) > 0:
        res.laterality_p = float(stats.ttest_1samp(d, 0.0, alternative="greater" if sign > 0 else "less").pvalue)
    elif len(d) > 1:
        res.laterality_p = 0.0 if sign * d.mean() > 0 else 1.0

    if res.verdict == UNDECIDED:
        return
    other_same = max(0.0, sign * res.other_side) if np.isfinite(res.other_side) else 0.0
    checks = [
        (np.isfinite(res.p_value) and res.p_value < cfg.max_p, f"not above chance (p {res.p_value:.3f})"),
        (res.consistent >= cfg.min_consistent_share * res.n_events,
         f"inconsistent: {res.consistent} of {res.n_events} events"),
        (cfg.min_latency_s <= res.latency_s <= cfg.max_latency_s,
         f"latency {res.latency_s * 1000:.0f} ms outside {cfg.min_latency_s * 1000:.0f}-{cfg.max_latency_s * 1000:.0f} ms"),
        (abs(res.peak) >= cfg.laterality_ratio * other_same and res.laterality_p < cfg.max_p,
         "both sides respond alike"),
    ]
    failed = [why for ok, why in checks if not ok]
    res.verdict, res.reason = (NONE, failed[0]) if failed else (SYNKINESIS, "")


def blink_synkinesis(sig: np.ndarray, fps: float, noise: np.ndarray,
                     cfg: EventLockedConfig | None = None) -> list[EventLockedResponse]:
    """Every region's response to spontaneous blinks on each side, with verdicts as in
    ``event_locked`` plus two rules for what a person would call a finding:

    - visible: the average response reaches the smallest clinically visible movement
      (coactivation.MIN_AMPLITUDE: ~1.3 mm, 5 % of the fissure) at least half-way: an average
      over many blinks shows a steady 0.6 mm twitch that single blinks cannot;
    - primary: on one side, regions responding at the same latency are one movement (the face
      mesh drags a mouth corner's neighbours along): only the movement clinicians name is
      reported (see the sort below); the others say which movement they ride with."""
    res = event_locked(sig, fps, blink_events(sig, fps, noise), "blink", noise=noise, cfg=cfg)
    tol_s = 2.0 / fps
    for r in res:
        if r.verdict == SYNKINESIS and r.size < 0.5 * min_amplitude(r.response):
            r.verdict, r.reason = NONE, "too small to see"
    for side in SIDES:
        found = [r for r in res if r.side == side and r.verdict == SYNKINESIS]
        if not found:
            continue
        # The movement clinicians name (PRIORITY: smile before the lips it drags along), among
        # those moving at least half as much of their own range as the largest.
        size = {id(r): r.size / TYPICAL_RANGE[r.response] for r in found}
        big = max(size.values())
        found.sort(key=lambda r: (size[id(r)] < 0.5 * big, PRIORITY[r.response], -size[id(r)]))
        for r in found[1:]:
            if abs(r.latency_s - found[0].latency_s) <= tol_s:
                r.verdict, r.reason = NONE, f"moves with the {found[0].response.replace('_', ' ')}"
    return res
