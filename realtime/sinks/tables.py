"""The result tables a person opens in a spreadsheet or with pandas: ``coactivation.csv`` and
``indices.csv`` beside summary.json (written by analyze/assess and by the report), and the
writing of every such table (``progress.csv`` too).

One row per pair and side, or per task and side, one value per cell, the unit in the column's
name (``lag_s``, ``amplitude_iod``): a table needs no key to be read. The units are the ones
the signals are measured in (``units.face_unit``: IOD, or a fraction of the eye's rest
fissure); a column in millimetres would be added beside them, never in their place, so readers
of these columns keep working.

The same tables are the DataFrames of the Python API (``realtime.api``): ``header`` gives the
columns, ``rows`` the values (None where there is none).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from realtime.clinical.assessment import TASKS
from realtime.landmarks import SIDES
from realtime.signals.units import FACE_UNITS, clinical, face_unit

COACTIVATION_CSV = "coactivation.csv"
INDICES_CSV = "indices.csv"
PROGRESS_CSV = "progress.csv"   # one row per session (reports/progress_page.py)
ALL_TASKS = "all"   # the task of the rows holding the whole assessment's indices

# A coupling's fields (``coactivation.Coupling``) as columns; the amplitude, in the response's
# unit, goes into that unit's column.
AMPLITUDE = {u: f"amplitude_{u}" for u in FACE_UNITS}
# ... and in clinical units (``units.clinical``: mm, % of the rest eye opening, % change of the
# skin's texture contrast; the pages show the texture as a multiple of its rest contrast, these
# columns keep the percentage scripts read), by the unit it is measured in.
CLINICAL = {"iod": "amplitude_mm", "fissure_fraction": "amplitude_pct_of_fissure",
            "texture_fraction": "amplitude_pct_of_rest_texture"}
COACTIVATION_HEADER = ["side", "driver", "response", "moves", "verdict", "confidence", "peak_r", "lag_s", "gain",
                       *CLINICAL.values(), *AMPLITUDE.values(), "activations", "p_value", "reason"]
# The assessment's indices per side (``assessment.INDEX_NAMES``) and the column each goes into.
INDEX_COLUMNS = {"ocular": "ocular_index_pct", "ocular_corrected": "ocular_corrected_index_pct",
                 "oral": "oral_fraction_of_smile", "brow": "brow_fraction_of_brow_raise",
                 "chin": "chin_fraction_of_max", "mentalis": f"mentalis_{face_unit('chin_dimpling')}",
                 "platysma": f"platysma_{face_unit('neck_bands')}"}
# Per task: the eye's narrowing and its fissure over the other eye's (the ocular index's k, in
# the tasks it uses), and the median hold level of each signal the indices are built on.
LEVEL_SIGNALS = ("smile", "brow_raise", "chin", "chin_dimpling", "neck_bands")
TASK_COLUMNS = [f"eye_narrowing_{face_unit('eye_closure')}", "fissure_ratio_to_other_eye",
                *(f"{g}_level_{face_unit(g)}" for g in LEVEL_SIGNALS)]
INDICES_HEADER = ["task", "side", *INDEX_COLUMNS.values(), *TASK_COLUMNS]
# A text cell starting with one of these is a formula to a spreadsheet: task names and notes
# come from files a person may have edited, so such text is written as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list]            # one list per row, in ``header`` order; None where there is no value
    text: tuple[str, ...] = ()  # the columns holding text; every other one holds numbers


def cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return "'" + v if v.startswith(_FORMULA_START) else v
    return str(v)


def csv_text(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.header)
    w.writerows([cell(v) for v in row] for row in table.rows)
    return buf.getvalue()


def coactivation_table(couplings: list[dict]) -> Table:
    """``couplings``: ``Coupling.to_json()`` dicts (summary.json "coactivation"), every pair and
    side; rows in their order."""
    rows = []
    for c in couplings:
        unit = face_unit(c["response"])
        amp = c.get("amplitude")
        shown = None if amp is None else round(clinical(c["response"], amp), 2)
        row = {**{k: c.get(k) for k in COACTIVATION_HEADER},
               **{col: c.get("amplitude") if u == unit else None for u, col in AMPLITUDE.items()},
               **{col: shown if u == unit else None for u, col in CLINICAL.items()}}
        rows.append([row[k] for k in COACTIVATION_HEADER])
    return Table(list(COACTIVATION_HEADER), rows, ("side", "driver", "response", "moves", "verdict", "reason"))


def _tasks(assessment: dict) -> list[str]:
    """The assessment's tasks, in the standard sequence's order, then any others as found."""
    found = list(assessment.get("tasks") or [])
    for side in SIDES:
        for lv in ((assessment.get("levels") or {}).get(side) or {}).values():
            found += list(lv or {})
        found += list((((assessment.get("ocular_detail") or {}).get(side) or {}).get("k") or {}))
    found = list(dict.fromkeys(found))
    order = [t.key for t in TASKS]
    return [t for t in order if t in found] + [t for t in found if t not in order]


def indices_table(assessment: dict) -> Table:
    """``assessment``: ``score_assessment``'s result (assessment.json), or its checked form
    (``reports.session_data.assessment_of``). Rows: the indices per side (task ``all``), then
    per task and side the figures they come from."""
    rows = []
    for side in SIDES:
        ix = (assessment.get("indices") or {}).get(side) or {}
        rows.append([ALL_TASKS, side, *(ix.get(k) for k in INDEX_COLUMNS)] + [None] * len(TASK_COLUMNS))
    for task in _tasks(assessment):
        for side in SIDES:
            od = (assessment.get("ocular_detail") or {}).get(side) or {}
            lv = (assessment.get("levels") or {}).get(side) or {}
            rows.append([task, side] + [None] * len(INDEX_COLUMNS)
                        + [(od.get("eye_narrowing") or {}).get(task), (od.get("k") or {}).get(task),
                           *((lv.get(g) or {}).get(task) for g in LEVEL_SIGNALS)])
    return Table(list(INDICES_HEADER), rows, ("task", "side"))
