"""Reading a report page back: its resource references, its SVG charts, its table rows."""

from __future__ import annotations

import re
from html.parser import HTMLParser

RESOURCE_ATTRIBUTES = {
    *("src", "href", "xlink:href", "action", "formaction", "poster", "data"),
    *("srcset", "background", "manifest", "ping", "cite", "longdesc"),
}
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]?([^'\";]+)", re.I)


class Page(HTMLParser):
    """Every resource a page would load, and what it holds (charts, rows, titles)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[str] = []
        self.tags: list[str] = []
        self.titles: list[str] = []
        self.rows = 0
        self._stack: list[str] = []
        self._in_style = False
        self._in_findings = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._stack.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in RESOURCE_ATTRIBUTES:
                self.references.append(value)
            if name == "style":
                self.references += css_urls(value)
            if tag == "meta" and name == "content" and "url=" in value.lower():
                self.references.append(value)
        if tag == "table" and ("class", "findings") in attrs:
            self._in_findings = True
        if tag == "tr" and self._in_findings and "tbody" in self._stack:
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_findings = False
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.references += css_urls(data)
        if self._stack and self._stack[-1] == "title" and "svg" in self._stack:
            self.titles.append(data)


def css_urls(text: str) -> list[str]:
    """`url(...)` and `@import` targets in CSS."""
    return [a or b for a, b in _CSS_URL.findall(text)]


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def external(reference: str) -> bool:
    """Whether loading this reference would leave the file: anything but `#id` and `data:`."""
    ref = reference.strip().lower()
    return not (ref.startswith("#") or ref.startswith("data:"))
