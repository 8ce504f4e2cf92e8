"""Progress page: one patient's sessions over time, in one self-contained HTML file.

PATIENT_DIR holds one sub-folder per session (recorded session or ``analyze``/``assess``
output). Per session: date (session.json "start", else the folder's time), days since onset
when known, resting symmetry, synkinesis indices per side and co-activation strength.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from realtime.landmarks import SIDES
from realtime.reports.report import (
    SIDE_COLOURS,
    _plt,
    esc,
    fig_to_uri,
    fmt,
    load_session,
    page,
    session_couplings,
    session_scores,
)

SESSION_FILES = ("frames.csv", "summary.json", "session.json", "assessment.json")


def coactivation_strength(couplings: list[dict] | None) -> dict:
    """Per side: smile -> eye_closure peak r, the largest flagged peak r and the number of
    flagged pairs."""
    out = {}
    for side in SIDES:
        cs = [c for c in couplings or [] if c.get("side") == side]
        se = next((c for c in cs if c["driver"] == "smile" and c["response"] == "eye_closure"), None)
        fl = [c for c in cs if c.get("synkinesis")]
        out[side] = {
            "smile_eye_r": None if se is None else se.get("peak_r"),
            "max_flagged_r": max((c["peak_r"] for c in fl if c.get("peak_r") is not None), default=None),
            "flagged": len(fl) if couplings is not None else None,
        }
    return out


def session_row(folder: Path) -> dict:
    d = load_session(folder)
    scores = session_scores(d)
    start = d.start
    date_known = start is not None
    if start is None:
        start = datetime.fromtimestamp(folder.stat().st_mtime, tz=timezone.utc)
    ix = (scores or {}).get("indices") or {}
    sym = (scores or {}).get("resting_symmetry") or {}
    return {
        "name": folder.name, "date": start, "date_known": date_known,
        "days_since_onset": d.days_since_onset,
        "symmetry": sym.get("overall_pct"),
        "symmetry_eye": (sym.get("eye") or {}).get("symmetry_pct"),
        "symmetry_mouth": (sym.get("mouth_corner_height") or {}).get("symmetry_pct"),
        "indices": {s: ix.get(s, {}) for s in SIDES},
        "coact": coactivation_strength(session_couplings(d)),
        "missing": [m for m in d.missing if m in ("frames.csv", "summary.json", "session.json", "timeline.json")],
        "has_scores": scores is not None,
    }


def find_sessions(patient_dir: str | Path) -> list[Path]:
    p = Path(patient_dir)
    return sorted(c for c in p.iterdir() if c.is_dir() and any((c / f).is_file() for f in SESSION_FILES))


def progress_figure(rows: list[dict]) -> str | None:
    if not rows:
        return None
    plt = _plt()
    use_days = all(r["days_since_onset"] is not None for r in rows)
    x = [r["days_since_onset"] if use_days else r["date"] for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(10, 8.2), sharex=True)

    def series(ax, vals, **kw):
        xs = [a for a, v in zip(x, vals) if v is not None]
        ys = [v for v in vals if v is not None]
        if ys:
            ax.plot(xs, ys, marker="o", **kw)

    ax = axes[0]
    series(ax, [r["symmetry"] for r in rows], color="#333", label="overall")
    series(ax, [r["symmetry_eye"] for r in rows], color="#7a4fa0", ls="--", label="eye")
    series(ax, [r["symmetry_mouth"] for r in rows], color="#2a8a5a", ls=":", label="mouth corner")
    ax.set_ylabel("resting symmetry %\n(100 = symmetric)")
    ax.set_ylim(min(80, ax.get_ylim()[0]), 100.5)
    ax.legend(fontsize=8, loc="lower right")
    ax = axes[1]
    for s in SIDES:
        series(ax, [r["indices"][s].get("ocular") for r in rows], color=SIDE_COLOURS[s],
               label=f"ocular, subject's {s}")
        series(ax, [r["indices"][s].get("ocular_corrected") for r in rows], color=SIDE_COLOURS[s],
               ls="--", alpha=0.6, label=f"ocular corrected, {s}")
    ax.set_ylabel("ocular index\n(100 = no synkinesis)")
    ax.set_ylim(min(50, ax.get_ylim()[0]), 102)
    ax.legend(fontsize=8, loc="lower right", ncol=2)
    ax = axes[2]
    for s in SIDES:
        series(ax, [r["coact"][s]["smile_eye_r"] for r in rows], color=SIDE_COLOURS[s],
               label=f"smile→eye closure, {s}")
    ax.set_ylabel("co-activation\npeak r")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8, loc="lower right")
    axes[-1].set_xlabel("days since onset" if use_days else "session date")
    if not use_days:
        fig.autofmt_xdate()
    for ax in axes:
        ax.grid(color="#ddd", lw=0.5)
    return fig_to_uri(fig)


def build_progress(patient_dir: str | Path) -> tuple[str, int]:
    p = Path(patient_dir)
    rows = [session_row(f) for f in find_sessions(p)]
    if rows and all(r["days_since_onset"] is not None for r in rows):
        rows.sort(key=lambda r: (r["days_since_onset"], r["date"]))
    else:
        rows.sort(key=lambda r: r["date"])
    title = f"Synkinesis progress – {p.name}"
    parts = [f"<h1>{esc(title)}</h1>",
             f"<p>{len(rows)} session(s). Written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.</p>"]
    if not rows:
        parts.append("<p class='warn'>No session folders found (sub-folders with frames.csv, summary.json, "
                     "session.json or assessment.json).</p>")
        return page(title, "\n".join(parts)), 0
    fig = progress_figure(rows)
    if fig:
        parts.append("<h2>Over time</h2>")
        parts.append(f"<img alt='progress over time' src='{fig}'>")
        parts.append("<p class='note'>Resting symmetry usually returns before movement does. The ocular index "
                     "is the Auto-eFACE score (each side scored as if it were the affected eye; 100 = no "
                     "synkinesis). Co-activation: peak correlation of eye closure with the smile over the whole "
                     "session. Synkinesis typically worsens fastest 200&ndash;300 days after onset and plateaus "
                     "after ~500 days.</p>")
    head = ("<tr><th rowspan=2>session</th><th rowspan=2>date (UTC)</th><th rowspan=2>days since onset</th>"
            "<th rowspan=2>resting symmetry %</th>"
            + "".join(f"<th colspan=4>subject's {s}</th>" for s in SIDES) + "<th rowspan=2>notes</th></tr><tr>"
            + "<th>ocular</th><th>ocular corr.</th><th>oral</th><th>smile&rarr;eye r / flagged</th>" * 2 + "</tr>")
    body = []
    for r in rows:
        cells = [f"<td>{esc(r['name'])}</td>",
                 f"<td>{r['date']:%Y-%m-%d %H:%M}{'' if r['date_known'] else ' (file time)'}</td>",
                 f"<td class='num' data-col='days'>{fmt(r['days_since_onset'], 0)}</td>",
                 f"<td class='num' data-col='symmetry'>{fmt(r['symmetry'], 1)}</td>"]
        for s in SIDES:
            ix, co = r["indices"][s], r["coact"][s]
            cells += [f"<td class='num' data-col='ocular' data-side='{s}'>{fmt(ix.get('ocular'), 1)}</td>",
                      f"<td class='num' data-col='ocular_corrected' data-side='{s}'>{fmt(ix.get('ocular_corrected'), 1)}</td>",
                      f"<td class='num' data-col='oral' data-side='{s}'>{fmt(ix.get('oral'), pct=True)}</td>",
                      f"<td class='num' data-col='coact' data-side='{s}'>{fmt(co['smile_eye_r'])} / "
                      f"{'&ndash;' if co['flagged'] is None else co['flagged']}</td>"]
        notes = []
        if not r["has_scores"]:
            notes.append("no assessment timeline: no indices")
        if r["missing"]:
            notes.append("missing " + ", ".join(r["missing"]))
        cells.append(f"<td class='note'>{esc('; '.join(notes))}</td>")
        body.append(f"<tr data-session='{esc(r['name'])}'>{''.join(cells)}</tr>")
    parts.append("<h2>Sessions</h2><table class='sessions'>" + head + "".join(body) + "</table>")
    parts.append("<p class='note'>Each session's own report.html (<code>run.py report SESSION_DIR</code>) holds "
                 "its traces and co-activation matrix.</p>")
    return page(title, "\n".join(parts)), len(rows)


def write_progress(patient_dir: str | Path) -> tuple[Path, int]:
    html_text, n = build_progress(patient_dir)
    out = Path(patient_dir) / "progress.html"
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(html_text, encoding="utf-8")
    tmp.replace(out)
    return out, n
