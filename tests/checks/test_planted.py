"""demo-video --from: a one-sided eye narrowing planted on a real face, driven by its own smile."""

from __future__ import annotations

import json

import numpy as np

from realtime.jobs.analyze import run_analysis
from realtime.signals.features import S


def test_planted_narrowing_follows_the_smile_on_one_eye_only(real_clips, model_path, tmp_path):
    from realtime.cli import main
    out = tmp_path / "planted.mkv"
    code = main(["demo-video", str(out), "--from", str(real_clips["single_face"]), "--synkinesis", "left",
                 "--strength", "0.5", "--delay", "0.1", "--model", str(model_path)])
    assert code == 0 and out.stat().st_size > 100_000
    truth = json.loads(out.with_suffix(".json").read_text())
    planted = np.array(truth["planted_narrowing"])
    requested = np.array(truth["requested_narrowing"])
    # the smile already narrows the eye, so the lids may run out of room: the truth records
    # what was planted, never more than asked
    assert truth["side"] == "left" and 0.45 < requested.max() <= 0.5 and planted[:5].max() < 0.05
    assert 0.3 < planted.max() and (planted <= requested + 1e-6).all()

    base = run_analysis(real_clips["single_face"], model_path, show_progress=False)
    moved = run_analysis(out, model_path, show_progress=False)
    n = min(len(base.signals), len(moved.signals), len(planted))
    eye = S["eye_closure"]
    diff = moved.signals[:n, :, eye] - base.signals[:n, :, eye]       # (n, 2): left, right
    ok = np.isfinite(diff).all(axis=1)
    # the planted (left) eye reads the narrowing in step with the truth and at its size (the
    # mesh alone reads ~0.4 of it); the right eye does not move
    assert np.corrcoef(diff[ok, 0], planted[:n][ok])[0, 1] > 0.9
    moving = ok & (planted[:n] > 0.02) & ~np.asarray(truth["original_blink"][:n], bool)
    gain = np.polyfit(planted[:n][moving], diff[moving, 0], 1)[0]
    assert 0.85 < gain < 1.15, gain
    assert np.nanmax(np.abs(diff[:, 1])) < 0.1 * np.nanmax(diff[:, 0])


def test_planting_into_a_new_folder_makes_it_and_an_unwritable_one_fails_at_once(real_clips, model_path,
                                                                               tmp_path, capsys):
    """A missing output folder is made (as for the demo face); one that cannot be written to is
    refused in one line before the minute-long mesh pass (it was a traceback after it)."""
    import time

    from realtime.cli import main
    a_file = tmp_path / "notes.txt"          # a folder path through a file: unwritable even for root
    a_file.write_text("x")
    t0 = time.monotonic()
    code = main(["demo-video", str(a_file / "sub" / "p.mkv"), "--from", str(real_clips["single_face"]),
                 "--synkinesis", "left", "--model", str(model_path)])
    err = capsys.readouterr().err.strip()
    assert code != 0 and "cannot write video" in err and len(err.splitlines()) == 1, err
    assert "Traceback" not in err and time.monotonic() - t0 < 20
    out = tmp_path / "new" / "deeper" / "p.mkv"
    assert main(["demo-video", str(out), "--from", str(real_clips["single_face"]), "--synkinesis", "right",
                 "--strength", "0.3", "--model", str(model_path)]) == 0
    assert out.stat().st_size > 100_000 and out.with_suffix(".json").is_file()


def test_the_planting_drive_is_a_smile_not_a_wider_mouth():
    """Corners up and out (a smile) drive the planted narrowing; the mouth widening of speech
    with the corners pulled down (jaw open on an "ee") and an "oo" (corners in) do not."""
    from realtime.checks.planted import smile_drive
    from realtime.landmarks import IRIS_CENTRE, REGIONS
    fps, n = 30.0, 30
    mesh = np.zeros((478, 3))
    mesh[IRIS_CENTRE["left"], :2], mesh[IRIS_CENTRE["right"], :2] = (160, 100), (100, 100)   # IOD 60 px
    left, right = REGIONS["left"]["corner"][0], REGIONS["right"]["corner"][0]
    mesh[left, :2], mesh[right, :2] = (152, 170), (108, 170)
    for side, x in (("left", 145), ("right", 85)):       # eyes 30 px by 6: a face every feature can read
        r = REGIONS[side]
        mesh[r["eye_inner"][0], :2], mesh[r["eye_outer"][0], :2] = (x, 100), (x + 30, 100)
        mesh[r["eye_upper"], :2], mesh[r["eye_lower"], :2] = (x + 15, 97), (x + 15, 103)
    meshes = np.repeat(mesh[None], 4 * n, axis=0)

    def move(frames, out_px, up_px):        # image y grows down; left corner at larger x
        meshes[frames, left, 0] += out_px
        meshes[frames, right, 0] -= out_px
        meshes[frames, [left, right], 1] -= up_px

    move(slice(n, 2 * n), 3.0, 3.0)          # smile: 3 px (0.05 IOD) up and out
    move(slice(2 * n, 3 * n), 3.0, -4.0)     # "ee" with the jaw open: wider, corners lower
    move(slice(3 * n, 4 * n), -3.0, 0.0)     # "oo": corners in
    d = smile_drive(meshes, fps)
    mid = lambda k: d[k * n + 8:(k + 1) * n - 8]          # noqa: E731  (away from the smoothing)
    # The drive's zero is its lowest decile (here the "oo"), so rest is not exactly 0.
    rest = mid(0).max()
    assert mid(1).min() > 0.95 and rest < 0.4
    assert mid(3).max() <= rest
    assert mid(2).max() <= rest       # mouth width alone would have read this as the biggest smile
    # A planting follows its own side's corner: the left corner alone smiling drives the left.
    meshes[:] = mesh
    meshes[n:2 * n, left, 0] += 3.0
    meshes[n:2 * n, left, 1] -= 3.0
    own, other = smile_drive(meshes, fps, "left"), smile_drive(meshes, fps, "right")
    assert own[n + 8:2 * n - 8].min() > 0.95 and own[2 * n + 8:].max() < 0.05
    assert np.nanmax(other) < 0.05
