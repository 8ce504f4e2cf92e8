"""Reading the pages back in tests: cells by their data-* attributes, every tag and attribute."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects tags with src/href, every start tag with its attributes and cells with
    data-* attributes."""

    def __init__(self):
        super().__init__()
        self.links, self.cells, self._cell = [], [], None
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        for k in ("src", "href"):
            if k in a:
                self.links.append((tag, a[k]))
        if tag == "td" and any(k.startswith("data-") for k in a):
            self._cell = {"attrs": a, "text": ""}

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None

    def cell(self, **attrs) -> str:
        hits = [c["text"].strip() for c in self.cells
                if all(c["attrs"].get(f"data-{k}") == v for k, v in attrs.items())]
        assert len(hits) == 1, (attrs, hits)
        return hits[0]


def parse(path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def assert_self_contained(page: Page):
    assert page.links, "expected embedded figures"
    for tag, url in page.links:
        assert url.startswith(("data:image/png;base64,", "#")), (tag, url[:60])
