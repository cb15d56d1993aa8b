"""Canonical text: whitespace normalisation and removal of running page headers.

The canonical text is what the API serves and what every offset points into, so all
cleaning happens here, once, before segmentation.
"""
from __future__ import annotations

import re
from collections import Counter

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_PAGE_NUMBER = re.compile(r"^(-\s*\d{1,4}\s*-|Seite \d{1,4}( von \d{1,4})?|\d{1,4})$")
_SENTENCE_END = re.compile(r"[.!?:;“”\"»«)]$")


def normalise_whitespace(text: str) -> str:
    """One space between words, lines stripped, at most one blank line between blocks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _is_running_header(block: str, count: int) -> bool:
    if _PAGE_NUMBER.match(block):
        return True
    # Short repeated labels ("Sitzung: öffentlich") are structure, not page furniture.
    return count >= 2 and 25 <= len(block) <= 300 and not _SENTENCE_END.search(block)


def remove_running_headers(text: str) -> str:
    """Drop page headers/footers that a PDF conversion repeats inside the text.

    A block (paragraph) that occurs at least twice verbatim, is short and does not end like
    a sentence, is a running header; so is a bare page number ("- 2 -"). When a header
    interrupted a sentence ("… Zum Aufbau des" / header / "Case Managements sind …"), the
    two halves are joined again with a space.
    """
    blocks = text.split("\n\n")
    counts = Counter(blocks)
    kept: list[str] = []
    joined_after_header = False
    for block in blocks:
        if _is_running_header(block, counts[block]):
            joined_after_header = bool(kept) and not _SENTENCE_END.search(kept[-1]) and len(kept[-1]) > 80
            continue
        if joined_after_header:
            kept[-1] = kept[-1] + " " + block
        else:
            kept.append(block)
        joined_after_header = False
    return "\n\n".join(kept)


def canonical_text(text: str) -> str:
    return remove_running_headers(normalise_whitespace(text))
