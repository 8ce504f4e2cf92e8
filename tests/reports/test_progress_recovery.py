"""The progress page over weekly tests: the recovery messages at the right week (and none on a
flat series with the same noise), the resting-symmetry and days-since-onset figures, the
contact sheet (aligned on the eyes, beside the page as a PNG, owner-only) and the clinician's
one-page summary."""

from __future__ import annotations

import json
import re
import stat

import cv2
import numpy as np
import pandas as pd
import pytest

from realtime.reports.contact_sheet import (
    TILE,
    Column,
    Keyframe,
    aligned_tile,
    contact_sheet,
    eye_points,
    read_keyframes,
)
from tests.reports.pages import parse
from tests.reports.weekly_series import recovery_series


def messages(path) -> dict[str, str]:
    return dict(re.findall(r"data-message='([a-z-]+)'>([^<]*)<", path.read_text()))


@pytest.fixture(scope="module")
def recovering(tmp_path_factory):
    """Six weekly tests from day 60: the left side's droop falls from week 2, its movement
    returns at week 5."""
    patient = tmp_path_factory.mktemp("recovering")
    recovery_series(patient, 6, droop_from=2, movement_from=5)
    from realtime.cli import main
    assert main(["progress", str(patient)]) == 0
    return patient


def test_recovery_is_told_at_the_right_week(recovering):
    from realtime.reports.progress_page import read_progress
    from realtime.reports.recovery_view import build
    view = build(read_progress(recovering)[0])
    # the droop falls from week 2: three weeks of it by week 4; movement returns at week 5
    assert view.tone_week == 4 and view.movement_week == 5 and view.worsening_week is None
    said = messages(recovering / "progress.html")
    # told at the latest test (week 6): the droop has fallen since week 1, all 4 mm of it
    assert said["tone"].startswith("Your resting symmetry has improved for 5 weeks (mouth-corner height: 4.")
    assert "tone may be returning" in said["tone"]
    assert said["tone-first"] == "Returning tone was first seen at week 4 (day 81)."
    assert said["movement"].startswith("First voluntary movement on your affected (left) side at week 5 (day 88)")
    assert "smile" in said["movement"] and "developing phase" in said["phase"]
    # the same words on the clinician's summary
    summary = messages(recovering / "progress-summary.html")
    assert summary["tone"] == said["tone"] and summary["movement"] == said["movement"]
    # the page drawn at week 3 did not say it yet
    for week in ("week04", "week05", "week06"):
        (recovering / week).rename(recovering.parent / f"aside-{week}")
    try:
        from realtime.reports.progress_page import write_progress
        write_progress(recovering)
        assert "tone" not in messages(recovering / "progress.html")
        assert "movement" not in messages(recovering / "progress.html")
    finally:
        for week in ("week04", "week05", "week06"):
            (recovering.parent / f"aside-{week}").rename(recovering / week)
        write_progress(recovering)


def test_flat_series_says_nothing(tmp_path):
    recovery_series(tmp_path, 6, droop_from=None, movement_from=None, keyframes=False)
    from realtime.cli import main
    assert main(["progress", str(tmp_path)]) == 0
    said = messages(tmp_path / "progress.html")
    assert not {"tone", "tone-first", "movement", "worsening"} & set(said), said
    assert "no change beyond the measurement noise" in " ".join(said.values())
    assert not (tmp_path / "contact_sheet.png").exists()   # no keyframes, no sheet


def test_resting_asymmetry_in_progress_csv(recovering):
    table = pd.read_csv(recovering / "progress.csv")
    # the demo palsy's 4 mm mouth-corner droop at week 1, falling by a fifth a week to 0
    mc = table["rest_mouth_corner_left_minus_right_mm"].to_numpy()
    np.testing.assert_allclose(mc, -4.0 * np.array([1.0, 0.8, 0.6, 0.4, 0.2, 0.0]), atol=0.1)
    assert (table["rest_mouth_corner_noise_mm"] > 0).all()
    assert (table["rest_brow_left_minus_right_pct"].iloc[:3] < -5).all()


def test_pages_contact_sheet_and_summary(recovering):
    page = parse(recovering / "progress.html")
    imgs = [a for tag, a in page.tags if tag == "img"]
    strips = [a["data-task"] for a in imgs if a.get("class") == "strip"]
    # six tests: five on a line, the sixth on the next
    assert strips == [t for t in ("rest", "eye_closure_gentle", "brow_raise", "smile", "pucker", "show_teeth",
                                  "cheek_puff") for _ in range(2)]
    alts = {a["alt"] for a in imgs}
    assert {"resting asymmetry over the weeks", "synkinesis indices against days since onset"} <= alts
    assert all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    sheet_path = recovering / "contact_sheet.png"
    assert stat.S_IMODE(sheet_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((recovering / "progress-summary.html").stat().st_mode) == 0o600
    sheet = cv2.imread(str(sheet_path))
    assert sheet.shape[0] > 7 * TILE[1] and sheet.shape[1] > 6 * TILE[0]
    summary = (recovering / "progress-summary.html").read_text()
    assert "size:A4" in summary and "Smile across weeks" in summary and "P-014" in summary


def dots(size=(320, 240), eyes=((200.0, 100.0), (120.0, 110.0))) -> np.ndarray:
    img = np.full((size[1], size[0], 3), 200, np.uint8)
    for x, y in eyes:
        cv2.circle(img, (int(round(x)), int(round(y))), 3, (0, 0, 0), -1)
    return img


def test_contact_sheet_aligns_on_the_eyes(tmp_path):
    # the same face at two scales and angles: its eyes land on the tile's two eye points
    cases = [((200.0, 100.0), (120.0, 110.0)), ((150.0, 140.0), (60.0, 90.0))]
    tiles = []
    for k, eyes in enumerate(cases):
        path = tmp_path / f"k{k}.png"
        cv2.imwrite(str(path), dots(eyes=eyes))
        tiles.append(aligned_tile(Keyframe(path, np.array(eyes))))
    for tile in tiles:
        dark = tile.sum(axis=2) < 200
        n, _, _, centres = cv2.connectedComponentsWithStats(dark.astype(np.uint8))
        found = sorted(map(tuple, centres[1:]), reverse=True)      # the subject's left eye (larger x) first
        np.testing.assert_allclose(found, eye_points(), atol=1.0)
    assert contact_sheet([Column(("week 1", "day 60"), {})]) is None


def test_keyframes_outside_the_session_or_of_unknown_tasks_are_left_out(tmp_path):
    session = tmp_path / "s"
    (session / "keyframes").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "outside.png"), dots())
    cv2.imwrite(str(session / "keyframes" / "smile.png"), dots())
    eyes = [[200, 100], [120, 110]]
    (session / "keyframes.json").write_text(json.dumps({"tasks": {
        "smile": {"file": "keyframes/smile.png", "eyes_px": eyes},
        "pucker": {"file": "../outside.png", "eyes_px": eyes},
        "brow_raise": {"file": "keyframes/smile.png", "eyes_px": [[1, 2]]},
        "<script>": {"file": "keyframes/smile.png", "eyes_px": eyes}}}))
    found, problems = read_keyframes(session)
    assert list(found) == ["smile"] and len(problems) == 3
    (session / "keyframes.json").write_text("{")
    assert read_keyframes(session) == ({}, ["keyframes.json could not be read: its pictures are left out"])


def test_worsening_synkinesis_is_flagged_in_red():
    from datetime import datetime, timedelta, timezone

    from realtime.reports.recovery_view import build
    rows = []
    for k in range(8):
        ocular = 95.0 - 4.0 * max(0, k - 2) + (-0.5, 0.5)[k % 2]      # falling 4 points a week from week 4
        sides = {"left": {"ocular_corrected": ocular, "oral": 0.1, "brow": 0.05, "chin": None},
                 "right": {"ocular_corrected": 99.0, "oral": 0.05, "brow": 0.04, "chin": None}}
        rows.append({"days_since_onset": 210 + 7 * k, "date": datetime(2026, 1, 1, tzinfo=timezone.utc)
                     + timedelta(days=7 * k), "asymmetry": {}, "movement": {}, "affected": "left",
                     "indices": sides, "keyframes": {}})
    view = build(rows)
    alert = [m for m in view.messages if m.kind == "worsening"]
    assert view.worsening_week in (7, 8) and alert and alert[0].alert
    assert "ocular index down" in alert[0].text and view.onset_figure.startswith("data:image/png;base64,")
    assert any(m.kind == "phase" and "fastest worsening phase" in m.text for m in view.messages)
    assert build(rows[:6]).worsening_week is None


def _texture_rows(platysma: list[float]) -> list[dict]:
    """Weekly rows of a left palsy whose other indices stay flat and whose left platysma index
    (neck bands, fraction of the rest texture contrast) is ``platysma`` week by week."""
    from datetime import datetime, timedelta, timezone
    rows = []
    for k, neck in enumerate(platysma):
        wobble = (-0.5, 0.5)[k % 2]
        sides = {"left": {"ocular_corrected": 95.0 + wobble, "oral": 0.1, "brow": 0.05, "chin": None,
                          "mentalis": 0.02 + wobble / 100, "platysma": neck},
                 "right": {"ocular_corrected": 99.0, "oral": 0.05, "brow": 0.04, "chin": None,
                           "mentalis": 0.01, "platysma": 0.01}}
        rows.append({"days_since_onset": 210 + 7 * k, "date": datetime(2026, 1, 1, tzinfo=timezone.utc)
                     + timedelta(days=7 * k), "asymmetry": {}, "movement": {}, "affected": "left",
                     "indices": sides, "keyframes": {}})
    return rows


def test_neck_bands_worsening_week_by_week_is_told():
    """Neck bands on the affected side rising 0.1 of the rest texture contrast every week
    (1.02x, 1.12x, 1.22x, ... rest; a straight line): the trend is found at the first test with
    enough tests in its window (week 4: p 0, a rise of 0.3 over the window) and reported at the
    next (two in a row), named with its size in words. Rising 0.015 a week, the whole window
    (6 tests, 5 weeks) rises 0.075, under the 0.10 a texture index must rise (the smallest
    visible change of the skin): no trend however clean the line, nor on a flat series."""
    from realtime.clinical.recovery import MIN_WINDOW_TESTS
    from realtime.reports.recovery_view import TREND_INDICES, build
    from realtime.signals.coactivation import min_amplitude
    assert TREND_INDICES["platysma"][2] == min_amplitude("neck_bands") == 0.10 and MIN_WINDOW_TESTS == 4
    view = build(_texture_rows([0.02 + 0.1 * k for k in range(8)]))
    alert = [m for m in view.messages if m.kind == "worsening"]
    assert view.worsening_week == 5 and alert and alert[0].alert, view.messages
    assert "neck bands (platysma) up 0.50× the skin's texture contrast at rest" in alert[0].text, alert[0].text
    assert "ocular" not in alert[0].text and "chin dimpling" not in alert[0].text
    assert build(_texture_rows([0.02 + 0.015 * k for k in range(8)])).worsening_week is None
    assert build(_texture_rows([0.02] * 8)).worsening_week is None
