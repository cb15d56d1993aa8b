"""Core records that cross module boundaries.

Every offset is a Python string offset into ``Document.text`` (the canonical text that the
API serves), so ``document.text[start:end]`` is always the cited span.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Meeting:
    """The meeting (or report) a document belongs to."""

    body: str | None = None  # e.g. "Kreis Heinsberg"
    committee: str | None = None  # e.g. "Ausschuss für Gesundheit, Soziales und Generationenfragen"
    date: dt.date | None = None
    number: str | None = None  # e.g. "6" for the 6th meeting
    year: int | None = None  # known even when the exact date is not

    def as_json(self) -> dict:
        return {
            "body": self.body,
            "committee": self.committee,
            "date": self.date.isoformat() if self.date else None,
            "number": self.number,
            "year": self.date.year if self.date else self.year,
        }


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    source: str  # path or URL it was read from
    kind: str  # source kind: "niederschrift", "bericht", "vorlage", ...
    title: str | None
    meeting: Meeting
    public: bool = True
    checksum: str = ""  # sha256 of the source bytes
    # PDFs: (1-based page number, start offset in ``text``) per page, by offset; () otherwise
    pages: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class DocumentInfo:
    """A document's metadata without its text (what listings and filters need)."""

    id: str
    source: str
    kind: str
    title: str | None
    meeting: Meeting
    public: bool = True
    checksum: str = ""
    pages: tuple[tuple[int, int], ...] = ()
    length: int = 0  # characters of the text


@dataclass(frozen=True)
class AgendaItem:
    id: str
    document_id: str
    number: str | None  # "2.6", "Ö 12", "1"
    title: str | None
    start: int
    end: int
    public: bool = True
    kind: str = "item"  # "item", "attendance" or "preamble"
    decision: str | None = None  # the Beschluss text, an exact slice of the document text
    decision_start: int | None = None
    decision_end: int | None = None
    # what the source states about the item (OParl, a Grunddaten block); None when it does not
    paper_reference: str | None = None  # the Vorlage / Drucksache, e.g. "2014/0398"
    result: str | None = None  # e.g. "einstimmig beschlossen", "zur Kenntnis genommen"
    resolution_text: str | None = None  # the resolution as the source states it

    def as_json(self) -> dict:
        return {"number": self.number, "title": self.title, "public": self.public,
                "paper_reference": self.paper_reference, "result": self.result,
                "resolution_text": self.resolution_text}


@dataclass(frozen=True)
class Passage:
    id: str
    document_id: str
    agenda_item_id: str
    start: int
    end: int
    text: str  # == document.text[start:end]


@dataclass(frozen=True)
class Hit:
    """A ranked passage with what each retriever said about it (for explaining fusion)."""

    passage: Passage
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank
    scores: dict[str, float] = field(default_factory=dict)  # retriever name -> raw score
    duplicates: tuple[str, ...] = ()  # passage ids of other copies of the same text


@dataclass(frozen=True)
class Filters:
    """Restrictions on what a search may return; ``None`` means no restriction."""

    body: str | None = None
    committee: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    document_id: str | None = None
    include_non_public: bool = False


@dataclass(frozen=True)
class Answer:
    """An extractive answer: ``text`` and ``context`` are exact slices of the document text."""

    text: str
    start: int
    end: int
    context: str  # the sentence that holds the answer
    context_start: int
    context_end: int
    score: float
    passage: Passage
    also_in: tuple[str, ...] = ()  # passage ids of duplicate copies that hold the same answer
