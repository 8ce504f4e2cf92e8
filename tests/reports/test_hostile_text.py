"""Text from the session files is data, never markup: hostile strings in every string field of
session.json, assessment.json, summary.json, timeline.json and events.csv, and in folder names,
reach the report and progress pages escaped."""

from __future__ import annotations

import itertools
import json
import re

from realtime.cli import main
from realtime.clinical.assessment import estimate_noise, save_timeline, score_assessment
from realtime.signals.coactivation import analyse
from tests.reports.pages import parse
from tests.reports.synthetic import (
    FPS,
    SMILE_W,
    SMILES_S,
    full_rate_times,
    signals_at,
    write_session,
)

HOSTILE = ["<script>alert(1)</script>", "'\" onmouseover=x a='", "\" onerror=alert(2) \"",
           "</td></tr></table><script>alert(3)</script>", "<img src=x onerror=alert(4)>",
           "$\\frac{x}{$ & &amp; &lt;b&gt;"]
HOSTILE_KEY = "<script>alert('key')</script>"
# Attributes the templates write; anything else on a page was smuggled in.
# title: a tooltip, plain text (autoescaped like every value: a quote in the data cannot end it)
ALLOWED_ATTRS = {"lang", "charset", "class", "alt", "src", "colspan", "rowspan", "title"}


def poison(obj, strings):
    """Every string value replaced by the next hostile string; every object gains a hostile key
    and every list a hostile item. Numbers and true/false stay: the structure still reads."""
    if isinstance(obj, str):
        return next(strings)
    if isinstance(obj, dict):
        out = {k: poison(v, strings) for k, v in obj.items()}
        out[HOSTILE_KEY] = next(strings)
        return out
    if isinstance(obj, list):
        return [poison(v, strings) for v in obj] + [next(strings)]
    return obj


def hostile_timeline():
    """Rest, the smiles as open-smile holds, and two holds under hostile task names."""
    tl = [{"task": "rest", "rep": 1, "start_s": 0.0, "end_s": 2.5, "phase": "hold"}]
    tl += [{"task": "smile_open", "rep": i + 1, "start_s": s + 0.6, "end_s": s + SMILE_W - 0.6, "phase": "hold"}
           for i, s in enumerate(SMILES_S)]
    tl += [{"task": HOSTILE[0], "rep": 1, "start_s": 36.0, "end_s": 37.5, "phase": "hold"},
           {"task": HOSTILE[1], "rep": 1, "start_s": 38.0, "end_s": 39.5, "phase": "hold"}]
    return tl


def hostile_session(folder):
    strings = itertools.cycle(HOSTILE)
    t = full_rate_times()
    sig = signals_at(t)
    meta = {"subject_id": HOSTILE[0], "days_since_onset": 90, "start": HOSTILE[1],
            "software": {"name": HOSTILE[2], "version": HOSTILE[3], HOSTILE_KEY: HOSTILE[4]},
            "note": HOSTILE[5]}
    events = [(4.0, 5.0, HOSTILE[0], HOSTILE[1], HOSTILE[2], 0.3), (10.0, 11.0, "smile", "eye_closure", HOSTILE[4], 0.2)]
    write_session(folder, t, sig, meta=meta, events=events)
    session = json.loads((folder / "session.json").read_text())
    (folder / "session.json").write_text(json.dumps(poison(session, strings)))
    timeline = hostile_timeline()
    save_timeline(timeline, folder / "timeline.json")
    noise = estimate_noise(t, sig, (0, 2))
    scores = score_assessment(t, sig, timeline, fps=FPS, noise=noise)
    scores["task_coactivation"][HOSTILE_KEY] = scores["task_coactivation"].get("smile_open", [])
    (folder / "assessment.json").write_text(json.dumps(poison(scores, strings)))
    couplings = [c.to_json() for c in analyse(sig, FPS, noise)[0]]
    summary = {"video": HOSTILE[3], "frames": len(t), "fps": FPS, "analysed": HOSTILE[4],
               "software": HOSTILE[5], "coactivation": couplings}
    (folder / "summary.json").write_text(json.dumps(poison(summary, strings)))


def assert_no_markup_from_data(path):
    text = path.read_text(encoding="utf-8")
    page = parse(path)
    assert not re.search(r"<\s*script", text, re.IGNORECASE), "a live <script> tag"
    for tag, attrs in page.tags:
        assert tag != "script"
        for name in attrs:
            assert name in ALLOWED_ATTRS or name.startswith("data-"), (tag, name)
        if "src" in attrs:
            assert attrs["src"].startswith("data:image/png;base64,"), (tag, attrs["src"][:40])
    return text


def test_hostile_strings_are_escaped_on_the_report(tmp_path):
    folder = tmp_path / "<img src=x onerror=alert(5)>"
    folder.mkdir()
    hostile_session(folder / "s")
    assert main(["report", str(folder / "s")]) == 0
    text = assert_no_markup_from_data(folder / "s" / "report.html")
    # they are on the page, as text: the test saw them go through
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&#39;&#34; onmouseover=x a=&#39;" in text
    page = parse(folder / "s" / "report.html")
    narrowing_tasks = {c["attrs"]["data-narrowing"] for c in page.cells if "data-narrowing" in c["attrs"]}
    assert set(HOSTILE) & narrowing_tasks, "hostile task names from assessment.json on the page"


def test_hostile_strings_are_escaped_on_the_progress_page(tmp_path):
    patient = tmp_path / "patient"
    patient.mkdir()
    for name in ("<img src=x onerror=alert(6)>", "'\" onmouseover=x"):
        hostile_session(patient / name)
    broken = patient / "<script>alert(7)<"
    broken.mkdir()
    (broken / "session.json").write_text(json.dumps([HOSTILE[0]]))
    assert main(["progress", str(patient)]) == 0
    text = assert_no_markup_from_data(patient / "progress.html")
    assert "data-session='&lt;img src=x onerror=alert(6)&gt;'" in text
    assert "data-session='&#39;&#34; onmouseover=x'" in text
    assert "data-skipped='&lt;script&gt;alert(7)&lt;'" in text
    statuses = [c["text"] for c in parse(patient / "progress.html").cells if c["attrs"].get("data-col") == "status"]
    assert len(statuses) == 2 and all(s in HOSTILE for s in statuses)   # session.json's (poisoned) status
