"""The weekly test: a short guided protocol (~90 s) repeated every week to follow recovery.

Tasks: rest (eyes open, relaxed), gentle eye closure, brow raise, smile, pucker, show teeth,
cheek puff; each announced (``prompt``: the instruction is on screen, the face still relaxed),
held (``hold``) and let go (``relax``), once. The timeline has the guided assessment's format
(``realtime/clinical/assessment.py``) with the extra phase ``prompt``, so ``task_mask``,
``rest_window``, ``hold_levels`` and the report read it as they read an assessment's.

``PEAK_SIGNALS`` names each task's own region: the signals whose movement (its size, either way:
a cheek puff can push the mouth corners out or press them in) makes the task's peak frame. Rest
has none: its keyframe is the most neutral frame of its hold.
"""

from __future__ import annotations

from realtime.clinical.assessment import Task

PROTOCOL = "weekly"            # session.json "protocol" of a weekly test
INTERVAL_DAYS = 7              # the next test is due this many days after the last
PROMPT_S = 3.0                 # the instruction is shown this long before each hold

WEEKLY_TASKS: tuple[Task, ...] = (
    Task("rest", "Rest", "Eyes open, face relaxed; look at the camera.", None, 10.0, 0.0, 1),
    Task("eye_closure_gentle", "Gentle eye closure", "Close your eyes gently, as if asleep.",
         "eye_closure", 5.0, 5.0, 1),
    Task("brow_raise", "Brow raise", "Raise your eyebrows, as if surprised.", "brow_raise", 5.0, 5.0, 1),
    Task("smile", "Smile", "Smile as widely as you comfortably can.", "smile", 5.0, 5.0, 1),
    Task("pucker", "Pucker", "Pucker your lips, as if to whistle ('ooo').", "pucker", 5.0, 5.0, 1),
    Task("show_teeth", "Show teeth", "Part your lips and show your upper and lower teeth.",
         "lower_lip", 5.0, 5.0, 1),
    Task("cheek_puff", "Cheek puff", "Puff out your cheeks with your lips closed.", "pucker", 5.0, 5.0, 1),
)
WEEKLY_BY_KEY = {t.key: t for t in WEEKLY_TASKS}

# The task's own region: (signal, ...) whose movement makes its peak. Show teeth parts the lips
# and draws the corners out; a cheek puff moves the cheek and the mouth corners (a frontal camera
# sees the bulge push the corners out, or the pressed lips pull them in).
PEAK_SIGNALS: dict[str, tuple[str, ...]] = {
    "eye_closure_gentle": ("eye_closure",),
    "brow_raise": ("brow_raise",),
    "smile": ("smile",),
    "pucker": ("pucker",),
    "show_teeth": ("lower_lip", "smile"),
    "cheek_puff": ("pucker", "cheek_raise"),
}


def weekly_timeline(scale: float = 1.0) -> list[dict]:
    """The weekly test's timeline from 0 s: per task a prompt, a hold and (except rest) a
    relaxation. ``scale`` shortens every phase (tests only; 1.0 is the real protocol, 91 s)."""
    if not scale > 0:
        raise ValueError("the weekly timeline's scale must be above 0")
    out, t = [], 0.0
    for task in WEEKLY_TASKS:
        for phase, length in (("prompt", PROMPT_S), ("hold", task.hold_s), ("relax", task.relax_s)):
            if length <= 0:
                continue
            out.append({"task": task.key, "rep": 1, "start_s": round(t, 3),
                        "end_s": round(t + length * scale, 3), "phase": phase})
            t += length * scale
    return out


def timeline_length(timeline: list[dict]) -> float:
    """When the timeline's last phase ends, s."""
    return max((e["end_s"] for e in timeline), default=0.0)
