"""``run.py batch``: a real Dask LocalCluster on 127.0.0.1 analysing short demo-face videos and a
corrupt file, resumed after a half-written video; the inputs and the output folder checked
before any work."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest

from realtime.cli import main
from realtime.jobs.batch import local_cluster, run_batch
from realtime.jobs.batch_folder import ROW, check_batch_folder, video_folder
from realtime.jobs.batch_inputs import (
    MANIFEST_COLUMNS,
    BatchItem,
    collect,
    read_manifest,
)
from realtime.jobs.batch_table import COLUMNS, summary_row
from realtime.jobs.batch_task import TaskOptions
from realtime.jobs.inputs import InputError
from realtime.signals.features import SIGNALS
from realtime.sinks.results_folder import OutputError

SHORT = dict(seconds=4, width=320, height=240, rest_s=1.5)
HOSTILE = "clip<b>&'x.mp4"     # a file name that is markup: the index must show it as text


@pytest.fixture(scope="module")
def archive(demo_videos, tmp_path_factory):
    """Three 4 s demo videos (one with a file name that is markup), one corrupt file and a
    manifest listing all four with their subject details."""
    root = tmp_path_factory.mktemp("archive")
    (root / "s1").mkdir()
    for name, dest, side in (("b_left", "s1/a.mp4", "left"), ("b_none", "s1/b.mp4", "none"),
                             ("b_right", HOSTILE, "right")):
        src, _ = demo_videos(name, synkinesis=side, seed=len(name) + ord(side[0]), **SHORT)
        shutil.copy(src, root / dest)
    (root / "corrupt.mp4").write_bytes(os.urandom(3000))
    manifest = root / "manifest.csv"
    manifest.write_text("path,subject,days_since_onset,affected_side\n"
                        "s1/a.mp4,P01,120,left\n"
                        "# a comment line\n"
                        "s1/b.mp4,P01,200,\n"
                        f"\"{HOSTILE}\",P02,,right\n"
                        "corrupt.mp4,P03,5,LEFT\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def cluster():
    """The default cluster (one worker process, 127.0.0.1 only), started once for the module
    and reached through its address, as ``--scheduler`` reaches an existing cluster."""
    c = local_cluster(1)
    yield c
    c.close()


@pytest.fixture(scope="module")
def first_run(archive, model_path, tmp_path_factory, cluster):
    out = tmp_path_factory.mktemp("batch") / "out"
    items = collect([str(archive / "manifest.csv")])
    res = run_batch(items, out, model_path.read_bytes(), scheduler=cluster.scheduler_address,
                    options=TaskOptions(), show_progress=False)
    return out, items, res


def test_every_video_is_a_row_and_the_corrupt_one_an_error(first_run):
    out, items, res = first_run
    assert not res.interrupted and res.pending == 0 and res.analysed == 4 and res.skipped == 0
    rows = {Path(r["video"]).name: r for r in res.rows}
    assert [Path(r["video"]).name for r in res.rows] == ["a.mp4", "b.mp4", HOSTILE, "corrupt.mp4"]
    bad = rows["corrupt.mp4"]
    assert bad["status"] == "error" and "not a video file" in bad["error"] and "\n" not in bad["error"]
    assert bad["subject"] == "P03" and bad["days_since_onset"] == 5 and bad["affected_side"] == "left"
    for name in ("a.mp4", "b.mp4", HOSTILE):
        r = rows[name]
        assert r["status"] == "ok" and r["error"] is None
        assert r["frames"] == 120 and r["duration_s"] == pytest.approx(4.0) and r["measured_pct"] > 90
        folder = out / r["folder"]
        assert {"frames.csv", "summary.json", "report.html", ROW} <= {p.name for p in folder.iterdir()}
        summary = json.loads((folder / "summary.json").read_text())
        assert r["synkinesis_pairs"] == len(summary["synkinesis"])
        pairs = len(SIGNALS) * (len(SIGNALS) - 1) * 2
        # 4 s: too short for verdicts (a late lag rules nothing out on too little data either)
        assert r["undecided_pairs"] == len(summary["undecided"]) == pairs
        assert r["synkinesis"].startswith(f"undecided ({pairs} of {pairs} pairs): not enough data")
        pair = next(c for c in summary["coactivation"]
                    if (c["driver"], c["response"], c["side"]) == ("smile", "eye_closure", "left"))
        assert r["smile_eye_r_left"] == pair["peak_r"] and r["smile_eye_verdict_left"] == pair["verdict"]
    assert rows["a.mp4"]["subject"] == "P01" and rows["a.mp4"]["days_since_onset"] == 120
    assert rows["b.mp4"]["affected_side"] is None and rows[HOSTILE]["days_since_onset"] is None


def test_tables_hold_the_same_rows_in_csv_and_parquet(first_run):
    out, _, res = first_run
    with open(out / "batch.csv", newline="") as f:
        table = list(csv.DictReader(f))
    df = pd.read_parquet(out / "batch.parquet")
    assert list(df.columns) == list(table[0]) == list(COLUMNS)
    assert len(df) == len(table) == 4
    assert list(df["status"]) == [r["status"] for r in table] == ["ok", "ok", "ok", "error"]
    assert str(df["frames"].dtype) == "Int64" and df["frames"].isna().tolist() == [False, False, False, True]
    assert list(df["subject"]) == ["P01", "P01", "P02", "P03"]
    assert [float(r["seconds"]) for r in table] == pytest.approx(list(df["seconds"]), abs=0.01)


def test_index_links_every_report_and_escapes_file_names(first_run):
    out, items, res = first_run
    html = (out / "index.html").read_text()
    for r in res.rows:
        if r["status"] == "ok":
            assert f"href='{r['report']}'" in html and (out / r["report"]).is_file()
    assert "clip&lt;b&gt;&amp;&#39;x.mp4" in html and "<b>&" not in html
    assert "not a video file" in html


def test_outputs_are_owner_only(first_run):
    out, items, _ = first_run
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for p in out.rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p


def test_resume_skips_finished_videos_and_redoes_a_half_written_one(first_run, model_path, cluster, capfd):
    """The finished videos are kept, the half-written one (its folder without row.json, a
    staging folder beside it) is redone; --retry-errors tries the corrupt file again. With the
    progress bars: videos, and frames (the corrupt file has none)."""
    out, items, _ = first_run
    half, kept = items[0], items[1]
    (video_folder(out, half) / ROW).unlink()
    staging = out / "videos" / f".{half.name}.partial-x1"
    staging.mkdir()
    kept_row = video_folder(out, kept) / ROW
    kept_mtime = kept_row.stat().st_mtime_ns
    res = run_batch(items, out, model_path.read_bytes(), scheduler=cluster.scheduler_address,
                    retry_errors=True, show_progress=True)
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert (res.skipped, res.redone, res.analysed, res.pending) == (2, 1, 2, 0)
    assert kept_row.stat().st_mtime_ns == kept_mtime
    assert (video_folder(out, half) / ROW).is_file() and not staging.exists()
    assert [r["status"] for r in res.rows] == ["ok", "ok", "ok", "error"]
    assert len(pd.read_parquet(out / "batch.parquet")) == 4
    bars = capfd.readouterr().err
    assert "videos: 100%" in bars and "2/2" in bars and "frames: 100%" in bars and "120/120" in bars


# ---- inputs, checked before any work ------------------------------------------------------

def _manifest(tmp_path, text: str) -> Path:
    (tmp_path / "v.mp4").write_bytes(b"x")
    p = tmp_path / "m.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_manifest_columns_and_values(tmp_path):
    items = read_manifest(_manifest(tmp_path, "Path, Subject ,affected_side\nv.mp4,S-1,Right\n"))
    assert items == [BatchItem((tmp_path / "v.mp4").resolve(), "S-1", None, "right")]
    assert MANIFEST_COLUMNS[0] == "path"


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("video,subject\nv.mp4,a\n", "unknown column 'video'"),
    ("subject\nP1\n", "no 'path' column"),
    ("path,path\nv.mp4,v.mp4\n", "a column named twice"),
    ("path,subject\nv.mp4,Jane Doe\n", "line 2: subject 'Jane Doe': use a pseudonymous code"),
    ("path,days_since_onset\nv.mp4,-3\n", "line 2: days_since_onset '-3': must be 0 or more"),
    ("path,days_since_onset\nv.mp4,ten\n", "a whole number of days"),
    ("path,affected_side\nv.mp4,both\n", "affected_side 'both': use left or right"),
    ("path\nv.mp4\nmissing.mp4\n", "1 listed video(s) not found (line 3: missing.mp4)"),
    ("path\n\n", "lists no videos"),
    ("path,subject\nv.mp4,a,b\n", "3 cells for 2 columns"),
    ("path,subject\nv.mp4,P1\nv.mp4,P2\n", None),
])
def test_a_bad_manifest_is_one_line_with_its_line_number(tmp_path, text, message):
    m = _manifest(tmp_path, text)
    with pytest.raises(InputError) as e:
        collect([str(m)])
    msg = str(e.value)
    assert "\n" not in msg and str(m) in msg or "listed twice" in msg
    assert message is None and "listed twice with different subject details" in msg or message in msg


def test_an_unreadable_manifest(tmp_path):
    m = tmp_path / "m.csv"
    m.write_bytes(b"path\n\xff\xfe\x00bad\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_manifest(m)


def test_folders_and_globs(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/x.mp4", "a/b/y.MOV", "a/notes.txt", "a/.hidden.mp4", "z.mkv"):
        (tmp_path / name).write_bytes(b"x")
    out = tmp_path / "a" / "out"
    out.mkdir()
    (out / "old.mp4").write_bytes(b"x")        # inside the batch's own folder: left out
    names = [i.video.name for i in collect([str(tmp_path / "a")], exclude=out.resolve())]
    assert names == ["y.MOV", "x.mp4"]
    names = [i.video.name for i in collect([str(tmp_path / "**" / "*.*"), str(tmp_path / "a" / "x.mp4")],
                                           exclude=out.resolve())]
    assert names == ["y.MOV", "x.mp4", "z.mkv"]             # each once
    items = collect([str(tmp_path / "a" / "notes.txt")])     # named: taken whatever its name
    assert len({i.name for i in items}) == 1 and items[0].name.startswith("notes-")
    same = [BatchItem(tmp_path / d / "v.mp4").name for d in ("p", "q")]
    assert same[0] != same[1] and all(n.startswith("v-") for n in same)


@pytest.mark.parametrize("args, message", [
    (["{missing}", "--out", "{out}"], "does not exist"),
    (["{empty}", "--out", "{out}"], "no videos in folder"),
    (["{empty}/*.mp4", "--out", "{out}"], "no videos match"),
    (["{video}", "--out", "{busy}"], "holds other files (notes.txt)"),
    (["{video}", "--out", "{video}"], "is a file, not a folder"),
    (["{video}", "--out", "{out}", "--workers", "0"], "must be 1 or more"),
    (["{video}", "--out", "{out}", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "leave one of them out"),
    (["{video}", "--out", "{out}", "--scheduler", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler"),
])
def test_bad_inputs_fail_with_one_line_before_any_work(tmp_path, capsys, args, message, demo_videos):
    video, _ = demo_videos("b_left", synkinesis="left", seed=len("b_left") + ord("l"), **SHORT)
    (tmp_path / "empty").mkdir()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    where = dict(missing=tmp_path / "nope.mp4", out=tmp_path / "out", empty=tmp_path / "empty",
                 busy=tmp_path / "busy", video=video)
    try:
        code = main(["batch", *(a.format(**where) for a in args)])
    except SystemExit as exc:      # argparse's own errors (one line too: cli.OneLineParser)
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error:") and message in err[0], err
    assert not (tmp_path / "out").exists()


def test_an_earlier_batch_folder_is_accepted(first_run, tmp_path):
    out, _, _ = first_run
    assert check_batch_folder(out) == out.resolve()
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "summary.json").write_text("{}")
    with pytest.raises(OutputError, match="already holds results"):
        check_batch_folder(tmp_path / "x")


def test_a_called_pair_fills_the_verdict_columns(tmp_path):
    """summary.json -> row, for a video long enough to be decided (the clips above are not)."""
    pair = {"driver": "smile", "response": "eye_closure", "side": "left", "peak_r": 0.91, "lag_s": 0.15,
            "gain": 0.4, "verdict": "synkinesis", "synkinesis": True}
    other = {**pair, "side": "right", "peak_r": 0.1, "lag_s": 0.0, "verdict": "none", "synkinesis": False}
    summary = {"frames": 600, "fps": 30.0, "face_frames": 600, "measured_pct": 98.5, "coactivation": [pair, other],
               "synkinesis": [pair], "undecided": [], "rest": {"rest_stretch_s": [1.0, 3.0], "warning": None}}
    row = summary_row(BatchItem(tmp_path / "v.mp4", "P1", 30, "left"), summary)
    assert row["synkinesis"] == "left: smile->eye_closure (+0.15 s)" and row["synkinesis_left"] == 1
    assert row["affected_side_flagged"] is True and row["duration_s"] == 20.0
    assert (row["smile_eye_r_left"], row["smile_eye_verdict_right"]) == (0.91, "none")
    assert summary_row(BatchItem(tmp_path / "v.mp4"), {**summary, "synkinesis": []})["synkinesis"] == "none"
