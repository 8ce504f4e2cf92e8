"""A guided test's prompts on the console, as the recording reaches each phase of its timeline
(headless: the person in front of the camera reads them in the terminal)."""

from __future__ import annotations

from typing import TextIO

from realtime.clinical.assessment import Task, prompt_at
from realtime.pipeline.sink import MeasuredFrame, Sink
from realtime.sinks.session_folder import SessionFolder


def prompt_line(timeline: list[dict], t: float, tasks: dict[str, Task]) -> str | None:
    """What to tell the subject at ``t`` s from the recording's start (None outside the timeline)."""
    p = prompt_at(timeline, t, tasks)
    if p is None:
        return None
    step = f"{p.task_number}/{p.tasks} {p.label.upper()}"
    if p.phase == "prompt":
        return f"{step}: {p.instruction} Starts in {p.seconds_left:.0f} s."
    if p.phase == "hold":
        return f"{step}: hold for {p.seconds_left:.0f} s."
    return f"{step}: relax for {p.seconds_left:.0f} s."


class ConsolePrompts(Sink):
    def __init__(self, recording: SessionFolder, timeline: list[dict], tasks: dict[str, Task], log: TextIO):
        self.recording, self.timeline, self.tasks, self.log = recording, timeline, tasks, log
        self._entry: int | None = None

    def measured(self, mf: MeasuredFrame) -> None:
        t0 = self.recording.t0
        if t0 is None:
            return
        t = mf.frame.timestamp_s - t0
        entry = next((i for i, e in enumerate(self.timeline) if e["start_s"] <= t < e["end_s"]), None)
        if entry is None or entry == self._entry:
            return
        self._entry = entry
        line = prompt_line(self.timeline, t, self.tasks)
        if line:
            print(f"[{t:5.1f} s] {line}", file=self.log, flush=True)
