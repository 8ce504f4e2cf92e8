"""HTML pages from the Jinja2 templates in ``templates/``, with every value escaped.

Autoescaping is on for every template, whatever its name: text from the session files (task
names, subject codes, notes, file names) is data and must never become markup. Nothing is
marked safe; numbers reach the templates already formatted as text.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment() -> Environment:
    # StrictUndefined: a misspelt field fails the test suite instead of leaving a blank cell.
    return Environment(loader=PackageLoader("realtime.reports", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
