"""Markup → canonical plain text.

Markdown is parsed with markdown-it-py (a CommonMark parser) rather than regexes, so that
emphasis, escapes (``\\*``), headings, autolinks and rules are removed the way a renderer
would; HTML is read with BeautifulSoup. The result keeps the block structure that
segmentation needs: one block per paragraph, heading or list, separated by a blank line;
list items and hard line breaks on lines of their own.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdown_it.token import Token

_MD = MarkdownIt("commonmark")

_INLINE_DROP = {
    "strong_open", "strong_close", "em_open", "em_close", "link_open", "link_close",
    "s_open", "s_close",
}


def _render_inline(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
        elif child.type in _INLINE_DROP:
            continue
        else:  # unknown inline token: keep its text rather than lose content
            parts.append(child.content)
    return "".join(parts)


def markdown_to_text(source: str) -> str:
    """Render markdown to plain text blocks (markup removed, structure kept)."""
    blocks: list[tuple[str, bool]] = []  # (text, is_list_item)
    list_stack: list[list] = []  # per open list: [ordered, next_number]
    item_prefix: str | None = None
    for token in _MD.parse(source):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1)
            list_stack.append([token.type == "ordered_list_open", start])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif token.type == "list_item_open":
            ordered, number = list_stack[-1]
            if ordered:
                item_prefix = f"{token.info or number}{token.markup or '.'} "
                list_stack[-1][1] = number + 1
            else:
                item_prefix = "- "
        elif token.type == "inline":
            text = _render_inline(token).strip()
            if not text:
                continue
            if item_prefix is not None:
                blocks.append((item_prefix + text, True))
                item_prefix = None
            else:
                blocks.append((text, bool(list_stack)))
        elif token.type in ("fence", "code_block"):
            blocks.append((token.content.strip("\n"), False))
        elif token.type == "html_block":
            text = html_to_text(token.content)
            if text:
                blocks.append((text, False))
    return _join_blocks(blocks)


def _join_blocks(blocks: list[tuple[str, bool]]) -> str:
    out: list[str] = []
    previous_was_item = False
    for text, is_item in blocks:
        if out:
            out.append("\n" if (is_item and previous_was_item) else "\n\n")
        out.append(text)
        previous_was_item = is_item
    return "".join(out)


_BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "li", "tr", "table", "ul", "ol", "dl", "dt", "dd", "br", "hr", "pre", "blockquote",
}


def html_to_text(source: str) -> str:
    """Visible text of an HTML page, one block per block-level element."""
    soup = BeautifulSoup(source, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        if tag.name == "br":
            tag.replace_with("\n")
        elif tag.name in ("li", "dt", "dd", "tr"):
            tag.insert_before("\n")
        else:
            tag.insert_before("\n\n")
            tag.insert_after("\n\n")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" ")
    return soup.get_text()


_MARKDOWN_SIGNALS = re.compile(r"^(#{1,6} |\*\*|---\s*$)|\\[*_#]|\*\*[^*\n]+\*\*", re.M)


def looks_like_markdown(text: str) -> bool:
    """Heuristic for ``.txt`` files that are really markdown (PDF converters emit it)."""
    return len(_MARKDOWN_SIGNALS.findall(text)) >= 3
