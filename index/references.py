"""References inside minutes ("Vorlage 0135/2020", "Drucksache 12/345", "TOP 21", "TOP Ö 3")
found in a span of a document's text and linked to their target in the index.

- A paper reference goes to the agenda items whose ``paper_reference`` is that paper (the
  Vorlage document itself first, then items with a decision, then the others).
- "TOP n" goes to item n of the same document, else of another document of the same meeting
  (same body, committee and date): a per-item extract pointing into its protocol, say.

A "TOP n" inside item n itself (its heading) is not a reference. Only public
targets are linked, so a link never reveals a non-public item; an unresolved reference keeps
``target: null``. Offsets are into ``document.text``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from index.records import AgendaItem, Document, DocumentInfo

_PAPER = re.compile(
    r"\b(?:(?:Beschluss|Mitteilungs|Verwaltungs|Informations)?[Vv]orlagen?|Drucksachen?|Drs\.|DS)"
    r"(?:\s*-?\s*Nr\.)?\s*:?\s*"
    r"(?P<ref>(?:[A-Z]{1,4}[-/])?\d{1,5}\s?/\s?\d{2,5}(?:-\d{1,3})?)\b")
_TOP = re.compile(
    r"\b(?:TOP|Tagesordnungspunkte?s?|TO-Punkt)\s+(?P<ref>(?:[ÖN]\s?)?\d{1,3}(?:\.\d{1,3})*)(?!\.\d)")


def paper_key(reference: str | None) -> str:
    """'VO/0135 / 2020' → 'vo/135/2020': case, spaces and leading zeros do not matter."""
    if not reference:
        return ""
    parts = re.split(r"\s*([/-])\s*", reference.strip().casefold())
    return "".join(p.lstrip("0") or "0" if p.isdigit() else p for p in parts)


def top_key(number: str | None) -> str:
    """'Ö 1.2.' → 'ö1.2'."""
    return re.sub(r"\s+", "", (number or "").casefold()).rstrip(".")


def _bare(key: str) -> str:
    return key.lstrip("ön")


@dataclass(frozen=True)
class Reference:
    text: str
    kind: str  # "paper" or "agenda_item"
    start: int
    end: int
    target: AgendaItem | None
    targets: tuple[AgendaItem, ...] = ()


class ReferenceResolver:
    """Indexes the items of an index by paper reference and by number, for linking."""

    def __init__(self, documents: Mapping[str, Document], items: dict[str, AgendaItem]) -> None:
        self.documents = documents
        # metadata only: a search index's document table serves it without reading texts
        self._meta: Callable[[str], Document | DocumentInfo] = getattr(
            documents, "info", documents.__getitem__)
        self.items = items
        self._by_paper: dict[str, list[AgendaItem]] = {}
        self._by_number: dict[tuple[str, str], AgendaItem] = {}
        self._meeting_docs: dict[tuple, list[str]] = {}
        self._doc_items: dict[str, list[AgendaItem]] = {}
        for item in items.values():
            self._doc_items.setdefault(item.document_id, []).append(item)
        visible = [i for i in items.values() if i.kind == "item" and i.public
                   and self._meta(i.document_id).public]
        for item in sorted(visible, key=lambda i: (i.document_id, i.start)):
            if item.paper_reference:
                self._by_paper.setdefault(paper_key(item.paper_reference), []).append(item)
            if item.number:
                self._by_number.setdefault((item.document_id, top_key(item.number)), item)
                self._by_number.setdefault((item.document_id, _bare(top_key(item.number))), item)
        for doc_id in sorted(documents):
            key = self._meeting_key(self._meta(doc_id))
            if key:
                self._meeting_docs.setdefault(key, []).append(doc_id)
        for found in self._by_paper.values():
            found.sort(key=self._paper_rank)

    def _paper_rank(self, item: AgendaItem) -> tuple:
        document = self._meta(item.document_id)
        return ("vorlage" not in document.kind, item.decision is None and item.resolution_text is None,
                document.meeting.date.isoformat() if document.meeting.date else "9999",
                item.document_id, item.start)

    @staticmethod
    def _meeting_key(document: Document | DocumentInfo) -> tuple | None:
        meeting = document.meeting
        if not meeting.date or not (meeting.body or meeting.committee):
            return None
        return (meeting.body, meeting.committee, meeting.date)

    def _item_at(self, document: Document, offset: int) -> AgendaItem | None:
        inside = [i for i in self._doc_items.get(document.id, []) if i.start <= offset < i.end]
        return min(inside, key=lambda i: i.end - i.start) if inside else None

    def _top_targets(self, document: Document, key: str) -> list[AgendaItem]:
        own = self._by_number.get((document.id, key)) or self._by_number.get((document.id, _bare(key)))
        if own:
            return [own]
        meeting = self._meeting_key(document)
        found = []
        for doc_id in self._meeting_docs.get(meeting, []) if meeting else []:
            item = self._by_number.get((doc_id, key)) or self._by_number.get((doc_id, _bare(key)))
            if item and item not in found:
                found.append(item)
        # the protocol (a document of many items) before per-item extracts
        found.sort(key=lambda i: -len(self._doc_items[i.document_id]))
        return found

    def find(self, document: Document, start: int = 0, end: int | None = None) -> list[Reference]:
        """References whose text lies in ``document.text[start:end]``, in text order."""
        text = document.text
        end = len(text) if end is None else end
        found: list[Reference] = []
        for kind, pattern in (("paper", _PAPER), ("agenda_item", _TOP)):
            for match in pattern.finditer(text, start, end):
                ref = match.group("ref")
                if kind == "paper":
                    targets = list(self._by_paper.get(paper_key(ref), []))
                else:
                    targets = self._top_targets(document, top_key(ref))
                here = self._item_at(document, match.start())
                if kind == "agenda_item" and here is not None and here.number and \
                        _bare(top_key(here.number)) == _bare(top_key(ref)):
                    continue  # the item's own heading, or the item speaking of itself
                if here is not None and here in targets:
                    targets.remove(here)
                found.append(Reference(match.group(), kind, match.start(), match.end(),
                                       targets[0] if targets else None, tuple(targets[:5])))
        return sorted(found, key=lambda r: r.start)

    def as_json(self, reference: Reference) -> dict:
        def target(item: AgendaItem) -> dict:
            document = self._meta(item.document_id)
            return {"document_id": item.document_id, "agenda_item_id": item.id,
                    "start": item.start, "end": item.end,
                    "number": item.number, "title": item.title, "kind": document.kind,
                    "paper_reference": item.paper_reference,
                    "date": document.meeting.date.isoformat() if document.meeting.date else None}
        return {"text": reference.text, "kind": reference.kind, "start": reference.start,
                "end": reference.end,
                "target": target(reference.target) if reference.target else None,
                "other_targets": [target(t) for t in reference.targets[1:]]}

    def find_json(self, document: Document, start: int = 0, end: int | None = None) -> list[dict]:
        return [self.as_json(r) for r in self.find(document, start, end)]
