"""Analyse an archive of videos on a Dask cluster: one row per video, resumable.

The client (this process) plans the batch, hands one task per video to the cluster's workers
(jobs/batch_task.py), shows the progress and writes the table and index as rows arrive. The
default cluster is a ``LocalCluster`` on this machine: worker processes listening on 127.0.0.1
only, one thread each (each analysis runs its own threads: the model calls of two frames and
four composites overlap), no dashboard. ``scheduler`` connects to a running cluster instead
(e.g. dask-jobqueue's SLURMCluster: see the README); its workers must see ``out`` and the
videos at the same paths.

Resuming: a finished video (its folder holds row.json, batch_folder.py) is skipped, a
half-written one is removed and redone. An error row is kept as it is unless ``retry_errors``.
"""

from __future__ import annotations

import logging
import queue
import re
import signal
import socket
import sys
import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import dask
from distributed import Client, LocalCluster, wait
from tqdm import tqdm

from realtime.jobs.batch_folder import (
    DONE,
    ERROR,
    PARTIAL,
    check_batch_folder,
    clear,
    open_batch,
    state_of,
    video_folder,
    write_row,
)
from realtime.jobs.batch_inputs import BatchItem
from realtime.jobs.batch_table import error_row, item_fields, write_tables
from realtime.jobs.batch_task import TOPIC, FaceModel, TaskOptions, analyse_item
from realtime.reports.batch_index import write_index
from realtime.sources import SourceError, VideoFileSource

LOCAL_HOST = "127.0.0.1"
CONNECT_TIMEOUT_S = 10
_ADDRESS = re.compile(r"(?:tcp|tls)://(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/\s]+):(?P<port>\d{1,5})")
SAVE_EVERY_S = 10.0     # the table and index are rewritten at most this often while running
POLL_S = 0.5            # how often the frame bar takes the workers' reports
# Dask's statistical profiler samples the task's stack every 10 ms and keeps a tree per second
# for 1000 s (for the dashboard, which is off): it grew a worker's memory by ~4.4 kB a frame
# during a long video (the frame loop alone stays flat). A task whose worker died is tried
# once more on another worker, then given up.
WORKER_CONFIG = {"distributed.worker.profile.enabled": False, "distributed.scheduler.allowed-failures": 1}


class SchedulerError(OSError):
    """The cluster given with --scheduler cannot be used. One line that says what to do."""


@dataclass
class BatchResult:
    rows: list[dict]                 # every finished video's row, in input order
    analysed: int = 0                # videos analysed (or failed) in this run
    skipped: int = 0                 # finished in an earlier run
    redone: int = 0                  # half-written by an earlier run, done again
    pending: int = 0                 # not finished (the run was interrupted)
    seconds: float = 0.0
    frames: int = 0                  # frames of the videos analysed in this run
    interrupted: bool = False

    @property
    def failed(self) -> int:
        return sum(r.get("status") != "ok" for r in self.rows)


def local_cluster(workers: int) -> LocalCluster:
    """Worker processes on this machine, reachable from it only. No dashboard; the scheduler's
    small HTTP server (health checks) listens on 127.0.0.1 too, on another port if 8787 is taken
    (a warning not worth showing). Dask's own log lines are silenced: what they report (a
    worker that died) reaches the user as the video's error line."""
    # Worker processes inherit an ignored SIGINT: Ctrl+C in the terminal is the client's to
    # answer (it closes the workers); until the face-model plugin makes each worker ignore it
    # for good (batch_task.py), a worker would print its own traceback.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if _main_thread() else None
    try:
        with warnings.catch_warnings(), dask.config.set(WORKER_CONFIG):
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host=LOCAL_HOST,
                                dashboard_address=None, silence_logs=logging.CRITICAL)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def check_scheduler(address: str) -> None:
    """SchedulerError (one line, at once) unless something listens at a tcp:// or tls://
    address; the Dask client itself would keep retrying a refused connection until its timeout."""
    m = _ADDRESS.fullmatch(address)
    if m is None:
        raise SchedulerError(f"--scheduler {address}: give the scheduler's address as tcp://HOST:PORT "
                             "(e.g. tcp://10.0.0.5:8786, as 'dask scheduler' prints it)")
    host = m["host"].strip("[]")
    try:
        socket.create_connection((host, int(m["port"])), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address} ({exc.strerror or exc}): start it "
                             "(e.g. 'dask scheduler' and 'dask worker ADDRESS') or leave --scheduler out to run "
                             "on this machine") from None


def connect(scheduler: str | None, workers: int) -> tuple[Client, LocalCluster | None]:
    """A client of the given scheduler, or of a new local cluster."""
    if scheduler is None:
        cluster = local_cluster(workers)
        return Client(cluster), cluster
    check_scheduler(scheduler)
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S), None
    except (OSError, TimeoutError, ValueError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler} ({why}): start it "
                             "(e.g. 'dask scheduler' and 'dask worker ADDRESS') or leave --scheduler "
                             "out to run on this machine") from None


def _planned_frames(item: BatchItem) -> int:
    """The header's frame count (0 if unknown or unreadable: the worker reports that video)."""
    try:
        with VideoFileSource(item.video) as src:
            return int(src.frame_count)
    except (SourceError, OSError):
        return 0


def run_batch(items: list[BatchItem], out: str | Path, model: bytes, *, workers: int = 1,
              scheduler: str | None = None, options: TaskOptions = TaskOptions(),
              retry_errors: bool = False, show_progress: bool = True) -> BatchResult:
    """Analyse ``items`` into ``out`` (checked first: batch_folder.check_batch_folder) with the
    face model's bytes ``model``. Returns the rows; KeyboardInterrupt stops the run with what
    is finished saved (``interrupted``), to be resumed by running it again."""
    t0 = time.monotonic()
    out = check_batch_folder(out)
    res = BatchResult([])
    rows: dict[str, dict] = {}
    todo: list[BatchItem] = []
    redo: list[BatchItem] = []
    for item in items:
        state, row = state_of(out, item)
        if state == DONE or (state == ERROR and not retry_errors):
            rows[item.name] = {**row, **item_fields(item)}    # the subject details as given now
            res.skipped += 1
            continue
        if state in (PARTIAL, ERROR):
            redo.append(item)
            res.redone += state == PARTIAL
        todo.append(item)
    client = cluster = None
    if todo:    # before anything is written: a cluster that cannot be reached changes nothing
        client, cluster = connect(scheduler, workers)

    def save() -> None:
        res.rows = [rows[i.name] for i in items if i.name in rows]
        res.pending = len(items) - len(res.rows)
        write_tables(out, res.rows)
        write_index(out, res.rows, pending=res.pending)

    try:
        open_batch(out)
        for item in redo:
            clear(out, item)
        if todo:
            _run(client, todo, out, model, rows, res, save, options=options, show_progress=show_progress)
    except KeyboardInterrupt:
        res.interrupted = True
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    save()
    res.seconds = time.monotonic() - t0
    return res


def _run(client: Client, todo: list[BatchItem], out: Path, model: bytes, rows: dict[str, dict],
         res: BatchResult, save: Callable[[], None], *, options: TaskOptions, show_progress: bool) -> None:
    planned = {i.name: _planned_frames(i) for i in todo}
    done_frames: dict[str, int] = {}
    reports: queue.Queue = queue.Queue()
    videos_bar = tqdm(total=len(todo), desc="videos", unit="video", position=0, dynamic_ncols=True,
                      disable=not show_progress, mininterval=0.5)
    frames_bar = tqdm(total=sum(planned.values()), desc="frames", unit="frame", position=1, dynamic_ncols=True,
                      disable=not show_progress, mininterval=0.5)
    try:
        client.register_plugin(FaceModel(model))
        client.subscribe_topic(TOPIC, lambda event: reports.put(event[1]))
        run_id = uuid.uuid4().hex[:8]
        futures = {client.submit(analyse_item, item, str(out), options, key=f"synkinesis-{item.name}-{run_id}",
                                 pure=False): item for item in todo}
        pending = set(futures)
        last_save = time.monotonic()
        while pending:
            try:
                finished, pending = wait(pending, timeout=POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                finished = set()
            _take_reports(reports, done_frames, planned, frames_bar)
            for fut in finished:
                item = futures[fut]
                row = _row_of(fut, item, out)
                rows[item.name] = row
                res.analysed += 1
                res.frames += int(row.get("frames") or 0)
                # the bar reaches the planned total whatever the video turned out to hold
                frames_bar.update(max(0, planned[item.name] - done_frames.get(item.name, 0)))
                done_frames[item.name] = planned[item.name]
                videos_bar.update(1)
                if row.get("status") != "ok":
                    err = row.get("error") or ""
                    tqdm.write(f"error: {err}" if str(item.video) in err else f"error: {item.video}: {err}",
                               file=sys.stderr)
            if time.monotonic() - last_save >= SAVE_EVERY_S:
                save()
                last_save = time.monotonic()
    finally:
        videos_bar.close()
        frames_bar.close()


def _take_reports(reports: queue.Queue, done: dict[str, int], planned: dict[str, int], bar: tqdm) -> None:
    while True:
        try:
            msg = reports.get_nowait()
        except queue.Empty:
            return
        name, frames = msg.get("name"), int(msg.get("frames") or 0)
        if name not in planned:
            continue
        frames = min(frames, planned[name]) if planned[name] else frames
        bar.update(max(0, frames - done.get(name, 0)))
        done[name] = max(frames, done.get(name, 0))


def _row_of(fut, item: BatchItem, out: Path) -> dict:
    """The task's row; a task that raised (its worker died twice, its row could not be written)
    becomes an error row here, written into the video's folder like any other."""
    if fut.status == "finished":
        return fut.result()
    exc = fut.exception()
    why = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    if type(exc).__name__ == "KilledWorker":
        why = "the worker process died while analysing it (out of memory, or a crash in the decoder)"
    row = error_row(item, why)
    try:
        clear(out, item)
        write_row(video_folder(out, item), row)
    except OSError:
        pass    # the table still gets the row; the next run tries the video again
    return row
