"""PDF → canonical text with page offsets.

The text layer is read with **pypdf**, page by page, in its layout mode (which keeps the
vertical gaps between paragraphs as blank lines, so that segmentation sees "Tagesordnungspunkt
1:" as a block of its own; the plain mode is the fallback when layout extraction fails).
Then, per page:

- lines are whitespace-normalised (as ``index.clean`` does) and ligatures (ﬁ, ﬂ …) spelled out;
- running headers and footers are removed: lines at the top or bottom edge of a page (at most
  three each) whose digit-normalised form occurs at an edge of most pages ("Niederschrift über
  die 6. Sitzung … – Seite # von #"), and bare page-number lines there ("- 2 -", "Seite 2",
  "2"); removal peels from the edge inwards and stops at the first line that is neither, so a
  signature or a name list near the bottom stays;
- line-break hyphenation is joined across lines and page breaks: "Kombilösungsbaustel-" /
  "le" → "Kombilösungsbaustelle"; a hyphen before an uppercase continuation is a compound's
  own hyphen and stays ("Case-Management-" / "Stellen" → "Case-Management-Stellen"); before
  "und", "oder" … it is a suspended compound ("Kinder-" / "und Jugendhilfe") and the line
  break stays.

Pages are joined with a blank line, or with a single newline when the previous page ends in
the middle of a sentence. ``PdfText.pages`` lists ``(page_number, start_offset)`` into the
canonical text (1-based page numbers, sorted by offset); ``page_of`` maps an offset back.
"""
from __future__ import annotations

import bisect
import io
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from index.clean import _INVISIBLE, _PAGE_NUMBER, _SPACES
from index.records import Document

log = logging.getLogger(__name__)

NO_TEXT_LAYER = "the PDF has no text layer (scanned PDF?); run OCR first"

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st",
                            "ﬆ": "st"})
_EDGE_LINES = 3  # lines at the top and at the bottom of a page that may be headers/footers
_SOFT_HYPHEN = "\u00ad"
_HYPHENS = ("-", "\u2010", "\u2011")  # not the dashes "–" / "—": those are punctuation
_WORD_HYPHEN_END = re.compile(r"[^\W\d_]-$|[^\W\d_][\u2010\u2011]$")
# "Kinder-" / "und Jugendhilfe": the hyphen stands for a left-out part of the compound
_SUSPENDED_NEXT = {"und", "oder", "bzw.", "bzw", "sowie", "bis", "als", "wie", "noch", "u.",
                   "&"}
# structure lines that segmentation needs, never page furniture even when repeated at an edge
_STRUCTURE = re.compile(r"^(Tagesordnungspunkt|TOP|Sitzung:|Beschluss|Anwesend|Tagesordnung)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?:;“”\"»«)]$")


class PdfError(ValueError):
    """A PDF that cannot be read into text; the message says why."""


@dataclass(frozen=True)
class PdfText:
    text: str
    pages: tuple[tuple[int, int], ...]  # (1-based page number, start offset in text)


# ----------------------------------------------------------------------------- reading


def _page_texts(raw: bytes) -> list[str]:
    from pypdf import PdfReader  # imported lazily: only PDF ingestion needs it

    if not raw:
        raise PdfError("corrupt or truncated PDF (the file is empty)")
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - pypdf raises many types
                raise PdfError(f"the PDF is encrypted and cannot be opened ({exc})") from exc
            if not unlocked:
                raise PdfError("the PDF is encrypted with a password")
        pages = list(reader.pages)
    except PdfError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf's errors are not one hierarchy
        raise PdfError(f"corrupt or truncated PDF ({type(exc).__name__}: {exc})") from exc
    texts = []
    for number, page in enumerate(pages, 1):
        try:
            text = page.extract_text(extraction_mode="layout")
        except Exception:  # noqa: BLE001 - layout mode is stricter; plain mode may still work
            try:
                text = page.extract_text()
            except Exception as exc:  # noqa: BLE001
                raise PdfError(f"page {number}: text extraction failed "
                               f"({type(exc).__name__}: {exc})") from exc
        texts.append(text or "")
    return texts


def _normalise_line(line: str) -> str:
    """Whitespace as ``index.clean`` normalises it; a soft hyphen is kept only at the end."""
    line = unicodedata.normalize("NFC", line).translate(_LIGATURES)
    line = _SPACES.sub(" ", line).strip()
    soft = line.endswith(_SOFT_HYPHEN)
    line = _INVISIBLE.sub("", line).rstrip()
    return line + _SOFT_HYPHEN if soft and line else line


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.casefold())


def _edge_indices(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line]
    return sorted(set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:]))


def _remove_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers/footers and page numbers at the edges of each page."""
    threshold = max(2, len(pages) // 2 + 1)
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_furniture_key(lines[i]) for i in _edge_indices(lines)})
    repeated = {key for key, count in counts.items() if count >= threshold} if len(pages) >= 2 else set()

    def is_furniture(line: str) -> bool:
        if _STRUCTURE.match(line):
            return False
        return bool(_PAGE_NUMBER.match(line)) or _furniture_key(line) in repeated

    cleaned = []
    for lines in pages:
        filled = [i for i, line in enumerate(lines) if line]
        drop: set[int] = set()
        for order in (filled, filled[::-1]):  # from the top down, then from the bottom up
            for i in order[:_EDGE_LINES]:
                if i in drop or not is_furniture(lines[i]):
                    break
                drop.add(i)
        cleaned.append([line for i, line in enumerate(lines) if i not in drop])
    return cleaned


def _tidy(lines: list[str]) -> list[str]:
    """No blank lines at the ends, at most one in a row."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _join_hyphenation(pages: list[list[str]]) -> None:
    """Join words broken at a line end (also across a page break), in place."""
    flat = [(p, i) for p, lines in enumerate(pages) for i in range(len(lines))]
    for n, (p, i) in enumerate(flat[:-1]):
        line = pages[p][i]
        soft = line.endswith(_SOFT_HYPHEN)
        if not (soft or _WORD_HYPHEN_END.search(line)):
            continue
        q, j = flat[n + 1]
        following = pages[q][j]
        if not following:  # a blank line: a paragraph ends with a dash, not a broken word
            continue
        word, _, rest = following.partition(" ")
        if not word[0].isalpha():
            continue
        if soft or word[0].islower() and word.casefold() not in _SUSPENDED_NEXT:
            pages[p][i] = line[:-1] + word  # "Kombilösungsbaustel-" + "le"
        elif word[0].isupper():
            pages[p][i] = line + word  # "Case-Management-" + "Stellen"
        else:
            continue
        pages[q][j] = rest
    for p, lines in enumerate(pages):
        pages[p] = _tidy(lines)


def _continues(previous: str, following: str) -> bool:
    """Does the next page carry on the sentence that ends this page?"""
    if _SENTENCE_END.search(previous):
        return False
    return following[:1].islower() or len(previous) >= 40


def pdf_to_text(raw: bytes) -> PdfText:
    """Canonical text of a PDF's text layer and the start offset of each page in it."""
    page_texts = _page_texts(raw)
    pages = [[_normalise_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
             for text in page_texts]
    if not any(any(lines) for lines in pages):
        raise PdfError(NO_TEXT_LAYER)
    empty = [n for n, lines in enumerate(pages, 1) if not any(lines)]
    if empty:
        log.warning("PDF pages without a text layer (not indexed; run OCR): %s",
                    ", ".join(map(str, empty)))
    pages = [_tidy(lines) for lines in _remove_furniture(pages)]
    _join_hyphenation(pages)
    parts: list[str] = []
    starts: list[tuple[int, int]] = []
    offset = 0
    last_line = ""
    for number, lines in enumerate(pages, 1):
        if lines and parts:
            joiner = "\n" if _continues(last_line, lines[0]) else "\n\n"
            parts.append(joiner)
            offset += len(joiner)
        starts.append((number, offset))
        if lines:
            page = "\n".join(lines)
            parts.append(page)
            offset += len(page)
            last_line = lines[-1]
    text = "".join(parts)
    if not text.strip():
        raise PdfError(NO_TEXT_LAYER)
    # a page without text starts where the next page with text starts (or at the end)
    following = len(text)
    for k in range(len(starts) - 1, -1, -1):
        if pages[k]:
            following = starts[k][1]
        else:
            starts[k] = (starts[k][0], following)
    return PdfText(text, tuple(starts))


def page_of(document: Document, offset: int) -> int | None:
    """The 1-based page that holds ``document.text[offset]``; None when unknown."""
    if not document.pages or offset < 0 or offset > len(document.text):
        return None
    starts = [start for _, start in document.pages]
    index = bisect.bisect_right(starts, offset) - 1
    return document.pages[max(index, 0)][0]
