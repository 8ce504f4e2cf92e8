"""Guided clinical assessment: the task sequence, its timeline, and per-side indices.

Tasks follow the Sunnybrook / eFACE movements (rest, brow raise, gentle and tight eye closure,
closed and open smile, lip pucker, "eee"). Each task is held ~5 s and relaxed, a few times.

Timeline format (JSON, saved as ``timeline.json`` in a session folder or as the ``"timeline"``
key of ``session.json``): a list of ``{"task", "rep", "start_s", "end_s", "phase"}`` with
``phase`` one of ``"hold"`` or ``"relax"`` (the rest task has one ``"hold"`` phase), or ``"prompt"``
(the weekly test announces each task before its hold: ``realtime/clinical/weekly.py``).

Indices (pure functions of the signals, see ``realtime/signals.py``):

- ocular synkinesis (Auto-eFACE, Miller et al. 2021): ``100 x min(k1, k2)`` where k is the
  palpebral fissure of one eye divided by that of the other eye during the big smile (k1) and
  during the pucker (k2), clipped to 0..100; 100 = no synkinesis. Fissure = rest fissure x
  (1 - eye_closure). Computed for each side as if it were the affected one (the healthy side
  scores ~100). ``ocular_corrected`` divides k by the resting fissure ratio, so a constitutionally
  narrower eye is not scored as synkinetic.
- oral: median smile signal during eye-closure tasks as a fraction of the same side's smile in
  the smile task (0 = no co-movement, 1 = as much as a voluntary smile).
- brow: brow_raise during smile/pucker as a fraction of the brow-raise task.
- chin: chin signal during smile/eye closure as a fraction of its largest task level.
- mentalis and platysma (eFACE's mentalis and platysmal synkinesis items): chin dimpling, and
  neck bands, in the tasks where healthy faces make none, as the change of the skin's texture
  contrast from rest (a fraction, not of a voluntary movement: no task asks for either, and the
  texture's voluntary range differs between skins and cameras). Chin dimpling in eye closure,
  smile and brow raise (pucker and "eee" dimple healthy chins); neck bands in eye closure, brow
  raise and pucker (a broad smile and "eee" tense a healthy platysma).
- resting symmetry per region: left/right ratio of raw features at rest (1 = symmetric), and
  left-minus-right differences in mm with their noise (``rest_symmetry.rest_asymmetry``).
- co-activation per task window, the task's own movement taken as the driver of what moves
  with it (``task_findings``).

Each task hold level is the median over the hold frames of a repetition (blinks and faceless
frames removed); repetitions are combined with the median. No fixed cut-off separates healthy
from synkinetic faces (healthy eyes narrow ~20 % in a smile), so compare sides and sessions.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calibration.baseline import MIN_NOISE
from realtime.clinical.rest_symmetry import rest_asymmetry
from realtime.files import atomic_write_text
from realtime.landmarks import SIDES
from realtime.signals.coactivation import (
    NONE,
    CoactivationConfig,
    Coupling,
    analyse,
    blink_mask,
    comoves,
    fill_gaps,
)
from realtime.signals.features import FEATURES, NAMES, SIGNALS, F, S, face_measured
from realtime.signals.units import format_clinical


@dataclass(frozen=True)
class Task:
    key: str
    label: str
    instruction: str
    driver: str | None       # the signal the task asks for (None for rest)
    hold_s: float = 5.0
    relax_s: float = 5.0
    reps: int = 3


TASKS: tuple[Task, ...] = (
    Task("rest", "Rest", "Relax your face and look at the camera.", None, 10.0, 0.0, 1),
    Task("brow_raise", "Brow raise", "Raise your eyebrows, as if surprised.", "brow_raise"),
    Task("eye_gentle", "Gentle eye closure", "Close your eyes gently, as if asleep.", "eye_closure"),
    Task("eye_tight", "Tight eye closure", "Squeeze your eyes shut tightly.", "eye_closure"),
    Task("smile_closed", "Closed smile", "Smile with your lips closed.", "smile"),
    Task("smile_open", "Open smile", "Give a big smile showing your teeth.", "smile"),
    Task("pucker", "Lip pucker", "Pucker your lips, as if to whistle ('ooo').", "pucker"),
    Task("eee", "Show bottom teeth", "Say 'eee' and show your bottom teeth.", "lower_lip"),
)
TASK_BY_KEY = {t.key: t for t in TASKS}
TASK_LABEL = {t.key: t.label for t in TASKS}

# First one present is the "big smile" (the weekly test's is "smile"); eye closures include the
# weekly test's gentle one.
BIG_SMILE = ("smile_open", "smile_closed", "smile")
EYE_CLOSURE = ("eye_gentle", "eye_tight", "eye_closure_gentle")
INDEX_NAMES = {
    "ocular": "Ocular synkinesis (Auto-eFACE, 100 = none)",
    "ocular_corrected": "Ocular, corrected for resting asymmetry (100 = none)",
    "oral": "Oral: mouth-corner movement in eye closure (fraction of own smile)",
    "brow": "Brow: brow raise in smile/pucker (fraction of brow-raise task)",
    "chin": "Chin: chin movement in smile/eye closure (fraction of its max)",
    "mentalis": "Mentalis: chin dimpling in eye closure/smile/brow raise (skin texture contrast, × rest)",
    "platysma": "Platysma: neck bands in eye closure/brow raise/pucker (skin texture contrast, × rest)",
}
# The indices in the skin's texture change from rest (the others: 100-point ocular scores and
# fractions of a voluntary movement), with the tasks each is read in (see the module's notes).
TEXTURE_INDICES = {"mentalis": ("chin_dimpling", (*EYE_CLOSURE, *BIG_SMILE, "brow_raise")),
                   "platysma": ("neck_bands", (*EYE_CLOSURE, "brow_raise", "pucker"))}


def format_index(key: str, value: float | None, words: bool = False) -> str | None:
    """An index as a person reads it (None without one): the ocular ones in points (100 = no
    synkinesis), the skin-texture ones as a multiple of the rest texture contrast (``words``: spelt out), the
    others in % of the voluntary movement."""
    if value is None:
        return None
    if key in TEXTURE_INDICES:
        return format_clinical(TEXTURE_INDICES[key][0], value, words=words)
    # round() to an int: a fraction of -0.003 reads "0 %", never "-0 %"
    return f"{round(value):d}" if key.startswith("ocular") else f"{round(100 * value):d} %"


# Resting-symmetry regions -> feature. The skin's texture (chin dimpling, neck bands) is left
# out: its contrast at rest is the skin's and the light's, not the muscle's tone.
REST_TEXTURE_NOTE = ("Chin dimpling and neck bands are not compared at rest: the skin's texture contrast "
                     "at rest depends on the skin and the light, not on the muscle's tone.")
REST_REGIONS = {"brow": "brow_height", "eye": "eye_aperture", "cheek": "cheek_height",
                "nose": "ala_height", "mouth_corner_lat": "corner_lateral",
                "mouth_corner_height": "corner_height", "lower_lip": "lower_lip_height",
                "chin": "chin_height"}


# ---------------------------------------------------------------- timeline

def default_timeline(tasks: tuple[Task, ...] = TASKS, start_s: float = 0.0) -> list[dict]:
    """The standard sequence, back to back from ``start_s``."""
    out, t = [], float(start_s)
    for task in tasks:
        for rep in range(1, task.reps + 1):
            out.append({"task": task.key, "rep": rep, "start_s": round(t, 3),
                        "end_s": round(t + task.hold_s, 3), "phase": "hold"})
            t += task.hold_s
            if task.relax_s > 0:
                out.append({"task": task.key, "rep": rep, "start_s": round(t, 3),
                            "end_s": round(t + task.relax_s, 3), "phase": "relax"})
                t += task.relax_s
    return out


@dataclass(frozen=True)
class Prompt:
    """What the guided assessment asks for at one moment (for the on-screen prompt)."""
    task: str
    label: str
    instruction: str
    phase: str           # "hold", "relax" or "prompt" (the task is announced; the face still relaxed)
    rep: int
    reps: int
    seconds_left: float
    task_number: int     # 1-based position of the task in the sequence
    tasks: int


PHASES = ("hold", "relax", "prompt")


def prompt_at(timeline: list[dict], t: float, tasks: dict[str, Task] | None = None) -> Prompt | None:
    """The prompt at time ``t`` (seconds from the start of the recording), None before the
    first entry and after the last. ``tasks``: labels and instructions by task key (default:
    the assessment's)."""
    tasks = TASK_BY_KEY if tasks is None else tasks
    order = list(dict.fromkeys(e["task"] for e in timeline))
    for e in timeline:
        if e["start_s"] <= t < e["end_s"]:
            task = tasks.get(e["task"])
            reps = max(x["rep"] for x in timeline if x["task"] == e["task"])
            return Prompt(e["task"], task.label if task else e["task"], task.instruction if task else "",
                          e["phase"], e["rep"], reps, e["end_s"] - t, order.index(e["task"]) + 1, len(order))
    return None


def validate_timeline(timeline) -> list[dict]:
    if isinstance(timeline, dict):
        timeline = timeline.get("timeline")
    if not isinstance(timeline, list):
        raise ValueError("a timeline is a list of {task, rep, start_s, end_s, phase}")
    out = []
    for i, e in enumerate(timeline):
        try:
            d = {"task": str(e["task"]), "rep": int(e.get("rep", 1)), "start_s": float(e["start_s"]),
                 "end_s": float(e["end_s"]), "phase": str(e.get("phase", "hold"))}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"timeline entry {i}: {exc!r}") from None
        if d["end_s"] <= d["start_s"]:
            raise ValueError(f"timeline entry {i}: end_s must be after start_s")
        if d["phase"] not in PHASES:
            raise ValueError(f"timeline entry {i}: phase must be 'hold', 'relax' or 'prompt'")
        out.append(d)
    return out


def load_timeline(path: str | Path) -> list[dict]:
    with open(path) as f:
        return validate_timeline(json.load(f))


def save_timeline(timeline: list[dict], path: str | Path) -> Path:
    return atomic_write_text(path, json.dumps(validate_timeline(timeline), indent=1))


def rest_window(timeline: list[dict], default: tuple[float, float] | None = (0.0, 2.0)) -> tuple[float, float] | None:
    """The first rest hold of the timeline (for the baseline), else ``default``."""
    for e in timeline:
        if e["task"] == "rest" and e["phase"] == "hold":
            return e["start_s"], e["end_s"]
    return default


def task_mask(t: np.ndarray, timeline: list[dict], task: str, phase: str = "hold",
              rep: int | None = None) -> np.ndarray:
    m = np.zeros(len(t), bool)
    for e in timeline:
        if e["task"] == task and e["phase"] == phase and (rep is None or e["rep"] == rep):
            m |= (t >= e["start_s"]) & (t < e["end_s"])
    return m


def task_span(t: np.ndarray, timeline: list[dict], task: str) -> np.ndarray:
    """Contiguous mask from the task's first start to its last end (all phases)."""
    ev = [e for e in timeline if e["task"] == task]
    if not ev:
        return np.zeros(len(t), bool)
    return (t >= min(e["start_s"] for e in ev)) & (t < max(e["end_s"] for e in ev))


def tasks_in(timeline: list[dict]) -> list[str]:
    seen = []
    for e in timeline:
        if e["task"] not in seen:
            seen.append(e["task"])
    return seen


# ---------------------------------------------------------------- levels

def hold_levels(t: np.ndarray, x: np.ndarray, timeline: list[dict], task: str,
                exclude: np.ndarray | None = None) -> list[float]:
    """Median of x (T,) over each repetition's hold frames; NaN/excluded frames ignored."""
    reps = sorted({e["rep"] for e in timeline if e["task"] == task and e["phase"] == "hold"})
    out = []
    for r in reps:
        m = task_mask(t, timeline, task, "hold", r) & np.isfinite(x)
        if exclude is not None:
            m &= ~exclude
        if m.sum() >= 2:
            out.append(float(np.median(x[m])))
    return out


def task_level(t, x, timeline, task, exclude=None) -> float:
    lv = hold_levels(t, x, timeline, task, exclude)
    return float(np.median(lv)) if lv else float("nan")


def _first_present(timeline, keys) -> str | None:
    present = tasks_in(timeline)
    return next((k for k in keys if k in present), None)


def _ratio(num: float, den: float, min_den: float = 1e-3) -> float:
    if not (np.isfinite(num) and np.isfinite(den)) or abs(den) < min_den:
        return float("nan")
    return float(num / den)


def _clean(v: float, nd: int = 4):
    return None if v is None or not np.isfinite(v) else round(float(v), nd)


# ---------------------------------------------------------------- indices

def ocular_indices(t: np.ndarray, sig: np.ndarray, timeline: list[dict],
                   rest_aperture: np.ndarray | None = None,
                   exclude: np.ndarray | None = None) -> dict:
    """Auto-eFACE ocular synkinesis per side (that side taken as the affected eye).

    rest_aperture: (2,) resting eye aperture (left, right); None = assume symmetric (then the
    corrected and uncorrected indices coincide). Returns per side: ``ocular``,
    ``ocular_corrected``, ``k`` per task, ``eye_narrowing`` per task (fraction of own rest)."""
    ap = np.ones(2) if rest_aperture is None else np.asarray(rest_aperture, float)
    rest_ratio = np.array([ap[0] / ap[1], ap[1] / ap[0]])
    tasks = [k for k in (_first_present(timeline, BIG_SMILE), "pucker") if k in tasks_in(timeline)]
    closure = sig[:, :, S["eye_closure"]]
    fiss = ap[None, :] * (1.0 - closure)           # (T, 2), rest fissure units of eye aperture
    out = {side: {"k": {}, "k_corrected": {}, "eye_narrowing": {}} for side in SIDES}
    for s, side in enumerate(SIDES):
        with np.errstate(divide="ignore", invalid="ignore"):   # the other eye shut: no ratio (inf, cleaned)
            ratio = fiss[:, s] / fiss[:, 1 - s]
        for task in tasks:
            k = task_level(t, ratio, timeline, task, exclude)
            out[side]["k"][task] = _clean(k)
            out[side]["k_corrected"][task] = _clean(k / rest_ratio[s])
            out[side]["eye_narrowing"][task] = _clean(task_level(t, closure[:, s], timeline, task, exclude))
        ks = [v for v in out[side]["k"].values() if v is not None]
        kc = [v for v in out[side]["k_corrected"].values() if v is not None]
        out[side]["ocular"] = _clean(100 * np.clip(min(ks), 0, 1), 1) if ks else None
        out[side]["ocular_corrected"] = _clean(100 * np.clip(min(kc), 0, 1), 1) if kc else None
        out[side]["tasks_used"] = tasks
    return out


def coactivation_fractions(t: np.ndarray, sig: np.ndarray, timeline: list[dict],
                           exclude: np.ndarray | None = None) -> dict:
    """Oral, brow and chin co-movement per side as fractions of the voluntary movement."""
    present = tasks_in(timeline)
    smile_task = _first_present(timeline, BIG_SMILE)
    eye_tasks = [k for k in EYE_CLOSURE if k in present]
    out = {}
    for s, side in enumerate(SIDES):
        x = {g: sig[:, s, S[g]] for g in ("smile", "brow_raise", "chin",
                                          *(g for g, _ in TEXTURE_INDICES.values()))}
        lvl = {}
        for g in x:
            lvl[g] = {task: task_level(t, x[g], timeline, task, exclude) for task in present}
        own_smile = lvl["smile"].get(smile_task, np.nan) if smile_task else np.nan
        oral = [_ratio(lvl["smile"][k], own_smile) for k in eye_tasks]
        own_brow = lvl["brow_raise"].get("brow_raise", np.nan)
        brow = [_ratio(lvl["brow_raise"][k], own_brow) for k in (smile_task, "pucker") if k in present]
        chin_tasks = [k for k in (smile_task, *eye_tasks) if k in present]
        # Its max over the task holds; needs at least one other task (pucker, "eee", ...) as a
        # reference, else the fraction is 1 by construction and says nothing.
        others = [v for k, v in lvl["chin"].items() if k not in ("rest", *chin_tasks) and np.isfinite(v)]
        chin_levels = others + [v for k, v in lvl["chin"].items() if k in chin_tasks and np.isfinite(v)]
        chin_max = max(chin_levels, default=np.nan) if others else np.nan
        chin = [_ratio(lvl["chin"][k], chin_max) for k in chin_tasks]
        d = {
            "oral": _clean(np.nanmax(oral)) if np.isfinite(oral).any() else None,
            "brow": _clean(np.nanmax(brow)) if np.isfinite(brow).any() else None,
            "chin": _clean(np.nanmax(chin)) if np.isfinite(chin).any() else None,
            "levels": {g: {k: _clean(v, 5) for k, v in lv.items()} for g, lv in lvl.items()},
        }
        for key, (g, tasks) in TEXTURE_INDICES.items():
            v = [lvl[g][k] for k in tasks if k in present and np.isfinite(lvl[g][k])]
            d[key] = _clean(max(v)) if v else None
        out[side] = d
    return out


def resting_symmetry(rest_features: np.ndarray | None) -> dict | None:
    """Left/right ratio of |feature| at rest per region (1 = symmetric) and the symmetry
    percentage 100 x min/max. rest_features: (2, N_FEATURES) or None."""
    if rest_features is None:
        return None
    rf = np.abs(np.asarray(rest_features, float))
    out = {}
    for region, feat in REST_REGIONS.items():
        a, b = rf[0, F[feat]], rf[1, F[feat]]
        ok = np.isfinite(a) and np.isfinite(b) and min(a, b) > 0
        out[region] = {"ratio_lr": _clean(a / b) if ok else None,
                       "symmetry_pct": _clean(100 * min(a, b) / max(a, b), 1) if ok else None}
    vals = [v["symmetry_pct"] for v in out.values() if v["symmetry_pct"] is not None]
    out["overall_pct"] = _clean(float(np.mean(vals)), 1) if vals else None
    return out


def estimate_noise(t: np.ndarray, sig: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Rest noise (2, N_SIGNALS) from the signals themselves (1.4826 x MAD in the window)."""
    m = (t >= window[0]) & (t <= window[1]) & face_measured(sig)
    if m.sum() < 3:
        m = face_measured(sig)
    x = sig[m]
    if len(x) < 3:
        return np.full((2, len(SIGNALS)), MIN_NOISE)
    with warnings.catch_warnings():      # a texture region never in view stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mad = np.nanmedian(np.abs(x - np.nanmedian(x, axis=0)), axis=0)
    return np.maximum(1.4826 * mad, MIN_NOISE)


def task_findings(sig: np.ndarray, fps: float, noise: np.ndarray, movement: str | None) -> list[Coupling]:
    """``coactivation.analyse`` on one task's span, the subject performing ``movement`` (None:
    unknown). Co-activation ranks co-moving drivers the same in every task (smile, eye closure,
    brow raise, pucker, ...): a face whose eyes closed with each pucker had its chin dimpling called
    eye closure -> chin dimpling in the pucker task. A finding whose driver moved along with the
    task's movement (at no delay) is judged again as the task movement's, by the same rules with
    the riders held still (no longer candidate drivers); the rider's pair is then no finding."""
    couplings, _ = analyse(sig, fps, noise)
    if movement is None:
        return couplings
    by = {(c.side, c.driver, c.response): c for c in couplings}
    comove_r = CoactivationConfig().comove_r
    riders = {(c.side, c.driver) for c in couplings if c.synkinesis and movement not in (c.driver, c.response)
              and comoves(by[(c.side, movement, c.driver)].peak_r, by[(c.side, movement, c.driver)].lag_s, fps,
                          comove_r)}
    if not riders:
        return couplings
    still = np.array(sig, dtype=float, copy=True)
    still[:, :, sorted({S[g] for _, g in riders})] = 0.0          # at rest (NaN would read as no face)
    again = {(c.side, c.driver, c.response): c for c in analyse(still, fps, noise)[0]}
    for c in couplings:
        if c.synkinesis and (c.side, c.driver) in riders:
            c.synkinesis, c.verdict = False, NONE
            c.reason = f"moved with the {NAMES[movement]}, the movement the task asks for"
            by[(c.side, movement, c.response)] = again[(c.side, movement, c.response)]
    return list(by.values())


MIN_TASK_WINDOW_S = 2.0   # frames a task's window must hold (at the source's rate) to be judged


def task_coactivation(t: np.ndarray, sig: np.ndarray, fps: float, noise: np.ndarray,
                      timeline: list[dict], movements: dict[str, str] | None = None) -> dict:
    """``task_findings`` on each task's span. ``movements``: the movement each task asks for, by
    task key (default: the assessment's tasks'; the weekly test's are in ``recovery.TASK_SIGNAL``).
    Returns {task: [coupling dicts]}; only pairs with peak r >= 0.5 or a synkinesis verdict are
    kept, to keep the file small."""
    movements = {k: t.driver for k, t in TASK_BY_KEY.items()} if movements is None else movements
    out = {}
    for task in tasks_in(timeline):
        if task == "rest":
            continue
        m = task_span(t, timeline, task)
        if m.sum() < max(10, int(MIN_TASK_WINDOW_S * fps)):
            continue
        couplings = task_findings(sig[m], fps, noise, movements.get(task))
        out[task] = [c.to_json() for c in couplings
                     if c.synkinesis or (np.isfinite(c.peak_r) and c.peak_r >= 0.5)]
    return out


def score_assessment(t: np.ndarray, sig: np.ndarray, timeline: list[dict], *, fps: float,
                     rest_features: np.ndarray | None = None, noise: np.ndarray | None = None,
                     blinks: np.ndarray | None = None, movements: dict[str, str] | None = None) -> dict:
    """All indices of one assessment. t: (T,), sig: (T, 2, N_SIGNALS) (NaN = no face);
    rest_features: (2, N_FEATURES) raw features at rest, if known; movements: the movement each
    task asks for (``task_coactivation``)."""
    timeline = validate_timeline(timeline)
    rw = rest_window(timeline)
    if noise is None:
        noise = estimate_noise(t, sig, rw)
    if blinks is None:
        blinks = blink_mask(fill_gaps(sig[:, :, S["eye_closure"]]), fps, noise[:, S["eye_closure"]])
    # Blinks are only excluded outside eye-closure tasks (there the closure is the task).
    ap = None if rest_features is None else np.asarray(rest_features, float)[:, F["eye_aperture"]]
    ocular = ocular_indices(t, sig, timeline, ap, exclude=blinks)
    frac = coactivation_fractions(t, sig, timeline, exclude=None)
    indices = {side: {"ocular": ocular[side]["ocular"],
                      "ocular_corrected": ocular[side]["ocular_corrected"],
                      **{k: frac[side][k] for k in ("oral", "brow", "chin", *TEXTURE_INDICES)}} for side in SIDES}
    notes = []
    present = tasks_in(timeline)
    missing = [k.key for k in TASKS if k.key not in present]
    if missing:
        notes.append("tasks not in the timeline: " + ", ".join(missing))
    if "pucker" not in present:
        notes.append("no pucker task: the ocular index uses the smile only")
    if rest_features is None:
        notes.append("raw rest features unknown: resting symmetry not available and the ocular "
                     "index assumes equal resting fissures")
    return {
        "version": 1,
        "tasks": present,
        "rest_window_s": list(rw),
        "indices": indices,
        "ocular_detail": ocular,
        "levels": {side: frac[side]["levels"] for side in SIDES},
        "resting_symmetry": resting_symmetry(rest_features),
        # in mm with its noise, from the rest phase's frames (the weekly tests' trend uses it)
        "rest_asymmetry": rest_asymmetry(t, sig, rest_features, rw, blinks),
        "rest_features": None if rest_features is None else {
            side: dict(zip(FEATURES, map(float, np.asarray(rest_features)[i]))) for i, side in enumerate(SIDES)},
        "task_coactivation": task_coactivation(t, sig, fps, noise, timeline, movements),
        "blink_frames": int(np.asarray(blinks).sum()),
        "notes": notes,
    }


def rest_features_from(features: np.ndarray, t: np.ndarray, window: tuple[float, float]) -> np.ndarray | None:
    m = (t >= window[0]) & (t <= window[1]) & face_measured(features)
    if m.sum() < 3:
        return None
    with warnings.catch_warnings():      # a texture region never in view stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(features[m], axis=0)


def demo_timeline(truth, threshold: float = 0.8, task: str = "smile_open") -> list[dict]:
    """A scripted assessment timeline for a demo-face video (``realtime.sources.demo_face``): the
    leading still stretch is the rest task, each burst's plateau of the task's driver (e.g.
    truth.smile >= threshold for the open smile, truth.brow_raise for the brow raise) is a hold
    of ``task`` and the time to the next burst its relax."""
    t, driver = np.asarray(truth.t), np.asarray(getattr(truth, TASK_BY_KEY[task].driver))
    dt = float(t[1] - t[0]) if len(t) > 1 else 1.0
    end = float(t[-1] + dt)
    rest_end = max(dt, float(truth.config.rest_s) - 0.3)
    out = [{"task": "rest", "rep": 1, "start_s": 0.0, "end_s": round(rest_end, 3), "phase": "hold"}]
    on = driver >= threshold
    edges = np.flatnonzero(np.diff(np.r_[0, on.astype(int), 0]))
    holds = [(float(t[a]), float(t[b - 1] + dt)) for a, b in zip(edges[::2], edges[1::2])]
    for i, (a, b) in enumerate(holds):
        out.append({"task": task, "rep": i + 1, "start_s": round(a, 3), "end_s": round(b, 3),
                    "phase": "hold"})
        nxt = holds[i + 1][0] if i + 1 < len(holds) else end
        if nxt > b:
            out.append({"task": task, "rep": i + 1, "start_s": round(b, 3),
                        "end_s": round(nxt, 3), "phase": "relax"})
    return out


__all__ = ["Task", "TASKS", "default_timeline", "load_timeline", "save_timeline", "score_assessment",
           "ocular_indices", "coactivation_fractions", "resting_symmetry",
           "task_coactivation", "demo_timeline"]
