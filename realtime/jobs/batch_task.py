"""What a Dask worker does for a batch: analyse one video into its folder and return its row.

Runs inside a worker process (``distributed``), never on the client. Every failure of one
video, a corrupt file as much as a face that cannot be measured, becomes that video's error
row (one line); the batch goes on. An unexpected exception (a bug) also leaves its traceback in
the video's ``error.txt``.

The face model travels to each worker once, inside the ``FaceModel`` plugin (so a cluster's
workers need no copy of their own) and is loaded there at start-up: that pays MediaPipe's import
and first graph set-up (~1.5 s) once per worker. Each analysis then builds its own model
instances (the frame loop owns and closes them), which costs ~0.3 s a video once the worker is
warm: measured and left so, rather than changing the frame loop's ownership of its models.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from distributed import WorkerPlugin, get_worker

from realtime.files import DIR_MODE, FILE_MODE, atomic_write_text
from realtime.jobs.analyze import run_analysis
from realtime.jobs.batch_folder import ERROR_DETAIL, VIDEOS, clear, video_folder, write_row
from realtime.jobs.batch_inputs import BatchItem
from realtime.jobs.batch_table import error_row, one_line, summary_row
from realtime.pipeline.analysis import AnalysisError
from realtime.pipeline.sink import MeasuredFrame, Sink
from realtime.reports.report import save_report
from realtime.sinks.analysis_files import AnalysisFiles
from realtime.sources import SourceError
from realtime.tracking.landmarker import Landmarker
from realtime.tracking.model_asset import ModelError

PLUGIN = "synkinesis-face-model"
TOPIC = "synkinesis-batch-frames"   # workers -> client: frames measured so far, per video
REPORT_EVERY_S = 1.0
# Failures that are the video's or its folder's, with a one-line message of their own.
VIDEO_ERRORS = (AnalysisError, SourceError, ModelError, OSError, ValueError)


@dataclass(frozen=True)
class TaskOptions:
    mirrored: bool = False   # every video shows the subject as in a mirror
    report: bool = True      # write each video's report.html


class FaceModel(WorkerPlugin):
    """The face model's bytes, written into each worker's own folder and loaded once there."""

    name = PLUGIN

    def __init__(self, model: bytes):
        self.model = model
        self.sha = hashlib.sha256(model).hexdigest()
        self.path: Path | None = None

    def setup(self, worker) -> None:
        _leave_interrupts_to_the_client()
        path = Path(worker.local_directory) / f"face_landmarker-{self.sha[:16]}.task"
        if not path.is_file():
            fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "wb") as f:
                f.write(self.model)
            os.replace(path.with_suffix(".tmp"), path)
        Landmarker(path).close()     # the import and the graph's first set-up, paid here once
        self.path, self.model = path, b""


def _leave_interrupts_to_the_client() -> None:
    """Ctrl+C in a terminal reaches every process of the batch; the client stops the batch and
    closes its workers, so a worker ignores it (it would only print its own traceback)."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:   # not the worker process's main thread: nothing to change there
        pass


def worker_model() -> Path:
    plugin = get_worker().plugins.get(PLUGIN)
    if plugin is None or plugin.path is None:
        raise ModelError("this worker has no face model: the batch registers it on every worker; "
                         "restart the batch")
    return plugin.path


class FrameEvents(Sink):
    """Tells the client, about once a second, how many frames of this video are measured."""

    def __init__(self, name: str):
        self.name, self.frames, self._sent = name, 0, time.monotonic()

    def measured(self, mf: MeasuredFrame) -> None:
        self.frames += 1
        now = time.monotonic()
        if now - self._sent >= REPORT_EVERY_S:
            self._sent = now
            get_worker().log_event(TOPIC, {"name": self.name, "frames": self.frames})


def analyse_item(item: BatchItem, out: str, options: TaskOptions) -> dict:
    """Analyse ``item`` into ``out``/videos/<name>/ and return its row (also written there,
    last, as row.json)."""
    started = time.monotonic()
    out_dir = Path(out)
    folder = video_folder(out_dir, item)
    clear(out_dir, item)     # what a killed earlier attempt (another worker, a stopped run) left
    try:
        sink = AnalysisFiles(item.video, folder, mirrored=options.mirrored)   # as ``analyze`` writes them
        run_analysis(item.video, worker_model(), show_progress=False, mirrored=options.mirrored,
                     sinks=[sink, FrameEvents(item.name)])
        if sink.summary is None:
            raise AnalysisError(f"the analysis of {item.video} stopped before its end")
        report, note = _report(folder) if options.report else (None, None)
        row = summary_row(item, sink.summary, folder=f"{VIDEOS}/{item.name}", report=report, error=note)
    except VIDEO_ERRORS as exc:
        row = error_row(item, str(exc))
    except Exception as exc:   # a bug: the row says so in one line, error.txt keeps the traceback
        row = error_row(item, f"unexpected {type(exc).__name__}: {exc} (details in {VIDEOS}/{item.name}/"
                              f"{ERROR_DETAIL})")
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        atomic_write_text(folder / ERROR_DETAIL, traceback.format_exc())
    row.update(seconds=round(time.monotonic() - started, 2), worker=get_worker().address,
               finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    write_row(folder, row)
    return row


def _report(folder: Path) -> tuple[str | None, str | None]:
    """(the report's path relative to the batch folder, None) or (None, why it is missing): a
    report that cannot be made leaves the video's results standing."""
    try:
        path, _ = save_report(folder)
    except Exception as exc:   # the results are written; the page is extra
        return None, one_line(f"report not written: {type(exc).__name__}: {exc}")
    return f"{VIDEOS}/{folder.name}/{path.name}", None
