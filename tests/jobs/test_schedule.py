"""When the last weekly test was and the next is due, from session folders; the weekly .ics."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from dateutil.rrule import rrulestr

from realtime.jobs.schedule import (
    last_weekly_test,
    schedule_line,
    weekly_ics,
    weekly_tests,
    write_calendar,
)


def session(root, name, started, **meta):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "session.json").write_text(json.dumps({"started": started, **meta}))
    return folder


def test_the_last_complete_weekly_test_counts(tmp_path):
    root = tmp_path / "sessions"
    assert schedule_line(root).startswith("No weekly test yet")           # no folder at all
    session(root, "a", "2026-11-20T12:00:00+00:00", protocol="weekly", status="complete")
    b = session(root, "b", "2026-11-27T12:00:00+00:00", protocol="weekly", status="complete")
    session(root, "c", "2026-11-29T12:00:00+00:00", protocol="weekly", status="interrupted")
    session(root, "d", "2026-11-30T12:00:00+00:00", status="complete")   # a plain recording
    (root / "e").mkdir()
    (root / "e" / "session.json").write_text("{not json")
    (root / "notes.txt").write_text("x")
    assert [w.folder.name for w in weekly_tests(root)] == ["a", "b"]
    assert last_weekly_test(root).folder == b
    assert schedule_line(root, today=date(2026, 11, 30)) == \
        "Last weekly test: 2026-11-27 (3 days ago) — next due 2026-12-04 (in 4 days)."
    assert schedule_line(root, today=date(2026, 12, 4)).endswith("next due 2026-12-04 (today).")
    assert schedule_line(root, today=date(2026, 12, 6)).endswith("next due 2026-12-04 (2 days overdue).")
    assert "(1 day ago)" in schedule_line(root, today=date(2026, 11, 28))


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def first_fields(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in filter(None, lines):
        name, _, value = line.partition(":")
        out.setdefault(name, value)
    return out


def test_weekly_ics_follows_rfc5545(tmp_path):
    text = weekly_ics(datetime(2026, 12, 4, 18, 30), uid_seed="x",
                      now=datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc))
    raw = text.encode("utf-8").split(b"\r\n")
    assert raw[-1] == b"" and all(len(line) <= 75 for line in raw)     # CRLF, folded at 75 octets
    lines = unfold(text)
    fields = first_fields(lines)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and fields["VERSION"] == "2.0"
    assert fields["DTSTART"] == "20261204T183000" and fields["DTSTAMP"] == "20261127T120000Z"
    assert fields["RRULE"] == "FREQ=WEEKLY;INTERVAL=1" and fields["UID"] and fields["PRODID"]
    assert "run.py weekly-test'\\, or" in fields["DESCRIPTION"]          # commas escaped
    rule = rrulestr(fields["RRULE"], dtstart=datetime.strptime(fields["DTSTART"], "%Y%m%dT%H%M%S"))
    assert [d.date() for d in rule[:3]] == [date(2026, 12, 4), date(2026, 12, 11), date(2026, 12, 18)]
    assert weekly_ics(datetime(2026, 12, 4, 18, 30), uid_seed="x").count("UID:") == 1
    again = first_fields(unfold(weekly_ics(datetime(2027, 1, 1, 9, 0), uid_seed="x")))
    assert again["UID"] == fields["UID"]                                 # the same event, rewritten

    # From a test's start: the next due date, at that local time to the quarter hour.
    last = datetime(2026, 11, 27, 18, 41, tzinfo=timezone.utc)
    first = write_calendar(tmp_path / "w.ics", last)
    local = last.astimezone()
    assert first.date() == local.date() + timedelta(days=7)
    assert (first.hour, first.minute) == (local.hour, local.minute // 15 * 15)
    assert f"DTSTART:{first:%Y%m%dT%H%M%S}" in (tmp_path / "w.ics").read_bytes().decode()
