"""The LSL outlet, read back by real pylsl inlets in this process (all traffic on this machine:
tests/lsl_api.cfg through LSLAPICFG, set in tests/conftest.py before liblsl first reads it)."""

from __future__ import annotations

import csv
import os
import sys
import threading
import time
import uuid
from types import SimpleNamespace

import numpy as np
import pylsl
import pytest

from realtime.checks.lsl_check import channel_fields, parse_delay, read_back
from realtime.clinical.assessment import demo_timeline
from realtime.pipeline.calibrate import Calibration
from realtime.pipeline.capture import REAL_TIME
from realtime.pipeline.sink import LoopInfo, LoopResult, MeasuredFrame
from realtime.signals.episodes import Episode
from realtime.signals.features import SIGNALS, column_names, signals_to_columns
from realtime.signals.units import face_unit_label
from realtime.sinks.lsl_outlet import (
    MARKERS_STREAM,
    SIGNALS_STREAM,
    LslOutlet,
    LslSettings,
    clock_offset,
)
from realtime.sources import DemoSource, Frame
from realtime.sources.demo_face import DemoConfig
from tests.conftest import LSL_CONFIG


def _inlets(source_id: str):
    found = {k: pylsl.resolve_bypred(f"source_id='{source_id}:{k}'", 1, 15) for k in ("signals", "markers")}
    assert all(found.values()), f"streams not found: {found}"
    inlets = {k: pylsl.StreamInlet(v[0], max_buflen=120) for k, v in found.items()}
    for i in inlets.values():
        i.open_stream(timeout=10)
    return inlets


def _drain(inlet):
    """Everything received (call after the sink finished: its outlets linger until delivered)."""
    values, stamps = [], []
    while True:
        v, t = inlet.pull_chunk(timeout=0.2)
        if not t:
            return values, np.array(stamps)
        values += v
        stamps += t


def _own_sockets():
    """(table, local address) of every socket this process holds, from /proc."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    out = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        with open(f"/proc/net/{table}") as f:
            for line in f.read().splitlines()[1:]:
                p = line.split()
                if p[9] in inodes:
                    out.append((table, p[1]))
    return out


# Synthetic frames are "captured" this long before the sink sees them (the measurement time).
MEASURING_S = 0.05


def _frame(i: int, fps: float) -> Frame:
    return Frame(i, i / fps, np.zeros((2, 2, 3), np.uint8), time.perf_counter() - MEASURING_S)


def test_synthetic_frames_markers_and_metadata():
    """The sink fed frames with known capture times: every timestamp, NaN and marker time."""
    sid = f"test-{uuid.uuid4().hex[:10]}"
    fps = 50.0
    rec = SimpleNamespace(t0=None)   # a live recording: its clock starts at its first frame
    timeline = [{"task": "rest", "rep": 1, "start_s": 0.0, "end_s": 0.2, "phase": "hold"},
                {"task": "smile_open", "rep": 1, "start_s": 0.2, "end_s": 0.4, "phase": "hold"},
                {"task": "smile_open", "rep": 2, "start_s": 0.4, "end_s": 0.6, "phase": "hold"}]
    sink = LslOutlet(LslSettings(source_id=sid))
    sink.started(LoopInfo("synthetic", fps, 0, REAL_TIME))
    inlets = _inlets(sid)
    sig_info = inlets["signals"].info(timeout=5)
    mk_info = inlets["markers"].info(timeout=5)
    offset = clock_offset(pylsl.local_clock)

    rng = np.random.default_rng(3)
    frames, expected = [], []
    for i in range(80):
        if i == 10:
            sink.follow_recording(rec, timeline)
        if i == 12:
            sink.calibrated(Calibration(None, 0, None, "auto from first seconds", (0.1, 0.3)))
        f = _frame(i, fps)
        sig = rng.normal(0, 0.02, (2, len(SIGNALS)))
        reason = "turned" if i % 7 == 3 else ""
        signals = None if i % 11 == 5 else sig
        sink.measured(MeasuredFrame(f, None, signals, signals is not None, time.perf_counter(), reason))
        if i == 10:
            rec.t0 = f.timestamp_s     # the recording saw frame 10 first (it follows the LSL sink)
        if i == 70:
            sink.episode(Episode("smile", "eye_closure", "left", 30 / fps, 45 / fps, 0.31))
        frames.append(f)
        usable = signals is not None and not reason
        expected.append(signals_to_columns(sig) if usable else np.full(2 * len(SIGNALS), np.nan))
        time.sleep(0.002)
    stopper = threading.Thread(target=sink.recording_stopped)   # the live window's button
    stopper.start()
    stopper.join()
    sink.finished(LoopResult("complete", 80, 80, 0, None, None))

    values, ts = _drain(inlets["signals"])
    texts, mts = _drain(inlets["markers"])
    texts = [t[0] for t in texts]
    captured = np.array([f.captured for f in frames]) + offset

    assert sig_info.name() == SIGNALS_STREAM and sig_info.type() == "MoCap"
    assert sig_info.channel_count() == 2 * len(SIGNALS) and sig_info.nominal_srate() == fps
    assert sig_info.channel_format() == pylsl.cf_float32
    labels = channel_fields(sig_info, "label")
    assert labels == column_names() and labels[:4] == ["brow_raise_left", "brow_raise_right",
                                                       "eye_closure_left", "eye_closure_right"]
    assert channel_fields(sig_info, "unit") == [face_unit_label(lab.rsplit("_", 1)[0]) for lab in labels]
    assert set(channel_fields(sig_info, "type")) == {"Displacement", "Closure"}
    desc = sig_info.desc()
    assert desc.child("delay").child_value("reported_in") == MARKERS_STREAM
    assert "NaN" in desc.child_value("missing")
    assert mk_info.name() == MARKERS_STREAM and mk_info.type() == "Markers"
    assert mk_info.channel_format() == pylsl.cf_string and mk_info.nominal_srate() == pylsl.IRREGULAR_RATE

    values = np.array(values)
    assert len(values) == 80
    np.testing.assert_allclose(ts, captured, atol=1e-4)   # capture times, not publish times
    np.testing.assert_allclose(values, np.array(expected, np.float32), rtol=1e-6, equal_nan=True)
    assert np.isnan(values[3]).all() and np.isnan(values[5]).all() and np.isfinite(values[0]).all()

    at = dict(zip(texts, mts))
    assert texts.count("recording start") == 1 and texts.count("recording stop") == 1
    assert at["recording start"] == pytest.approx(captured[10], abs=1e-6)
    assert at["recording stop"] == pytest.approx(captured[79], abs=1e-6)
    assert at["task rest hold 1/1"] == pytest.approx(captured[10], abs=1e-6)
    assert at["task smile_open hold 1/2"] == pytest.approx(captured[20], abs=1e-6)   # 0.2 s after t0
    assert at["task smile_open hold 2/2"] == pytest.approx(captured[30], abs=1e-6)
    assert at["assessment end"] == pytest.approx(captured[40], abs=1e-6)
    assert at["calibration done rest=0.10-0.30s"] == pytest.approx(captured[12], abs=1e-6)
    assert at["synkinesis onset smile->eye_closure left"] == pytest.approx(captured[30], abs=1e-6)
    assert at["synkinesis end smile->eye_closure left peak=0.3100"] == pytest.approx(captured[45], abs=1e-6)
    final = [t for t in texts if t.startswith("delay scope=session")]
    delay = parse_delay(final[0]) if len(final) == 1 else {}
    assert delay["frames"] == "80"
    assert MEASURING_S * 1e3 <= float(delay["median_ms"]) <= float(delay["p95_ms"]) < MEASURING_S * 1e3 + 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_lsl_traffic_stays_on_this_machine():
    """tests/lsl_api.cfg took effect: no IPv6 socket, discovery answered on the loopback only."""
    assert os.environ["LSLAPICFG"] == str(LSL_CONFIG)
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo("cfg-probe", "Markers", 1, 0, pylsl.cf_string,
                                                 f"cfg-{uuid.uuid4().hex}"))
    socks = _own_sockets()
    del outlet
    assert socks, "no LSL socket found"
    assert not [s for s in socks if s[0].endswith("6")], socks
    assert ("udp", "0100007F:40BB") in socks, socks   # 127.0.0.1:16571, the discovery responder


@pytest.fixture(scope="module")
def streamed(model_path, tmp_path_factory):
    """12 s of the demo face (planted left synkinesis) recorded with --lsl, read back."""
    src = DemoSource(DemoConfig(seconds=14, synkinesis="left"))
    timeline = demo_timeline(src.face.truth)
    before = pylsl.local_clock()
    r = read_back(12.0, model_path, tmp_path_factory.mktemp("lsl") / "session", source=src, timeline=timeline)
    return r, src.face.truth, timeline, before, pylsl.local_clock()


def test_record_lsl_streams_every_frame_at_its_capture_time(streamed):
    r, truth, _, before, after = streamed
    idx, t, sig, reasons = r.frames
    info = r.signals_info
    assert info.name() == SIGNALS_STREAM and info.channel_count() == 2 * len(SIGNALS) and info.nominal_srate() == 30.0
    assert channel_fields(info, "label") == column_names()
    n = len(r.timestamps)
    assert n == r.meta["frames"] == len(idx) and n > 100      # one sample per frames.csv row
    d = np.diff(r.timestamps)
    assert (d > 0).all() and (np.diff(idx) > 0).all()        # monotone, one frame per sample
    # ~1/fps per source frame; frames the real-time capture dropped leave gaps of whole frames
    assert abs(np.median(d / np.diff(idx)) - 1 / 30) < 0.1 / 30
    assert before < r.timestamps[0] and r.timestamps[-1] < after
    offset = clock_offset(pylsl.local_clock)
    cap = np.array([r.captured[int(i)] for i in idx]) + offset
    assert np.abs(r.timestamps - cap).max() < 1e-3            # capture, not publish, times
    assert (r.received > r.timestamps).all()

    usable = np.array([x == "" for x in reasons])
    assert (np.isfinite(r.values).all(axis=1) == usable).all()   # NaN exactly where unusable
    assert usable.sum() > 50
    np.testing.assert_allclose(r.values[usable], signals_to_columns(sig[usable]), atol=2e-5)
    # Row 0 of the loop's signals is the subject's left: the planted eye is the left one.
    labels = column_names()
    el, er = labels.index("eye_closure_left"), labels.index("eye_closure_right")
    smiling = usable & (truth.smile[idx] > 0.8)
    assert smiling.sum() >= 5
    assert np.mean(r.values[smiling, el] - r.values[smiling, er]) > 0.1


def test_record_lsl_markers(streamed):
    r, _, timeline, _, _ = streamed
    idx, t, _, _ = r.frames
    texts = [m for _, m in r.markers]
    at = {m: ts for ts, m in r.markers}
    assert texts.count("recording start") == 1 and texts.count("recording stop") == 1
    assert at["recording start"] == pytest.approx(r.timestamps[0], abs=1e-6)
    assert at["recording stop"] == pytest.approx(r.timestamps[-1], abs=1e-6)
    (cal,) = [m for m in texts if m.startswith("calibration done")]
    assert at[cal] in r.timestamps                  # the first frame against the new baseline
    finite = np.isfinite(r.values).all(axis=1)
    assert at[cal] <= r.timestamps[finite].min()   # no sample measured before the baseline
    # Each timeline entry reached: a prompt stamped with the capture time of its media time.
    reached = [e for e in timeline if e["start_s"] < t[-1]]
    prompts = [m for m in texts if m.startswith("task ")]
    assert len(prompts) == len(reached) >= 2
    for e, m in zip(reached, prompts):
        assert m.startswith(f"task {e['task']} {e['phase']} {e['rep']}/")
        assert at[m] == pytest.approx(np.interp(e["start_s"], t, r.timestamps), abs=2e-3)
    with open(r.session / "events.csv", newline="") as f:
        events = list(csv.DictReader(f))
    onsets = [(ts, m) for ts, m in r.markers if m.startswith("synkinesis onset")]
    assert len(onsets) == len(events)
    for e, (ts, m) in zip(events, onsets):
        assert m == f"synkinesis onset {e['driver']}->{e['response']} {e['side']}"
        assert ts == pytest.approx(np.interp(float(e["start_s"]), t, r.timestamps), abs=2e-3)
    (final,) = [m for m in texts if m.startswith("delay scope=session")]
    assert int(parse_delay(final)["frames"]) == len(r.timestamps)


def test_record_refuses_lsl_with_fast(tmp_path, model_path, demo_videos, capsys):
    from realtime.cli import main
    video, _ = demo_videos("lsl_fast", seconds=3)
    t = time.monotonic()
    code = main(["record", str(video), "--out", str(tmp_path / "s"), "--fast", "--lsl",
                 "--model", str(model_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "drop --fast" in err
    assert time.monotonic() - t < 5 and not (tmp_path / "s").exists()
