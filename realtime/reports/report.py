"""Session report: one self-contained HTML page (figures embedded as base64 PNG).

Works on a recorded session folder (frames.csv, session.json, events.csv, optional
timeline.json / assessment.json) and on an ``analyze``/``assess`` output folder (frames.csv,
summary.json, ...). Missing files are tolerated and listed on the page.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from calibration.baseline import RestBaseline
from realtime.clinical.assessment import (
    INDEX_NAMES,
    TASK_LABEL,
    estimate_noise,
    rest_window,
    score_assessment,
    tasks_in,
    validate_timeline,
)
from realtime.landmarks import SIDES
from realtime.palette import SIDE_HEX
from realtime.signals.coactivation import analyse, blink_mask, fill_gaps
from realtime.signals.features import SIGNALS, S
from realtime.sinks.framefile import read_frames

TRACE_SIGNALS = ("brow_raise", "eye_closure", "smile", "pucker", "chin")
TRACE_LABELS = {"brow_raise": "brow raise", "eye_closure": "eye closure", "smile": "smile",
                "pucker": "pucker", "chin": "chin"}
SIDE_COLOURS = SIDE_HEX
TASK_COLOURS = ["#e8e8e8", "#dbe9f6", "#fde2cf", "#e0f0d9", "#f3dff0", "#fff3c4", "#d9f2f2", "#eadcd0"]


@dataclass
class SessionData:
    path: Path
    t: np.ndarray | None = None
    sig: np.ndarray | None = None
    fps: float | None = None
    summary: dict | None = None
    session: dict | None = None
    events: list[dict] | None = None
    timeline: list[dict] | None = None
    assessment: dict | None = None
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def start(self) -> datetime | None:
        # a recorded session's start; for an analyze/assess folder, when the video was analysed
        s = ((self.session or {}).get("start") or (self.session or {}).get("started")
             or (self.summary or {}).get("analysed"))
        if not s:
            return None
        try:
            d = datetime.fromisoformat(str(s).replace("Z", "+00:00"))
        except ValueError:
            return None
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)

    @property
    def days_since_onset(self) -> float | None:
        v = (self.session or {}).get("days_since_onset")
        try:
            return None if v is None else float(v)
        except (TypeError, ValueError):
            return None

    @property
    def has_data(self) -> bool:
        return self.sig is not None or self.summary is not None or self.assessment is not None


def _read_json(path: Path, data: SessionData):
    if not path.is_file():
        data.missing.append(path.name)
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        data.problems.append(f"{path.name} could not be read ({exc})")
        return None


def read_events(path: Path) -> list[dict]:
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                out.append({"start_s": float(row["start_s"]), "end_s": float(row["end_s"]),
                            "driver": row["driver"], "response": row["response"], "side": row["side"],
                            "peak": float(row["peak"]) if row.get("peak") else float("nan")})
            except (KeyError, ValueError, TypeError):
                continue
    return out


def load_session(folder: str | Path) -> SessionData:
    p = Path(folder)
    d = SessionData(p)
    if (p / "frames.csv").is_file():
        try:
            _, d.t, d.sig = read_frames(p / "frames.csv")
            if len(d.t) == 0:
                d.problems.append("frames.csv holds no frames")
                d.t = d.sig = None
        except (OSError, ValueError) as exc:
            d.problems.append(f"frames.csv could not be read ({exc})")
    else:
        d.missing.append("frames.csv")
    d.summary = _read_json(p / "summary.json", d)
    d.session = _read_json(p / "session.json", d)
    d.assessment = _read_json(p / "assessment.json", d)
    if (p / "events.csv").is_file():
        try:
            d.events = read_events(p / "events.csv")
        except OSError as exc:
            d.problems.append(f"events.csv could not be read ({exc})")
    else:
        d.missing.append("events.csv")
    tl = None
    if (p / "timeline.json").is_file():
        tl = _read_json(p / "timeline.json", d)
    elif d.session and d.session.get("timeline"):
        tl = d.session["timeline"]
    else:
        d.missing.append("timeline.json")
    if tl is not None:
        try:
            d.timeline = validate_timeline(tl)
        except ValueError as exc:
            d.problems.append(f"timeline ignored: {exc}")
    for src in (d.session, d.summary):
        if d.fps is None and src and src.get("fps"):
            d.fps = float(src["fps"])
    if d.fps is None and d.t is not None and len(d.t) > 1:
        dt = np.median(np.diff(d.t))
        d.fps = float(1 / dt) if dt > 0 else None
    return d


# ------------------------------------------------------------------ derived data

def _baseline(d: SessionData):
    """The rest baseline: summary.json "baseline" (analyze) or session.json
    "calibration" -> "rest_baseline" (recorder)."""
    cands = [(d.summary or {}).get("baseline"), (d.session or {}).get("baseline"),
             ((d.session or {}).get("calibration") or {}).get("rest_baseline")]
    for c in cands:
        if c:
            try:
                return RestBaseline.from_json(c)
            except (KeyError, TypeError, ValueError):
                continue
    return None


def _noise(d: SessionData) -> np.ndarray | None:
    b = _baseline(d)
    return None if b is None else b.noise


def _rest_features(d: SessionData) -> np.ndarray | None:
    b = _baseline(d)
    return None if b is None else b.level


def session_scores(d: SessionData) -> dict | None:
    """The assessment indices: assessment.json if present, else scored from frames + timeline."""
    if d.assessment is not None:
        return d.assessment
    if d.sig is None or not d.timeline or not d.fps:
        return None
    try:
        d.assessment = score_assessment(d.t, d.sig, d.timeline, fps=d.fps,
                                        rest_features=_rest_features(d), noise=_noise(d))
    except ValueError as exc:
        d.problems.append(f"assessment could not be scored ({exc})")
    return d.assessment


def session_couplings(d: SessionData) -> list[dict] | None:
    """Whole-session co-activation: summary.json if present, else computed from frames.csv
    (rest noise from the baseline when known, else from the first 2 s)."""
    if d.summary and "coactivation" in d.summary:
        return d.summary["coactivation"]
    if d.sig is None or not d.fps or len(d.t) < 10:
        return None
    noise = _noise(d)
    if noise is None:
        noise = estimate_noise(d.t, d.sig, rest_window(d.timeline or [], (float(d.t[0]), float(d.t[0]) + 2)))
    couplings, _ = analyse(d.sig, d.fps, noise)
    return [c.to_json() for c in couplings]


def quality(d: SessionData) -> dict:
    q: dict = {}
    if d.t is not None:
        face = np.isfinite(d.sig).all(axis=(1, 2))
        q["frames"] = int(len(d.t))
        q["face_frames"] = int(face.sum())
        q["faceless_pct"] = round(100 * (1 - face.mean()), 1)
        q["duration_s"] = round(float(d.t[-1] - d.t[0]), 1)
        gap, longest = 0, 0
        for ok in face:
            gap = 0 if ok else gap + 1
            longest = max(longest, gap)
        q["longest_gap_s"] = round(longest / d.fps, 2) if d.fps else None
        if d.fps:
            noise = _noise(d)
            if noise is None:
                noise = estimate_noise(d.t, d.sig, (float(d.t[0]), float(d.t[0]) + 2))
            m = blink_mask(fill_gaps(d.sig[:, :, S["eye_closure"]]), d.fps, noise[:, S["eye_closure"]])
            q["blink_frames"] = int(m.sum())
            q["blinks"] = int(np.sum(np.diff(np.r_[0, m.astype(int)]) == 1))
    elif d.summary:
        q["frames"] = d.summary.get("frames")
        q["face_frames"] = d.summary.get("face_frames")
        if q["frames"]:
            q["faceless_pct"] = round(100 * (1 - (q["face_frames"] or 0) / q["frames"]), 1)
        q["blink_frames"] = d.summary.get("blink_frames")
    q["fps"] = round(d.fps, 2) if d.fps else None
    return q


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
    if d.sig is None:
        return None
    plt = _plt()
    from matplotlib.patches import Patch  # see _plt
    fig, axes = plt.subplots(len(TRACE_SIGNALS), 1, figsize=(11, 1.55 * len(TRACE_SIGNALS) + 0.6),
                             sharex=True)
    colours = task_colours(d.timeline) if d.timeline else {}
    t = d.t - d.t[0] if d.t[0] > 1e6 else d.t   # epoch clocks -> seconds from start
    for ax, g in zip(axes, TRACE_SIGNALS):
        for e in d.timeline or []:
            if e["phase"] == "hold":
                ax.axvspan(e["start_s"], e["end_s"], color=colours[e["task"]], lw=0, zorder=0)
        for s, side in enumerate(SIDES):
            y = d.sig[:, s, S[g]]
            ax.plot(t, y, color=SIDE_COLOURS[side], lw=1.0, label=f"{side}")
        for ev in d.events or []:
            if ev["response"] == g:
                ax.axvspan(ev["start_s"], ev["end_s"], ymin=0.92, ymax=1.0,
                           color=SIDE_COLOURS.get(ev["side"], "k"), lw=0)
        ax.set_ylabel(TRACE_LABELS[g], rotation=0, ha="right", va="center", fontsize=9)
        ax.axhline(0, color="#888", lw=0.5)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", color="#ccc", lw=0.4)
    handles = [plt.Line2D([], [], color=SIDE_COLOURS[s], label=f"subject's {s}") for s in SIDES]
    handles += [Patch(color=c, label=TASK_LABEL.get(k, k)) for k, c in colours.items()]
    axes[0].legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.02), ncol=min(6, len(handles)),
                   fontsize=8, frameon=False)
    axes[-1].set_xlabel("time (s)")
    fig.align_ylabels(axes)
    return fig_to_uri(fig)


def coupling_matrix(couplings: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(2, N, N) peak r (driver x response) and the flagged mask."""
    n = len(SIGNALS)
    r = np.full((2, n, n), np.nan)
    flag = np.zeros((2, n, n), bool)
    for c in couplings:
        if c["side"] not in SIDES or c["driver"] not in S or c["response"] not in S:
            continue
        s, i, j = SIDES.index(c["side"]), S[c["driver"]], S[c["response"]]
        r[s, i, j] = np.nan if c.get("peak_r") is None else c["peak_r"]
        flag[s, i, j] = bool(c.get("synkinesis"))
    return r, flag


def matrix_figure(couplings: list[dict]) -> str:
    plt = _plt()
    from matplotlib.patches import Rectangle  # see _plt
    r, flag = coupling_matrix(couplings)
    names = [g.replace("_", " ") for g in SIGNALS]
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.0))
    for s, side in enumerate(SIDES):
        ax = axes[s]
        im = ax.imshow(np.nan_to_num(r[s], nan=0.0), vmin=0, vmax=1, cmap="Greys")
        for i in range(len(SIGNALS)):
            for j in range(len(SIGNALS)):
                if i == j:
                    ax.add_patch(Rectangle((j - .5, i - .5), 1, 1, color="white"))
                    continue
                v = r[s, i, j]
                txt = "" if not np.isfinite(v) else f"{v:.2f}"
                ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                        color="white" if np.isfinite(v) and v > 0.55 else "black")
                if flag[s, i, j]:
                    ax.add_patch(Rectangle((j - .47, i - .47), .94, .94, fill=False, ec="#d62020", lw=2.5))
        ax.set_xticks(range(len(SIGNALS)), names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(SIGNALS)), names if s == 0 else [], fontsize=8)
        ax.set_title(f"subject's {side} side", color=SIDE_COLOURS[side])
        ax.set_xlabel("response (moves along)")
        if s == 0:
            ax.set_ylabel("driver (voluntary movement)")
    fig.colorbar(im, ax=axes, shrink=0.7, label="peak correlation r")
    return fig_to_uri(fig)


# ------------------------------------------------------------------ HTML

CSS = """
body{font-family:Helvetica,Arial,sans-serif;color:#222;max-width:1100px;margin:24px auto;padding:0 16px;}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;border-bottom:1px solid #bbb;padding-bottom:3px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0;font-size:13px} td,th{border:1px solid #bbb;padding:4px 8px;text-align:left}
th{background:#f0f0f0} td.num{text-align:right;font-variant-numeric:tabular-nums}
.meta td{border:none;padding:1px 10px 1px 0} .note{color:#555;font-size:12px}
.warn{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px;font-size:13px}
.bad{background:#fbe0dc} img{max-width:100%} .flag{color:#c01818;font-weight:bold}
@media print{body{margin:0;max-width:none} h2{page-break-after:avoid} img{page-break-inside:avoid}}
"""


def esc(x) -> str:
    return html.escape(str(x))


def fmt(v, nd=2, pct=False) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "&ndash;"
    return f"{100 * v:.0f} %" if pct else f"{v:.{nd}f}"


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")


def indices_table(scores: dict) -> str:
    ix = scores["indices"]
    rows = []
    for key, label in INDEX_NAMES.items():
        cells = []
        for side in SIDES:
            v = ix[side].get(key)
            ocular = key.startswith("ocular")
            shown = fmt(v, 0) if ocular else fmt(v, pct=True)
            bad = v is not None and ((ocular and v < 80) or (not ocular and v > 0.25))
            cells.append(f"<td class='num{' bad' if bad else ''}' data-index='{key}' data-side='{side}' "
                         f"data-value='{'' if v is None else v}'>{shown}</td>")
        rows.append(f"<tr><th>{esc(label)}</th>{''.join(cells)}</tr>")
    head = "<tr><th>Index</th>" + "".join(f"<th>subject's {s}</th>" for s in SIDES) + "</tr>"
    det = scores.get("ocular_detail") or {}
    extra = ""
    if det:
        tasks = det[SIDES[0]].get("tasks_used", [])
        r = []
        for task in tasks:
            r.append(f"<tr><td>{esc(task)}</td>" + "".join(
                f"<td class='num' data-narrowing='{task}' data-side='{s}'>{fmt(det[s]['eye_narrowing'].get(task), pct=True)}</td>"
                f"<td class='num'>{fmt(det[s]['k'].get(task), 2)}</td>" for s in SIDES) + "</tr>")
        extra = ("<p class='note'>Eye narrowing per task (fraction of the eye's own resting fissure; healthy "
                 "eyes narrow about 22 &plusmn; 13 % in a smile) and k = this eye's fissure / other eye's:</p>"
                 "<table><tr><th>task</th>" + "".join(f"<th>{s}: narrowing</th><th>{s}: k</th>" for s in SIDES)
                 + "</tr>" + "".join(r) + "</table>")
    return f"<table class='indices'>{head}{''.join(rows)}</table>{extra}"


def symmetry_table(sym: dict | None) -> str:
    if not sym:
        return "<p class='warn'>Resting symmetry not available (raw rest features were not recorded).</p>"
    rows = "".join(f"<tr><td>{esc(k.replace('_', ' '))}</td><td class='num' data-rest='{k}'>{fmt(v['ratio_lr'], 3)}</td>"
                   f"<td class='num'>{fmt(v['symmetry_pct'], 1)}</td></tr>"
                   for k, v in sym.items() if isinstance(v, dict))
    return ("<table><tr><th>region</th><th>left / right</th><th>symmetry %</th></tr>" + rows
            + f"<tr><th>overall</th><td></td><td class='num' data-rest='overall'>{fmt(sym.get('overall_pct'), 1)}</td></tr></table>")


def flagged_table(couplings: list[dict]) -> str:
    fl = [c for c in couplings if c.get("synkinesis")]
    if not fl:
        return "<p>No co-activation pair was flagged as synkinesis.</p>"
    rows = "".join(
        f"<tr class='flagged'><td>{esc(c['side'])}</td><td>{esc(c['driver'])} &rarr; {esc(c['response'])}</td>"
        f"<td class='num'>{fmt(c.get('peak_r'))}</td><td class='num'>{fmt(c.get('lag_s'))}</td>"
        f"<td class='num'>{fmt(c.get('amplitude'), 3)}</td></tr>" for c in fl)
    return ("<table><tr><th>side</th><th>driver &rarr; response</th><th>peak r</th><th>lag (s)</th>"
            "<th>amplitude</th></tr>" + rows + "</table>")


def _software(sw) -> str:
    if isinstance(sw, dict):
        return " ".join(str(sw[k]) for k in ("name", "version") if sw.get(k)) + "".join(
            f", {k} {v}" for k, v in sw.items() if k not in ("name", "version"))
    return str(sw) if sw else "unknown"


def build_report(folder: str | Path) -> str:
    d = load_session(folder)
    sess = d.session or {}
    title = f"Synkinesis session report – {sess.get('subject') or sess.get('subject_id') or d.path.name}"
    parts = [f"<h1>{esc(title)}</h1>"]
    meta = [("Session folder", d.path.name),
            ("Date (UTC)", d.start.strftime("%Y-%m-%d %H:%M") if d.start else "unknown"),
            ("Days since onset", fmt(d.days_since_onset, 0) if d.days_since_onset is not None else "unknown"),
            ("Source", sess.get("source") or (d.summary or {}).get("video") or "unknown"),
            ("Software", _software(sess.get("software") or (d.summary or {}).get("software"))),
            ("Report written", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))]
    parts.append("<table class='meta'>" + "".join(f"<tr><td><b>{esc(k)}</b></td><td>{esc(v)}</td></tr>"
                                                   for k, v in meta) + "</table>")
    if not d.has_data:
        parts.append("<p class='warn'>This folder holds no frames.csv, summary.json or assessment.json: "
                     "nothing to report.</p>")

    scores = session_scores(d)
    parts.append("<h2>Synkinesis indices</h2>")
    if scores:
        parts.append(indices_table(scores))
        parts.append("<p class='note'>Ocular index: Auto-eFACE (100 &times; min of fissure ratios in big smile and "
                     "pucker), each side scored as if it were the affected eye; 100 = no synkinesis, shaded below 80. "
                     "Fractions: involuntary movement as a share of the same side's voluntary movement; shaded above "
                     "25 %. No fixed cut-off exists: compare sides and sessions.</p>")
        for n in scores.get("notes", []):
            parts.append(f"<p class='note'>Note: {esc(n)}</p>")
    else:
        parts.append("<p class='warn'>No assessment timeline in this session (timeline.json or session.json "
                     "\"timeline\"): task-based indices cannot be computed. Co-activation below is over the whole "
                     "recording.</p>")

    parts.append("<h2>Signals</h2>")
    tr = traces_figure(d)
    if tr:
        parts.append(f"<img alt='signal traces' src='{tr}'>")
        parts.append("<p class='note'>Per-side activation, 0 = the subject's own rest. Eye closure is a fraction of "
                     "the resting fissure (1 = closed); the others are displacements in "
                     "inter-ocular distances (0.01 &asymp; 0.6 mm). Shaded bands: task holds. "
                     + ("Bars at the top of a panel: co-activation events from events.csv." if d.events else "")
                     + "</p>")
    else:
        parts.append("<p class='warn'>No frames.csv: traces not available.</p>")

    parts.append("<h2>Co-activation</h2>")
    couplings = session_couplings(d)
    if couplings:
        parts.append(f"<img alt='co-activation matrix' src='{matrix_figure(couplings)}'>")
        parts.append("<p class='note'>Peak cross-correlation (within &plusmn;1 s) of each driver with each response, "
                     "per side, over the whole recording after removing blinks. Red boxes: pairs flagged as "
                     "synkinesis (coupled, clearly stronger than on the other side or beyond the healthy range, "
                     "response not preceding the driver).</p>")
        parts.append(flagged_table(couplings))
    else:
        parts.append("<p class='warn'>No co-activation data (no summary.json and no usable frames.csv).</p>")
    if scores and scores.get("task_coactivation"):
        rows = []
        for task, cs in scores["task_coactivation"].items():
            fl = [c for c in cs if c.get("synkinesis")]
            txt = "; ".join(f"<span class='flag'>{esc(c['side'])}: {esc(c['driver'])}&rarr;{esc(c['response'])} "
                            f"r {fmt(c['peak_r'])}, lag {fmt(c['lag_s'])} s</span>" for c in fl) or "none flagged"
            rows.append(f"<tr><td>{esc(TASK_LABEL.get(task, task))}</td><td>{txt}</td></tr>")
        parts.append("<p>Per task window:</p><table><tr><th>task</th><th>flagged pairs</th></tr>"
                     + "".join(rows) + "</table>")
    if d.events:
        cnt = Counter((e["side"], e["driver"], e["response"]) for e in d.events)
        parts.append("<p>Live co-activation events (events.csv): " + "; ".join(
            f"{esc(s)} {esc(a)}&rarr;{esc(b)}: {n}" for (s, a, b), n in cnt.most_common()) + "</p>")

    parts.append("<h2>Resting symmetry</h2>")
    parts.append(symmetry_table(scores.get("resting_symmetry") if scores else None))

    parts.append("<h2>Data quality</h2>")
    q = quality(d)
    qrows = [("Frames", q.get("frames")), ("Frames with a face", q.get("face_frames")),
             ("Frames without a face", f"{q['faceless_pct']} %" if q.get("faceless_pct") is not None else None),
             ("Longest gap without a face", f"{q['longest_gap_s']} s" if q.get("longest_gap_s") is not None else None),
             ("Duration", f"{q['duration_s']} s" if q.get("duration_s") is not None else None),
             ("Frame rate", q.get("fps")), ("Blinks detected", q.get("blinks")),
             ("Blink frames (excluded from co-activation)", q.get("blink_frames"))]
    parts.append("<table>" + "".join(f"<tr><td>{esc(k)}</td><td class='num' data-quality='{esc(k)}'>"
                                     f"{esc('–' if v is None else v)}</td></tr>" for k, v in qrows) + "</table>")
    if q.get("faceless_pct") and q["faceless_pct"] > 10:
        parts.append(f"<p class='warn'>{q['faceless_pct']} % of frames have no face: check lighting and framing; "
                     "indices may be unreliable.</p>")
    if d.missing:
        parts.append("<p class='note'>Files not present in the folder: " + esc(", ".join(d.missing)) + ".</p>")
    for p in d.problems:
        parts.append(f"<p class='warn'>{esc(p)}</p>")
    parts.append("<p class='note'>Measured from video with a face-landmark model; the model partly copies one "
                 "eye's movement to the other, which underestimates one-sided synkinesis. For clinical "
                 "interpretation alongside eFACE/Sunnybrook grading, not as a diagnosis.</p>")
    return page(title, "\n".join(parts))


def write_report(folder: str | Path) -> Path:
    out = Path(folder) / "report.html"
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(build_report(folder), encoding="utf-8")
    tmp.replace(out)
    return out
