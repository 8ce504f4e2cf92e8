"""Benchmarks of ``run.py batch``; they print figures, they assert nothing.

    python -m realtime.checks.batch_bench memory VIDEO
        runs a batch of one (long) video on one local worker and samples the memory (RSS) of
        the worker process every second: start, after warm-up, peak, at the end of the frame
        pass, and the growth per 10 000 frames (what the frame loop keeps per frame).

    python -m realtime.checks.batch_bench throughput --videos 20 --seconds 8 --workers 1 2 --interrupt-after 5
        writes N demo-face videos (plus one corrupt file), runs the batch with each number of
        local workers and prints videos/hour and frames/s, with the machine's load average.
        With --interrupt-after K, each batch is stopped (SIGTERM, as ``kill`` sends) once K
        videos are finished and then run again to finish it: the time is both runs together.

Both run the real command (``python run.py batch``) in a subprocess, as a user would.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from realtime.sources import probe_video
from realtime.sources.demo_face import DemoConfig, write_demo_video

RUN = Path(__file__).resolve().parents[2] / "run.py"
MB = 1024 * 1024


def _batch(args: list[str], sample=None, stop_when=None) -> tuple[float, list]:
    """Run ``run.py batch ARGS``; ``sample(proc)`` is called every second; once ``stop_when()``
    is true the run is sent SIGTERM. (seconds, samples)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(RUN), "batch", *args, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples, stopped = [], False
    while proc.poll() is None:
        if sample is not None:
            s = sample(proc)
            if s is not None:
                samples.append((time.monotonic() - t0, *s))
        if stop_when is not None and not stopped and stop_when():
            proc.send_signal(signal.SIGTERM)
            stopped = True
        time.sleep(1.0)
    out = proc.stdout.read()
    if proc.returncode != (130 if stopped else 0):
        raise SystemExit(f"batch failed ({proc.returncode}):\n{out}")
    for line in out.strip().splitlines()[-2:]:
        print("   ", line)
    return time.monotonic() - t0, samples


def _worker_rss(proc) -> tuple[float, float] | None:
    """(largest child's RSS MB, the client's RSS MB): the worker is the child holding most."""
    try:
        client = psutil.Process(proc.pid)
        kids = client.children(recursive=True)
        rss = [k.memory_info().rss for k in kids]
        return (max(rss) / MB if rss else 0.0), client.memory_info().rss / MB
    except psutil.Error:
        return None


def memory(video: Path) -> None:
    info = probe_video(video)
    print(f"video {video}: {info.frames} frames, {info.duration_s / 60:.1f} min, {info.size[0]}x{info.size[1]}; "
          f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        secs, samples = _batch([str(video), "--out", str(Path(tmp) / "out"), "--workers", "1"], _worker_rss)
    t = np.array([s[0] for s in samples])
    w = np.array([s[1] for s in samples])
    c = np.array([s[2] for s in samples])
    print(f"took {secs:.0f} s ({info.frames / secs:.1f} frames/s); load average after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    # The growth that matters is the frame pass's second half: by then the allocators of the
    # model's threads have reached their working size; the end (last 10 %) is the whole-recording
    # analysis, frames.csv and the report.
    mid, late = (t > 0.5 * secs) & (t < 0.9 * secs), 0.9 * secs
    slope = np.polyfit(t[mid], w[mid], 1)[0] if mid.sum() > 10 else float("nan")
    fps = info.frames / secs
    curve = ", ".join(f"{int(q * 100)} % {np.interp(q * secs, t, w):.0f}" for q in np.arange(0.1, 1.0, 0.1))
    print(f"worker RSS MB over the run: {curve}; peak {w.max():.0f} (at {t[w.argmax()]:.0f} s of {secs:.0f}); "
          f"client peak {c.max():.0f}")
    print(f"growth from 50 % to 90 % of the run: {slope * 10000 / fps:.1f} MB per 10 000 frames "
          f"({np.interp(late, t, w) - np.interp(0.5 * secs, t, w):+.0f} MB over {0.4 * info.frames:.0f} frames)")


def throughput(n: int, seconds: float, workers: list[int], interrupt_after: int | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        archive.mkdir()
        for i in range(n):
            write_demo_video(archive / f"clip{i:02d}.mp4",
                             DemoConfig(seconds=seconds, width=320, height=240, seed=i,
                                        synkinesis=("left", "right", "none")[i % 3], rest_s=2.0))
        for p in archive.glob("*.json"):
            p.unlink()
        (archive / "broken.mp4").write_bytes(os.urandom(4096))
        frames = sum(probe_video(p).frames for p in archive.glob("clip*.mp4"))
        for k in workers:
            before = os.getloadavg()
            out = Path(tmp) / f"out{k}"
            args = [str(archive), "--out", str(out), "--workers", str(k)]
            secs = 0.0
            if interrupt_after:
                rows = lambda: len(list(out.glob("videos/*/row.json")))  # noqa: E731
                secs, _ = _batch(args, stop_when=lambda: rows() >= interrupt_after)
                print(f"    stopped with {rows()} of {n + 1} rows written; resuming")
            more, _ = _batch(args)
            secs += more
            after = os.getloadavg()
            how = ", interrupted once" if interrupt_after else ""
            print(f"{k} worker(s){how}: {n + 1} files ({n} videos of {seconds:g} s + 1 corrupt, {frames} frames) in "
                  f"{secs:.0f} s (incl. cluster start): {n / secs * 3600:.0f} videos/h, {frames / secs:.1f} frames/s; "
                  f"load average 1/5/15 min before {before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f}, "
                  f"after {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m realtime.checks.batch_bench")
    sub = p.add_subparsers(dest="what", required=True)
    m = sub.add_parser("memory")
    m.add_argument("video", type=Path)
    t = sub.add_parser("throughput")
    t.add_argument("--videos", type=int, default=20)
    t.add_argument("--seconds", type=float, default=8.0)
    t.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    t.add_argument("--interrupt-after", type=int, default=None, metavar="K")
    a = p.parse_args(argv)
    if a.what == "memory":
        memory(a.video)
    else:
        throughput(a.videos, a.seconds, a.workers, a.interrupt_after)


if __name__ == "__main__":
    main()
