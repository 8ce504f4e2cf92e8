"""What a patient's tests say about recovery, for the progress pages: the decisions of
``clinical/recovery.py`` over the sessions, in plain words, and their figures.

Input: the progress page's rows (``progress_page.session_row``), sorted by days since onset.
The decisions use the tests with the numbers each needs (resting asymmetry, task movements,
indices); "week N" counts from the first test (week 1). Days are days since onset when every
session knows them, else days since the first session (the page says so).
"""

from __future__ import annotations

import base64
import textwrap
from dataclasses import dataclass, field

import numpy as np

from realtime.clinical.assessment import TEXTURE_INDICES
from realtime.clinical.recovery import (
    PHASES,
    WEEK_DAYS,
    WORSENING_WINDOW,
    first_movement,
    first_report,
    phase,
    tone_history,
    worsening_history,
)
from realtime.clinical.rest_symmetry import MEASURE_BY_KEY, REST_MEASURES, droop_direction
from realtime.landmarks import SIDES
from realtime.reports.contact_sheet import TASK_LABELS, Column, contact_sheet, png_bytes, sheet_tasks, task_strip
from realtime.reports.report import SIDE_COLOURS, _plt, fig_to_uri
from realtime.signals.coactivation import min_amplitude
from realtime.signals.features import NAMES
from realtime.signals.units import format_clinical, shown, unit_words

# The skin-texture indices by name, as the pages label them: "chin dimpling (mentalis)".
TEXTURE_LABELS = {k: f"{NAMES[g]} ({k})" for k, (g, _) in TEXTURE_INDICES.items()}
# Synkinesis indices followed for a worsening trend, on the affected side: (name in words, the
# way that is worse, the smallest change over the window that counts, in the index's unit).
# The ocular index corrected for the resting fissure ratio: a palsied eye that is wider at rest
# (and narrows back as tone returns) would otherwise read as the other eye's synkinesis. The
# skin-texture ones (chin dimpling, neck bands; fractions of the rest texture contrast) must rise
# by the smallest visible change of that skin (``coactivation.min_amplitude``: 0.10 of the rest
# contrast, 1.0x -> 1.1x rest), the bar a single co-activation must clear too.
TREND_INDICES = {"ocular_corrected": ("ocular index", -1.0, 10.0), "oral": ("oral synkinesis", 1.0, 0.10),
                 "brow": ("brow synkinesis", 1.0, 0.10), "chin": ("chin synkinesis", 1.0, 0.10),
                 **{k: (TEXTURE_LABELS[k], 1.0, min_amplitude(g)) for k, (g, _) in TEXTURE_INDICES.items()}}
PHASE_COLOURS = {"developing": "#e3eefa", "fastest worsening": "#fbe1dc", "slowing": "#f6f0dc",
                 "plateau": "#ececec"}
MEASURE_COLOURS = {"mouth_corner": "#2a8a5a", "eye": "#7a4fa0", "brow": "#b5651d", "cheek": "#1f6fb2",
                   "nose_wing": "#888888"}
PAGE_COLUMNS = 5                # tests side by side on the page (more go on the next line)
SUMMARY_TASK = "smile"          # its pictures go on the clinician's one-page summary
NATURAL_HISTORY_DAYS = 600      # the onset figure shows at least this much of the natural history


@dataclass(frozen=True)
class Message:
    kind: str            # "tone", "tone-first", "tone-none", "movement", "movement-none", "worsening", "phase"
    text: str
    alert: bool = False


@dataclass
class RecoveryView:
    affected: str | None
    affected_source: str                     # "stated", "inferred ..." or why unknown
    days: list[float]
    days_label: str                          # "days since onset" or "days since the first session"
    weeks: list[int]
    messages: list[Message] = field(default_factory=list)
    tone_week: int | None = None             # the week returning tone was first reported
    movement_week: int | None = None
    worsening_week: int | None = None
    asymmetry_figure: str | None = None
    onset_figure: str | None = None
    strips: list[dict] = field(default_factory=list)   # {"task", "label", "uris": one per line}
    sheet: np.ndarray | None = None          # the whole contact sheet (RGB)
    summary_strip: dict | None = None        # the strip on the clinician's page (the smile's)
    latest: list[dict] = field(default_factory=list)   # the summary's table rows


def series_days(rows: list[dict]) -> tuple[list[float], str]:
    if rows and all(r["days_since_onset"] is not None for r in rows):
        return [float(r["days_since_onset"]) for r in rows], "days since onset"
    t0 = min(r["date"] for r in rows) if rows else None
    return [(r["date"] - t0).total_seconds() / 86400.0 for r in rows], "days since the first session"


def week_numbers(days: list[float]) -> list[int]:
    return [int(round((d - days[0]) / WEEK_DAYS)) + 1 for d in days] if days else []


def affected_side(rows: list[dict]) -> tuple[str | None, str]:
    """The side stated in the sessions (the most often stated), else the side that moved less
    in the first test with task movements, else None."""
    stated = [r["affected"] for r in rows if r.get("affected") in SIDES]
    if stated:
        side = max(SIDES, key=stated.count)
        return side, "stated"
    for r in rows:
        mv = r.get("movement") or {}
        if mv:
            total = {s: sum(max(0.0, m["level"][s]) for m in mv.values() if np.isfinite(m["level"][s])) for s in SIDES}
            if max(total.values()) > 0:
                side = min(SIDES, key=total.get)
                return side, "inferred: it moved less in the first test (give --affected to state it)"
    return None, "not stated (give --affected when recording)"


def _asymmetry_arrays(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    keys = [m.key for m in REST_MEASURES]
    y = np.array([[((r["asymmetry"].get(k) or {}).get("left_minus_right_mm")) for k in keys] for r in rows],
                 dtype=float).reshape(len(rows), len(keys))
    n = np.array([[((r["asymmetry"].get(k) or {}).get("noise_mm")) for k in keys] for r in rows],
                 dtype=float).reshape(len(rows), len(keys))
    return y, n


def _movement_arrays(rows: list[dict], side: str) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray, np.ndarray]:
    tasks = [t for t in TASK_LABELS if any(t in (r.get("movement") or {}) for r in rows)]
    signals = tuple(next(r["movement"][t]["signal"] for r in rows if t in (r.get("movement") or {})) for t in tasks)
    lv = np.array([[((r.get("movement") or {}).get(t) or {}).get("level", {}).get(side, np.nan) for t in tasks]
                   for r in rows], dtype=float).reshape(len(rows), len(tasks))
    rn = np.array([[((r.get("movement") or {}).get(t) or {}).get("rest_noise", {}).get(side, np.nan) for t in tasks]
                   for r in rows], dtype=float).reshape(len(rows), len(tasks))
    return tuple(tasks), signals, lv, rn


def _index_value(r: dict, side: str, key: str):
    v = r["indices"][side].get(key)
    return np.nan if v is None else float(v)


def _when(weeks: list[int], days: list[float], i: int, label: str) -> str:
    day = f"day {days[i]:.0f}" if label == "days since onset" else f"day {days[i]:.0f} of the series"
    return f"week {weeks[i]} ({day})"


def build(rows: list[dict]) -> RecoveryView:
    """The decisions, messages, figures and pictures of the sessions ``rows`` (page order)."""
    days, label = series_days(rows)
    weeks = week_numbers(days)
    side, source = affected_side(rows)
    v = RecoveryView(side, source, days, label, weeks)
    if not rows:
        return v
    d = np.array(days)
    # Returning tone.
    asym, noise = _asymmetry_arrays(rows)
    keys = tuple(m.key for m in REST_MEASURES)
    droop = None if side is None else droop_direction(side)
    tone = tone_history(d, asym, noise, keys, droop) if np.isfinite(asym).any() else []
    i_tone = first_report(tone)
    # First movement on the affected side.
    moves, i_move, tasks = [], None, ()
    if side is not None:
        tasks, signals, lv, rn = _movement_arrays(rows, side)
        if tasks:
            moves = first_movement(d, lv, rn, tasks, signals)
            i_move = first_report(moves)
    # Worsening synkinesis on the affected side.
    worse, i_worse = [], None
    if side is not None:
        names = tuple(TREND_INDICES)
        vals = np.array([[_index_value(r, side, k) for k in names] for r in rows]).reshape(len(rows), len(names))
        worse = worsening_history(d, vals, names, tuple(TREND_INDICES[k][1] for k in names),
                                  tuple(TREND_INDICES[k][2] for k in names))
        i_worse = first_report(worse)
    v.tone_week = None if i_tone is None else weeks[i_tone]
    v.movement_week = None if i_move is None else weeks[i_move]
    v.worsening_week = None if i_worse is None else weeks[i_worse]
    v.messages = messages(v, rows, tone, moves, worse, i_tone, i_move, tasks)
    v.asymmetry_figure = asymmetry_figure(v, asym, noise, i_tone, i_move)
    v.onset_figure = onset_figure(v, rows, worse)
    columns = [Column((f"week {weeks[i]}", f"day {days[i]:.0f}"), r.get("keyframes") or {}) for i, r in enumerate(rows)
               if r.get("keyframes")]
    if columns:
        v.sheet = contact_sheet(columns)
        chunks = [columns[i:i + PAGE_COLUMNS] for i in range(0, len(columns), PAGE_COLUMNS)]
        v.strips = [{"task": t, "label": TASK_LABELS[t], "uris": [_uri(task_strip(c, t)) for c in chunks]}
                    for t in sheet_tasks(columns)]
        task = SUMMARY_TASK if SUMMARY_TASK in sheet_tasks(columns) else sheet_tasks(columns)[0]
        v.summary_strip = {"task": task, "label": TASK_LABELS[task], "uri": _uri(task_strip(columns, task))}
    v.latest = latest_rows(rows, side)
    return v


def _uri(rgb: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode("ascii")


def messages(v: RecoveryView, rows, tone, moves, worse, i_tone, i_move, tasks) -> list[Message]:
    out = []
    last = len(rows) - 1
    days, weeks = v.days, v.weeks
    if tone and tone[last].reported:
        d = tone[last]
        best = next(t for t in d.trends if t.measure == d.measure)
        out.append(Message("tone", (
            f"Your resting symmetry has improved for {d.weeks} weeks ({MEASURE_BY_KEY[best.measure].label}: "
            f"{d.fall_mm:.1f} mm more even, beyond the measurement noise): tone may be returning; first "
            "movements often follow within weeks.")))
    if i_tone is not None:
        later = "" if tone[last].reported else " It has not changed beyond the noise since."
        out.append(Message("tone-first", f"Returning tone was first seen at {_when(weeks, days, i_tone, v.days_label)}."
                           + later))
    elif tone:
        enough = [t for t in tone if t.trends]
        out.append(Message("tone-none", "Resting symmetry: no change beyond the measurement noise so far." if enough else
                           "Resting symmetry: a trend needs at least 4 weekly tests over 3 weeks."))
    if i_move is not None:
        m = moves[i_move]
        what = ", ".join(TASK_LABELS.get(t, t).lower() for t in m.moving)
        out.append(Message("movement", f"First voluntary movement on your affected ({v.affected}) side at "
                           f"{_when(weeks, days, i_move, v.days_label)}: {what}."))
    elif v.affected is not None and moves:
        if any(m.moving for m in moves):
            out.append(Message("movement-none", f"Your affected ({v.affected}) side moved in the first test already."))
        else:
            out.append(Message("movement-none", f"No voluntary movement on your affected ({v.affected}) side beyond its "
                               "rest noise yet."))
    if worse and worse[last].reported:
        what = "; ".join(_change_in_words(t) for t in worse[last].trends if t.worsening)
        out.append(Message("worsening", f"Synkinesis is getting worse on the affected ({v.affected}) side over the last "
                           f"{min(len(rows), WORSENING_WINDOW)} tests ({what}). Tell your clinician: retraining "
                           "now can limit it.", alert=True))
    if v.days_label == "days since onset":
        p = phase(days[last])
        text = {"developing": "synkinesis, if it comes, usually develops over the first months",
                "fastest worsening": "synkinesis usually worsens fastest now, about days 200-300",
                "slowing": "synkinesis usually changes more slowly now, until about day 500",
                "plateau": "synkinesis usually changes little after about day 500"}[p]
        out.append(Message("phase", f"Day {days[last]:.0f} since onset: {p} phase ({text})."))
    return out


def _change_in_words(t) -> str:
    name, worse_way, _ = TREND_INDICES[t.index_name]
    if t.index_name == "ocular_corrected":
        return f"{name} down {abs(t.change):.0f} points"
    if t.index_name in TEXTURE_INDICES:     # the multiple of the rest contrast rose by as much
        return f"{name} up {abs(t.change):.2f}{unit_words(TEXTURE_INDICES[t.index_name][0])}"
    return f"{name} {'up' if worse_way > 0 else 'down'} {abs(t.change):.2f}"


def asymmetry_figure(v: RecoveryView, asym: np.ndarray, noise: np.ndarray, i_tone, i_move) -> str | None:
    if not np.isfinite(asym).any():
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 3.6))
    x = np.array(v.days)
    for m, meas in enumerate(REST_MEASURES):
        ok = np.isfinite(asym[:, m])
        if ok.any():
            ax.errorbar(x[ok], asym[ok, m], yerr=2 * np.nan_to_num(noise[ok, m]), marker="o", ms=4, capsize=2,
                        color=MEASURE_COLOURS[meas.key], label=meas.label)
    ax.axhline(0, color="#444", lw=0.8)
    for i, what, colour, style in ((i_tone, "returning tone first seen", "#2a8a5a", "--"),
                                   (i_move, "first voluntary movement", "#c06000", ":")):
        if i is not None:
            ax.axvline(x[i], color=colour, ls=style, lw=1.5, label=f"{what} (week {v.weeks[i]})")
    ax.set_xlabel(v.days_label)
    ax.set_ylabel("left − right at rest (mm)\n0 = symmetric")
    ax.grid(color="#ddd", lw=0.5)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig_to_uri(fig)


def onset_figure(v: RecoveryView, rows: list[dict], worse) -> str | None:
    """The synkinesis indices against days since onset, the natural-history phases shaded."""
    if v.days_label != "days since onset":
        return None
    have = [any(np.isfinite(_index_value(r, s, k)) for r in rows for s in SIDES)
            for k in (*TREND_INDICES, *TEXTURE_INDICES)]
    if not any(have):
        return None
    plt = _plt()
    fig, axes = plt.subplots(3, 1, figsize=(10, 7.0), sharex=True)
    x = np.array(v.days)
    right = max(NATURAL_HISTORY_DAYS, x.max() + 30)
    for ax in axes:
        for name, a, b in PHASES:
            ax.axvspan(a, min(b, right), color=PHASE_COLOURS[name], lw=0, zorder=0)
        ax.grid(color="#ddd", lw=0.5)
        ax.set_xlim(0, right)
    for name, a, b in PHASES:
        axes[0].text((a + min(b, right)) / 2, 1.02, name, transform=axes[0].get_xaxis_transform(), ha="center",
                     va="bottom", fontsize=8, color="#555")
    sides = [v.affected, *[s for s in SIDES if s != v.affected]] if v.affected else list(SIDES)
    for s in sides:
        tag = "affected" if s == v.affected else ("healthy" if v.affected else s)
        y = [_index_value(r, s, "ocular_corrected") for r in rows]
        if np.isfinite(y).any():
            axes[0].plot(x, y, marker="o", ms=4, color=SIDE_COLOURS[s], ls="-" if s == v.affected else "--",
                         label=f"ocular index, {s} ({tag})")
        for k, style, mark in (("oral", "-", "o"), ("brow", ":", "s"), ("chin", "-.", "^")):
            y = [_index_value(r, s, k) for r in rows]
            if np.isfinite(y).any() and (s == v.affected or v.affected is None):
                axes[1].plot(x, y, marker=mark, ms=5, ls=style, color=SIDE_COLOURS[s], mfc="none" if k != "oral" else None,
                             label=f"{TREND_INDICES[k][0]}, {s}")
        # The skin's texture change (chin dimpling, neck bands) in its own unit, not a fraction
        # of a voluntary movement: its own panel.
        for k, style, mark in zip(TEXTURE_INDICES, ("-", "--"), ("o", "s")):
            y = [_index_value(r, s, k) for r in rows]
            if np.isfinite(y).any() and (s == v.affected or v.affected is None):
                axes[2].plot(x, shown(TEXTURE_INDICES[k][0], np.array(y)), marker=mark, ms=5, ls=style,
                             color=SIDE_COLOURS[s], mfc="none" if style != "-" else None,
                             label=f"{TEXTURE_LABELS[k]}, {s}")
    axes[0].set_ylabel("ocular index, corrected\n(100 = no synkinesis)")
    axes[0].set_ylim(min(50, axes[0].get_ylim()[0]), 102)
    axes[1].set_ylabel("involuntary movement,\nfraction of voluntary")
    axes[1].set_ylim(-0.05, 1.05)
    texture_axis(axes[2], "chin dimpling, neck bands")
    axes[2].set_xlabel("days since onset")
    if worse and worse[-1].reported:
        # On the panel of each index that worsens (the neck's is the texture panel).
        panels = {0 if t.index_name == "ocular_corrected" else 2 if t.index_name in TEXTURE_INDICES else 1
                  for t in worse[-1].trends if t.worsening}
        for i in sorted(panels):
            axes[i].text(0.99, 0.06, "worsening trend", transform=axes[i].transAxes, ha="right", color="#c01818",
                         fontsize=11, fontweight="bold")
            axes[i].axvspan(x[max(0, len(x) - WORSENING_WINDOW)], x[-1], color="#c01818", alpha=0.12, lw=0)
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig_to_uri(fig)


def texture_axis(ax, label: str) -> None:
    """A panel of skin-texture indices: its unit in the label, rest (1x) marked, and at least
    0.9-1.3x shown so that a flat series at rest does not fill the panel with noise."""
    texture = next(iter(TEXTURE_INDICES.values()))[0]
    ax.set_ylabel(f"{label}\n(" + "\n".join(textwrap.wrap(unit_words(texture), 20)) + ")")
    ax.axhline(shown(texture, 0.0), color="#888", lw=0.6)
    lo, hi = ax.get_ylim()
    ax.set_ylim(min(lo, 0.9), max(hi, 1.3))


def latest_rows(rows: list[dict], side: str | None) -> list[dict]:
    """First and latest test side by side, for the clinician's summary: resting asymmetry per
    measure (mm, with twice its noise) and the affected side's movement per task."""
    first, last = rows[0], rows[-1]

    def asym(r, k):
        m = r["asymmetry"].get(k) or {}
        if m.get("left_minus_right_mm") is None:
            return "–"
        return f"{round(m['left_minus_right_mm'], 1) + 0.0:+.1f} ± {2 * (m.get('noise_mm') or 0):.1f} mm"

    out = [{"what": f"rest: {m.label}, left − right", "first": asym(first, m.key), "latest": asym(last, m.key)}
           for m in REST_MEASURES]
    if side is not None:
        for task in TASK_LABELS:
            cells = []
            for r in (first, last):
                mv = (r.get("movement") or {}).get(task)
                lv = None if mv is None else mv["level"][side]
                cells.append("–" if lv is None or not np.isfinite(lv) else format_clinical(mv["signal"], lv))
            if cells != ["–", "–"]:
                out.append({"what": f"{TASK_LABELS[task].lower()}: {side} side's movement", "first": cells[0],
                            "latest": cells[1]})
    return out


__all__ = ["RecoveryView", "Message", "build"]
