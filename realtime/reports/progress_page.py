"""Progress page: one patient's sessions over time, in one self-contained HTML file.

PATIENT_DIR holds one sub-folder per session (recorded session or ``analyze``/``assess``
output). Per session: date (session.json "start", else the folder's time), status, days since
onset when known, resting symmetry, synkinesis indices per side (the skin-texture ones, chin
dimpling and neck bands, as a multiple of the rest texture contrast) and the involuntary movement found, in the
units the report uses (how far the response moved, in mm or % of the rest eye opening; r beside
it, labelled).
A session that cannot be read is listed with the reason and left out; the others are shown.
The same figures go into ``progress.csv`` beside the page, one row per session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from realtime.clinical.assessment import TEXTURE_INDICES, format_index
from realtime.clinical.recovery import task_movements
from realtime.clinical.rest_symmetry import REST_MEASURES
from realtime.files import atomic_write_text
from realtime.landmarks import SIDES
from realtime.reports.contact_sheet import CONTACT_SHEET_PNG, read_keyframes, write_png
from realtime.reports.recovery_view import TEXTURE_LABELS, RecoveryView, build, texture_axis
from realtime.reports.render import render
from realtime.reports.report import (
    SIDE_COLOURS,
    _measured_noise,
    _plt,
    coactivation_refusal,
    fig_to_uri,
    flagged_rows,
    fmt,
    load_session,
    no_face,
    session_couplings,
    session_scores,
    signed_amplitude,
    status_text,
)
from realtime.reports.session_data import ANALYSED
from realtime.signals.units import (
    UNITS_LEGEND,
    face_unit,
    format_clinical,
    shown,
    unit,
    unit_words,
)
from realtime.sinks.session import SessionFileError
from realtime.sinks.tables import INDEX_COLUMNS, PROGRESS_CSV, Table, csv_text

SESSION_FILES = ("frames.csv", "summary.json", "session.json", "assessment.json")


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str   # one line


def coactivation_strength(couplings: list[dict] | None) -> dict:
    """Per side: the smile -> eye closure pair's size (signed as seen, ``report.signed_amplitude``,
    as the report's matrix and the live lines: the eye's narrowing as a fraction of its rest
    opening, negative where it widened with the smile's larger movements) and its peak r, the
    flagged pairs in clinical words (``report.flagged_rows``), their number and largest peak r."""
    out = {}
    for side in SIDES:
        cs = [c for c in couplings or [] if c["side"] == side]
        se = next((c for c in cs if c["driver"] == "smile" and c["response"] == "eye_closure"), None)
        fl = [c for c in cs if c["synkinesis"]]
        out[side] = {
            "smile_eye_size": None if se is None else signed_amplitude(se),
            "smile_eye_r": None if se is None else se["peak_r"],
            "max_flagged_r": max((c["peak_r"] for c in fl if c["peak_r"] is not None), default=None),
            "flagged": len(fl) if couplings is not None else None,
            "pairs": flagged_rows(fl),
        }
    return out


def row_notes(d, scores) -> list[str]:
    notes = []
    if no_face(d):
        notes.append("no face measured")
    elif scores is None:
        notes.append("no assessment timeline: no indices" if not d.timeline else "no measured frames: no indices")
    why = coactivation_refusal(d)
    if why and not no_face(d):
        notes.append(f"no co-activation: {why}")
    # A recording has no summary.json and an analysis no session.json: only both missing matters.
    missing = [m for m in ("frames.csv",) if m in d.missing]
    if {"session.json", "summary.json"} <= set(d.missing):
        missing.append("session.json and summary.json")
    if missing:
        notes.append("missing " + ", ".join(missing))
    notes += d.problems
    return notes


def movements(d) -> dict:
    """``recovery.task_movements`` of the session's tasks ({} without a timeline or frames)."""
    if d.sig is None or not d.timeline or no_face(d):
        return {}
    return task_movements(d.t, d.sig, d.timeline, _measured_noise(d))


def session_row(folder: Path) -> dict:
    """One session's figures. Raises SessionFileError (and whatever a damaged file provokes)
    when the session cannot be read."""
    d = load_session(folder)
    scores = session_scores(d)
    start = d.start
    date_known = start is not None
    if start is None:
        start = datetime.fromtimestamp(folder.stat().st_mtime, tz=timezone.utc)
    sym = (scores or {}).get("resting_symmetry") or {"regions": {}, "overall_pct": None}
    keyframes, keyframe_problems = read_keyframes(folder)
    return {
        "name": folder.name, "date": start, "date_known": date_known,
        "days_since_onset": d.days_since_onset,
        "status": d.status, "status_text": status_text(d), "status_ok": d.status in ("complete", ANALYSED),
        "symmetry": sym["overall_pct"],
        "symmetry_eye": (sym["regions"].get("eye") or {}).get("symmetry_pct"),
        "symmetry_mouth": (sym["regions"].get("mouth_corner_height") or {}).get("symmetry_pct"),
        "asymmetry": ((scores or {}).get("rest_asymmetry") or {}).get("measures", {}),
        "indices": {s: (scores or {}).get("indices", {}).get(s, {}) for s in SIDES},
        "coact": coactivation_strength(session_couplings(d)),
        "movement": movements(d),
        "affected": d.affected_side,
        "subject": d.subject,
        "keyframes": keyframes,
        "notes": row_notes(d, scores) + keyframe_problems,
        "has_scores": scores is not None,
    }


def find_sessions(patient_dir: str | Path) -> list[Path]:
    p = Path(patient_dir)
    return sorted(c for c in p.iterdir() if c.is_dir() and any((c / f).is_file() for f in SESSION_FILES))


def read_rows(folders: list[Path]) -> tuple[list[dict], list[Skipped]]:
    rows, skipped = [], []
    for f in folders:
        try:
            rows.append(session_row(f))
        except Exception as exc:  # noqa: BLE001 - one damaged session must not take the page down
            skipped.append(Skipped(f.name, _one_line(exc)))
    return rows, skipped


def _one_line(exc: Exception) -> str:
    lines = str(exc).splitlines()
    msg = lines[0] if lines else ""
    # Our own errors say what to do; anything else names its kind so it can be reported.
    return msg if isinstance(exc, (ValueError, OSError)) and msg else f"{type(exc).__name__}: {msg}"


SMILE_EYE = f"smile → eye closure: the eye's narrowing in {unit_words('eye_closure')}"
TEXTURE_UNIT = unit_words(next(iter(TEXTURE_INDICES.values()))[0])
FIGURE_ALT = ("progress over time: resting symmetry %, ocular index, " + SMILE_EYE + " (r beside each point), "
              + " and ".join(TEXTURE_LABELS.values()) + f" in {TEXTURE_UNIT}")


def _texture_value(r: dict, side: str, key: str):
    v = r["indices"][side].get(key)
    return None if v is None else shown(TEXTURE_INDICES[key][0], v)


def progress_figure(rows: list[dict]) -> str | None:
    plotted = ("symmetry", "symmetry_eye", "symmetry_mouth")
    if not any(r[k] is not None for r in rows for k in plotted) and not any(
            v is not None for r in rows for s in SIDES
            for v in (r["indices"][s].get("ocular"), r["coact"][s]["smile_eye_size"],
                      *(r["indices"][s].get(k) for k in TEXTURE_INDICES))):
        return None   # nothing to draw: the page says why per session
    plt = _plt()
    use_days = all(r["days_since_onset"] is not None for r in rows)
    x = [r["days_since_onset"] if use_days else r["date"] for r in rows]
    fig, axes = plt.subplots(4, 1, figsize=(10, 10.6), sharex=True)

    def legend(ax, **kw):
        if ax.get_legend_handles_labels()[0]:   # a session list with no such values draws none
            # Beside the plot, never over a point.
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, **kw)

    def series(ax, vals, **kw):
        xs = [a for a, v in zip(x, vals) if v is not None]
        ys = [v for v in vals if v is not None]
        if ys:
            ax.plot(xs, ys, **{"marker": "o", **kw})
        return xs, ys

    ax = axes[0]
    series(ax, [r["symmetry"] for r in rows], color="#333", label="overall")
    series(ax, [r["symmetry_eye"] for r in rows], color="#7a4fa0", ls="--", label="eye")
    series(ax, [r["symmetry_mouth"] for r in rows], color="#2a8a5a", ls=":", label="mouth corner")
    ax.set_ylabel("resting symmetry %\n(100 = symmetric)")
    ax.set_ylim(min(80, ax.get_ylim()[0]), 100.5)
    legend(ax)
    ax = axes[1]
    for s in SIDES:
        series(ax, [r["indices"][s].get("ocular") for r in rows], color=SIDE_COLOURS[s],
               label=f"ocular, subject's {s}")
        series(ax, [r["indices"][s].get("ocular_corrected") for r in rows], color=SIDE_COLOURS[s],
               ls="--", alpha=0.6, label=f"ocular corrected, {s}")
    ax.set_ylabel("ocular index\n(100 = no synkinesis)")
    ax.set_ylim(min(50, ax.get_ylim()[0]), 102)
    legend(ax)
    # How far the eye narrowed with the smile, in its clinical unit: r (~1 for any clear
    # coupling) does not say how strong the involuntary movement is; it is written beside.
    ax = axes[2]
    for s in SIDES:
        size = [r["coact"][s]["smile_eye_size"] for r in rows]
        xs, ys = series(ax, [None if v is None else shown("eye_closure", v) for v in size],
                        color=SIDE_COLOURS[s], label=f"smile→eye closure, {s}")
        rs = [r["coact"][s]["smile_eye_r"] for r, v in zip(rows, size) if v is not None]
        for a, y, rv in zip(xs, ys, rs):
            if rv is not None:
                ax.annotate(f"r {rv:.2f}", (a, y), xytext=(0, 6 if s == SIDES[0] else -12), ha="center",
                            textcoords="offset points", fontsize=7, color=SIDE_COLOURS[s])
    ax.axhline(0, color="#888", lw=0.6)
    ax.set_ylabel(f"smile→eye closure:\neye narrowing\n({unit('eye_closure')} of rest opening)")
    lo, hi = ax.get_ylim()
    pad = 0.15 * (hi - lo)           # room for the r written above (left) and below (right) a point
    ax.set_ylim(min(lo - pad, -5), max(hi + pad, 25))
    legend(ax)
    ax = axes[3]
    for s in SIDES:
        for k, style in zip(TEXTURE_INDICES, ("-", "--")):
            series(ax, [_texture_value(r, s, k) for r in rows], color=SIDE_COLOURS[s], ls=style,
                   marker="s" if style == "--" else "o", label=f"{TEXTURE_LABELS[k]}, {s}")
    texture_axis(ax, "chin dimpling,\nneck bands")
    legend(ax)
    axes[-1].set_xlabel("days since onset" if use_days else "session date")
    if not use_days:
        fig.autofmt_xdate()
    for ax in axes:
        ax.grid(color="#ddd", lw=0.5)
    return fig_to_uri(fig)


def _pair_text(p: dict) -> str:
    """A flagged pair as the report words it: how the response moves, with what, how far; r last."""
    return f"{p['moves']} with {p['driver']}: {p['size']}, lag {p['lag']} s (r {p['r']})"


def table_row(r: dict) -> dict:
    """The row's cells as text for the template."""
    sides = []
    for s in SIDES:
        ix, co = r["indices"][s], r["coact"][s]
        size = co["smile_eye_size"]
        sides.append({"side": s, "ocular": fmt(ix.get("ocular"), 1),
                      "ocular_corrected": fmt(ix.get("ocular_corrected"), 1),
                      "oral": format_index("oral", ix.get("oral")) or fmt(None),
                      "texture": [{"key": k, "shown": format_index(k, ix.get(k)) or fmt(None)}
                                  for k in TEXTURE_INDICES],
                      "smile_eye": fmt(None) if size is None else format_clinical("eye_closure", size),
                      "smile_eye_r": None if co["smile_eye_r"] is None else f"r {co['smile_eye_r']:.2f}",
                      "flagged": co["flagged"], "pairs": [_pair_text(p) for p in co["pairs"]]})
    return {"name": r["name"], "date": f"{r['date']:%Y-%m-%d %H:%M}" + ("" if r["date_known"] else " (file time)"),
            "days": fmt(r["days_since_onset"], 0), "symmetry": fmt(r["symmetry"], 1),
            "status": r["status"], "status_text": r["status_text"], "status_ok": r["status_ok"],
            "sides": sides, "notes": "; ".join(r["notes"])}


# progress.csv: the page's table, one row per session, one value per cell (units in the names).
PROGRESS_SIDE_COLUMNS = {**INDEX_COLUMNS, "smile_eye_size": f"smile_eye_closure_{face_unit('eye_closure')}",
                         "smile_eye_r": "smile_eye_closure_peak_r", "flagged": "synkinesis_pairs",
                         "max_flagged_r": "synkinesis_max_peak_r"}
# Resting asymmetry per measure (rest_symmetry.REST_MEASURES): left minus right and its noise.
ASYMMETRY_COLUMNS = {"left_minus_right_mm": "left_minus_right_mm", "noise_mm": "noise_mm",
                     "left_minus_right_pct": "left_minus_right_pct", "noise_pct": "noise_pct"}
ASYMMETRY_HEADER = [f"rest_{m.key}_{c}" for m in REST_MEASURES for c in ASYMMETRY_COLUMNS.values()]
PROGRESS_HEADER = ["session", "date_utc", "date_source", "days_since_onset", "status",
                   "resting_symmetry_pct", "resting_symmetry_eye_pct", "resting_symmetry_mouth_corner_pct",
                   *(f"{c}_{side}" for side in SIDES for c in PROGRESS_SIDE_COLUMNS.values()),
                   *ASYMMETRY_HEADER, "notes"]


def progress_table(rows: list[dict], skipped: list[Skipped]) -> Table:
    """The sessions in the page's order, then those that could not be read (status "not read",
    the reason in ``notes``)."""
    out = []
    for r in rows:
        per_side = [r["indices"][side].get(k) if k in INDEX_COLUMNS else r["coact"][side][k]
                    for side in SIDES for k in PROGRESS_SIDE_COLUMNS]
        asym = [(r["asymmetry"].get(m.key) or {}).get(k) for m in REST_MEASURES for k in ASYMMETRY_COLUMNS]
        out.append([r["name"], r["date"].isoformat(timespec="seconds"),
                    "session" if r["date_known"] else "file time", r["days_since_onset"], r["status"],
                    r["symmetry"], r["symmetry_eye"], r["symmetry_mouth"], *per_side, *asym, "; ".join(r["notes"])])
    blank = [None] * (len(PROGRESS_HEADER) - 3)
    out += [[s.name, *blank[:3], "not read", *blank[3:], s.reason] for s in skipped]
    return Table(list(PROGRESS_HEADER), out, ("session", "date_utc", "date_source", "status", "notes"))


def read_progress(patient_dir: str | Path) -> tuple[list[dict], list[Skipped]]:
    """Every session's row in the page's order (by days since onset when every session knows
    it, else by date), and the sessions that could not be read."""
    p = Path(patient_dir)
    rows, skipped = read_rows(find_sessions(p))
    if not rows and not skipped:
        raise SessionFileError(f"{p} holds no session folders: give the folder that holds one sub-folder per "
                               "recorded session (e.g. ~/synkinesis-sessions)")
    if rows and all(r["days_since_onset"] is not None for r in rows):
        rows.sort(key=lambda r: (r["days_since_onset"], r["date"]))
    else:
        rows.sort(key=lambda r: r["date"])
    return rows, skipped


PROGRESS_HTML = "progress.html"
SUMMARY_HTML = "progress-summary.html"


def subject_of(rows: list[dict], patient_dir: Path) -> str:
    codes = [r["subject"] for r in rows if r.get("subject")]
    return max(set(codes), key=codes.count) if codes else patient_dir.name


def progress_page(patient_dir: str | Path, rows: list[dict], skipped: list[Skipped], view: RecoveryView | None = None,
                  sheet_file: str | None = None) -> str:
    view = build(rows) if view is None else view
    return render("progress.html.j2", title=f"Synkinesis progress – {Path(patient_dir).name}",
                  n=len(rows), written=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}", sides=SIDES,
                  figure=progress_figure(rows), figure_alt=FIGURE_ALT, rows=[table_row(r) for r in rows],
                  skipped=skipped, texture_labels=TEXTURE_LABELS, texture_unit=TEXTURE_UNIT,
                  units_note=f"mm, {UNITS_LEGEND}",
                  view=view, sheet_file=sheet_file, summary_file=SUMMARY_HTML)


def summary_page(patient_dir: str | Path, rows: list[dict], view: RecoveryView) -> str:
    """One printable A4 page for a clinician: where the patient stands, what changed, the
    figures."""
    last = rows[-1] if rows else None
    return render("progress_summary.html.j2", title=f"Synkinesis progress summary – {Path(patient_dir).name}",
                  subject=subject_of(rows, Path(patient_dir)),
                  written=f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}", n=len(rows), view=view,
                  first=table_row(rows[0]) if rows else None, last=table_row(last) if last else None,
                  indices=summary_indices(rows, view.affected), sides=SIDES)


def summary_indices(rows: list[dict], affected: str | None) -> list[dict]:
    """The synkinesis indices of the first and latest test, per side (affected first), each in
    its unit (``assessment.format_index``)."""
    if not rows:
        return []
    sides = [affected, *[s for s in SIDES if s != affected]] if affected else list(SIDES)
    out = []
    for key, label in (("ocular_corrected", "ocular index, corrected (100 = none)"),
                       ("oral", "oral synkinesis"), ("brow", "brow synkinesis"),
                       *TEXTURE_LABELS.items()):
        for s in sides:
            tag = f"{s} ({'affected' if s == affected else 'healthy'})" if affected else s
            out.append({"what": f"{label}, {tag}", "first": _index_text(key, rows[0]["indices"][s].get(key)),
                        "latest": _index_text(key, rows[-1]["indices"][s].get(key))})
    return out


def _index_text(key: str, v) -> str:
    """An index for the summary in its unit, a dash where there is none."""
    return format_index(key, v) or fmt(None)


def write_progress(patient_dir: str | Path) -> tuple[Path, int]:
    """PATIENT_DIR/progress.html and, beside it, progress.csv (the same sessions, a row each),
    progress-summary.html (the clinician's printable page) and, when the sessions hold
    keyframes, contact_sheet.png; returns the page's path and the number of sessions on it."""
    rows, skipped = read_progress(patient_dir)
    folder = Path(patient_dir)
    view = build(rows)
    atomic_write_text(folder / PROGRESS_CSV, csv_text(progress_table(rows, skipped)))
    sheet_file = None
    if view.sheet is not None:
        write_png(folder / CONTACT_SHEET_PNG, view.sheet)
        sheet_file = CONTACT_SHEET_PNG
    atomic_write_text(folder / SUMMARY_HTML, summary_page(folder, rows, view))
    page = progress_page(folder, rows, skipped, view, sheet_file)
    return atomic_write_text(folder / PROGRESS_HTML, page), len(rows)
