"""What a session or an analysis holds, as pandas tables: ``load_session(DIR)``.

DIR is a recorded session folder (session.json, frames.csv, events.csv) or an ``analyze`` /
``assess`` output (summary.json, frames.csv, coactivation.csv, ...). The files are read by the
readers behind the report (``reports.session_data``: every file checked, a damaged one is one
line saying what to do), and what is not stored is derived as the report derives it
(``reports.report``: co-activation of a recording over its measured rows on a regular grid,
indices from a timeline), so these tables and the pages always agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from realtime.reports.progress_page import SESSION_FILES
from realtime.reports.report import (
    coactivation_refusal,
    session_couplings,
    session_scores,
)
from realtime.reports.session_data import SessionData
from realtime.reports.session_data import load_session as read_folder
from realtime.signals.coactivation import UNDECIDED
from realtime.signals.features import column_names, face_measured, signals_to_columns
from realtime.sinks.framefile import HEADER
from realtime.sinks.results_folder import RESULT_FILES
from realtime.sinks.session import EVENTS_HEADER
from realtime.sinks.tables import Table, coactivation_table, indices_table

RECORDING, ASSESSMENT, ANALYSIS = "recording", "assessment", "analysis"


@dataclass(frozen=True)
class Quality:
    """How much of the recording could be measured (frames.csv's quality and reason columns)."""
    frames: int                   # rows
    face_frames: int              # rows with a face
    measured_frames: int          # a face inside the measurable envelope: what co-activation uses
    measured_pct: float           # measured_frames, % of all rows
    excluded: dict[str, int]      # rows not measured, by reason ("no face", "turned", ...), most first
    duration_s: float | None      # first to last row
    dropped_frames: int | None    # source frames with no row (a recording that fell behind)


@dataclass(frozen=True)
class Verdict:
    """A pair called synkinesis, or one that would be but lacks the data (``reason``)."""
    driver: str
    response: str
    side: str                     # the subject's own side
    peak_r: float | None
    lag_s: float | None           # > 0: the response follows the driver
    confidence: float | None      # 0..1 (called pairs)
    reason: str                   # why undecided; "" for a called pair


@dataclass(frozen=True)
class SessionResult:
    """One session or analysis. Tables (pandas DataFrames):

    - ``frames``: one row per frames.csv row, index ``frame``; columns ``timestamp_s`` (s),
      ``face`` (bool), every ``<signal>_<side>`` (eye_closure: fraction of the rest fissure;
      the others: IOD, ~63 mm; NaN without a face), ``quality`` (bool: measured) and
      ``reason`` ("" where measured, else why not);
    - ``coactivation``: every ordered pair and side, the columns of coactivation.csv
      (``realtime.sinks.tables``); empty where co-activation cannot be computed (``notes`` say why);
    - ``indices``: indices.csv's table, per task and side; None without an assessment;
    - ``events``: a recording's co-activation episodes (events.csv); None for an analysis.
    """
    folder: Path | None           # where the files are; None when nothing was kept
    kind: str                     # RECORDING, ASSESSMENT or ANALYSIS
    status: str                   # "complete", "interrupted", ... for a recording; "analysed"
    fps: float | None             # the source's frame rate
    frames: pd.DataFrame
    coactivation: pd.DataFrame
    synkinesis: list[Verdict]
    undecided: list[Verdict]
    quality: Quality
    indices: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)   # what could not be computed, and why
    summary: dict | None = None   # summary.json as read (an analysis)
    session: dict | None = None   # session.json as read (a recording)
    files: dict[str, Path] = field(default_factory=dict)   # the result files in ``folder``, by name


def frames_table(d: SessionData) -> pd.DataFrame:
    cols = column_names()
    fr = d.frames
    if fr is None:
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in HEADER[1:]})
        return empty.astype({"face": bool, "quality": bool, "reason": str}).rename_axis("frame")
    values = signals_to_columns(fr.sig)
    df = pd.DataFrame({"timestamp_s": fr.t, "face": face_measured(fr.sig),
                       **{c: values[:, j] for j, c in enumerate(cols)},
                       "quality": fr.measured, "reason": fr.reasons.astype(str)},
                      index=pd.Index(fr.idx, name="frame"))
    return df[HEADER[1:]]


def dataframe(table: Table) -> pd.DataFrame:
    """Text columns as text; every other column numeric (NaN where the table has no value)."""
    df = pd.DataFrame(table.rows, columns=table.header, dtype=object)
    for c in table.header:
        if c in table.text:
            df[c] = df[c].fillna("").astype(str)
        else:   # a table without rows has no numbers to tell int from float: float
            df[c] = pd.to_numeric(df[c]) if len(df) else df[c].astype(float)
    return df


def quality_of(d: SessionData) -> Quality:
    fr, tm = d.frames, d.timing
    if fr is None:
        s = d.summary or {}
        return Quality(int(s.get("frames") or 0), int(s.get("face_frames") or 0),
                       int(s.get("measured_frames") or 0), float(s.get("measured_pct") or 0.0),
                       dict(s.get("excluded_frames") or {}), None, None)
    n = len(fr.t)
    excluded = Counter(r for r in fr.reasons if r)
    return Quality(frames=n, face_frames=int(face_measured(fr.sig).sum()),
                   measured_frames=int(fr.measured.sum()),
                   measured_pct=round(100.0 * float(fr.measured.mean()), 1) if n else 0.0,
                   excluded=dict(excluded.most_common()), duration_s=None if tm is None else tm.duration_s,
                   dropped_frames=None if tm is None else tm.dropped)


def _verdict(c: dict) -> Verdict:
    return Verdict(c["driver"], c["response"], c["side"], c["peak_r"], c["lag_s"], c.get("confidence"),
                   c["reason"] if c["verdict"] == UNDECIDED else "")


def result_of(d: SessionData) -> SessionResult:
    """The tables of a folder already read (``reports.session_data.load_session``)."""
    notes = []
    stored = (d.summary or {}).get("coactivation")
    if isinstance(stored, list):
        couplings = stored        # an analysis: summary.json's, as written
    else:
        couplings = session_couplings(d)
        if couplings is None:
            notes.append(f"no co-activation: {coactivation_refusal(d) or 'no measured frames'}")
    scores = session_scores(d)
    notes += d.problems
    kind = RECORDING if d.session is not None else (ASSESSMENT if d.assessment is not None else ANALYSIS)
    return SessionResult(
        folder=d.path, kind=kind, status=d.status, fps=d.timing.source_fps if d.timing is not None else d.fps,
        frames=frames_table(d),
        coactivation=dataframe(coactivation_table(couplings or [])),
        synkinesis=[_verdict(c) for c in couplings or [] if c["synkinesis"]],
        undecided=[_verdict(c) for c in couplings or [] if c["verdict"] == UNDECIDED],
        quality=quality_of(d),
        indices=None if scores is None else dataframe(indices_table(scores)),
        events=None if d.events is None else pd.DataFrame(d.events, columns=EVENTS_HEADER),
        notes=notes, summary=d.summary, session=d.session,
        files={n: d.path / n for n in RESULT_FILES if (d.path / n).is_file()})


def load_session(folder: str | Path) -> SessionResult:
    """A recorded session folder or an analyze/assess output folder, read into the tables of
    ``analyze_video``. Raises NotADirectoryError or ValueError (one line) when ``folder`` is
    no such folder, SessionFileError (a ValueError) when one of its files cannot be used."""
    p = Path(folder).expanduser().resolve()
    if not p.is_dir():
        raise NotADirectoryError(f"{p} is not a folder: give a recorded session folder or an analyze/assess "
                                 "output folder")
    if not any((p / n).is_file() for n in SESSION_FILES):
        raise ValueError(f"{p} holds no session or results ({', '.join(SESSION_FILES)}): give the folder "
                         "that run.py record, analyze or assess wrote")
    return result_of(read_folder(p))
