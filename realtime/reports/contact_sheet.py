"""Pictures across weeks: each task's keyframe of every weekly test side by side, on one crop
and scale, aligned on the eyes, so the change a clinician looks for can be seen.

A weekly test keeps one picture per task (``keyframes/<task>.png``) and where the subject's
eyes are in it (``keyframes.json``, written by ``sinks/keyframes.py``). Each picture is turned,
scaled and shifted (a similarity transform) so that the subject's eyes land on the same two
points of a tile (the subject's left eye on the tile's right, as the camera sees the subject),
then the tiles are laid out: one row per task, one column per test, labelled with the week and
the day since onset. A test without a picture of a task gets a grey tile saying so.

Only the tasks of the protocols this program knows are drawn, under their own labels; the text
of ``keyframes.json`` never reaches a picture.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.clinical.assessment import TASKS
from realtime.clinical.weekly import WEEKLY_TASKS
from realtime.files import atomic_write
from realtime.reports.session_data import num
from realtime.tracking.registration import similarity_2d

KEYFRAMES_JSON = "keyframes.json"
CONTACT_SHEET_PNG = "contact_sheet.png"
# Tasks in the order drawn, and their labels: the weekly test's, then the assessment's others.
TASK_LABELS = {t.key: t.label for t in (*WEEKLY_TASKS, *TASKS)}
TILE = (200, 240)                 # tile width, height (px)
EYE_GAP = 0.46                    # eye-to-eye distance, fraction of the tile's width
EYE_Y = 0.34                      # the eyes' height from the tile's top, fraction of its height
LABEL_H = 36                      # column labels' band (px)
ROW_LABEL_W = 190                 # row labels' band (px)
GAP = 4                           # between tiles (px)
BACKGROUND = (255, 255, 255)
MISSING = (225, 225, 225)
INK = (40, 40, 40)
FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class Keyframe:
    path: Path
    eyes: np.ndarray      # (2, 2): the subject's left eye centre (x, y), then the right, px


@dataclass(frozen=True)
class Column:
    """One test's pictures, under its label (e.g. "week 3", "day 74")."""
    label: tuple[str, ...]
    keyframes: dict[str, Keyframe]


def read_keyframes(folder: str | Path) -> tuple[dict[str, Keyframe], list[str]]:
    """A session's keyframes by task, and what was wrong with its keyframes.json (one line
    each). Entries of an unknown task, with a file outside the session's keyframes or without
    two eye positions are left out (and said so); no keyframes.json: nothing, no problem."""
    folder = Path(folder)
    index = folder / KEYFRAMES_JSON
    if not index.is_file():
        return {}, []
    try:
        v = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}, [f"{KEYFRAMES_JSON} could not be read: its pictures are left out"]
    tasks = v.get("tasks") if isinstance(v, dict) else None
    if not isinstance(tasks, dict):
        return {}, [f"{KEYFRAMES_JSON} lists no tasks: its pictures are left out"]
    out, problems = {}, []
    root = folder.resolve()
    for task, e in tasks.items():
        if task not in TASK_LABELS or not isinstance(e, dict) or not isinstance(e.get("file"), str):
            problems.append("a keyframe of an unknown task or without a file was left out")
            continue
        path = (folder / e["file"]).resolve()
        eyes = e.get("eyes_px")
        xy = [num(c) for p in eyes for c in p] if isinstance(eyes, list) and len(eyes) == 2 and all(
            isinstance(p, list) and len(p) == 2 for p in eyes) else []
        if root not in path.parents or path.suffix.lower() != ".png" or not path.is_file():
            problems.append(f"the {TASK_LABELS[task]} keyframe is not a picture in this session: left out")
        elif len(xy) != 4 or None in xy or xy[0] == xy[2] and xy[1] == xy[3]:
            problems.append(f"the {TASK_LABELS[task]} keyframe has no eye positions: left out")
        else:
            out[task] = Keyframe(path, np.array(xy, float).reshape(2, 2))
    return out, problems


def eye_points(size: tuple[int, int] = TILE) -> np.ndarray:
    """Where the subject's left and right eye go in a tile, (2, 2) px."""
    w, h = size
    gap = EYE_GAP * w
    return np.array([[w / 2 + gap / 2, EYE_Y * h], [w / 2 - gap / 2, EYE_Y * h]])


def aligned_tile(kf: Keyframe | None, size: tuple[int, int] = TILE) -> np.ndarray:
    """The keyframe on the tile's crop and scale (RGB uint8, (h, w, 3)); a grey tile saying
    "no picture" when there is none or it cannot be read."""
    w, h = size
    image = None if kf is None else cv2.imread(str(kf.path), cv2.IMREAD_COLOR)
    if image is None:
        tile = np.full((h, w, 3), MISSING, np.uint8)
        _text(tile, "no picture", (w // 2, h // 2), 0.5, centre=True)
        return tile
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    m = similarity_2d(np.asarray(kf.eyes, float), eye_points(size))   # exact for two points
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_AREA if abs(np.linalg.det(m[:, :2])) < 1
                          else cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=MISSING)


def _text(img: np.ndarray, text: str, xy: tuple[int, int], scale: float = 0.5, centre: bool = False,
          thickness: int = 1) -> None:
    (tw, th), _ = cv2.getTextSize(text, FONT, scale, thickness)
    x, y = xy
    if centre:
        x -= tw // 2
    cv2.putText(img, text, (int(x), int(y + th // 2)), FONT, scale, INK, thickness, cv2.LINE_AA)


def _header(columns: list[Column], width: int) -> np.ndarray:
    band = np.full((LABEL_H, width, 3), BACKGROUND, np.uint8)
    for i, c in enumerate(columns):
        cx = i * (TILE[0] + GAP) + TILE[0] // 2
        for k, line in enumerate(c.label[:2]):
            _text(band, line, (cx, 10 + 15 * k), 0.45 if k else 0.5, centre=True, thickness=1 + (k == 0))
    return band


def task_strip(columns: list[Column], task: str) -> np.ndarray:
    """One task's tiles of every test in a row under the tests' labels (RGB uint8)."""
    width = len(columns) * (TILE[0] + GAP) - GAP
    row = np.full((TILE[1], width, 3), BACKGROUND, np.uint8)
    for i, c in enumerate(columns):
        x = i * (TILE[0] + GAP)
        row[:, x:x + TILE[0]] = aligned_tile(c.keyframes.get(task))
    return np.vstack([_header(columns, width), row])


def sheet_tasks(columns: list[Column]) -> list[str]:
    """The tasks with a picture in at least one test, in the protocols' order."""
    return [t for t in TASK_LABELS if any(t in c.keyframes for c in columns)]


def contact_sheet(columns: list[Column]) -> np.ndarray | None:
    """Every task's strip, one under the other, each row labelled with its task (RGB uint8);
    None without any picture."""
    tasks = sheet_tasks(columns)
    if not tasks:
        return None
    strips = []
    for k, task in enumerate(tasks):
        strip = task_strip(columns, task)
        if k:
            strip = strip[LABEL_H:]          # the tests' labels once, at the top
        label = np.full((strip.shape[0], ROW_LABEL_W, 3), BACKGROUND, np.uint8)
        _text(label, TASK_LABELS[task], (8, strip.shape[0] - TILE[1] // 2), 0.5, thickness=2)
        strips.append(np.hstack([label, strip]))
        strips.append(np.full((GAP, strips[-1].shape[1], 3), BACKGROUND, np.uint8))
    return np.vstack(strips[:-1])


def png_bytes(rgb: np.ndarray) -> bytes:
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError("could not encode the contact sheet as PNG")
    return png.tobytes()


def write_png(path: str | Path, rgb: np.ndarray) -> Path:
    """The picture as a PNG, atomically and readable by the owner only (health data)."""
    data = png_bytes(rgb)
    return atomic_write(path, lambda f: f.write(data), binary=True)


__all__ = ["Column", "Keyframe", "read_keyframes", "contact_sheet", "task_strip", "write_png",
           "CONTACT_SHEET_PNG"]
