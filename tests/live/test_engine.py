"""The live engine with --lsl: a recording and a guided assessment made from the window's
buttons (engine calls, no window) show up as markers, read by a real inlet."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pylsl
import pytest

from realtime.sinks.framefile import read_frames


def _pull(inlet, values: list, stamps: list) -> None:
    v, t = inlet.pull_chunk(timeout=0.0)
    values += v
    stamps += t


def test_live_recording_and_assessment_markers(model_path, tmp_path):
    from realtime.live.engine import LiveEngine
    from realtime.sinks.lsl_outlet import LslSettings
    sid = f"test-live-{uuid.uuid4().hex[:10]}"
    timeline = [{"task": "rest", "rep": 1, "start_s": 0.0, "end_s": 1.0, "phase": "hold"},
                {"task": "smile_open", "rep": 1, "start_s": 1.0, "end_s": 3.0, "phase": "hold"}]
    engine = LiveEngine(model_path, "demo", lsl=LslSettings(source_id=sid)).start()
    try:
        inlets = {}
        for kind in ("signals", "markers"):
            (info,) = pylsl.resolve_bypred(f"source_id='{sid}:{kind}'", 1, 20)
            inlets[kind] = pylsl.StreamInlet(info, max_buflen=120)
            inlets[kind].open_stream(timeout=10)
        values, ts, texts, mts = [], [], [], []
        deadline = time.monotonic() + 40
        while engine.baseline is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.baseline is not None, "the live engine did not calibrate"
        folder = engine.start_recording(tmp_path / "rec")
        engine.assessment_started(timeline)
        end = time.monotonic() + 4.0
        while time.monotonic() < end:
            _pull(inlets["signals"], values, ts)
            _pull(inlets["markers"], texts, mts)
            time.sleep(0.01)
        engine.stop_recording()
    finally:
        engine.stop()
    for _ in range(3):   # the outlets lingered before closing: everything has arrived
        _pull(inlets["signals"], values, ts)
        _pull(inlets["markers"], texts, mts)
        time.sleep(0.1)
    texts = [t[0] for t in texts]
    at = dict(zip(texts, mts))
    order = ["recording start", "task rest hold 1/1", "task smile_open hold 1/1", "assessment end",
             "recording stop"]
    assert [t for t in texts if t in order] == order, texts
    assert any(t.startswith("delay scope=session") for t in texts)
    assert len(ts) > 30 and np.all(np.diff(ts) > 0)
    # The recording's frames are the samples from its start marker on (its stop is marked at the
    # newest frame when the button's detach returns: within a frame of its last one).
    idx, t, _ = read_frames(folder / "frames.csv")
    ts = np.array(ts)
    start = at["recording start"]
    first = int(np.argmin(np.abs(ts - start)))
    assert ts[first] == pytest.approx(start, abs=1e-6)
    inside = int(np.sum((ts >= start - 1e-6) & (ts <= at["recording stop"] + 1e-6)))
    assert abs(inside - len(idx)) <= 1, (inside, len(idx))
    # Prompts at their timeline times from the recording's start, stamped with the capture time
    # of the frame at that media time.
    rec_ts = ts[first:first + len(idx)]
    assert at["task rest hold 1/1"] == pytest.approx(start, abs=1e-6)
    for text, media in (("task smile_open hold 1/1", 1.0), ("assessment end", 3.0)):
        assert at[text] == pytest.approx(np.interp(media, t[:len(rec_ts)], rec_ts), abs=2e-3)
