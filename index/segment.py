"""Split a document's canonical text into agenda items (and attendance/preamble sections).

Structures recognised, in this order of precedence:
1. "Tagesordnungspunkt 2.1:" / "TOP 3:" markers (a Niederschrift). The agenda list that
   follows "Tagesordnung:" is a table of contents, not content: it is a section of its own
   (kind "agenda"), outside every item; it also tells which items are non-public.
   "Anwesend:" … starts the attendance section (names and their legend); the meeting's
   start/end times and opening words form a preamble; signatures at the end form their own
   section.
2. A "Grunddaten" block with "TOP: Ö 12" (one agenda item page of a council information
   system).
3. Numbered report sections: a lone numbered line ("1. Hilfe für geflüchtete Menschen …")
   followed by prose, numbered 1, 2, 3 … in sequence. Runs of numbered lines (enumerations
   such as "1. Coaching" / "2. …") are lists, not sections.
4. Otherwise the whole document is one item.
A "Beschluss:" line gives the decision of its item; one before the first section is the
decision of the whole report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index.metadata import PAPER_KEYS, grunddaten
from index.records import AgendaItem, Document

SEGMENTER_VERSION = "2"


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Segmentation:
    items: list[AgendaItem]
    # per item id: sub-section boundaries (numbered headings inside the item), for chunking
    section_starts: dict[str, list[int]]


def blocks_of(text: str) -> list[Block]:
    blocks = []
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        blocks.append(Block(match.start(), match.end(), match.group()))
    return blocks


_TOP = re.compile(
    r"^(?:Tagesordnungspunkt|TOP)\s+((?:[ÖN]\s*)?\d+(?:\.\d+)*)\.?\s*:?\s*(.*)$", re.S)
_SESSION = re.compile(r"^Sitzung:\s*(nicht\s*öffentlich|nichtöffentlich|öffentlich)\s*$", re.I)
_ATTENDANCE = re.compile(r"^(Anwesend|Anwesenheit|Teilnehmende|Teilnehmer(?:innen)?)\s*:?$", re.I)
_AGENDA = re.compile(r"^Tagesordnung\s*:?$", re.I)
_AGENDA_PART = re.compile(r"^(Nicht\s*öffentliche|Nichtöffentliche|Öffentliche)\s+Sitzung\s*:?$", re.I)
_LIST_LINE = re.compile(r"^(?:-\s+)?\d+(?:\.\d+)*\.?\s+\S")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2})\.\s+(\S.{2,})$")
_DECISION = re.compile(r"^Beschluss(?:empfehlung)?\s*:\s*(.*)$", re.S)
_SIGNATURE_ROLE = re.compile(
    r"\b(Schriftführer(?:in)?|(?:Ausschuss)?[Vv]orsitzender?|Landrat|Landrätin|Bürgermeister(?:in)?)\s*$")


def _is_list_block(block: Block) -> bool:
    return all(_LIST_LINE.match(line) for line in block.text.split("\n"))


def segment(document: Document) -> Segmentation:
    text = document.text
    blocks = blocks_of(text)
    if not blocks:
        return Segmentation([], {})
    top_indices = [i for i, b in enumerate(blocks) if _TOP.match(b.text) and "\n" not in b.text]
    if top_indices:
        items = _segment_minutes(document, blocks, top_indices)
    else:
        block = grunddaten(text)
        if block and block.get("TOP"):
            items = [_whole_document_item(document, blocks, number=block.get("TOP"),
                                          decision_span=block.span("Beschluss"))]
        else:
            items = _segment_report(document, blocks)
        if block:  # what the page's Grunddaten state about its item
            paper, result = block.get(*PAPER_KEYS), block.get("Beschlussart", "Ergebnis")
            items = [replace(i, paper_reference=paper, result=result) if i.kind == "item" else i
                     for i in items]
    return Segmentation(items, {item.id: _inner_sections(blocks, item) for item in items})


# ----------------------------------------------------------------------------- minutes


def _segment_minutes(document: Document, blocks: list[Block], tops: list[int]) -> list[AgendaItem]:
    non_public_numbers = _non_public_from_agenda(blocks, tops[0])
    starts = []  # (block index where the item starts, top block index)
    for ti in tops:
        start = ti - 1 if ti > 0 and _SESSION.match(blocks[ti - 1].text) else ti
        starts.append((start, ti))

    sections: list[tuple[str, int, int, str | None]] = []  # (kind, first block, last block, title)
    first_item_block = starts[0][0]
    attendance = next((i for i in range(first_item_block) if _ATTENDANCE.match(blocks[i].text)), None)
    agenda = next((i for i in range(first_item_block) if _AGENDA.match(blocks[i].text)), None)
    pre_end = min(i for i in (attendance, agenda, first_item_block) if i is not None)
    if pre_end > 0:
        sections.append(("preamble", 0, pre_end - 1, document.title))
    if attendance is not None:
        limit = (agenda if agenda is not None and agenda > attendance else first_item_block) - 1
        att_end = attendance
        while att_end < limit and _is_attendance_block(blocks[att_end + 1].text):
            att_end += 1
        sections.append(("attendance", attendance, att_end, "Anwesenheit"))
        if att_end < limit:
            sections.append(("preamble", att_end + 1, limit, "Sitzungsdaten"))
    if agenda is not None:
        last_list = agenda
        for i in range(agenda + 1, first_item_block):
            if _is_list_block(blocks[i]) or _AGENDA_PART.match(blocks[i].text):
                last_list = i
            else:
                break
        # the agenda list is a section of its own: no item's content, but searchable
        # (it is the only place that names the non-public items)
        sections.append(("agenda", agenda, last_list, "Tagesordnung"))
        if last_list + 1 < first_item_block:
            sections.append(("preamble", last_list + 1, first_item_block - 1, "Eröffnung"))

    signature_start = _signature_start(blocks, tops[-1])
    items: list[AgendaItem] = [
        _item(document, blocks, kind, a, b, None, title, seq)
        for seq, (kind, a, b, title) in enumerate(sections)
    ]
    for n, (start, ti) in enumerate(starts):
        end = (starts[n + 1][0] if n + 1 < len(starts) else signature_start) - 1
        number, title = _TOP.match(blocks[ti].text).groups()
        number = " ".join(number.split())
        title_block = ti
        if not title.strip() and ti + 1 <= end and _looks_like_title(blocks[ti + 1].text):
            title, title_block = blocks[ti + 1].text, ti + 1
        public = document.public and number not in non_public_numbers
        session = _SESSION.match(blocks[start].text)
        if session and "nicht" in session.group(1).casefold():
            public = False
        decision = _find_decision(blocks, title_block + 1, end)
        items.append(_item(document, blocks, "item", start, end, number, title.strip() or None,
                           len(items), public=public, decision=decision))
    if signature_start < len(blocks):
        items.append(_item(document, blocks, "signatures", signature_start, len(blocks) - 1, None,
                           "Unterschriften", len(items)))
    return items


_TIME_LINE = re.compile(r"^(Anfang|Beginn|Ende|Schluss)\s*:", re.I | re.M)


def _is_attendance_block(text: str) -> bool:
    """Role headings, name lists and their legend ('*entschuldigt'), not times or prose."""
    if _TIME_LINE.search(text):
        return False
    return all((len(line) <= 80 and not line.endswith(".")) or line.endswith(("Dr.", "Prof."))
               for line in text.split("\n"))


def _looks_like_title(text: str) -> bool:
    return "\n" not in text and len(text) <= 250 and not text.rstrip().endswith((".", ":"))


def _non_public_from_agenda(blocks: list[Block], before: int) -> set[str]:
    """Numbers listed under 'Nichtöffentliche Sitzung:' in the agenda list."""
    numbers: set[str] = set()
    in_non_public = False
    for block in blocks[:before]:
        part = _AGENDA_PART.match(block.text)
        if part:
            in_non_public = part.group(1).casefold().startswith("nicht")
            continue
        if in_non_public and _is_list_block(block):
            for line in block.text.split("\n"):
                numbers.add(re.match(r"^(?:-\s+)?(\d+(?:\.\d+)*)", line).group(1).rstrip("."))
        elif in_non_public:
            in_non_public = False
    return numbers


def _signature_start(blocks: list[Block], last_top: int) -> int:
    """Index of the first trailing signature block ('Dr. Kehren\\nAusschussvorsitzender'), else len."""
    start = len(blocks)
    for i in range(len(blocks) - 1, last_top + 1, -1):
        lines = blocks[i].text.split("\n")
        if len(lines) <= 3 and len(blocks[i].text) < 120 and _SIGNATURE_ROLE.search(lines[-1]):
            start = i
        else:
            break
    return start


# ----------------------------------------------------------------------------- reports


def _numbered_headings(blocks: list[Block], lo: int, hi: int) -> list[int]:
    """Block indices of lone numbered headings 1, 2, 3 … between lo and hi (inclusive)."""
    candidates = []
    for i in range(lo, hi + 1):
        block = blocks[i]
        if "\n" in block.text or not _NUMBERED_HEADING.match(block.text):
            continue
        prev_numbered = i > lo and _LIST_LINE.match(blocks[i - 1].text)
        next_numbered = i < hi and _LIST_LINE.match(blocks[i + 1].text)
        if prev_numbered or next_numbered:  # part of an enumeration
            continue
        candidates.append(i)
    headings, expected = [], 1
    for i in candidates:
        if int(_NUMBERED_HEADING.match(blocks[i].text).group(1)) == expected:
            headings.append(i)
            expected += 1
    return headings if len(headings) >= 2 else []


def _segment_report(document: Document, blocks: list[Block]) -> list[AgendaItem]:
    headings = _numbered_headings(blocks, 0, len(blocks) - 1)
    if not headings:
        return [_whole_document_item(document, blocks)]
    decision = _find_decision(blocks, 0, headings[0] - 1)
    items = []
    if headings[0] > 0:
        items.append(_item(document, blocks, "preamble", 0, headings[0] - 1, None, document.title,
                           0, decision=decision))
    for n, hi in enumerate(headings):
        end = headings[n + 1] - 1 if n + 1 < len(headings) else len(blocks) - 1
        number, title = _NUMBERED_HEADING.match(blocks[hi].text).groups()
        items.append(_item(document, blocks, "item", hi, end, number, title.strip(), len(items),
                           decision=_find_decision(blocks, hi + 1, end) or decision))
    return items


def _whole_document_item(document: Document, blocks: list[Block], number: str | None = None,
                         decision_span: tuple[int, int] | None = None) -> AgendaItem:
    decision = decision_span or _find_decision(blocks, 0, len(blocks) - 1)
    return _item(document, blocks, "item", 0, len(blocks) - 1, number, document.title, 0,
                 decision=decision)


# ----------------------------------------------------------------------------- helpers


def _find_decision(blocks: list[Block], lo: int, hi: int) -> tuple[int, int] | None:
    """Span of the decision text after the first 'Beschluss:' in blocks lo..hi."""
    for i in range(lo, hi + 1):
        match = _DECISION.match(blocks[i].text)
        if not match:
            continue
        if match.group(1).strip():
            start = blocks[i].start + match.start(1)
            return start, blocks[i].end
        if i + 1 <= hi:
            return blocks[i + 1].start, blocks[i + 1].end
    return None


def _inner_sections(blocks: list[Block], item: AgendaItem) -> list[int]:
    """Start offsets of numbered sub-sections inside an item (chunk boundaries)."""
    inside = [i for i, b in enumerate(blocks) if item.start <= b.start and b.end <= item.end]
    if not inside:
        return []
    return [blocks[i].start for i in _numbered_headings(blocks, inside[0], inside[-1])
            if blocks[i].start > item.start]


def _item(document: Document, blocks: list[Block], kind: str, first: int, last: int,
          number: str | None, title: str | None, seq: int, public: bool | None = None,
          decision: tuple[int, int] | None = None) -> AgendaItem:
    start, end = blocks[first].start, blocks[last].end
    return AgendaItem(
        id=f"{document.id}:{seq:03d}",
        document_id=document.id,
        number=number,
        title=title,
        start=start,
        end=end,
        public=document.public if public is None else public,
        kind=kind,
        decision=document.text[decision[0]:decision[1]] if decision else None,
        decision_start=decision[0] if decision else None,
        decision_end=decision[1] if decision else None,
    )
