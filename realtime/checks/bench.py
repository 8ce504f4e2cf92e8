"""Benchmark: speed, delay and memory against the face model itself (``run.py bench``).

Prints, from one demo-face video in one run:
- frames per second of ``analyze`` and of a bare single FaceLandmarker pass over the same
  decoded frames, their CPU time per frame (all threads of the process), and both ratios;
- time per frame in each stage (decode, registration, alignment, composites + model calls,
  features, co-activation, writing): median and 95th percentile;
- the live loop on the demo source at 30 and 60 fps: processed rate, dropped frames,
  capture-to-signal delay (median, 95th percentile);
- peak memory, and memory over a long live run (RSS sampled every 10 s, growth per minute
  over the second half: a leak shows as a steady positive slope).
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from calibration.baseline import rest_baseline
from realtime.jobs.analyze import analyze
from realtime.live.engine import LiveEngine
from realtime.pipeline.analysis import Analysis
from realtime.pipeline.calibrate import Calibrator
from realtime.signals.coactivation import analyse, peak_lag, xcorr
from realtime.signals.features import S, activations
from realtime.sinks.analysis_files import write_outputs
from realtime.sources import DemoSource, VideoFileSource
from realtime.sources.demo_face import DemoConfig, DemoFace, write_demo_video
from realtime.tracking.landmarker import Landmarker
from realtime.tracking.meter import FaceMeter, Reference
from realtime.tracking.model_asset import resolve_model
from realtime.tracking.roi_landmarker import Box, RoiLandmarker, read_network


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6   # Linux reports KiB


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def line(name: str, values_ms) -> str:
    return f"  {name:<26} median {pct(values_ms, 50):7.2f} ms   p95 {pct(values_ms, 95):7.2f} ms"


def bench_offline(model_path: Path, seconds: float, workdir: Path) -> None:
    cores = os.cpu_count() or 1
    video = workdir / "bench.mp4"
    write_demo_video(video, DemoConfig(seconds=seconds, synkinesis="left", head_motion=True, seed=7))
    cap = cv2.VideoCapture(str(video))
    frames, decode_ms = [], []
    while True:
        t = time.perf_counter()
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        decode_ms.append((time.perf_counter() - t) * 1e3)
    cap.release()
    n = len(frames)
    print(f"video: {n} frames, {frames[0].shape[1]}x{frames[0].shape[0]}, demo face with head motion")

    with Landmarker(model_path) as bare:
        bare.detect(frames[0])
        t, cpu = time.perf_counter(), time.process_time()
        bare_ms = []
        for f in frames:
            t1 = time.perf_counter()
            bare.detect(f)
            bare_ms.append((time.perf_counter() - t1) * 1e3)
        bare_fps = n / (time.perf_counter() - t)
        bare_cpu = (time.process_time() - cpu) / n
        box = Box.around(bare.detect(frames[0])[0])
    net = RoiLandmarker(read_network(model_path), box)
    net_ms, net_cpu = [], 0.0
    for f in frames:
        pixels = net.box.sample(f)       # as a composite reaches it: already in the box
        t1, cpu = time.perf_counter(), time.process_time()
        net.run(pixels)
        net_ms.append((time.perf_counter() - t1) * 1e3)
        net_cpu += (time.process_time() - cpu) / n
    net.close()

    t, cpu = time.perf_counter(), time.process_time()
    analyze(video, workdir / "out", model_path, show_progress=False)
    analyze_s = time.perf_counter() - t
    analyze_cpu = (time.process_time() - cpu) / n
    analyze_fps = n / analyze_s
    # CPU time (every thread of the process) as well as wall time: on a shared machine the wall
    # figures move with the other load, the CPU seconds per frame much less.
    print(f"bare FaceLandmarker (IMAGE mode, one instance, one thread): {bare_fps:6.1f} fps, "
          f"CPU {bare_cpu * 1e3:5.1f} ms/frame")
    print(f"analyze end to end (decode, reference, measure, co-activation, write): {analyze_fps:6.1f} fps, "
          f"CPU {analyze_cpu * 1e3:5.1f} ms/frame")
    print(f"ratio analyze / bare: {analyze_fps / bare_fps:.2f}  (analyze runs 4 landmark-network calls "
          "per frame on 2 threads, one per region composite, on the fixed face box)")
    print(f"CPU ratio analyze / bare (bare CPU s per frame / analyze CPU s per frame): {bare_cpu / analyze_cpu:.2f}  "
          f"(its 4 network calls a frame alone take {4 * net_cpu * 1e3:.1f} ms of CPU of the {analyze_cpu * 1e3:.1f}: "
          f"the CPU ratio cannot pass {bare_cpu / (4 * net_cpu):.2f}, nor the wall ratio "
          f"{min(1.0, cores * bare_cpu / (4 * net_cpu)):.2f} on {cores} cores)")

    # Stage by stage, on the decoded frames.
    stages: dict[str, list[float]] = {"decode": decode_ms, "bare FaceLandmarker call": bare_ms,
                                      "landmark network, fixed box": net_ms}
    with Landmarker(model_path) as full:
        cal = Calibrator(full, window=(0.0, 2.0))
        with VideoFileSource(video) as src:
            for f in src:
                if cal.offer(f) == Calibrator.DONE:
                    break
        ref, _ = cal.reference()
        feats = []
        with FaceMeter(model_path, ref, workers=2, full_landmarker=full) as meter:
            for i, f in enumerate(frames):
                t1 = time.perf_counter()
                m = meter.measure(f, i, i / 30)
                stages.setdefault("measure total", []).append((time.perf_counter() - t1) * 1e3)
                for k, v in m.timings_ms.items():
                    stages.setdefault(k, []).append(v)
                feats.append(m.features)
    feats = np.array(feats)
    base = rest_baseline(feats[:60])
    t1 = time.perf_counter()
    sig = activations(feats, base.level)
    stages["signals (all frames)"] = [(time.perf_counter() - t1) * 1e3 / n]
    t1 = time.perf_counter()
    couplings, blinks = analyse(sig, 30.0, base.noise)
    co_ms = (time.perf_counter() - t1) * 1e3
    stages["co-activation (per frame)"] = [co_ms / n]
    t1 = time.perf_counter()
    write_outputs(Analysis(30.0, np.arange(n) / 30, feats, sig, base, couplings, blinks, 0), video, workdir / "o2")
    stages["writing (per frame)"] = [(time.perf_counter() - t1) * 1e3 / n]
    window = sig[-300:]
    t1 = time.perf_counter()
    for _ in range(5):
        analyse(window, 30.0, base.noise)
    stages["co-activation 10 s window"] = [(time.perf_counter() - t1) * 1e3 / 5]
    print("time per frame by stage:")
    for k, v in stages.items():
        print(line(k, v))


def bench_mode_delay(model_path: Path, seconds: float) -> None:
    """Delay each tracking mode adds: lag of the measured signal behind the planted one."""

    demo = DemoFace(DemoConfig(seconds=max(seconds, 4.0), seed=31, synkinesis="left", strength=0.5, delay_s=0.0,
                               blinks_per_min=0))
    frames = [demo.render(i) for i in range(demo.n_frames)]
    truth = {"eye_closure": demo.truth.eye_planted["left"], "smile": demo.truth.smile}
    with Landmarker(model_path) as full:
        ref = Reference(frames[0], full.detect(frames[0])[0])
        for mode in ("roi", "image", "video"):
            with FaceMeter(model_path, ref, full_landmarker=full, mode=mode) as meter:
                feats = np.array([meter.measure(f, i, i / 30).features for i, f in enumerate(frames)])
            sig = activations(feats, np.median(feats[:60], axis=0))
            parts = []
            for name, ref_sig in truth.items():
                x = sig[:, 0, S[name]]
                r, lag = peak_lag(xcorr(ref_sig, x, 15), 15)
                gain = np.polyfit(ref_sig, x, 1)[0]
                parts.append(f"{name} lag {lag * 1000 / 30:+5.0f} ms (r {r:.2f}, gain {gain:.3f})")
            label = {"roi": "network on the fixed box", "image": "FaceLandmarker IMAGE mode",
                     "video": "FaceLandmarker VIDEO mode"}[mode]
            print(f"  {label:<26} left side: " + "; ".join(parts))


def bench_live(model_path: Path, fps: float, seconds: float) -> dict:

    src = DemoSource(DemoConfig(seconds=120, fps=fps, synkinesis="left", head_motion=True))
    eng = LiveEngine(model_path, src).start()
    # wait for the automatic calibration, then count only the measured stretch
    t0 = time.perf_counter()
    while eng.baseline is None and time.perf_counter() - t0 < 60:
        time.sleep(0.1)
    st = eng.stats
    p0, d0, lat0 = st.processed, st.dropped, len(st.signal_latencies_ms)
    t1 = time.perf_counter()
    time.sleep(seconds)
    p1, d1 = st.processed, st.dropped
    el = time.perf_counter() - t1
    lat = list(st.signal_latencies_ms)[max(0, lat0 - (st.signal_latencies_ms.maxlen or 0)):]
    eng.stop()
    offered = (p1 - p0) + (d1 - d0)
    return {"fps": (p1 - p0) / el, "dropped": d1 - d0, "offered": offered,
            "dropped_pct": 100 * (d1 - d0) / max(offered, 1),
            "lat_med": pct(lat, 50), "lat_p95": pct(lat, 95)}


def bench_memory(model_path: Path, minutes: float) -> None:

    eng = LiveEngine(model_path, DemoSource(DemoConfig(seconds=120, synkinesis="left"))).start()
    samples = []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < minutes * 60:
        time.sleep(10)
        eng.take_packet()
        samples.append((time.perf_counter() - t0, rss_mb()))
        print(f"  t={samples[-1][0]:6.0f} s  rss={samples[-1][1]:7.1f} MB  processed={eng.stats.processed}",
              flush=True)
    eng.stop()
    t, m = np.array(samples).T
    half = t >= t[-1] / 2
    slope = np.polyfit(t[half] / 60, m[half], 1)[0] if half.sum() >= 2 else float("nan")
    print(f"memory over {minutes:g} min live: start {m[0]:.0f} MB, end {m[-1]:.0f} MB, max {m.max():.0f} MB, "
          f"growth over the second half {slope:+.2f} MB/min")


def main(seconds: float = 8.0, live_seconds: float = 5.0, memory_minutes: float = 0.0,
         model: str | None = None) -> int:
    model_path = resolve_model(model)
    parts = 4 + (memory_minutes > 0)
    step = iter(range(1, parts + 1))

    def section(what: str) -> None:
        print(f"[{next(step)}/{parts}] {what}", flush=True)

    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    print(f"machine load (1-min average) {load:.1f} on {cores} cores"
          + (": busy, so these figures are low; compare runs on a quiet machine" if load > 0.5 * cores else ""))
    section(f"offline: demo video of {seconds:g} s, analyze against a bare landmark pass, stage by stage")
    with tempfile.TemporaryDirectory() as tmp:
        bench_offline(model_path, seconds, Path(tmp))
    section("delay added by the tracking mode (composite measurement, planted movement at 0 lag)")
    bench_mode_delay(model_path, seconds)
    for fps in (30.0, 60.0):
        section(f"live demo face at {fps:g} fps for {live_seconds:g} s after calibration")
        r = bench_live(model_path, fps, live_seconds)
        print(f"live demo at {fps:g} fps: processed {r['fps']:.1f} fps, dropped {r['dropped']}/{r['offered']} "
              f"({r['dropped_pct']:.1f} %), capture-to-signal delay median {r['lat_med']:.0f} ms, "
              f"p95 {r['lat_p95']:.0f} ms")
    if memory_minutes > 0:
        section(f"memory over a {memory_minutes:g} min live run")
        bench_memory(model_path, memory_minutes)
    print(f"peak memory (max RSS): {peak_mb():.0f} MB")
    return 0
