"""A small, safe Markdown renderer for the project's own guides (data/README.md at /def/modelling).

It knows what the guides use: headings, paragraphs, bulleted lists (nested by indentation),
tables, `code`, **strong** and [links](...). Every character of the text is escaped; the only
markup is the one it writes, and a link's address is kept only when it is http(s) or relative.
"""

from __future__ import annotations

import re
from html import escape

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
BULLET = re.compile(r"^(\s*)[-*]\s+(.*)$")
TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
STRONG = re.compile(r"\*\*(.+?)\*\*")


def inline(text: str) -> str:
    """One line's text as HTML: code spans kept as written, the rest escaped then marked up."""
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if len(part) > 1 and part.startswith("`") and part.endswith("`"):
            out.append(f"<code>{escape(part[1:-1])}</code>")
            continue
        html = escape(part)
        html = STRONG.sub(r"<strong>\1</strong>", html)
        html = LINK.sub(link, html)
        out.append(html)
    return "".join(out)


def link(match: re.Match[str]) -> str:
    words, href = match.group(1), match.group(2)
    if re.match(r"^(https?://|/|#|[A-Za-z0-9_.-]+(/|$))", href) and not href.lower().startswith(
        ("javascript:", "data:")
    ):
        return f'<a href="{href}">{words}</a>'
    return words


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def render(text: str) -> str:
    """The Markdown text as HTML (a fragment to place inside a page's main element)."""
    lines = text.splitlines()
    out: list[str] = []
    paragraph: list[str] = []
    depth: list[int] = []  # the indentation of each open list
    i = 0

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph.clear()

    def close_lists(to: int = -1) -> None:
        while depth and depth[-1] > to:
            depth.pop()
            out.append("</li></ul>")

    while i < len(lines):
        line = lines[i]
        bullet = BULLET.match(line)
        if not line.strip():
            flush()
            i += 1
            continue
        if (heading := HEADING.match(line)) and not depth:
            flush()
            level = len(heading.group(1))
            words = heading.group(2).strip()
            anchor = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")
            anchor_attr = f' id="{anchor}"' if anchor else ""
            out.append(f"<h{level}{anchor_attr}>{inline(words)}</h{level}>")
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) and TABLE_RULE.match(lines[i + 1]):
            flush()
            close_lists()
            head = "".join(f'<th scope="col">{inline(c)}</th>' for c in cells(line))
            out.append(
                f'<div class="scroll"><table tabindex="0"><thead><tr>{head}</tr></thead><tbody>'
            )
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                row = "".join(f"<td>{inline(c)}</td>" for c in cells(lines[i]))
                out.append(f"<tr>{row}</tr>")
                i += 1
            out.append("</tbody></table></div>")
            continue
        if bullet:
            flush()
            indent = len(bullet.group(1))
            if not depth or indent > depth[-1]:
                depth.append(indent)
                out.append("<ul><li>")
            else:
                close_lists(indent)
                out.append("</li><li>")
            out.append(inline(bullet.group(2)))
            i += 1
            continue
        if depth and line.startswith(" "):
            out.append(" " + inline(line.strip()))  # a list item's continued line
            i += 1
            continue
        close_lists()
        paragraph.append(line.strip())
        i += 1
    flush()
    close_lists()
    return "\n".join(out) + "\n"
