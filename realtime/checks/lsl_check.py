"""The LSL outlet, checked from the receiving end (``run.py bench --lsl S``).

A real-time recording of the demo face (``record --lsl``) runs in this process while LSL inlets,
also in this process, read both streams back, as LabRecorder would. ``read_back`` is the
harness (the tests use it for a short session); ``main`` prints, for an S-second session: the
signals stream's channel count, labels, units, nominal and effective rate, timestamp jitter,
how close timestamps are to frame capture, the capture-to-publish delay (the outlet's own
``delay`` markers) and the capture-to-receive delay seen by the inlet, and the markers.

Unless LSLAPICFG is already set, the streams stay on this machine (``MACHINE_ONLY_CONFIG``):
a check has no business announcing itself to the lab network.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from realtime.clinical.assessment import demo_timeline
from realtime.jobs.record import RecordOptions, record
from realtime.pipeline.capture import REAL_TIME
from realtime.pipeline.sink import LoopInfo, LoopResult, MeasuredFrame
from realtime.signals.features import SIGNALS
from realtime.sinks.framefile import read_frames_with_quality
from realtime.sinks.lsl_outlet import LslOutlet, LslSettings, load_pylsl
from realtime.sources import DemoSource, Frame, FrameSource
from realtime.tracking.model_asset import resolve_model

# liblsl's INI reader: comments start with ";".
MACHINE_ONLY_CONFIG = ("; written by run.py bench --lsl: every LSL packet stays on this machine\n"
                       "[ports]\nIPv6 = disable\n[multicast]\nResolveScope = machine\n"
                       "ListenAddress = 127.0.0.1\n[lab]\nKnownPeers = {127.0.0.1}\n")
RESOLVE_TIMEOUT_S = 20.0


class GatedSource(FrameSource):
    """A source whose first frame waits for ``gate`` (the inlets are connected, so they see
    every sample), and which remembers every frame's capture time by index."""

    def __init__(self, inner: FrameSource, gate: threading.Event, timeout_s: float = 60.0):
        self.inner, self.gate, self.timeout_s = inner, gate, timeout_s
        self.name, self.fps, self.live = inner.name, inner.fps, inner.live
        self.captured: dict[int, float] = {}

    def read(self) -> Frame | None:
        if not self.gate.wait(self.timeout_s):
            raise TimeoutError("no LSL inlet connected")
        f = self.inner.read()
        if f is not None:
            self.captured[f.index] = f.captured
        return f

    def close(self) -> None:
        self.inner.close()


@dataclass
class ReadBack:
    """Both streams as an inlet received them, and the recording they came from."""
    signals_info: object                 # pylsl.StreamInfo of the signals stream (full metadata)
    markers_info: object
    values: np.ndarray                   # (N, channels) float32
    timestamps: np.ndarray               # (N,) LSL seconds
    received: np.ndarray                 # (N,) LSL seconds when the inlet had each sample
    markers: list[tuple[float, str]]     # (LSL seconds, text), in arrival order
    captured: dict[int, float]           # frame index -> time.perf_counter() at capture
    session: Path
    meta: dict
    frames: tuple = field(default=())    # frames.csv: (index, t, signals, reasons)


def machine_only_config(folder: Path) -> Path:
    """Point LSLAPICFG at a machine-only configuration unless it is set already (before the
    process's first outlet or inlet: liblsl reads it once)."""
    if "LSLAPICFG" not in os.environ:
        path = folder / "lsl_api.cfg"
        path.write_text(MACHINE_ONLY_CONFIG)
        os.environ["LSLAPICFG"] = str(path)
    return Path(os.environ["LSLAPICFG"])


def _pull(inlet, out_values: list, out_ts: list, out_recv: list, clock) -> int:
    values, ts = inlet.pull_chunk(timeout=0.0, max_samples=4096)
    if ts:
        now = clock()
        out_values.extend(values)
        out_ts.extend(ts)
        out_recv.extend([now] * len(ts))
    return len(ts)


def read_back(seconds: float, model: Path, out: Path, *, source: FrameSource | None = None,
              timeline: list[dict] | None = None) -> ReadBack:
    """Record ``source`` (default: the demo face in real time) for ``seconds`` with --lsl into
    ``out`` while inlets in this process read both streams; returns what they received."""
    lsl = load_pylsl()
    gate = threading.Event()
    src = GatedSource(source or DemoSource(), gate)
    sid = f"synkinesis-check-{uuid.uuid4().hex[:12]}"   # other checks on this machine stay apart
    opts = RecordOptions(source=src, out=out, model=model, duration=seconds, timeline=timeline,
                         lsl=LslSettings(source_id=sid), log=None)
    done: dict = {}

    def run():
        try:
            done["meta"] = record(opts)
        except BaseException as exc:   # re-raised on the calling thread
            done["error"] = exc
        finally:
            gate.set()

    worker = threading.Thread(target=run, name="lsl-check-record", daemon=True)
    worker.start()
    try:
        infos = {}
        for kind in ("signals", "markers"):
            found = lsl.resolve_bypred(f"source_id='{sid}:{kind}'", 1, RESOLVE_TIMEOUT_S)
            if not found:
                raise RuntimeError(f"the {kind} stream did not appear within {RESOLVE_TIMEOUT_S:g} s")
            infos[kind] = found[0]
        # recover=True: a lost stream (the outlets close at the end) keeps what was received
        # pullable; without it, liblsl raises "lost" on the next pull and the buffer is gone.
        sig_in = lsl.StreamInlet(infos["signals"], max_buflen=max(60, int(seconds) + 30))
        mk_in = lsl.StreamInlet(infos["markers"])
        sig_in.open_stream(timeout=10)
        mk_in.open_stream(timeout=10)
        sig_info, mk_info = sig_in.info(timeout=10), mk_in.info(timeout=10)
    finally:
        gate.set()
    values, ts, recv, mvals, mts, mrecv = [], [], [], [], [], []
    clock = lsl.local_clock
    while worker.is_alive():
        got = _pull(sig_in, values, ts, recv, clock) + _pull(mk_in, mvals, mts, mrecv, clock)
        if not got:
            time.sleep(0.005)   # a frame comes every ~33 ms: a 5 ms poll adds at most 5 ms
    end = time.monotonic() + 2.0   # the outlets linger so the last samples arrive; take them
    while time.monotonic() < end:
        if not (_pull(sig_in, values, ts, recv, clock) + _pull(mk_in, mvals, mts, mrecv, clock)):
            time.sleep(0.02)
    if "error" in done:
        raise done["error"]
    frames = read_frames_with_quality(out / "frames.csv")
    return ReadBack(sig_info, mk_info, np.array(values, np.float32).reshape(len(ts), -1), np.array(ts),
                    np.array(recv), [(t, v[0]) for t, v in zip(mts, mvals)], dict(src.captured), out,
                    done["meta"], frames)


def outlet_cost_us(frames: int = 3000) -> tuple[float, float]:
    """Median and p95 time of one ``LslOutlet.measured`` call on synthetic frames: what --lsl
    adds to the loop's thread per frame."""
    sink = LslOutlet(LslSettings(source_id=f"synkinesis-cost-{uuid.uuid4().hex[:12]}"))
    sink.started(LoopInfo("synthetic", 30.0, 0, REAL_TIME))
    sig = np.random.default_rng(0).normal(0, 0.02, (2, len(SIGNALS)))
    image = np.zeros((2, 2, 3), np.uint8)
    cost = []
    for i in range(frames):
        mf = MeasuredFrame(Frame(i, i / 30.0, image, time.perf_counter()), None, sig, True, 0.0)
        t = time.perf_counter()
        sink.measured(mf)
        cost.append(time.perf_counter() - t)
    sink.finished(LoopResult("complete", frames, frames, 0, None, None))
    return float(np.median(cost) * 1e6), float(np.percentile(cost, 95) * 1e6)


def channel_fields(info, name: str) -> list[str]:
    """One field of every desc/channels/channel, in order."""
    out, ch = [], info.desc().child("channels").child("channel")
    while not ch.empty():
        out.append(ch.child_value(name))
        ch = ch.next_sibling("channel")
    return out


def parse_delay(text: str) -> dict:
    return {k: v for k, v in (part.split("=", 1) for part in text.split()[1:])}


def main(seconds: float = 60.0, model: str | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = machine_only_config(Path(tmp))
        model_path = resolve_model(model)
        src = DemoSource()
        timeline = demo_timeline(src.face.truth)
        load0 = os.getloadavg()
        r = read_back(seconds, model_path, Path(tmp) / "session", source=src, timeline=timeline)
        load1 = os.getloadavg()
        report(r, seconds, cfg, load0, load1)
    med, p95 = outlet_cost_us()
    print(f"outlet cost on the loop's thread (LslOutlet.measured, synthetic frames): median "
          f"{med:.0f} us, p95 {p95:.0f} us per frame")
    return 0


def report(r: ReadBack, seconds: float, cfg: Path, load0, load1) -> None:
    info, n = r.signals_info, len(r.timestamps)
    fps = info.nominal_srate()
    labels, units = channel_fields(info, "label"), channel_fields(info, "unit")
    idx = r.frames[0]
    print(f"LSL check: {seconds:g} s of the demo face recorded with --lsl (real time), read back by "
          f"inlets in the same process; LSLAPICFG={cfg}")
    print(f"load average (1 min) at start/end: {load0[0]:.2f} / {load1[0]:.2f} on {os.cpu_count()} cores")
    print(f"signals stream '{info.name()}' type {info.type()}: {info.channel_count()} channels, "
          f"nominal rate {fps:g} Hz, format float32")
    print(f"  labels: {', '.join(labels)}")
    print(f"  units: {', '.join(sorted(set(units)))}")
    print(f"samples received: {n}; frames.csv rows: {len(idx)}; frames dropped by the real-time "
          f"capture (not published): {r.meta.get('frames_dropped')}")
    nan_rows = int(np.isnan(r.values).all(axis=1).sum())
    print(f"  NaN samples (no usable measurement, e.g. before calibration): {nan_rows}")
    d = np.diff(r.timestamps)
    span = r.timestamps[-1] - r.timestamps[0]
    steady = d[d < 1.5 / fps]
    print(f"effective rate: {(n - 1) / span:.2f} Hz over {span:.1f} s (nominal {fps:g} Hz)")
    print(f"timestamp spacing: median {np.median(d) * 1e3:.2f} ms (1/fps = {1e3 / fps:.2f} ms), "
          f"jitter (std of diffs) {np.std(d) * 1e3:.2f} ms over all, {np.std(steady) * 1e3:.2f} ms "
          f"without the {len(d) - len(steady)} gaps of dropped frames; monotone: {bool(np.all(d > 0))}")
    fit = np.polyfit(idx, r.timestamps, 1)
    resid = r.timestamps - np.polyval(fit, idx)
    print(f"timestamps against the source's frame clock (line fitted to frame index): "
          f"{fit[0] * 1e3:.3f} ms a frame, residual std {np.std(resid) * 1e3:.2f} ms, "
          f"max |residual| {np.abs(resid).max() * 1e3:.1f} ms")
    cap = np.array([r.captured[int(i)] for i in idx])
    off = r.timestamps - cap
    print(f"timestamp minus frame capture (perf_counter): median {np.median(off) * 1e6:.1f} us, "
          f"spread (max-min) {np.ptp(off) * 1e6:.1f} us")
    texts = [t for _, t in r.markers]
    final = [t for t in texts if t.startswith("delay scope=session")]
    if final:
        dl = parse_delay(final[-1])
        print(f"capture-to-publish delay (outlet, 'delay scope=session' marker): median "
              f"{dl['median_ms']} ms, p95 {dl['p95_ms']} ms over {dl['frames']} frames")
    rd = (r.received - r.timestamps) * 1e3
    print(f"capture-to-receive delay (inlet polling every 5 ms): median {np.median(rd):.1f} ms, "
          f"p95 {np.percentile(rd, 95):.1f} ms")
    kinds: dict[str, int] = {}
    for t in texts:
        key = " ".join(t.split()[:2]) if t.split()[0] in ("recording", "calibration", "synkinesis",
                                                         "assessment", "delay") else t.split()[0]
        kinds[key] = kinds.get(key, 0) + 1
    print(f"markers: {len(texts)} — " + ", ".join(f"{k}: {v}" for k, v in kinds.items()))
