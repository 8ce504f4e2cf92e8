"""Who a recording is of, as the program accepts it: a pseudonymous subject code (never a name)
and whole days since onset. One rule for the command line and the batch manifest."""

from __future__ import annotations

import re

SUBJECT_CODE = re.compile(r"[A-Za-z0-9._-]{1,64}")
SUBJECT_RULE = "a pseudonymous code of letters, digits, . _ - (up to 64), never a name"
SIDES_GIVEN = ("left", "right")   # the subject's own affected side, as a manifest may give it


def subject_code(text: str) -> str:
    """``text`` if it is a pseudonymous code; ValueError otherwise."""
    if not SUBJECT_CODE.fullmatch(text):
        raise ValueError(f"use {SUBJECT_RULE}")
    return text


def days_since_onset(text: str) -> int:
    """Whole days since onset, 0 or more; ValueError otherwise."""
    try:
        v = int(text)
    except ValueError:
        raise ValueError("a whole number of days") from None
    if v < 0:
        raise ValueError("must be 0 or more")
    return v
