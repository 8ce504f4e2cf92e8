"""``run.py weekly-test``: the whole weekly test, headless, on the demo face performing it (with a
palsy), shortened; and the inputs it refuses before recording anything."""

from __future__ import annotations

import json
import stat
from datetime import date, datetime, timedelta

import cv2
import numpy as np
import pytest
from dateutil.rrule import rrulestr

from realtime.cli import main
from realtime.clinical.assessment import task_mask
from realtime.clinical.weekly import PEAK_SIGNALS, WEEKLY_TASKS, timeline_length, weekly_timeline
from realtime.jobs.schedule import schedule_line
from realtime.signals.features import S
from realtime.sinks.framefile import read_frames_with_quality

SCALE = 0.5      # every phase at half its length: 45 s instead of 91 s (at 0.3 the 3-s rest hold
#                 was over before a slow machine had calibrated and measured a usable frame in it)


def ics_fields(text: str) -> dict[str, str]:
    """Unfolded content lines of an .ics file (RFC 5545 3.1), first of each name."""
    assert "\n" not in text.replace("\r\n", "")
    lines = text.replace("\r\n ", "").split("\r\n")
    out = {}
    for line in filter(None, lines):
        name, _, value = line.partition(":")
        out.setdefault(name, value)
    return out


def test_weekly_test_on_the_demo_face_end_to_end(model_path, tmp_path, capsys):
    sessions = tmp_path / "sessions"
    out, ics = sessions / "week1", tmp_path / "weekly.ics"
    code = main(["weekly-test", "--source", "demo", "--out", str(out), "--model", str(model_path),
                 "--affected", "left", "--rest-droop", "0.8", "--movement", "0.3", "--subject", "P-9",
                 "--days-since-onset", "20", "--calendar", str(ics), "--time-scale", str(SCALE)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert printed.out.startswith("No weekly test yet")
    due = date.today() + timedelta(days=7)
    assert f"Next weekly test due {due.isoformat()} (in 7 days)." in printed.out
    assert "3/7 BROW RAISE: Raise your eyebrows" in printed.err        # the prompts, as they come

    meta = json.loads((out / "session.json").read_text())
    timeline = weekly_timeline(SCALE)
    assert (meta["status"], meta["protocol"], meta["subject_id"], meta["affected_side"]) == \
        ("complete", "weekly", "P-9", "left")
    assert meta["timeline"] == timeline == json.loads((out / "timeline.json").read_text())
    _, t, sig, reasons = read_frames_with_quality(out / "frames.csv")
    assert t[-1] >= timeline_length(timeline) - 0.5 and (reasons == "").sum() > 100

    index = json.loads((out / "keyframes.json").read_text())["tasks"]
    assert list(index) == [task.key for task in WEEKLY_TASKS]              # rest and the six movements
    assert stat.S_IMODE((out / "keyframes").stat().st_mode) == 0o700
    for task, entry in index.items():
        png = out / entry["file"]
        assert entry["file"] == f"keyframes/{task}.png" and stat.S_IMODE(png.stat().st_mode) == 0o600
        image = cv2.imread(str(png))
        assert image.shape == (480, 640, 3)
        (xl, yl), (xr, yr) = entry["eyes_px"]
        assert xl - xr > 60 and abs(yl - yr) < 30           # the subject's left eye is on the image's right
        for x, y in entry["eyes_px"]:                       # an iris: darker than the skin around it
            assert image[int(y), int(x)].mean() < image[int(y) + 25, int(x)].mean()
        hold = task_mask(t, timeline, task, "hold") & (reasons == "")
        assert hold[np.argmin(np.abs(t - entry["t_s"]))], (task, entry["t_s"])
        if task == "rest":
            continue
        # the picture is the frame where the task's own region moved most in its hold
        moved = sum(np.abs(sig[:, :, S[name]]).sum(axis=1) for name in PEAK_SIGNALS[task])
        at = moved[np.argmin(np.abs(t - entry["t_s"]))]
        assert at >= moved[hold].max() - 0.002, (task, at, moved[hold].max())   # frames.csv rounds
        assert at > np.percentile(moved[hold], 75) and at > 0.01, (task, at)
    # the affected side moves 0.3 of the other: the healthy right eye shut more in the closure
    kf = index["eye_closure_gentle"]
    closure = sig[np.argmin(np.abs(t - kf["t_s"])), :, S["eye_closure"]]
    assert closure[1] > 0.5 and closure[0] < 0.6 * closure[1], closure

    fields = ics_fields(ics.read_bytes().decode("utf-8"))   # CRLF kept
    assert fields["BEGIN"] == "VCALENDAR" and fields["RRULE"].startswith("FREQ=WEEKLY")
    rule = rrulestr(fields["RRULE"], dtstart=datetime.strptime(fields["DTSTART"], "%Y%m%dT%H%M%S"))
    first, second = rule[0], rule[1]
    assert first.date() == due and second - first == timedelta(days=7)
    assert schedule_line(sessions).startswith(f"Last weekly test: {date.today().isoformat()} (today) — next due {due}")


def test_bad_sources_are_refused_before_recording(model_path, tmp_path, demo_videos, capsys):
    short, _ = demo_videos("weekly_short", seconds=3, width=320, height=240)
    out = tmp_path / "never"
    cases = [(["--source", str(tmp_path / "missing.mp4")], "not found"),
             (["--source", str(short)], "too short to hold the weekly test"),
             (["--source", str(short), "--rest-droop", "0.5"], "use them with --source demo"),
             (["--source", "camera:97"], "no camera at index 97"),
             (["--source", "demo", "--fast"], "--fast only applies to a video file"),
             (["--source", "demo", "--calendar", str(tmp_path / "cal.txt")], "ending in .ics")]
    for args, message in cases:
        code = main(["weekly-test", *args, "--out", str(out), "--model", str(model_path)])
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], (args, err)
        assert not out.exists()
