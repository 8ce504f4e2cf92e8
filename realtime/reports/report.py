"""Session report: one self-contained HTML page (figures embedded as base64 PNG).

Works on a recorded session folder and on an ``analyze``/``assess`` output folder
(``session_data`` reads and checks the files). Missing files are tolerated and listed on the
page; a file that exists but cannot be used raises ``SessionFileError`` (one line). Every
computation on the frames uses their timestamps (``timing``): co-activation is refused, with
the reason on the page, where the rows are too few or too far apart for lags.
"""

from __future__ import annotations

import base64
import io
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from calibration.baseline import RestBaseline
from realtime.clinical.assessment import (
    INDEX_NAMES,
    MIN_TASK_WINDOW_S,
    REST_TEXTURE_NOTE,
    TASK_LABEL,
    TEXTURE_INDICES,
    estimate_noise,
    format_index,
    rest_window,
    resting_symmetry,
    score_assessment,
    tasks_in,
)
from realtime.clinical.recovery import TASK_SIGNAL
from realtime.files import atomic_write_text
from realtime.landmarks import SIDES
from realtime.palette import SIDE_HEX
from realtime.reports.render import render
from realtime.reports.session_data import (
    ANALYSED,
    SessionData,
    as_seen,
    assessment_of,
    couplings_of,
    load_session,
    num,
    symmetry_of,
    text,
)
from realtime.reports.timing import MIN_LAG_FPS
from realtime.signals.coactivation import (
    SYNKINESIS,
    UNDECIDED,
    CoactivationConfig,
    analyse,
    blink_mask,
    fill_gaps,
    min_amplitude,
    undecided_words,
)
from realtime.signals.event_locked import blink_synkinesis
from realtime.signals.features import NAMES, SIGNALS, TEXTURE, S, face_measured
from realtime.signals.units import UNITS_LEGEND, format_clinical, multiple_text, shown, unit
from realtime.sinks.session import INTERRUPTED, RECORDING, SessionFileError, last_written
from realtime.sinks.tables import (
    COACTIVATION_CSV,
    INDICES_CSV,
    coactivation_table,
    csv_text,
    indices_table,
)

TRACE_SIGNALS = ("brow_raise", "eye_closure", "smile", "pucker", "chin", "chin_dimpling", "neck_bands")
SIDE_COLOURS = SIDE_HEX
TASK_COLOURS = ["#e8e8e8", "#dbe9f6", "#fde2cf", "#e0f0d9", "#f3dff0", "#fff3c4", "#d9f2f2", "#eadcd0"]
# Co-activation needs this much measured face before any pair is judged (coactivation.py); the
# matrix writes a response's size where the two signals move together at least this closely.
MIN_MEASURED_S = CoactivationConfig().min_measured_s
COMOVE_R = CoactivationConfig().comove_r
DASH = "–"


# ------------------------------------------------------------------ derived data

def _baseline(d: SessionData) -> RestBaseline | None:
    """The rest baseline: summary.json "baseline" (analyze) or session.json
    "calibration" -> "rest_baseline" (recorder); one that does not hold numbers is ignored."""
    cal = (d.session or {}).get("calibration")
    cands = [(d.summary or {}).get("baseline"), (d.session or {}).get("baseline"),
             cal.get("rest_baseline") if isinstance(cal, dict) else None]
    for c in cands:
        if not isinstance(c, dict):
            continue
        try:
            b = RestBaseline.from_json(c)
            level, noise = np.asarray(b.level, float), np.asarray(b.noise, float)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            continue
        # a skin-texture region never in view (the neck below the picture) has no rest level
        if face_measured(level) and face_measured(noise):
            return RestBaseline(level, noise, b.frames)
    return None


def _noise(d: SessionData) -> np.ndarray | None:
    b = _baseline(d)
    return None if b is None else b.noise


def _rest_features(d: SessionData) -> np.ndarray | None:
    b = _baseline(d)
    return None if b is None else b.level


def _measured_noise(d: SessionData) -> np.ndarray:
    noise = _noise(d)
    if noise is None:
        t0 = float(d.t[0])
        noise = estimate_noise(d.t, d.sig, rest_window(d.timeline or [], (t0, t0 + 2)))
    return noise


def no_face(d: SessionData) -> bool:
    return d.timing is not None and d.timing.measured_rows == 0


def coactivation_refusal(d: SessionData) -> str | None:
    """Why co-activation (peak r and lags) cannot be shown for this session; None if it can."""
    tm = d.timing
    if tm is not None:
        if tm.measured_rows == 0:
            return "no frame with a measured face"
        if tm.measured_s < MIN_MEASURED_S:
            return (f"only {tm.measured_s:.1f} s of measured face ({tm.measured_rows} frames); "
                    f"{MIN_MEASURED_S:g} s are needed")
        if not tm.lags_ok:
            return (f"the frames were measured at {tm.measured_fps:.1f} frames/s; lags of 0.1-0.3 s need "
                    f"at least {MIN_LAG_FPS:g} frames/s")
        return None
    fps = num((d.summary or {}).get("fps"))
    if fps is not None and fps < MIN_LAG_FPS:
        return f"the video has {fps:.1f} frames/s; lags need at least {MIN_LAG_FPS:g} frames/s"
    return None


def session_scores(d: SessionData) -> dict | None:
    """The assessment indices (``session_data.assessment_of`` shape): assessment.json if
    present, else scored from the gridded frames and the timeline."""
    if d.assessment is not None:
        return d.assessment
    if d.sig is None or not d.timeline or not d.fps:
        return None
    try:
        raw = score_assessment(d.t, d.sig, d.timeline, fps=d.fps, rest_features=_rest_features(d),
                               noise=_noise(d), movements=TASK_SIGNAL)
    except ValueError as exc:
        d.problems.append(f"assessment could not be scored ({exc})")
        return None
    d.assessment = assessment_of(raw)
    return d.assessment


def session_couplings(d: SessionData) -> list[dict] | None:
    """Whole-session co-activation (``session_data.couplings_of`` shape): summary.json if
    present, else computed from the gridded frames (rest noise from the baseline when known,
    else from the rest window). None where ``coactivation_refusal`` gives a reason."""
    if coactivation_refusal(d) is not None:
        return None
    if d.summary and isinstance(d.summary.get("coactivation"), list):
        return d.summary["coactivation"]
    if d.sig is None or not d.fps:
        return None
    couplings, _ = analyse(d.sig, d.fps, _measured_noise(d))
    return couplings_of([c.to_json() for c in couplings])


def blink_findings(d: SessionData) -> list[dict]:
    """What spontaneous blinks pull along (event-locked verdicts, ``couplings_of`` shape): from
    summary.json when it has them, else computed from the gridded frames."""
    if coactivation_refusal(d) is not None:
        return []
    if d.summary and isinstance(d.summary.get("blink_locked"), list):
        found = [c for c in d.summary.get("synkinesis") or [] if isinstance(c, dict)
                 and c.get("method") == "event-locked"]
    elif d.sig is not None and d.fps:
        found = [r.verdict_json() for r in blink_synkinesis(d.sig, d.fps, _measured_noise(d))
                 if r.verdict == SYNKINESIS]
    else:
        return []
    return couplings_of(found)


def blinks(d: SessionData) -> tuple[int, int] | None:
    """(blinks, blink frames on the grid), None without gridded frames."""
    if d.sig is None or not d.fps:
        return None
    noise = _measured_noise(d)
    m = blink_mask(fill_gaps(d.sig[:, :, S["eye_closure"]]), d.fps, noise[:, S["eye_closure"]])
    return int(np.sum(np.diff(np.r_[0, m.astype(int)]) == 1)), int(m.sum())


def quality(d: SessionData) -> dict:
    """Data-quality figures: from frames.csv when present, else from summary.json."""
    q: dict = {}
    tm, fr = d.timing, d.frames
    if fr is not None:
        face = face_measured(fr.sig)
        # Rows written while the rest baseline was being measured have a face but no signals yet.
        calibrating = fr.calibrating if fr.calibrating is not None else np.zeros(len(face), bool)
        faceless = ~face & ~calibrating
        q.update(frames=tm.rows, face_frames=int(face.sum()), measured_frames=tm.measured_rows,
                 calibrating_frames=int(calibrating.sum()),
                 faceless_pct=round(100 * faceless.mean(), 1), duration_s=round(tm.duration_s, 1),
                 longest_gap_s=None if tm.longest_gap_s is None else round(tm.longest_gap_s, 2),
                 source_fps=tm.source_fps, source_fps_known=tm.source_fps_known,
                 measured_fps=tm.measured_fps, dropped=tm.dropped, dropped_pct=tm.dropped_pct)
        b = blinks(d)
        if b is not None:
            q["blinks"], q["blink_frames"] = b
        measured = fr.sig[fr.measured]
        if len(measured):
            q["texture"] = {g: [round(100 * float(np.isfinite(measured[:, k, S[g]]).mean()), 1)
                                for k in range(len(SIDES))] for g in TEXTURE}
    elif d.summary:
        s = d.summary
        q["frames"], q["face_frames"] = num(s.get("frames")), num(s.get("face_frames"))
        if q["frames"]:
            q["faceless_pct"] = round(100 * (1 - (q["face_frames"] or 0) / q["frames"]), 1)
        q["blink_frames"] = num(s.get("blink_frames"))
        q["source_fps"], q["source_fps_known"] = num(s.get("fps")), True
        tex = s.get("texture") if isinstance(s.get("texture"), dict) else {}
        q["texture"] = {g: [num((tex.get(_texture_key(g, side)) or {}).get("measured_pct")) for side in SIDES]
                        for g in TEXTURE}
    tex = (d.summary or {}).get("texture")
    q["texture_reasons"] = {g: sorted({text((tex.get(_texture_key(g, side)) or {}).get("reason")) or ""
                                       for side in SIDES} - {""}) if isinstance(tex, dict) else []
                            for g in TEXTURE}
    return q


def _texture_key(signal: str, side: str) -> str:
    """summary.json "texture"'s key of a skin-texture signal's region and side ("neck_left")."""
    return f"{TEXTURE[signal].removesuffix('_texture')}_{side}"


# ------------------------------------------------------------------ figures

def fig_to_uri(fig) -> str:
    import matplotlib.pyplot as plt  # matplotlib (~0.5 s to import) only when a figure is drawn
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _plt():
    import matplotlib  # only when a figure is drawn (~0.5 s to import)
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def task_colours(timeline: list[dict]) -> dict[str, str]:
    return {k: TASK_COLOURS[i % len(TASK_COLOURS)] for i, k in enumerate(tasks_in(timeline))}


def traces_figure(d: SessionData) -> str | None:
    """The rows as measured (not the grid): what the camera saw, gaps and all."""
    fr = d.frames
    if fr is None or not np.isfinite(fr.sig).any():
        return None
    plt = _plt()
    from matplotlib.patches import Patch  # see _plt
    fig, axes = plt.subplots(len(TRACE_SIGNALS), 1, figsize=(11, 1.55 * len(TRACE_SIGNALS) + 0.6),
                             sharex=True)
    colours = task_colours(d.timeline) if d.timeline else {}
    t = fr.t - fr.t[0] if fr.t[0] > 1e6 else fr.t   # epoch clocks -> seconds from start
    for ax, g in zip(axes, TRACE_SIGNALS):
        for e in d.timeline or []:
            if e["phase"] == "hold":
                ax.axvspan(e["start_s"], e["end_s"], color=colours[e["task"]], lw=0, zorder=0)
        for s, side in enumerate(SIDES):
            ax.plot(t, shown(g, fr.sig[:, s, S[g]]), color=SIDE_COLOURS[side], lw=1.0, label=side)
        for ev in d.events or []:
            if ev["response"] == g:
                ax.axvspan(ev["start_s"], ev["end_s"], ymin=0.92, ymax=1.0,
                           color=SIDE_COLOURS.get(ev["side"], "k"), lw=0)
        ax.set_ylabel(f"{NAMES[g]}\n({unit(g)})", rotation=0, ha="right", va="center", fontsize=9)
        ax.axhline(shown(g, 0.0), color="#888", lw=0.5)     # rest: 0, or 1x the rest texture contrast
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", color="#ccc", lw=0.4)
    handles = [plt.Line2D([], [], color=SIDE_COLOURS[s], label=f"subject's {s}") for s in SIDES]
    # Task names are the file's text: matplotlib's mathtext must not read "$" in them.
    handles += [Patch(color=c, label=_plain(TASK_LABEL.get(k, k))) for k, c in colours.items()]
    axes[0].legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.02), ncol=min(6, len(handles)),
                   fontsize=8, frameon=False)
    axes[-1].set_xlabel("time (s)")
    fig.align_ylabels(axes)
    return fig_to_uri(fig)


def _plain(label: str) -> str:
    return label.replace("$", r"\$")[:60]


def signed_amplitude(c: dict) -> float | None:
    """A coupling's amplitude (face units) signed as it was seen (``as_seen``): negative where
    the response moved against its name while the driver made its larger movements (the cheek
    going down with the "smile" signal in a pucker: r > 0, but both went down)."""
    if c["amplitude"] is None:
        return None
    return c.get("direction", 1) * c.get("driver_direction", 1) * c["amplitude"]


def coupling_matrix(couplings: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(2, N, N) peak r (driver x response), the response's signed size in the unit a person
    reads (``units.shown``; negative, or below 1x rest for skin texture: it moved the opposite way
    to its name while the driver made its larger movements, e.g. the cheek going down with the
    "smile" signal in a pucker) and the flagged mask."""
    n = len(SIGNALS)
    r = np.full((2, n, n), np.nan)
    size = np.full((2, n, n), np.nan)
    flag = np.zeros((2, n, n), bool)
    for c in couplings:
        if c["side"] not in SIDES or c["driver"] not in S or c["response"] not in S:
            continue
        s, i, j = SIDES.index(c["side"]), S[c["driver"]], S[c["response"]]
        r[s, i, j] = np.nan if c["peak_r"] is None else c["peak_r"]
        if c["amplitude"] is not None:
            size[s, i, j] = shown(c["response"], signed_amplitude(c))
        flag[s, i, j] = c["synkinesis"]
    return r, size, flag


def _size_text(v: float, signal: str) -> str:
    """A size in a matrix cell (its unit is the column's): about 2 significant figures, signed,
    or for skin texture a multiple of its rest contrast ("2.4×")."""
    if signal in TEXTURE:
        return f"{multiple_text(v)}×"
    return f"{v:+.2f}" if abs(v) < 0.995 else f"{v:+.1f}" if abs(v) < 9.95 else f"{v:+.0f}"


def driver_rows(couplings: list[dict]) -> list[list[str]]:
    """Per side, each driver row's name for the movement it made there (``as_seen``): "brow
    down" where the brow-raise signal's larger movements went down (a cell's sign then says how
    the response moved with the brow going down). Only rows with a cell written (the driver
    moved with something, |r| >= ``COMOVE_R``) or flagged: a driver that only jittered at rest
    has no "larger movements", and its row keeps the signal's name."""
    rows = [[NAMES[g] for g in SIGNALS] for _ in SIDES]
    for c in couplings:
        if c["side"] not in SIDES or c["driver"] not in S or c["response"] not in S:
            continue
        moved = c["peak_r"] is not None and abs(c["peak_r"]) >= COMOVE_R and c["amplitude"] is not None
        if moved or c["synkinesis"]:
            rows[SIDES.index(c["side"])][S[c["driver"]]] = as_seen(c)[0]
    return rows


def _row_label(signal: str, seen: str) -> str:
    """A matrix row's label: the driver's movement, and the signal it was read from where the
    two differ (researchers match rows to the frames.csv columns)."""
    return seen if seen == NAMES[signal] else f"{seen}\n({NAMES[signal]} signal)"


def matrix_figure(couplings: list[dict]) -> str:
    plt = _plt()
    from matplotlib.patches import Rectangle  # see _plt
    r, size, flag = coupling_matrix(couplings)
    rows = driver_rows(couplings)
    cols = [f"{NAMES[g]} ({unit(g)})" for g in SIGNALS]   # a cell's size is in its column's unit
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6), gridspec_kw={"wspace": 0.6})
    for s, side in enumerate(SIDES):
        ax = axes[s]
        im = ax.imshow(np.abs(np.nan_to_num(r[s], nan=0.0)), vmin=0, vmax=1, cmap="Greys")
        for i in range(len(SIGNALS)):
            for j in range(len(SIGNALS)):
                if i == j:
                    ax.add_patch(Rectangle((j - .5, i - .5), 1, 1, color="white"))
                    continue
                v, z = r[s, i, j], size[s, i, j]
                if np.isfinite(v) and abs(v) >= COMOVE_R and np.isfinite(z):
                    ax.text(j, i, _size_text(z, SIGNALS[j]), ha="center", va="center", fontsize=6.5,
                            color="white" if abs(v) > 0.55 else "black")
                if flag[s, i, j]:
                    ax.add_patch(Rectangle((j - .47, i - .47), .94, .94, fill=False, ec="#d62020", lw=2.5))
        ax.set_xticks(range(len(SIGNALS)), cols, rotation=45, ha="right", fontsize=8)
        # Each side's own row names: a driver may move its other way on one side only.
        ax.set_yticks(range(len(SIGNALS)), [_row_label(g, rows[s][i]) for i, g in enumerate(SIGNALS)],
                      fontsize=8)
        for tick, g, seen in zip(ax.get_yticklabels(), SIGNALS, rows[s]):
            if seen != NAMES[g]:
                tick.set_color("#1f5fa8")
        ax.set_title(f"subject's {side} side", color=SIDE_COLOURS[side])
        ax.set_xlabel("response (moves along), its size in its unit")
        if s == 0:
            ax.set_ylabel("driver: the movement it made")
    fig.colorbar(im, ax=axes, shrink=0.7, label="how closely they move together: |peak r|")
    return fig_to_uri(fig)


# ------------------------------------------------------------------ text for the page

def fmt(v, nd=2, pct=False) -> str:
    """A number for the page; a dash where there is none (plain text: the templates escape)."""
    v = num(v)
    if v is None:
        return DASH
    return f"{100 * v:.0f} %" if pct else f"{round(v, nd) + 0.0:.{nd}f}"   # + 0.0: no "-0.00"


def raw(v) -> str:
    """A number for a data-* attribute (full precision), "" where there is none."""
    v = num(v)
    return "" if v is None else repr(v)


def _software(sw) -> str:
    if isinstance(sw, dict):
        named = " ".join(text(sw.get(k)) or "" for k in ("name", "version")).strip()
        rest = "".join(f", {k} {text(v)}" for k, v in sw.items()
                       if k not in ("name", "version") and text(v) is not None)
        return (named + rest) or "unknown"
    return text(sw) or "unknown"


def status_text(d: SessionData) -> str:
    st = d.status
    if st == RECORDING:
        written = last_written(d.path)
        ago = f", last written {time.time() - written:.0f} s ago" if written else ""
        return f"recording (still being written{ago})"
    if st == ANALYSED:
        return "analysed (a video measured to its end)"
    if st == "unknown":
        return "unknown (no session.json)"
    return st


def status_warning(d: SessionData) -> str | None:
    st = d.status
    if st == RECORDING:
        return ("This session is still being recorded (session.json says \"recording\" and its writer is "
                "alive or wrote within the last 30 s): the page shows the rows written so far.")
    if st == INTERRUPTED:
        note = text((d.session or {}).get("status_note")) or "it ended without being closed"
        return f"This recording was interrupted ({note}). The page shows the rows written up to then."
    if st.startswith("stopped"):
        return f"This recording {st}: the page shows the rows written up to then."
    return None


def data_warnings(d: SessionData, q: dict) -> list[str]:
    """What makes the page empty or thin, said plainly (also printed by ``run.py report``);
    ``q``: ``quality(d)``."""
    out = []
    st = status_warning(d)
    if st:
        out.append(st)
    if d.frames is None and "frames.csv" not in d.missing:
        out.append("frames.csv holds no frames: nothing was measured (the recording ended at once?).")
    elif not d.has_data:
        out.append("This folder holds no frames.csv, summary.json or assessment.json: nothing to report.")
    elif no_face(d):
        out.append(f"No face was measured in any of the {d.timing.rows} frames: check lighting, framing and "
                   "the camera; nothing on this page could be computed.")
    elif d.timing is not None and d.timing.measured_s < MIN_MEASURED_S:
        out.append(f"Too few measured frames: {d.timing.measured_rows} frames ({d.timing.measured_s:.1f} s) with "
                   f"a measured face; co-activation needs {MIN_MEASURED_S:g} s and the indices may be missing "
                   "or unreliable. Record for longer, facing the camera.")
    else:
        why = coactivation_refusal(d)
        if why:
            out.append(f"Co-activation is not shown: {why}.")
    if (q.get("faceless_pct") or 0) > 10 and not no_face(d):
        out.append(f"{q['faceless_pct']} % of frames have no face: check lighting and framing; indices may be "
                   "unreliable.")
    if (q.get("dropped_pct") or 0) > 10:
        out.append(f"{q['dropped_pct']:.0f} % of the source's frames were not measured (the computer fell "
                   "behind): the rows were placed on a regular grid by their timestamps.")
    return out


def meta_rows(d: SessionData) -> list[tuple[str, str]]:
    sess, summ = d.session or {}, d.summary or {}
    return [("Session folder", d.path.name),
            ("Subject", d.subject or "unknown"),
            ("Date (UTC)", d.start.strftime("%Y-%m-%d %H:%M") if d.start else "unknown"),
            ("Days since onset", fmt(d.days_since_onset, 0) if d.days_since_onset is not None else "unknown"),
            ("Affected side", f"subject's {d.affected_side}" if d.affected_side else "not stated (--affected)"),
            ("Source", text(sess.get("source")) or text(summ.get("video")) or "unknown"),
            ("Software", _software(sess.get("software") or summ.get("software"))),
            ("Report written", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))]


def indices_section(scores: dict, affected: str | None = None) -> dict:
    rows = []
    for key, label in INDEX_NAMES.items():
        cells = []
        texture = TEXTURE_INDICES.get(key, (None,))[0]
        for side in SIDES:
            v = scores["indices"][side].get(key)
            ocular = key.startswith("ocular")
            if texture is not None:     # shaded from the smallest visible change of the skin's texture
                bad = v is not None and v > min_amplitude(texture)
            else:
                bad = v is not None and ((ocular and v < 80) or (not ocular and v > 0.25))
            cells.append({"key": key, "side": side, "label": side_label(side, affected), "value": raw(v), "bad": bad,
                          "shown": format_index(key, v) or DASH})
        rows.append({"label": label, "cells": cells})
    det = scores["ocular_detail"]
    detail = [{"task": task, "cells": [{"side": s, "narrowing": fmt(det[s]["eye_narrowing"].get(task), pct=True),
                                        "k": fmt(det[s]["k"].get(task), 2)} for s in SIDES]}
              for task in det[SIDES[0]]["tasks_used"]]
    texture_floor = {format_clinical(g, min_amplitude(g), words=True)
                     for g, _ in TEXTURE_INDICES.values()}
    return {"rows": rows, "detail": detail, "notes": scores["notes"], "texture_floor": " / ".join(sorted(texture_floor))}


def symmetry_section(sym: dict | None) -> dict | None:
    if not sym or not sym["regions"]:
        return None
    return {"regions": [{"key": k, "name": k.replace("_", " "), "ratio": fmt(v["ratio_lr"], 3),
                         "pct": fmt(v["symmetry_pct"], 1)} for k, v in sym["regions"].items()],
            "overall": fmt(sym["overall_pct"], 1), "texture_note": REST_TEXTURE_NOTE}


def _size(c: dict, words: bool = False) -> str:
    """The involuntary movement's size in the unit a clinician reads (mm, % of the fissure, the
    skin's texture contrast as a multiple of rest); ``words``: the unit spelt out."""
    if c["amplitude"] is None or c["response"] not in S:
        return DASH
    return format_clinical(c["response"], c["amplitude"], words=words)


def _name(signal: str) -> str:
    return NAMES.get(signal, signal.replace("_", " "))   # "blink" drives event-locked findings


def side_label(side: str, affected: str | None) -> str:
    return side if affected is None else f"{side} ({'affected' if side == affected else 'healthy'})"


def flagged_rows(couplings: list[dict], affected: str | None = None) -> list[dict]:
    """Flagged pairs, the affected side's first (clinicians compare it with the healthy side)."""
    couplings = sorted(couplings, key=lambda c: c["side"] != affected)
    return [{"side": side_label(c["side"], affected), **_pair_words(c), "size": _size(c), "r": fmt(c["peak_r"]),
             "lag": fmt(c["lag_s"])}
            for c in couplings if c["synkinesis"]]


def _pair_words(c: dict) -> dict:
    """How a pair reads (``as_seen``): the driver's movement, the response's with it, and the
    signals they were read from (``signals``, for a tooltip: the frames.csv columns' names)."""
    driver, moves = as_seen(c)
    return {"driver": _name(driver), "response": c["response"], "moves": moves,
            "signals": f"{c['driver']} -> {c['response']}"}


def task_rows(tasks: list[str], scores: dict | None, refusal: str | None) -> list[dict]:
    """One row per task asked for (rest aside), in the timeline's order: the pairs flagged in its
    window, else in one line why none was (``note``): the session-wide refusal, a window too
    short to score, or pairs left undecided. A task the report is silent about would read as
    "measured, nothing found"."""
    tc = (scores or {}).get("task_coactivation") or {}
    rows = []
    for task in tasks:
        if task == "rest":
            continue
        cs = tc.get(task)
        flagged = [{"side": c["side"], **_pair_words(c), "size": _size(c, words=True), "r": fmt(c["peak_r"]),
                    "lag": fmt(c["lag_s"])} for c in cs or [] if c["synkinesis"] and not refusal]
        if refusal:
            note = "not judged (co-activation is not shown for this session: see above)"
        elif cs is None:
            note = f"not judged: too few measured frames in this task's window ({MIN_TASK_WINDOW_S:g} s needed)"
        elif flagged:
            note = ""
        else:
            undecided = [c for c in cs if c.get("verdict") == UNDECIDED]
            note = ("none flagged" if not undecided else
                    f"none flagged; {len(undecided)} pair(s) undecided: {undecided_words(undecided)}")
        rows.append({"task": TASK_LABEL.get(task, task), "flagged": flagged, "note": note})
    return rows


def event_counts(d: SessionData) -> list[dict]:
    cnt = Counter((e["side"], e["driver"], e["response"]) for e in d.events or [])
    return [{"side": s, "driver": a, "response": b, "n": n} for (s, a, b), n in cnt.most_common()]


def quality_rows(q: dict) -> list[tuple[str, str]]:
    def val(v, unit=""):
        return DASH if v is None else f"{v}{unit}"
    src = q.get("source_fps")
    src_txt = DASH if src is None else f"{src:.1f} frames/s" + ("" if q.get("source_fps_known") else
                                                                " (estimated from the timestamps)")
    dropped = q.get("dropped")
    dropped_txt = DASH if dropped is None else f"{dropped} ({q['dropped_pct']:.0f} % of the source's frames)"
    mfps = q.get("measured_fps")
    return [("Frames", val(q.get("frames"))), ("Frames with a face", val(q.get("face_frames"))),
            ("Frames measured (face, usable pose)", val(q.get("measured_frames"))),
            ("Frames while calibrating (rest baseline)", val(q.get("calibrating_frames"))),
            ("Frames without a face", val(q.get("faceless_pct"), " %")),
            ("Longest gap without a measured face", val(q.get("longest_gap_s"), " s")),
            ("Duration", val(q.get("duration_s"), " s")),
            ("Source frame rate", src_txt),
            ("Measured rate", DASH if mfps is None else f"{mfps:.1f} frames/s"),
            ("Frames dropped", dropped_txt),
            ("Blinks detected", val(q.get("blinks"))),
            ("Blink frames (excluded from co-activation)", val(q.get("blink_frames"))),
            *((f"{NAMES[g].capitalize()}: frames with its skin measured (left / right)", _texture_text(q, g))
              for g in TEXTURE)]


def _texture_text(q: dict, signal: str) -> str:
    pct = (q.get("texture") or {}).get(signal) or [None, None]
    out = " / ".join(DASH if v is None else f"{v:g} %" for v in pct)
    why = (q.get("texture_reasons") or {}).get(signal)
    return out + (f" ({'; '.join(why)})" if why else "")


def no_scores_reason(d: SessionData) -> str:
    if not d.timeline:
        return ("No assessment timeline in this session (timeline.json or session.json \"timeline\"): "
                "task-based indices cannot be computed. Co-activation below is over the whole recording.")
    return "No measured frames to score the assessment timeline with: indices cannot be computed."


def coactivation_section(d: SessionData, scores: dict | None, couplings: list[dict] | None) -> dict:
    refusal = coactivation_refusal(d)
    return {"refusal": refusal,
            "matrix": matrix_figure(couplings) if couplings else None,
            "flagged": flagged_rows((couplings or []) + blink_findings(d), d.affected_side),
            "tasks": task_rows((scores or {}).get("tasks") or tasks_in(d.timeline or []), scores, refusal),
            "events": event_counts(d)}


@dataclass(frozen=True)
class ReportPage:
    html: str
    warnings: list[str]
    couplings: list[dict] | None = None   # the co-activation on the page (None: refused, see the page)
    scores: dict | None = None            # the assessment on the page (None: no timeline or frames)


def make_report(folder: str | Path) -> ReportPage:
    """The page and its warnings. Raises SessionFileError when a file cannot be used."""
    d = load_session(folder)
    if not d.has_data and d.frames is None and d.session is None:
        raise SessionFileError(f"{folder} holds no session or analysis (no session.json, frames.csv, summary.json "
                               "or assessment.json): give a folder made by 'run.py record', 'analyze' or 'assess'")
    scores = session_scores(d)
    couplings = session_couplings(d)
    q = quality(d)
    warnings = data_warnings(d, q)
    title = f"Synkinesis session report – {d.subject or d.path.name}"
    html = render("report.html.j2", title=title, meta=meta_rows(d), status=d.status,
                  status_text=status_text(d), status_ok=d.status in ("complete", ANALYSED),
                  warnings=warnings, scores=indices_section(scores, d.affected_side) if scores else None,
                  no_scores=no_scores_reason(d), traces=traces_figure(d), has_events=bool(d.events),
                  coact=coactivation_section(d, scores, couplings),
                  # Without a timeline there are no task scores, but the rest baseline still
                  # holds each side's resting features.
                  symmetry=symmetry_section(scores["resting_symmetry"] if scores
                                            else symmetry_of(resting_symmetry(_rest_features(d)))),
                  quality=quality_rows(q), missing=", ".join(d.missing), problems=d.problems,
                  units_note=UNITS_LEGEND, comove_r=f"{COMOVE_R:g}",
                  traces_alt="signal traces: " + ", ".join(f"{NAMES[g]} ({unit(g)})" for g in TRACE_SIGNALS))
    return ReportPage(html, warnings, couplings, scores)


def build_report(folder: str | Path) -> str:
    return make_report(folder).html


def save_report(folder: str | Path) -> tuple[Path, list[str]]:
    """Write ``folder``/report.html and, beside it, the page's tables a person opens in a
    spreadsheet: coactivation.csv where co-activation is shown, indices.csv where an assessment
    is (owner-only, each atomically). Returns the page's path and its warnings."""
    page = make_report(folder)
    if page.couplings:
        atomic_write_text(Path(folder) / COACTIVATION_CSV, csv_text(coactivation_table(page.couplings)))
    if page.scores:
        atomic_write_text(Path(folder) / INDICES_CSV, csv_text(indices_table(page.scores)))
    return atomic_write_text(Path(folder) / "report.html", page.html), page.warnings


def write_report(folder: str | Path) -> Path:
    return save_report(folder)[0]
