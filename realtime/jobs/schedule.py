"""When the weekly test was last done and when the next one is due; a weekly calendar event.

A weekly test is a session folder whose ``session.json`` says ``"protocol": "weekly"`` and
``"status": "complete"`` (an interrupted test is not a test done). Dates are the user's local
calendar dates; ``session.json`` keeps UTC times.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from realtime.clinical.weekly import INTERVAL_DAYS, PROTOCOL
from realtime.files import atomic_write_text

CALENDAR_SUMMARY = "Synkinesis weekly test"
CALENDAR_DESCRIPTION = ("About 90 seconds: run 'python run.py weekly-test', or press Weekly test in the "
                        "live window. Same place, light and distance as last week.")
EVENT_MINUTES = 15


@dataclass(frozen=True)
class WeeklyTest:
    folder: Path
    started: datetime          # timezone-aware


def weekly_tests(sessions: str | Path) -> list[WeeklyTest]:
    """The complete weekly tests among the session folders directly inside ``sessions``,
    oldest first. Folders that cannot be read are skipped (this is a reminder, not a report)."""
    root = Path(sessions).expanduser()
    out = []
    try:
        folders = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return []
    for folder in folders:
        try:
            meta = json.loads((folder / "session.json").read_text(encoding="utf-8"))
            started = datetime.fromisoformat(meta["started"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not isinstance(meta, dict) or meta.get("protocol") != PROTOCOL or meta.get("status") != "complete":
            continue
        out.append(WeeklyTest(folder, started if started.tzinfo else started.replace(tzinfo=timezone.utc)))
    return sorted(out, key=lambda w: w.started)


def last_weekly_test(sessions: str | Path) -> WeeklyTest | None:
    tests = weekly_tests(sessions)
    return tests[-1] if tests else None


def local_date(when: datetime) -> date:
    return when.astimezone().date()


def next_due(last: datetime) -> date:
    """The local date the next weekly test is due after one started at ``last``."""
    return local_date(last) + timedelta(days=INTERVAL_DAYS)


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def due_text(due: date, today: date) -> str:
    """'2026-12-14 (in 3 days)', '... (today)', '... (2 days overdue)'."""
    left = (due - today).days
    when = "today" if left == 0 else (f"in {_days(left)}" if left > 0 else f"{_days(-left)} overdue")
    return f"{due.isoformat()} ({when})"


def schedule_line(sessions: str | Path, today: date | None = None) -> str:
    """The line the live window and weekly-test show at start."""
    today = today or date.today()
    last = last_weekly_test(sessions)
    if last is None:
        return "No weekly test yet (about 90 s: Weekly test in the live window, or run.py weekly-test)."
    day = local_date(last.started)
    ago = (today - day).days
    ago_text = "today" if ago == 0 else f"{_days(ago)} ago"
    return f"Last weekly test: {day.isoformat()} ({ago_text}) — next due {due_text(next_due(last.started), today)}."


# ---------------------------------------------------------------- calendar (RFC 5545)

def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue on lines starting with a space."""
    data, out = line.encode("utf-8"), []
    while len(data) > (75 if not out else 74):    # a continuation's leading space counts
        cut = 75 if not out else 74
        while cut > 0 and (data[cut] & 0xC0) == 0x80:     # never split a UTF-8 character
            cut -= 1
        out.append(data[:cut])
        data = data[cut:]
    out.append(data)
    return "\r\n ".join(part.decode("utf-8") for part in out)


def weekly_ics(first: datetime, *, uid_seed: str = "", now: datetime | None = None) -> str:
    """A calendar with one event repeating every week from ``first`` (local wall time, written
    as floating time so it stays at that hour in the user's zone), ``EVENT_MINUTES`` long."""
    now = now or datetime.now(timezone.utc)
    start = first.replace(second=0, microsecond=0, tzinfo=None)
    uid = hashlib.sha256(f"synkinesis weekly test {uid_seed}".encode()).hexdigest()[:20]
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Synkinesis//Weekly test//EN", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}@synkinesis.invalid",
        f"DTSTAMP:{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}",
        f"DTSTART:{start:%Y%m%dT%H%M%S}",
        f"DURATION:PT{EVENT_MINUTES}M",
        f"RRULE:FREQ=WEEKLY;INTERVAL={INTERVAL_DAYS // 7}",
        f"SUMMARY:{_escape(CALENDAR_SUMMARY)}",
        f"DESCRIPTION:{_escape(CALENDAR_DESCRIPTION)}",
        "BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{_escape(CALENDAR_SUMMARY)}", "TRIGGER:PT0M", "END:VALARM",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)


def write_calendar(path: str | Path, last: datetime, *, uid_seed: str = "") -> datetime:
    """Write ``path`` (.ics): the weekly test every week from the next due date, at the local
    hour the last test started (to the quarter hour). Returns the first event's start."""
    local = last.astimezone()
    day = next_due(last)
    first = datetime(day.year, day.month, day.day, local.hour, local.minute // 15 * 15)
    atomic_write_text(path, weekly_ics(first, uid_seed=uid_seed))
    return first


def check_calendar_path(path: str | Path) -> Path:
    """Before any work: an .ics name in a folder that exists."""
    p = Path(path).expanduser()
    if p.suffix.lower() != ".ics":
        raise ValueError(f"--calendar {path}: use a file name ending in .ics")
    if not p.parent.is_dir():
        raise OSError(f"--calendar {path}: folder {p.parent} does not exist")
    if p.is_dir():
        raise OSError(f"--calendar {path} is a folder: give a file name ending in .ics")
    return p
