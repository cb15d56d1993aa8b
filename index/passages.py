"""Agenda items → passages: sentence-aligned windows with overlap.

A passage is a span of whole sentences of one agenda item, about ``target`` words long
(never more than ``max_words`` unless a single sentence is longer), and the next passage
starts with the last sentence(s) of the previous one (up to ``overlap`` words), so an answer
that straddles a boundary is whole in at least one passage. Numbered sub-sections inside an
item start a new passage, so copies of the same report in two documents chunk alike.
A short remainder (< ``min_words``) is folded into the previous passage when it fits.
"""
from __future__ import annotations

import re

from index.records import AgendaItem, Document, Passage
from index.sentences import split_sentences

_WORD = re.compile(r"\w+")


def _count_words(text: str) -> int:
    return len(_WORD.findall(text))


def windows(sentences: list[tuple[int, int]], lengths: list[int], target: int, max_words: int,
            min_words: int, overlap: int) -> list[tuple[int, int]]:
    """Group sentences into (first, last) index ranges, inclusive."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(sentences)
    while i < n:
        j, words = i, 0
        while j < n and (words < target or j == i):
            if j > i and words + lengths[j] > max_words:
                break
            words += lengths[j]
            j += 1
        remainder = sum(lengths[j:])
        if 0 < remainder < min_words and words + remainder <= max_words:
            j = n
        out.append((i, j - 1))
        if j >= n:
            break
        k, carried = j, 0
        while k - 1 > i and carried + lengths[k - 1] <= overlap:
            k -= 1
            carried += lengths[k]
        i = k
    return out


def make_passages(document: Document, item: AgendaItem, section_starts: list[int],
                  target: int = 100, max_words: int = 200, min_words: int = 60,
                  overlap: int = 40) -> list[Passage]:
    text = document.text
    bounds = [item.start, *[s for s in section_starts if item.start < s < item.end], item.end]
    passages: list[Passage] = []
    for lo, hi in zip(bounds, bounds[1:]):
        sentences = split_sentences(text, lo, hi)
        if not sentences:
            continue
        lengths = [_count_words(text[s:e]) for s, e in sentences]
        for first, last in windows(sentences, lengths, target, max_words, min_words, overlap):
            start, end = sentences[first][0], sentences[last][1]
            passages.append(Passage(
                id=f"{item.id}:{len(passages):03d}",
                document_id=document.id,
                agenda_item_id=item.id,
                start=start,
                end=end,
                text=text[start:end],
            ))
    return passages


def indexed_text(passage: Passage, item: AgendaItem, document: Document,
                 with_meeting: bool = True) -> str:
    """What retrievers see: where the passage stands, then the passage itself.

    A context line (body, committee, meeting date; agenda item number and title) tells BM25
    and the encoder what a passage is about when its own sentences do not say ("Sie
    erhalten derzeit Leistungen …" under "Wechsel ukrainischer Kriegsflüchtlinge …"), and
    lets "im Rhein-Sieg-Kreis" or "am 11.05.2022" in a question find the right meeting; the
    paper reference an item states ("Vorlage 2014/0398") lets its number find it.
    Offsets are unaffected: they always refer to the passage span.
    """
    meeting = document.meeting
    when = meeting.date.strftime("%d.%m.%Y") if meeting.date else (str(meeting.year) if meeting.year else "")
    where = " · ".join(x for x in (meeting.body, meeting.committee, when) if x) if with_meeting else ""
    title = (item.title or "").strip()
    heading = f"{item.number} {title}".strip() if item.number else title
    if title and title in passage.text[:300]:
        heading = ""
    paper = f"Vorlage {item.paper_reference}" if item.paper_reference else ""
    context = "\n".join(x for x in (where, heading, paper) if x)
    return f"{context}\n{passage.text}" if context else passage.text
