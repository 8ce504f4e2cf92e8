"""The index page of a batch: one line per video, linking its report and summary.json."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from realtime.files import atomic_write_text
from realtime.landmarks import SIDES
from realtime.reports.render import render

DASH = "–"


def _num(v, digits: int) -> str:
    return DASH if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) else f"{v:.{digits}f}"


def _line(r: dict) -> dict:
    ok = r.get("status") == "ok"
    folder = r.get("folder")
    return {"name": r.get("name") or "", "video": r.get("video") or "", "file": Path(r.get("video") or "").name,
            "subject": r.get("subject") or DASH, "days": DASH if r.get("days_since_onset") is None
            else str(r["days_since_onset"]), "side": r.get("affected_side") or DASH, "ok": ok,
            "status": r.get("status") or "", "error": r.get("error") or "",
            "duration": _num(r.get("duration_s"), 1), "measured": _num(r.get("measured_pct"), 0),
            "synkinesis": r.get("synkinesis") or DASH, "flagged": bool(r.get("synkinesis_pairs")),
            "smile_eye": [_num(r.get(f"smile_eye_r_{s}"), 2) for s in SIDES],
            "report": r.get("report") or "", "summary": f"{folder}/summary.json" if ok and folder else ""}


def write_index(out: Path, rows: list[dict], *, pending: int = 0) -> Path:
    """``out``/index.html (owner-only, replaced atomically)."""
    ok = sum(r.get("status") == "ok" for r in rows)
    html = render("batch_index.html.j2", title=f"Synkinesis batch – {out.name}", sides=SIDES,
                  rows=[_line(r) for r in rows], pending=pending,
                  counts=f"{len(rows)} video(s): {ok} analysed, {len(rows) - ok} failed",
                  written=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"))
    return atomic_write_text(out / "index.html", html)
