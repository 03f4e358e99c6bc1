"""Markdown for content (lessons, scenario briefs): CommonMark plus tables, callouts written
as ``> [!NOTE]`` blockquotes, and syntax highlighting for JSON and HL7 v2 done here with a
few regular expressions, so no highlighter dependency and no JavaScript is needed. Raw HTML
in the source is escaped, never passed through."""

from __future__ import annotations

import html
import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

CALLOUTS = {"NOTE": "Note", "TIP": "Tip", "WARNING": "Warning", "IMPORTANT": "Important"}
_CALLOUT = re.compile(r"^\[!(NOTE|TIP|WARNING|IMPORTANT)\]\s*")
_JSON_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*")(?=\s*:)|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<kw>\btrue\b|\bfalse\b|\bnull\b)"
)


def highlight_json(code: str) -> str:
    out, last = [], 0
    for m in _JSON_TOKEN.finditer(code):
        out.append(html.escape(code[last : m.start()]))
        kind = m.lastgroup or "str"
        out.append(f'<span class="tok-{kind}">{html.escape(m.group())}</span>')
        last = m.end()
    out.append(html.escape(code[last:]))
    return "".join(out)


def highlight_hl7(code: str) -> str:
    lines = []
    for line in code.splitlines():
        segment, sep, rest = line.partition("|")
        if not (len(segment) == 3 and segment.isalnum() and sep):
            lines.append(html.escape(line))
            continue
        if segment == "MSH":  # MSH-1 is the field separator itself; MSH-2 the encoding chars
            encoding, _, rest = rest.partition("|")
            head = (
                f'<span class="tok-seg">MSH</span><span class="tok-sep">|</span>'
                f'<span class="tok-enc">{html.escape(encoding)}</span>'
                f'<span class="tok-sep">|</span>'
            )
        else:
            head = f'<span class="tok-seg">{segment}</span><span class="tok-sep">|</span>'
        body = "".join(
            f'<span class="tok-sep">{html.escape(part)}</span>'
            if part in _HL7_SEPARATORS
            else html.escape(part)
            for part in re.split(r"([|^~&])", rest)
        )
        lines.append(head + body)
    return "\n".join(lines)


_HL7_SEPARATORS = frozenset("|^~&")
HIGHLIGHTERS = {"json": highlight_json, "hl7": highlight_hl7, "hl7v2": highlight_hl7}


def _highlight(code: str, lang: str, _attrs: Any) -> str:
    fn = HIGHLIGHTERS.get(lang.lower())
    return fn(code) if fn else ""


def _callouts(state: StateCore) -> None:
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "blockquote_open" or i + 2 >= len(tokens):
            continue
        inline = tokens[i + 2]
        if inline.type != "inline" or not inline.children:
            continue
        match = _CALLOUT.match(inline.content)
        if not match:
            continue
        kind = match.group(1)
        token.attrSet("class", f"callout callout-{kind.lower()}")
        token.attrSet("role", "note")
        first = inline.children[0]
        first.content = _CALLOUT.sub("", first.content)
        label = type(first)("html_inline", "", 0)
        label.content = f'<strong class="callout-label">{CALLOUTS[kind]}:</strong> '
        inline.children.insert(0, label)
        if (
            first.content == ""
            and len(inline.children) > 2
            and inline.children[2].type in ("softbreak", "hardbreak")
        ):
            del inline.children[2]


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable("table")
    md.core.ruler.push("callouts", _callouts)
    return md


_md = _renderer()


def render_markdown(text: str, rewrite_links: Any = None) -> Markup:
    """Render content Markdown; ``rewrite_links`` maps relative link targets to URLs."""
    env: dict[str, Any] = {}
    tokens = _md.parse(text or "", env)
    if rewrite_links is not None:
        for token in tokens:
            for child in token.children or []:
                for attr in ("href", "src"):
                    value = child.attrGet(attr)
                    if isinstance(value, str):
                        child.attrSet(attr, rewrite_links(value))
    return Markup(_md.renderer.render(tokens, _md.options, env))
