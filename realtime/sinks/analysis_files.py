"""The files of an analysis: ``frames.csv`` (one row per frame), ``coactivation.csv`` (every
pair and side, ``tables``) and ``summary.json``, written when the loop finishes, as one set
(``results_folder.ResultSet``: summary.json last)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path


from realtime import __version__
from realtime.pipeline.analysis import Analysis
from realtime.pipeline.sink import LoopResult, Sink
from realtime.signals.coactivation import SYNKINESIS, UNDECIDED
from realtime.signals.features import column_names, face_measured
from realtime.sinks.framefile import HEADER, format_row
from realtime.sinks.results_folder import SUMMARY, OutputError, ResultSet
from realtime.sinks.tables import COACTIVATION_CSV, coactivation_table, csv_text

TWO_FACES = "two faces"   # the frame-quality reason (tracking/quality.py) of a frame with several faces
FACE_RULE = ("the largest face of the rest stretch is the reference; in every frame after it, the face "
             "nearest where it was; frames with two or more faces are left out of co-activation")


def faces_of(result: Analysis) -> dict:
    """How many frames showed more than one face, and which face was measured (where the
    reference face is in the picture as measured: after --mirrored flipped it)."""
    several = int((result.reasons == TWO_FACES).sum()) if result.reasons is not None else 0
    measured = None
    cal = result.calibration
    if cal is not None:
        x, y = (float(v) for v in cal.reference.landmarks[:, :2].mean(axis=0))
        third = cal.reference.image.shape[1] / 3
        where = "left" if x < third else ("right" if x > 2 * third else "middle")
        measured = {"reference_frame": cal.reference_frame, "centre_px": [round(x, 1), round(y, 1)],
                    "in_picture": where}
    return {"frames_with_two_or_more": several, "of_frames": int(len(result.timestamps)),
            "measured": measured, "rule": FACE_RULE}


def faces_warning(faces: dict | None) -> str | None:
    """One line for the console when more than one face was in view, else None."""
    several = (faces or {}).get("frames_with_two_or_more") or 0
    if not several:
        return None
    m = faces.get("measured")
    place = "" if not m else ("in the middle" if m["in_picture"] == "middle" else f"on the {m['in_picture']}")
    which = ("" if not m else f"; the face measured is the one {place} of the picture (x={m['centre_px'][0]:.0f}, "
             f"y={m['centre_px'][1]:.0f} px in frame {m['reference_frame']})")
    return (f"two or more faces in {several} of {faces['of_frames']} frames (left out of co-activation){which}; "
            "record the subject alone to measure every frame")


def summary_of(result: Analysis, video: str | Path, *, mirrored: bool = False,
               affected: str | None = None) -> dict:
    cal = result.calibration
    cal_json = None if cal is None else cal.to_json()
    usable = result.usable()
    return {
        "video": str(video), "mirrored": bool(mirrored), "affected_side": affected,
        "frames": int(len(result.timestamps)), "fps": round(result.fps, 4),
        "face_frames": int(face_measured(result.signals).sum()),
        "measured_frames": int(usable.sum()),
        "measured_pct": round(100.0 * usable.mean(), 1) if len(usable) else 0.0,
        "excluded_frames": dict(Counter(r for r in (result.reasons if result.reasons is not None else [])
                                        if r)),
        "signals": column_names(),
        "coactivation": [c.to_json() for c in result.couplings],
        "synkinesis": ([c.to_json() for c in result.couplings if c.synkinesis]
                       + [r.verdict_json() for r in result.blink_responses if r.verdict == SYNKINESIS]),
        "undecided": [c.to_json() for c in result.couplings if c.verdict == UNDECIDED],
        # What every region does around spontaneous blinks (averaged over them), per side.
        "blink_locked": [r.to_json() for r in result.blink_responses],
        "blink_frames": int(result.blinks.sum()),
        "texture": result.texture,
        "reference_frame": result.reference_frame,
        "faces": faces_of(result),
        "baseline": result.baseline.to_json(),
        "rest": None if cal is None else {k: cal_json[k] for k in ("mode", "rest_stretch_s", "rest_expression",
                                                                  "warning")},
        "software": {"name": "synkinesis", "version": __version__, "tracking_mode": "image"},
        "analysed": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def write_outputs(result: Analysis, video: str | Path, out_dir: str | Path, *, mirrored: bool = False,
                  files: dict[str, str] | None = None, affected: str | None = None) -> dict:
    """frames.csv, coactivation.csv, the ``files`` given (name -> text) and summary.json into
    ``out_dir``, as one set; returns the summary. ``out_dir`` is not checked here: see
    ``check_results_folder``."""

    def frames(f):
        w = csv.writer(f)
        w.writerow(HEADER)
        reasons = result.reasons if result.reasons is not None else [""] * len(result.timestamps)
        for i, (t, s, why) in enumerate(zip(result.timestamps, result.signals, reasons)):
            w.writerow(format_row(i, t, s if face_measured(s) else None, why))

    summary = summary_of(result, video, mirrored=mirrored, affected=affected)
    with ResultSet(out_dir) as rs:
        rs.write("frames.csv", frames)
        rs.write_text(COACTIVATION_CSV, csv_text(coactivation_table(summary["coactivation"])))
        for name, text in (files or {}).items():
            rs.write_text(name, text)
        rs.write(SUMMARY, lambda f: json.dump(summary, f, indent=1))
    return summary


class AnalysisFiles(Sink):
    """Writes the whole-recording analysis into ``out_dir`` when the loop completes. Essential:
    results that cannot be written fail the run (one line), never pass for a success."""

    essential = True

    def __init__(self, video: str | Path, out_dir: str | Path, *, mirrored: bool = False,
                 affected: str | None = None):
        self.video, self.out_dir, self.mirrored, self.affected = video, Path(out_dir), mirrored, affected
        self.summary: dict | None = None

    def finished(self, result: LoopResult) -> None:
        if result.status == "complete" and result.analysis is not None:
            try:
                self.summary = write_outputs(result.analysis, self.video, self.out_dir, mirrored=self.mirrored,
                                             affected=self.affected)
            except OSError as exc:
                raise OutputError(f"cannot write the results into {self.out_dir}: {exc.strerror or exc}; "
                                  "choose another --out folder") from None
