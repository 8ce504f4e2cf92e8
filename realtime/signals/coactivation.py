"""Co-activation between regional signals: cross-correlation, lag, gain and a verdict.

Pure functions on arrays. Signals: shape (T, 2, N_SIGNALS) as in ``signals.py``, sampled at
``fps``; NaN marks frames without a face.

Verdict rules (why each exists):
- coupling: peak correlation >= ``min_r`` and the response moved clearly beyond its own rest
  noise, and by a clinically visible amount (``MIN_AMPLITUDE``), while the driver moved (beyond
  its noise and by a visible amount too);
- causality: a response that precedes its driver (lag < -1 frame) is not synkinesis;
- blinks are removed before anything is correlated (they are bilateral, brief and involuntary);
- laterality: healthy faces co-activate too (eyes narrow ~20 % in smiles), so a pair is flagged
  only if it is clearly stronger than the same pair on the other side (``laterality_ratio``,
  doubled for normal synergies such as smile -> cheek) in size and, where the other side's
  driver moved, per unit of driver movement; or exceeds the healthy range where the
  literature gives one (eye narrowing with smile > 48 %, mean + 2 SD);
- direction: at near-zero lag the voluntary movement is the one that uses more of its own
  range (calibrated maximum, else a typical adult range), so only that direction is flagged;
- primary driver: signals that move together at zero lag with a task movement (cheek and nose
  wing in a smile) are not reported as separate drivers of the same response.

Evidence (a false verdict tells a healthy person something untrue): a pair that passes the rules
above is called synkinesis only when the stretch holds enough measured time, the driver moved
several distinct times, the lag lies well inside the search window (synkinetic responses follow
within a few hundred ms; peaks near the window's edge are speech rhythm or chance) and the
correlation beats what chance gives for signals of this smoothness and length (circularly
shifted surrogates). Where the data are too few to decide, the pair is "undecided" with the
reason, never silently "none": a stretch too short or too little measured, a driver that
moved visibly but not in ``min_activations`` distinct movements (conversation: the mouth corners
flutter but the face smiles once or never), whatever its correlation, and a pair where a
coupling of ``RULE_OUT_FACTOR`` times the visible floor, added to the recording's own response,
would not have been called (the response moves on its own as much: speech, gaze, laughter).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import median_filter

from realtime.landmarks import SIDES
from realtime.signals.features import NAMES, SIGNALS, TEXTURE, S, face_measured, movement
from realtime.signals.units import format_clinical

# Upper limit of healthy co-activation where published (fraction of rest fissure).
HEALTHY_LIMIT = {("smile", "eye_closure"): 0.48}
# Smallest co-activation worth reporting, in response units: below this a movement is not
# clinically visible. 0.02 IOD is ~1.3 mm (one Sunnybrook point is ~0.8-1.0 mm of fissure
# difference); 5 % of the fissure is half the normal left/right dynamic asymmetry; skin texture
# (chin dimpling, neck bands) must change by 10 % of its rest contrast (rest noise 1-2 % on the
# demo face, 3-8 % on small real faces; half the demo's default dimpling reads 15-19 %).
MIN_AMPLITUDE = {"eye_closure": 0.05, **{g: 0.10 for g in TEXTURE}}
DEFAULT_MIN_AMPLITUDE = 0.02


def min_amplitude(signal: str) -> float:
    """The smallest clinically visible movement of ``signal``, in its face units."""
    return MIN_AMPLITUDE.get(signal, DEFAULT_MIN_AMPLITUDE)


# A "none" must rule something out: a coupling this many times the visible floor (eye: 15 % of
# the fissure; synkinetic eyes narrow ~11 % more in a smile than healthy ones, 32.7 vs 21.6 %)
# following the driver at a typical synkinetic delay must have been called on this recording.
# Where the response moves so much on its own (speech, gaze, laughter) that it would not have
# been, the pair is undecided: in conversation a planted 0.3-0.5 narrowing with the smile was
# missed at r 0.6-0.75 (franck, cap12_edit) and had been reported as "none".
# Only for the movements clinicians ask for (Sunnybrook's five tasks) as drivers and pairs that
# are not normal synergies: a region that only rides along with a task movement, or a synergy
# flagged only when twice as one-sided, would leave a healthy smile's record full of undecided
# pairs that nobody examines.
RULE_OUT_FACTOR = 3.0
RULE_OUT_LAG_S = 0.15
TASK_MOVEMENTS = frozenset({"smile", "eye_closure", "brow_raise", "pucker", "nose_wrinkle"})
# Typical full voluntary excursion of each signal in adults (eye: fully closed; displacements
# in IOD, ~63 mm: commissure ~10 mm, brow ~9 mm, ...). Used when no calibrated maximum exists
# to tell, at zero lag, which of two co-moving regions made the (voluntary) bigger movement.
TYPICAL_RANGE = {"brow_raise": 0.15, "eye_closure": 1.0, "cheek_raise": 0.08, "nose_wrinkle": 0.06,
                 "smile": 0.15, "pucker": 0.10, "lower_lip": 0.08, "chin": 0.06,
                 **{g: 1.0 for g in TEXTURE}}   # texture: its rest contrast doubled
# Co-movements every healthy face makes (a smile lifts the cheek and nose wing through the
# modiolus and levator labii; a pucker moves the lower lip). They are measured in the same
# region, and only a strongly one-sided difference (twice the usual ratio) is flagged.
_LOWER_SYNERGY = ("smile", "cheek_raise", "nose_wrinkle")
# The mentalis that lifts the chin is the one that dimples it, and it works with the lower lip
# in a pucker and in speech; the platysma tenses with a broad smile and an open jaw (healthy
# faces: pucker -> chin dimpling r 0.71, +38 %, in franck's talking; a broad smile raised the neck
# texture by 65 % on single_face, r 0.90 with the nose wing; both on both sides).
_TEXTURE_SYNERGY = ({(a, "chin_dimpling") for a in ("chin", "pucker", "lower_lip")} | {("chin_dimpling", "chin")}
                    | {(a, "neck_bands") for a in (*_LOWER_SYNERGY, "lower_lip")})
# The orbicularis oculi that closes the eye also pulls the brow down (single_face_x4, a healthy
# Duchenne smile: brows down 1.9 and 1.1 mm with the eyes' narrowing, read from the image).
SYNERGY = ({(a, b) for a in _LOWER_SYNERGY for b in _LOWER_SYNERGY if a != b}
           | {("pucker", "lower_lip"), ("lower_lip", "pucker"), ("eye_closure", "cheek_raise"),
              ("eye_closure", "brow_raise")}
           | _TEXTURE_SYNERGY)
# The movements clinicians ask for (Sunnybrook/eFACE tasks) rank before the regions that only
# move along with them; lower number = more likely the voluntary driver.
PRIORITY = {"smile": 0, "eye_closure": 1, "brow_raise": 2, "pucker": 3, "nose_wrinkle": 4,
            "lower_lip": 5, "cheek_raise": 6, "chin": 7, "chin_dimpling": 8, "neck_bands": 9}


# Pairs that move in opposite senses in every healthy face: smile and pucker share the mouth
# corner's lateral position (anti-correlated by construction), and the cheek and nose wing rise
# as the corner moves out in a smile (pucker negative). Only a positive coupling between them
# means anything (franck, planted: cheek raise -> pucker "mouth corner out" was called).
OPPOSED = ({("smile", "pucker"), ("pucker", "smile")}
           | {(a, "pucker") for a in _LOWER_SYNERGY} | {("pucker", a) for a in _LOWER_SYNERGY})

# Responses whose movement the opposite way to their name is a synkinesis patients describe:
# the brow pulled down (corrugator, with a pucker or smile) and the mouth corner pulled down
# (depressor anguli oris or platysma, with eye closure). Elsewhere a healthy face's regions move
# against each other all the time (a smile lifts and stretches the lower lip): only the
# positive coupling is looked for.
MOVES_BOTH_WAYS = frozenset({"brow_raise", "smile"})

SYNKINESIS, UNDECIDED, NONE = "synkinesis", "undecided", "none"
# Frames of lag within which two movements happen at once (a response may not precede its
# driver by more than this either).
LAG_TOLERANCE_FRAMES = 1.0
FEW_MOVEMENTS = "distinct movement(s)"   # in the reason of a pair whose driver moved too few times
HIDDEN = "would not have been called"     # in the reason of a pair "none" could not rule out


def comoves(peak_r: float, lag_s: float, fps: float, comove_r: float) -> bool:
    """Two signals move together, at once: peak r of at least ``comove_r`` (a looser bar than a
    verdict's, ``CoactivationConfig.comove_r``) within ``LAG_TOLERANCE_FRAMES`` of zero lag. The
    direction, ride-along and one-sided-lag rules ask it of a pair's peak (``analyse``), and so
    does a task's finding (``assessment.task_findings``: did the driver move with the task's
    movement?)."""
    return bool(np.isfinite(peak_r) and peak_r >= comove_r and abs(lag_s) <= LAG_TOLERANCE_FRAMES / fps)


@dataclass
class Coupling:
    driver: str
    response: str
    side: str
    peak_r: float
    lag_s: float        # positive: the response follows the driver
    gain: float         # response units per driver unit, at the peak lag
    amplitude: float    # response change explained by the driver's activity (response units)
    synkinesis: bool
    direction: int = 1             # +1: the response moves its own positive way, -1: the opposite
    verdict: str = NONE            # SYNKINESIS, UNDECIDED (too little evidence) or NONE
    reason: str = ""               # why not called, for UNDECIDED and rejected candidates
    activations: int = 0           # distinct activations of the driver
    p_value: float = float("nan")  # chance of a peak r this high (circular-shift surrogates)
    confidence: float = 0.0        # 0..1: 1 - p, scaled down with few activations
    # +1: the driver's larger excursions are its positive way; -1: the opposite (the "smile"
    # signal in a pucker: the mouth corner moves in, so what rides along moves its other way too).
    driver_direction: int = 1

    @property
    def moves(self) -> str:
        """How the response moves, in words with anatomical meaning ("brow down")."""
        return movement(self.response, self.direction)

    def as_seen(self) -> tuple[str, str]:
        """(the driver, how the response moved with it) in words, the driver's way taken from
        its larger excursions: in a pucker the "smile" signal goes down, and the cheek that
        follows it goes down too ("mouth corner down and in", "cheek down"). A driver moving its
        own way is named ("pucker")."""
        driver = NAMES[self.driver] if self.driver_direction > 0 else movement(self.driver, -1)
        return driver, movement(self.response, self.direction * self.driver_direction)

    def to_json(self) -> dict:
        d = asdict(self)
        d["moves"] = self.moves
        d["method"] = "cross-correlation"
        for k in ("peak_r", "lag_s", "gain", "amplitude", "p_value", "confidence"):
            d[k] = None if not np.isfinite(d[k]) else round(float(d[k]), 4)
        return d


@dataclass
class CoactivationConfig:
    max_lag_s: float = 1.0          # search window: -max_lag_s .. +max_lag_s
    max_plausible_lag_s: float = 0.5
    # A clear synkinetic coupling correlates at 0.8 and above; at 0.5-0.7 the zero-lag co-movement
    # of a talking face's tracked regions (head turns, jaw) called 2 pairs on franck, a healthy
    # man in conversation (8 once responses moving the opposite way were allowed).
    min_r: float = 0.7
    min_r_opposite: float = 0.8     # a response moving the opposite way to its name
    comove_r: float = 0.5           # two signals move together (for the direction, ride-along and
                                    # one-sided-lag rules: a looser bar than a verdict's)
    laterality_ratio: float = 1.5
    min_snr: float = 4.0            # movement must exceed this many rest-noise SDs
    blink_max_s: float = 0.5
    min_measured_s: float = 6.0     # measured time needed before any pair is called
    min_measured_share: float = 0.5  # of the stretch: beyond that, interpolated gaps decide r
    min_activations: int = 2        # distinct driver movements needed
    min_activation_s: float = 0.15  # shorter excursions are twitches, not movements
    max_p: float = 0.01             # surrogate test
    surrogate_min_shift_s: float = 2.0


def fill_gaps(x: np.ndarray) -> np.ndarray:
    """Linearly interpolate NaNs along axis 0 (edges held). Shape kept."""
    x = np.array(x, dtype=np.float64, order="C", copy=True)  # reshape below must be a view
    flat = x.reshape(x.shape[0], -1)
    t = np.arange(x.shape[0])
    for j in range(flat.shape[1]):
        bad = np.isnan(flat[:, j])
        if bad.all():
            flat[:, j] = 0.0
        elif bad.any():
            flat[bad, j] = np.interp(t[bad], t[~bad], flat[~bad, j])
    return x


def _rolling_median(x: np.ndarray, n: int) -> np.ndarray:
    return median_filter(x, size=n, mode="nearest")


def blink_mask(eye_closure: np.ndarray, fps: float, noise: np.ndarray,
               max_s: float = 0.5, k: float = 4.0) -> np.ndarray:
    """Frames inside a blink: both eyes close briefly (< max_s) above k rest-noise SDs,
    relative to their running level. eye_closure: (T, 2). Returns (T,) bool."""
    win = max(3, int(round(2 * max_s * fps)) | 1)
    fast = eye_closure - np.stack([_rolling_median(eye_closure[:, i], win) for i in range(2)], axis=1)
    thr = k * np.maximum(noise, 1e-3)
    both = (fast > thr).all(axis=1)
    mask = np.zeros_like(both)
    t, n = 0, len(both)
    pad = max(1, int(round(0.1 * fps)))
    while t < n:
        if both[t]:
            e = t
            while e < n and both[e]:
                e += 1
            if (e - t) <= max_s * fps:
                mask[max(0, t - pad):min(n, e + pad)] = True
            t = e
        else:
            t += 1
    return mask


def remove_blinks(sig: np.ndarray, fps: float, noise: np.ndarray,
                  max_s: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Signals with blink frames interpolated over, and the blink mask."""
    eye = fill_gaps(sig[:, :, S["eye_closure"]])
    mask = blink_mask(eye, fps, noise[:, S["eye_closure"]], max_s)
    out = np.array(sig, dtype=np.float64, copy=True)
    out[mask] = np.nan
    return fill_gaps(out), mask


def xcorr_matrix(x: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Cross-correlation of every column with every other over lags -max_lag..max_lag.

    x: (T, N). Returns (r, gain), both (2*max_lag+1, N, N): r[k, d, j] is the Pearson
    correlation of x[t, d] with x[t + lag, j] over the overlapping samples (lag = k - max_lag),
    gain[k, d, j] the least-squares slope of x[t + lag, j] on x[t, d]. One matrix product
    per lag keeps a live update of all pairs to a few milliseconds."""
    n, m = x.shape
    lags = 2 * max_lag + 1
    r = np.full((lags, m, m), np.nan)
    gain = np.full((lags, m, m), np.nan)
    for i, k in enumerate(range(-max_lag, max_lag + 1)):
        # max(0, ...): a lag longer than the signal must overlap nothing, not wrap to a
        # negative slice end (which took all but a few rows and broke the product below).
        a = x[max(0, -k):max(0, n - max(0, k))]
        b = x[max(0, k):max(0, k) + len(a)]
        if len(a) < 3:
            continue
        a = a - a.mean(axis=0)
        b = b - b.mean(axis=0)
        cov = a.T @ b
        va = (a * a).sum(axis=0)
        vb = (b * b).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r[i] = cov / np.sqrt(np.outer(va, vb))
            gain[i] = cov / va[:, None]
    r[~np.isfinite(r)] = np.nan
    gain[~np.isfinite(gain)] = np.nan
    return r, gain


def xcorr_pair(x: np.ndarray, y: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """``xcorr_matrix`` for one pair, x (T,) leading y (T,): (r, gain), each (2*max_lag+1,).
    One FFT for the lagged products and running sums for the overlaps' means and variances:
    the rule-out check asks it several times of every pair whose driver moved, and the
    matrix form's loop over lags costs 60 ms on a 3-minute recording."""
    n = len(x)
    k = np.arange(-max_lag, max_lag + 1)
    m = n - np.abs(k)
    ok = m >= 3
    size = 1 << int(np.ceil(np.log2(max(2 * n, 2))))
    # cross[j] = sum_t x[t] y[t + j] (j >= 0); negative j wraps to the end of the array.
    cross = np.fft.irfft(np.conj(np.fft.rfft(x, size)) * np.fft.rfft(y, size), size)
    cx, cy = np.r_[0.0, np.cumsum(x)], np.r_[0.0, np.cumsum(y)]
    cxx, cyy = np.r_[0.0, np.cumsum(x * x)], np.r_[0.0, np.cumsum(y * y)]
    a0, b0 = np.maximum(0, -k), np.maximum(0, k)
    end_a, end_b = np.clip(a0 + m, 0, n), np.clip(b0 + m, 0, n)
    mm = np.maximum(m, 1)
    sa, sb = cx[end_a] - cx[a0.clip(0, n)], cy[end_b] - cy[b0.clip(0, n)]
    cov = cross[k % size] - sa * sb / mm
    va = cxx[end_a] - cxx[a0.clip(0, n)] - sa * sa / mm
    vb = cyy[end_b] - cyy[b0.clip(0, n)] - sb * sb / mm
    # Rounding leaves a constant's variance a hair above 0: below this it counts as none.
    tiny = 1e-12 * np.maximum(cxx[n] + cyy[n], 1e-300)
    good = ok & (va > tiny) & (vb > tiny)
    r = np.full(len(k), np.nan)
    gain = np.full(len(k), np.nan)
    r[good] = cov[good] / np.sqrt(va[good] * vb[good])
    gain[good] = cov[good] / va[good]
    return r, gain


def xcorr(driver: np.ndarray, response: np.ndarray, max_lag: int) -> np.ndarray:
    """Pearson correlation of driver(t) with response(t + k) for k = -max_lag..max_lag,
    each over the overlapping samples. driver, response: (T,). Returns (2*max_lag+1,)."""
    r, _ = xcorr_matrix(np.stack([driver, response], axis=1), max_lag)
    return r[:, 0, 1]


def peak_abs_lag(r: np.ndarray, max_lag: int) -> tuple[float, float]:
    """The correlation of largest size, with its sign, and its lag in frames (a response that
    moves the opposite way, e.g. the brow pulled down by a pucker, peaks negative)."""
    if np.all(np.isnan(r)):
        return float("nan"), float("nan")
    if np.nanmax(r) >= -np.nanmin(r):
        return peak_lag(r, max_lag)
    pr, lag = peak_lag(-r, max_lag)
    return -pr, lag


def peak_lag(r: np.ndarray, max_lag: int) -> tuple[float, float]:
    """Highest positive correlation and its lag in frames, refined by a parabola."""
    if np.all(np.isnan(r)):
        return float("nan"), float("nan")
    i = int(np.nanargmax(r))
    lag = float(i - max_lag)
    if 0 < i < len(r) - 1 and np.isfinite(r[i - 1]) and np.isfinite(r[i + 1]):
        den = r[i - 1] - 2 * r[i] + r[i + 1]
        if den < 0:
            lag += 0.5 * (r[i - 1] - r[i + 1]) / den
    return float(r[i]), lag


def activity_range(x: np.ndarray) -> float:
    """Robust extent of a signal's movement above rest: its 98th percentile above the lower of
    the rest level (0: signals are relative to the rest baseline) and its 5th percentile. Not
    above the median: a smile that fills most of a clip would make the median the smile."""
    return float(np.percentile(x, 98) - min(np.percentile(x, 5), 0.0))


def main_direction(x: np.ndarray) -> int:
    """+1 when a signal's larger excursions from rest are its positive way, -1 otherwise."""
    return 1 if np.percentile(x, 98) >= -np.percentile(x, 2) else -1


def count_activations(x: np.ndarray, threshold: float, fps: float, min_s: float) -> int:
    """Distinct movements: excursions above ``threshold`` lasting at least ``min_s``, each
    ended by a return below half the threshold (hysteresis, so noise on a plateau is one)."""
    n, i, count = len(x), 0, 0
    min_len = max(1, int(round(min_s * fps)))
    while i < n:
        if x[i] > threshold:
            j = i
            while j < n and x[j] > threshold / 2:
                j += 1
            if (x[i:j] > threshold).sum() >= min_len:
                count += 1
            i = j
        else:
            i += 1
    return count


def surrogate_p(driver: np.ndarray, response: np.ndarray, max_lag: int, min_shift: int) -> tuple[float, int]:
    """How often a circularly shifted response correlates with the driver as well as the real
    one does, over the same lag window: the surrogates keep each signal's smoothness and
    length, which decide how high r goes by chance. Returns (p, number of surrogates)."""
    n = len(driver)
    n_sur = n - 2 * min_shift + 1
    if n_sur < 1:
        return float("nan"), 0
    x = (driver - driver.mean()) / (driver.std() + 1e-12)
    y = (response - response.mean()) / (response.std() + 1e-12)
    c = np.fft.irfft(np.conj(np.fft.rfft(x)) * np.fft.rfft(y), n) / n   # c[k] = mean x_t y_(t+k)
    k = np.arange(-max_lag, max_lag + 1)
    observed = c[k % n].max()
    shifts = np.arange(min_shift, n - min_shift + 1)
    null = c[(shifts[:, None] + k[None, :]) % n].max(axis=1)
    return float((1 + (null >= observed).sum()) / (1 + len(null))), int(len(null))


def analyse(sig: np.ndarray, fps: float, noise: np.ndarray,
            config: CoactivationConfig | None = None,
            max_range: np.ndarray | None = None,
            unseen_why: dict[str, str] | None = None) -> tuple[list[Coupling], np.ndarray]:
    """All ordered pairs of distinct signals on each side. sig: (T, 2, N) activations;
    noise: (2, N) rest noise SD; max_range: optional (2, N) calibrated maximum voluntary
    activation (NaN where unknown); unseen_why: why a skin-texture region ("neck_left") could
    not be measured, for the reason of its undecided pairs. Returns the couplings and the
    blink mask (T,)."""
    cfg = config or CoactivationConfig()
    clean, blinks = remove_blinks(sig, fps, noise, cfg.blink_max_s)
    max_lag = max(1, int(round(cfg.max_lag_s * fps)))
    tol = LAG_TOLERANCE_FRAMES  # a response may not precede its driver by more than this
    noise = np.maximum(noise, 1e-4)
    # (2, N): each signal's movement on each side, computed once for every rule below.
    ranges = np.array([[activity_range(clean[:, s, j]) for j in range(len(SIGNALS))] for s in range(2)])
    ways = np.array([[main_direction(clean[:, s, j]) for j in range(len(SIGNALS))] for s in range(2)])
    snr = ranges / noise
    active = snr >= cfg.min_snr          # (2, N): moved beyond its noise
    full = np.tile([TYPICAL_RANGE[g] for g in SIGNALS], (2, 1)).astype(float)
    if max_range is not None:
        full = np.where(np.isfinite(max_range) & (max_range > 0), max_range, full)
    effort = ranges / full
    raw: dict[tuple[int, int, int], Coupling] = {}
    coupled: dict[tuple[int, int, int], bool] = {}
    together: dict[tuple[int, int, int], bool] = {}   # strongly correlated at zero lag (``comoves``)
    against: dict[tuple[int, int, int], bool] = {}   # strongly anti-correlated at zero lag
    zero_lag = np.full((2, len(SIGNALS), len(SIGNALS)), np.nan)   # (side, a, b) r at lag 0
    for s, side in enumerate(SIDES):
        rs, gains = xcorr_matrix(clean[:, s, :], max_lag)
        zero_lag[s] = rs[max_lag]
        for d, dname in enumerate(SIGNALS):
            for r_, rname in enumerate(SIGNALS):
                if d == r_:
                    continue
                either_way = rname in MOVES_BOTH_WAYS and (dname, rname) not in OPPOSED
                pr, lag = (peak_abs_lag if either_way else peak_lag)(rs[:, d, r_], max_lag)
                g = float(gains[int(round(lag)) + max_lag, d, r_]) if np.isfinite(lag) else float("nan")
                amp = abs(g) * ranges[s, d] if np.isfinite(g) else float("nan")
                # The driver must have moved visibly too, not only beyond its noise: on the demo
                # face the mesh's chin rode 0.3 mm along with each pucker and "drove" the mouth
                # corner's 3.4 mm (chin -> smile, gain -8).
                ok = (np.isfinite(pr) and (pr >= cfg.min_r or -pr >= cfg.min_r_opposite) and lag >= -tol
                      and active[s, d]
                      and ranges[s, d] >= min_amplitude(dname) and np.isfinite(amp)
                      and amp >= cfg.min_snr * noise[s, r_]
                      and amp >= min_amplitude(rname))
                raw[(s, d, r_)] = Coupling(dname, rname, side, float(pr), float(lag / fps), float(g), float(amp), False,
                                           direction=-1 if np.isfinite(pr) and pr < 0 else 1,
                                           driver_direction=int(ways[s, d]))
                coupled[(s, d, r_)] = bool(ok)
                together[(s, d, r_)] = comoves(pr, lag / fps, fps, cfg.comove_r)
                near = rs[max_lag - int(tol):max_lag + int(tol) + 1, d, r_]
                against[(s, d, r_)] = bool(np.isfinite(near).any() and np.nanmin(near) <= -cfg.comove_r)
    for (s, d, r_), c in raw.items():
        if not coupled[(s, d, r_)]:
            continue
        other = raw[(1 - s, d, r_)]
        ratio = cfg.laterality_ratio * (2.0 if (c.driver, c.response) in SYNERGY else 1.0)
        lateral = (_beyond_other_side(c.amplitude, c.gain, c.direction, other, ratio, active[1 - s, d])
                   and not _explained_on_both_sides(raw, zero_lag, s, d, r_, ratio, cfg.comove_r))
        if c.response in TEXTURE:
            # Skin texture moves on both sides with light and head motion, not only with the
            # driver: the texture itself must move more on this side (single_face_x4, a healthy
            # smile: left chin texture 0.33 with the smile at r 0.85, right 0.22 at r 0.02).
            lateral = lateral and ranges[s, r_] >= cfg.laterality_ratio * ranges[1 - s, r_]
        beyond_normal = _beyond_healthy(c.driver, c.response, c.direction, c.amplitude)
        # At (near) zero lag the direction is ambiguous: the voluntary driver is the one that
        # used more of its own range.
        direction_ok = not (together[(s, r_, d)] and effort[s, d] < effort[s, r_])
        c.synkinesis = bool((lateral or beyond_normal) and direction_ok)
    # A driver that merely rides along with a task movement (the cheek and nose wing move with
    # every smile) is part of that movement: report the task movement as the driver.
    flagged = {k for k, c in raw.items() if c.synkinesis}
    for (s, d, r_) in flagged:
        for d2 in range(len(SIGNALS)):
            if d2 in (d, r_) or PRIORITY[SIGNALS[d2]] >= PRIORITY[SIGNALS[d]]:
                continue
            # d moves with the task movement d2, and so does the response: d2 explains both.
            # ... the response too, its own way: a brow pulled down by a Duchenne smile is
            # anti-correlated with it (single_face_x4: the nose wing "drove" the brow down).
            rides = together[(s, d2, d)]
            explains = together[(s, d2, r_)] or (raw[(s, d, r_)].direction < 0 and against[(s, d2, r_)])
            if rides and ((s, d2, r_) in flagged or explains):
                raw[(s, d, r_)].synkinesis = False
                break
    _one_sided_lags(raw, clean, fps, cfg, max_lag)
    moved = active & np.array([[ranges[s, j] >= min_amplitude(g) for j, g in enumerate(SIGNALS)] for s in range(2)])
    _weigh_evidence(raw, clean, sig, fps, noise, cfg, max_lag, unseen_why or {}, moved, active)
    return list(raw.values()), blinks


def _beyond_other_side(amp: float, gain: float, direction: int, other: Coupling, ratio: float,
                       other_driver_moved: bool) -> bool:
    """A coupling of size ``amp`` and ``gain`` (response moving ``direction``) is ``ratio``
    times the same pair's on the other side, ``other``, moving the same way (the opposite way is
    no match); per unit of driver too, where the other side's driver moved: a smile bigger on
    one side brings a bigger normal co-movement on that side (cap12_edit: the nose wing with a
    smile 1.5x bigger on the left, 3.1x the right's amplitude at 2.0x its gain)."""
    same_way = other.direction == direction
    other_amp = other.amplitude if same_way and np.isfinite(other.amplitude) else 0.0
    other_gain = abs(other.gain) if same_way and np.isfinite(other.gain) and other_driver_moved else 0.0
    return bool(amp >= ratio * other_amp and abs(gain) >= ratio * other_gain)


def _beyond_healthy(driver: str, response: str, direction: int, amp: float) -> bool:
    """The response moved its own way by more than healthy faces do, where that is published."""
    limit = HEALTHY_LIMIT.get((driver, response))
    return limit is not None and direction > 0 and amp > limit


def _explained_on_both_sides(raw: dict, zero_lag: np.ndarray, s: int, d: int, r_: int, ratio: float,
                             comove_r: float) -> bool:
    """Whether another movement that moves with (or against) the driver at no delay moves the
    response as much on the other side: the response then follows that movement on both sides,
    and the driver's one-sidedness is only which of the two it correlates with better (franck,
    a healthy man talking: the right brow rose with the lower lip at r 0.71, the left at 0.30,
    while both brows followed the jaw, chin r -0.73 and -0.69, 1.2x apart)."""
    for d2 in range(len(SIGNALS)):
        if d2 in (d, r_) or not abs(zero_lag[s, d, d2]) >= comove_r:
            continue
        here, there = raw[(s, d2, r_)], raw[(1 - s, d2, r_)]
        if not max(abs(here.peak_r), abs(there.peak_r)) >= comove_r:
            continue
        if not (np.isfinite(here.amplitude) and np.isfinite(there.amplitude)):
            continue
        same_way = there.direction == here.direction
        if same_way and there.amplitude * ratio > here.amplitude:
            return True
    return False


def _one_sided_lags(raw: dict, clean: np.ndarray, fps: float, cfg: CoactivationConfig, max_lag: int) -> None:
    """For a flagged pair whose other side co-moves too (a healthy eye narrows with every
    smile, at no delay), the lag of the response is a blend of the normal synergy's and the
    involuntary part's; the involuntary part is the response minus the other side's, and its
    lag is the one reported (a 0.15 s synkinesis on top of a Duchenne smile read 0.11 s)."""
    for (s, d, r_), c in raw.items():
        if not c.synkinesis or not c.direction * raw[(1 - s, d, r_)].peak_r >= cfg.comove_r:
            continue
        pr, lag = peak_lag(xcorr(clean[:, s, d], c.direction * (clean[:, s, r_] - clean[:, 1 - s, r_]), max_lag),
                           max_lag)
        if np.isfinite(lag) and pr >= cfg.comove_r:
            c.lag_s = float(lag / fps)


def _texture_unseen(sig: np.ndarray, measured: np.ndarray, cfg: CoactivationConfig, why: dict) -> dict:
    """(side, signal index) -> reason, for texture regions (the neck may be below the picture)
    in view in too few of the frames where the face was measured."""
    out = {}
    for g in TEXTURE:
        j = S[g]
        region = g.split("_")[0]
        for s, side in enumerate(SIDES):
            share = float(np.isfinite(sig[measured, s, j]).mean()) if measured.any() else 0.0
            if share < cfg.min_measured_share:
                cause = why.get(f"{region}_{side}")
                out[(s, j)] = (f"not enough data: the {region} skin was measurable in {share:.0%} of the "
                               f"frames ({cfg.min_measured_share:.0%} needed)" + (f": {cause}" if cause else ""))
    return out


def _weigh_evidence(raw: dict, clean: np.ndarray, sig: np.ndarray, fps: float, noise: np.ndarray,
                    cfg: CoactivationConfig, max_lag: int, unseen_why: dict, moved: np.ndarray,
                    active: np.ndarray) -> None:
    """Turn candidate verdicts into SYNKINESIS only on enough evidence (module docstring).
    ``moved`` (2, N_SIGNALS): the signal moved visibly on that side (beyond its noise, by a
    visible amount), so that its pairs were put to the test at all; ``active`` (2, N_SIGNALS):
    it moved beyond its noise (the laterality rule compares gains only then)."""
    measured = face_measured(sig)
    measured_s = float(measured.sum()) / fps
    share = float(measured.mean()) if len(measured) else 0.0
    min_shift = max(max_lag + 1, int(round(cfg.surrogate_min_shift_s * fps)))
    too_little = ""
    if measured_s < cfg.min_measured_s:
        too_little = f"not enough data: {measured_s:.1f} s measured, {cfg.min_measured_s:g} s needed"
    elif share < cfg.min_measured_share:
        too_little = (f"not enough data: only {share:.0%} of the stretch could be measured "
                      f"({cfg.min_measured_share:.0%} needed)")
    unseen = _texture_unseen(sig, measured, cfg, unseen_why)
    for (s, d, r_), c in raw.items():
        region = unseen.get((s, d)) or unseen.get((s, r_))
        if region and not too_little:   # a region out of view rules nothing out: not "none"
            c.synkinesis, c.verdict, c.reason = False, UNDECIDED, region
            continue
        x = clean[:, s, d]
        thr = max(cfg.min_snr * noise[s, d], 0.5 * activity_range(x))
        if not c.synkinesis:
            if too_little:      # nothing can be ruled out either: not "none"
                c.verdict, c.reason = UNDECIDED, too_little
            elif moved[s, d]:
                # A driver that moved, but not in distinct movements (one smile, or the corners'
                # flutter in speech), cannot rule a response out either: in conversation a
                # planted 0.5 narrowing of the eye with the smile correlated at r 0.2-0.6
                # (cap12_edit, cap13_edit2: 0-2 distinct smiles in 31-53 s).
                c.activations = count_activations(x, thr, fps, cfg.min_activation_s)
                if c.activations < cfg.min_activations:
                    c.verdict, c.reason = UNDECIDED, _few_movements(c, cfg)
                else:
                    blind = _would_be_missed(raw, clean, s, d, r_, fps, noise, cfg, max_lag, min_shift, active)
                    if blind:
                        c.verdict, c.reason = UNDECIDED, blind
            continue
        c.activations = count_activations(x, thr, fps, cfg.min_activation_s)
        c.p_value, n_sur = surrogate_p(x, c.direction * clean[:, s, r_], max_lag, min_shift)
        c.synkinesis, c.verdict = False, UNDECIDED
        if too_little:          # before the lag: on too little data the lag decides nothing either
            c.reason = too_little
        elif abs(c.lag_s) > cfg.max_plausible_lag_s:
            c.verdict, c.reason = NONE, (f"lag {c.lag_s:+.2f} s is beyond {cfg.max_plausible_lag_s:g} s: "
                                         "too late for synkinesis (speech rhythm or chance)")
        elif c.activations < cfg.min_activations:
            c.reason = _few_movements(c, cfg)
        elif n_sur * cfg.max_p < 1:
            c.reason = "not enough data: too short to test against chance"
        elif not c.p_value < cfg.max_p:
            c.verdict, c.reason = NONE, f"correlation within chance (p {c.p_value:.2f})"
        else:
            c.synkinesis, c.verdict, c.reason = True, SYNKINESIS, ""
        c.confidence = (1 - c.p_value) * min(1.0, c.activations / 4) if c.synkinesis else 0.0


def planted_response(driver: np.ndarray, response: np.ndarray, size: float, lag: int) -> np.ndarray:
    """``response`` (T,) plus a synkinetic one that follows ``driver`` (T,) ``lag`` frames later,
    ``size`` (response units) at the driver's full movement (``activity_range``) and 0 at its
    rest, in proportion between."""
    base = min(float(np.percentile(driver, 5)), 0.0)
    extent = activity_range(driver)
    shape = np.clip((driver - base) / extent, 0.0, 1.0) if extent > 0 else np.zeros_like(driver)
    return response + size * delayed(shape, lag)


def _would_be_missed(raw: dict, clean: np.ndarray, s: int, d: int, r_: int, fps: float, noise: np.ndarray,
                     cfg: CoactivationConfig, max_lag: int, min_shift: int, active: np.ndarray) -> str:
    """Why a coupling of ``RULE_OUT_FACTOR`` times the response's visible floor, added to this
    recording's response on side ``s``, would not be called by the core rules (r, lag, size,
    laterality against the other side as it is, chance); "" when it would be, so that "none"
    rules it out. A response that moves either way (the brow pulled down by a pucker) is tried
    both ways. The synergy and direction rules are left out: they decide what a called coupling
    means, not whether one could be seen."""
    dname, rname = SIGNALS[d], SIGNALS[r_]
    if dname not in TASK_MOVEMENTS or (dname, rname) in OPPOSED or (dname, rname) in SYNERGY:
        return ""
    for way in ((1, -1) if rname in MOVES_BOTH_WAYS else (1,)):
        why = _hidden_way(raw, clean, s, d, r_, way, fps, noise, cfg, max_lag, min_shift, active)
        if why:
            return why
    return ""


def _hidden_way(raw: dict, clean: np.ndarray, s: int, d: int, r_: int, way: int, fps: float, noise: np.ndarray,
                cfg: CoactivationConfig, max_lag: int, min_shift: int, active: np.ndarray) -> str:
    """``_would_be_missed`` for a response moving ``way`` (+1 its positive way, -1 the other)."""
    dname, rname = SIGNALS[d], SIGNALS[r_]
    size = RULE_OUT_FACTOR * min_amplitude(rname)
    lag_frames = int(round(RULE_OUT_LAG_S * fps))
    x = clean[:, s, d]
    own = way * clean[:, s, r_]
    words = (f"not enough data: a coupling of {format_clinical(rname, size)} ({movement(rname, way)}) with the "
             f"{NAMES[dname]} {HIDDEN}")
    # Against the response's own movement, what the driver does not explain: a coupling already
    # there but below the bar would otherwise carry the planted one over it (franck, a 0.3
    # narrowing planted on the right: r 0.697, missed, yet 15 % more on top read 0.72).
    alone = planted_response(x, own - explained(x, own, max_lag), size, lag_frames)
    pr, _ = peak_lag(xcorr_pair(x, alone, max_lag)[0], max_lag)
    bar = cfg.min_r if way > 0 else cfg.min_r_opposite
    if not (np.isfinite(pr) and pr >= bar):
        return (f"{words}: the {NAMES[rname]} moves as much on its own (such a coupling would correlate at "
                f"r {pr:.2f}, {bar:g} needed)")
    p, n_sur = surrogate_p(x, alone, max_lag, min_shift)
    if n_sur * cfg.max_p < 1 or not p < cfg.max_p:
        return f"{words}: it would be within chance"
    # Its lag, size and one-sidedness: on top of the response as it is.
    rs, gains = xcorr_pair(x, planted_response(x, own, size, lag_frames), max_lag)
    _, lag = peak_lag(rs, max_lag)
    if not np.isfinite(lag) or abs(lag) / fps > cfg.max_plausible_lag_s:
        return f"{words}: its lag would read beyond {cfg.max_plausible_lag_s:g} s"
    g = abs(float(gains[int(round(lag)) + max_lag]))
    amp = g * activity_range(x)
    if amp < max(min_amplitude(rname), cfg.min_snr * noise[s, r_]):
        return f"{words}: it would read below what is visible"
    if not (_beyond_other_side(amp, g, way, raw[(1 - s, d, r_)], cfg.laterality_ratio, active[1 - s, d])
            or _beyond_healthy(dname, rname, way, amp)):
        return f"{words}: the other side's moves with the {NAMES[dname]} about as much"
    return ""


def explained(x: np.ndarray, y: np.ndarray, max_lag: int) -> np.ndarray:
    """The part of y (T,) that x (T,) explains linearly at the lag where they correlate best
    (positively, within +-max_lag frames), mean 0; zeros where they do not correlate."""
    r, gain = xcorr_pair(x, y, max_lag)
    if not np.isfinite(r).any() or np.nanmax(r) <= 0:
        return np.zeros_like(y)
    i = int(np.nanargmax(r))
    shifted = delayed(x, i - max_lag)
    return gain[i] * (shifted - shifted.mean())


def delayed(x: np.ndarray, lag: int) -> np.ndarray:
    """x (T,) ``lag`` frames later (negative: earlier), the edge value held where x has none."""
    lag = max(-len(x), min(len(x), lag))
    if lag >= 0:
        return np.concatenate([np.full(lag, x[0]), x[:len(x) - lag]])
    return np.concatenate([x[-lag:], np.full(-lag, x[-1])])


def undecided_words(undecided: list[dict], min_activations: int = CoactivationConfig.min_activations) -> str:
    """Why pairs were left undecided (``Coupling.to_json`` dicts, at least one), in one line: the
    first other reason, the drivers that moved too few distinct times and those whose pairs
    other movement would hide, each named once, with what to do about them. Read from
    summary.json too, so a missing field is no error."""
    reasons = [(str(c.get("driver") or ""), str(c.get("reason") or "")) for c in undecided]
    few = sorted({NAMES.get(d, d) for d, r in reasons if FEW_MOVEMENTS in r})
    hidden = sorted({NAMES.get(d, d) for d, r in reasons if HIDDEN in r})
    why = sorted({r for _, r in reasons if r and FEW_MOVEMENTS not in r and HIDDEN not in r})[:1]
    if few:
        why.append(f"too few distinct movements ({min_activations} needed) of the " + ", ".join(few)
                   + f" (record each movement at least {min_activations} times, relaxing in between)")
    if hidden:
        why.append("other movement would hide a mild co-activation with the " + ", ".join(hidden)
                   + " (record each movement on its own, the rest of the face relaxed)")
    return "; ".join(why) or "no reason recorded"


def _few_movements(c: Coupling, cfg: CoactivationConfig) -> str:
    return f"not enough data: the {c.driver} made {c.activations} {FEW_MOVEMENTS}, {cfg.min_activations} needed"
