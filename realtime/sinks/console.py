"""The console progress bar of a long run (tqdm, on stderr)."""

from __future__ import annotations

from tqdm import tqdm

from realtime.pipeline.sink import LoopInfo, LoopResult, MeasuredFrame, Sink


class ProgressBar(Sink):
    def __init__(self, label: str, *, enabled: bool = True):
        self.label, self.enabled = label, enabled
        self._bar: tqdm | None = None

    def started(self, info: LoopInfo) -> None:
        if self.enabled:
            self._bar = tqdm(total=info.frame_count or None, desc=self.label, unit="frame",
                             dynamic_ncols=True, leave=True, mininterval=0.5)

    def measured(self, mf: MeasuredFrame) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def finished(self, result: LoopResult) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
