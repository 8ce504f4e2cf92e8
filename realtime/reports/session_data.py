"""A session or analysis folder read for the pages: every file checked and put into known shapes.

Works on a recorded session folder (frames.csv, session.json, events.csv, optional
timeline.json / assessment.json) and on an ``analyze``/``assess`` output folder (frames.csv,
summary.json, ...). A missing file is listed on the page; a file that exists but cannot be used
raises ``SessionFileError`` with one line saying what to do. Values inside the JSON files are
checked one by one: a number where a number belongs, text where text does; anything else is
dropped, so nothing of unknown type reaches a page or a computation.

The frames' analysis always works on ``t``/``sig``: the measured rows (a face, inside the
measurable envelope) put on a regular grid at the source's rate by their timestamps
(``timing``), never the rows taken as consecutive frames.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from realtime.clinical.assessment import INDEX_NAMES, validate_timeline
from realtime.clinical.rest_symmetry import REST_MEASURES
from realtime.landmarks import SIDES
from realtime.reports.timing import Timing, increasing, on_grid, timing_of
from realtime.signals.coactivation import Coupling
from realtime.signals.features import S, face_measured
from realtime.sinks.framefile import read_frames_with_quality
from realtime.sinks.session import SessionFileError, read_session_meta

ANALYSED = "analysed"   # the status of an analyze/assess folder (a video measured to its end)


@dataclass
class Frames:
    """The rows of frames.csv as written (timestamps increasing)."""
    idx: np.ndarray
    t: np.ndarray
    sig: np.ndarray          # (n, 2, N_SIGNALS), NaN without a face
    measured: np.ndarray     # (n,) a face inside the measurable envelope
    reasons: np.ndarray      # (n,) str: "" where measured, else why not ("no face", "turned", ...)
    calibrating: np.ndarray | None = None   # (n,) rows written before the rest baseline existed


@dataclass
class SessionData:
    path: Path
    frames: Frames | None = None
    timing: Timing | None = None
    t: np.ndarray | None = None       # the regular grid (see the module docstring)
    sig: np.ndarray | None = None
    fps: float | None = None          # the grid's rate
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
        s = (text((self.session or {}).get("start")) or text((self.session or {}).get("started"))
             or text((self.summary or {}).get("analysed")))
        if not s:
            return None
        try:
            d = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return None
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)

    @property
    def days_since_onset(self) -> float | None:
        return num((self.session or {}).get("days_since_onset"))

    @property
    def affected_side(self) -> str | None:
        """The side the user stated as affected (session.json or summary.json), else None."""
        v = text((self.session or {}).get("affected_side")) or text((self.summary or {}).get("affected_side"))
        return v if v in SIDES else None

    @property
    def subject(self) -> str | None:
        s = self.session or {}
        return text(s.get("subject")) or text(s.get("subject_id"))

    @property
    def status(self) -> str:
        """session.json's status (a dead recording already marked interrupted), "analysed" for
        an analyze/assess folder, else "unknown"."""
        if self.session is not None and text(self.session.get("status")):
            return text(self.session["status"])
        return ANALYSED if self.summary is not None else "unknown"

    @property
    def has_data(self) -> bool:
        return self.frames is not None or self.summary is not None or self.assessment is not None


# ------------------------------------------------------------------ values of known type

def num(v) -> float | None:
    """A finite number, else None (JSON true/false are not numbers here)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def whole(v) -> int | None:
    """A whole number, else None."""
    v = num(v)
    return int(v) if v is not None and v == int(v) else None


def text(v) -> str | None:
    """Text as text; numbers written as text; anything else None."""
    if isinstance(v, str):
        return v
    return None if num(v) is None else f"{v:g}"


def num_map(v) -> dict[str, float | None]:
    return {k: num(x) for k, x in v.items() if isinstance(k, str)} if isinstance(v, dict) else {}


def couplings_of(v) -> list[dict]:
    """Coupling entries (``Coupling.to_json``) with every field of its type; others dropped."""
    out = []
    for c in v if isinstance(v, list) else []:
        if not isinstance(c, dict):
            continue
        names = [text(c.get(k)) for k in ("driver", "response", "side")]
        if None in names:
            continue
        out.append({"driver": names[0], "response": names[1], "side": names[2],
                    "peak_r": num(c.get("peak_r")), "lag_s": num(c.get("lag_s")), "gain": num(c.get("gain")),
                    "amplitude": num(c.get("amplitude")), "synkinesis": c.get("synkinesis") is True,
                    "direction": -1 if num(c.get("direction")) == -1 else 1, "moves": text(c.get("moves")),
                    "driver_direction": -1 if num(c.get("driver_direction")) == -1 else 1,
                    "verdict": text(c.get("verdict")) or "", "reason": text(c.get("reason")) or "",
                    "activations": whole(c.get("activations")), "p_value": num(c.get("p_value")),
                    "confidence": num(c.get("confidence"))})
    return out


def as_seen(c: dict) -> tuple[str, str]:
    """``Coupling.as_seen`` of a ``couplings_of`` entry: the driver named for the way it moved
    ("brow down" where the brow-raise signal's larger movements went down), and how the response
    moved with it. A driver that is no signal (an event-locked finding's "blink") keeps its name
    and the entry's own words."""
    if c["driver"] not in S or c["response"] not in S:
        return c["driver"], c.get("moves") or c["response"]
    return Coupling(c["driver"], c["response"], c["side"], float("nan"), float("nan"), float("nan"), float("nan"),
                    False, direction=c.get("direction", 1), driver_direction=c.get("driver_direction", 1)).as_seen()


def _ocular_detail(v) -> dict:
    v = v if isinstance(v, dict) else {}
    out = {}
    for side in SIDES:
        d = v.get(side) if isinstance(v.get(side), dict) else {}
        tasks = d.get("tasks_used") if isinstance(d.get("tasks_used"), list) else []
        out[side] = {"tasks_used": [x for x in map(text, tasks) if x is not None],
                     "eye_narrowing": num_map(d.get("eye_narrowing")), "k": num_map(d.get("k"))}
    return out


def symmetry_of(v) -> dict | None:
    if not isinstance(v, dict):
        return None
    regions = {k: {"ratio_lr": num(x.get("ratio_lr")), "symmetry_pct": num(x.get("symmetry_pct"))}
               for k, x in v.items() if isinstance(k, str) and isinstance(x, dict)}
    return {"regions": regions, "overall_pct": num(v.get("overall_pct"))}


ASYMMETRY_FIELDS = (*SIDES, "left_minus_right_mm", "noise_mm", "left_minus_right_pct", "noise_pct")


def _asymmetry(v) -> dict | None:
    """``rest_symmetry.rest_asymmetry``'s result: every known measure with its numbers."""
    if not isinstance(v, dict) or not isinstance(v.get("measures"), dict):
        return None
    ms = v["measures"]
    return {"frames": whole(v.get("frames")),
            "measures": {m.key: {k: num(ms[m.key].get(k)) for k in ASYMMETRY_FIELDS}
                         for m in REST_MEASURES if isinstance(ms.get(m.key), dict)}}


def assessment_of(v, name: str = "assessment.json") -> dict:
    """The parts of a ``score_assessment`` result the pages show, each of its type."""
    if not isinstance(v, dict) or not isinstance(v.get("indices"), dict):
        raise SessionFileError(f"{name} is not an assessment of this program (no indices): run "
                               "'run.py assess' again, or move it away to score the frames")
    ix = v["indices"]
    tc = v.get("task_coactivation") if isinstance(v.get("task_coactivation"), dict) else {}
    notes = v.get("notes") if isinstance(v.get("notes"), list) else []
    lv = v.get("levels") if isinstance(v.get("levels"), dict) else {}
    tasks = v.get("tasks") if isinstance(v.get("tasks"), list) else []
    return {
        "tasks": [x for x in map(text, tasks) if x is not None],
        "indices": {s: {k: num((ix.get(s) if isinstance(ix.get(s), dict) else {}).get(k)) for k in INDEX_NAMES}
                    for s in SIDES},
        "levels": {s: {g: num_map(x) for g, x in (lv.get(s) if isinstance(lv.get(s), dict) else {}).items()
                       if isinstance(g, str)} for s in SIDES},
        "ocular_detail": _ocular_detail(v.get("ocular_detail")),
        "resting_symmetry": symmetry_of(v.get("resting_symmetry")),
        "rest_asymmetry": _asymmetry(v.get("rest_asymmetry")),
        "task_coactivation": {k: couplings_of(c) for k, c in tc.items() if isinstance(k, str)},
        "notes": [x for x in map(text, notes) if x is not None],
    }


# ------------------------------------------------------------------ files

def _json_file(path: Path, d: SessionData):
    """The parsed file, None when absent; SessionFileError when unusable."""
    if not path.is_file():
        d.missing.append(path.name)
        return None
    try:
        v = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SessionFileError(f"{path} cannot be read ({_first_line(exc)}): restore it from a backup, "
                               "or move it away to report without it") from None
    if not isinstance(v, dict):
        raise SessionFileError(f"{path} is not a file of this program (a JSON object expected): restore "
                               "it from a backup, or move it away to report without it")
    return v


def _first_line(exc: Exception) -> str:
    lines = str(exc).splitlines()
    return lines[0] if lines else type(exc).__name__


def read_events(path: Path) -> list[dict]:
    """events.csv rows; a row that is cut short or malformed is skipped."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                out.append({"start_s": float(row["start_s"]), "end_s": float(row["end_s"]),
                            "driver": str(row["driver"]), "response": str(row["response"]),
                            "side": str(row["side"]),
                            "peak": float(row["peak"]) if row.get("peak") else float("nan")})
            except (KeyError, ValueError, TypeError):
                continue
    return out


def _read_frames(path: Path, d: SessionData) -> None:
    try:
        idx, t, sig, reasons = read_frames_with_quality(path)
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise SessionFileError(f"{path} cannot be read ({_first_line(exc)}): it is not a frames file "
                               "of this program; restore it from a backup") from None
    ok = increasing(t)
    if not ok.all():
        d.problems.append(f"frames.csv: {int((~ok).sum())} row(s) whose time does not follow the row "
                          "before were left out")
    if not ok.any():
        d.problems.append("frames.csv holds no frames")
        return
    face = face_measured(sig)
    d.frames = Frames(idx[ok], t[ok], sig[ok], (face & (reasons == ""))[ok], reasons[ok],
                      (reasons == "calibrating")[ok])


def _grid(d: SessionData) -> None:
    """``timing``, and ``t``/``sig``/``fps``: the measured rows on the regular grid."""
    fr = d.frames
    source_fps = num((d.session or {}).get("fps")) or num((d.summary or {}).get("fps"))
    d.timing = timing_of(fr.t, fr.measured, source_fps)
    g = on_grid(fr.t, np.where(fr.measured[:, None, None], fr.sig, np.nan), d.timing)
    if g is not None:
        d.t, d.sig = g
        d.fps = d.timing.source_fps


def _timeline(p: Path, d: SessionData) -> None:
    tl = None
    if (p / "timeline.json").is_file():
        try:
            tl = json.loads((p / "timeline.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            d.problems.append(f"timeline.json could not be read ({_first_line(exc)})")
            return
    elif d.session and d.session.get("timeline"):
        tl = d.session["timeline"]
    else:
        d.missing.append("timeline.json")
        return
    try:
        d.timeline = validate_timeline(tl)
    except ValueError as exc:
        d.problems.append(f"timeline ignored: {_first_line(exc)}")


def load_session(folder: str | Path) -> SessionData:
    """Everything in ``folder`` the pages use. Raises SessionFileError (one line) when a file
    exists but cannot be used; a session still marked "recording" whose writer is gone is
    marked interrupted (``sinks.session.resolve_status``)."""
    p = Path(folder)
    d = SessionData(p)
    d.session = read_session_meta(p)
    if d.session is None:
        d.missing.append("session.json")
    d.summary = _json_file(p / "summary.json", d)
    if d.summary is not None and "coactivation" in d.summary:
        d.summary["coactivation"] = couplings_of(d.summary["coactivation"])
    raw = _json_file(p / "assessment.json", d)
    d.assessment = None if raw is None else assessment_of(raw)
    if (p / "frames.csv").is_file():
        _read_frames(p / "frames.csv", d)
    else:
        d.missing.append("frames.csv")
    if d.frames is not None:
        _grid(d)
    elif d.summary is not None:
        d.fps = num(d.summary.get("fps"))
    if (p / "events.csv").is_file():
        try:
            d.events = read_events(p / "events.csv")
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            d.problems.append(f"events.csv could not be read ({_first_line(exc)})")
    else:
        d.missing.append("events.csv")
    _timeline(p, d)
    return d
