"""Turn an HTML email into readable plain text (card previews, the text part of a message).

Blocks become paragraphs, ``<br>`` a line break, list items ``- item`` or ``1. item``, links
``text (https://…)`` when the address is not already the text, table cells on one row are
joined with `` | ``. ``<head>``, ``<style>``, ``<script>`` and elements hidden with
``display:none`` (preheaders) are dropped. Lines are not wrapped: mail clients do that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
_SKIPPED = frozenset({"head", "style", "script", "title", "template", "noscript"})
_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "ul", "ol", "dl"}
)
_LINE = frozenset(
    {"div", "tr", "li", "section", "article", "header", "footer", "main", "center", "dt", "dd"}
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass
class _Open:
    tag: str
    hidden: bool


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[_Open] = []
        self._hidden = 0
        self._pre = 0
        self._quote = 0
        self._newlines = 0
        self._at_line_start = True
        self._prefix = ""
        self._cell_separator = False
        self._lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self._links: list[tuple[str, int]] = []  # (href, index into parts where text began)

    # --- output -----------------------------------------------------------------------

    def _break(self, newlines: int) -> None:
        self._newlines = max(self._newlines, newlines)
        self._cell_separator = False

    def _write(self, text: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            text = _SPACES.sub(" ", text)
            if self._at_line_start or self._newlines:
                text = text.lstrip(" ")
        if not text:
            return
        if self._newlines and self.parts:
            self.parts.append("\n" * self._newlines)
            self._at_line_start = True
        self._newlines = 0
        if self._at_line_start:
            self.parts.append("> " * self._quote + self._prefix)
            self._prefix = ""
        elif self._cell_separator:
            if self.parts:
                self.parts[-1] = self.parts[-1].rstrip(" ")
            self.parts.append(" | ")
        self._cell_separator = False
        self.parts.append(text)
        self._at_line_start = text.endswith("\n")

    # --- parser callbacks -------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in _VOID:
            hidden = tag in _SKIPPED or bool(_HIDDEN_STYLE.search(attributes.get("style") or ""))
            hidden = hidden or "hidden" in attributes
            self._stack.append(_Open(tag, hidden))
            self._hidden += hidden
        if self._hidden:
            return
        nested_list = tag in ("ul", "ol") and bool(self._lists)
        if tag in _PARAGRAPH:
            self._break(1 if nested_list else 2)
        elif tag in _LINE:
            self._break(1)
        self._open(tag, attributes)

    def _open(self, tag: str, attributes: dict[str, str | None]) -> None:
        if tag == "br":
            self._break(min(self._newlines + 1, 2))
        elif tag == "hr":
            self._write("-" * 40)
            self._break(2)
        elif tag == "img" and (attributes.get("alt") or "").strip():
            self._write(attributes["alt"] or "")
        elif tag in ("td", "th"):
            self._cell_separator = not self._at_line_start and not self._newlines
        elif tag in ("ul", "ol"):
            self._lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            indent = "  " * max(len(self._lists) - 1, 0)
            numbering = self._lists[-1] if self._lists else []
            if numbering:
                self._prefix = f"{indent}{numbering[0]}. "
                numbering[0] += 1
            else:
                self._prefix = f"{indent}- "
        elif tag == "a":
            self._links.append((attributes.get("href") or "", len(self.parts)))
        elif tag == "pre":
            self._pre += 1
        elif tag == "blockquote":
            self._quote += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(o.tag == tag for o in self._stack):
            return
        while self._stack:
            opened = self._stack.pop()
            inside_hidden = self._hidden > 0  # what handle_starttag saw: it did nothing then
            self._hidden -= opened.hidden
            if not inside_hidden:
                self._close(opened.tag)
            if opened.tag == tag:
                break

    def _close(self, tag: str) -> None:
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
            if self._lists:  # a nested list ends: back to the parent's items
                self._break(1)
                return
        elif tag == "pre":
            self._pre = max(self._pre - 1, 0)
        elif tag == "blockquote":
            self._quote = max(self._quote - 1, 0)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            self._link_target(href, "".join(self.parts[start:]))
        if tag in _PARAGRAPH:
            self._break(2)
        elif tag in _LINE:
            self._break(1)

    def _link_target(self, href: str, text: str) -> None:
        href = href.strip()
        target = href.removeprefix("mailto:")
        if not re.match(r"(?i)(https?:|mailto:)", href) or target in _SPACES.sub(" ", text):
            return
        self._write(f" ({target})")

    def handle_data(self, data: str) -> None:
        self._write(data)


def html_to_text(html: str) -> str:
    """A readable plain-text rendition of ``html`` (ends with one newline, or is empty)."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    lines = "".join(writer.parts).split("\n")
    text = "\n".join(line.rstrip() for line in lines)
    text = _BLANK_RUNS.sub("\n\n", text).strip("\n")
    return text + "\n" if text else ""
