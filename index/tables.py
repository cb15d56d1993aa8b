"""Read-side tables of an index generation that keep texts on disk.

A search index of 100k passages must not hold every document text, passage text and term
list in Python objects (that alone is several KB a passage). The search path needs only
numbers per passage: its document, agenda item, offsets and duplicate group, kept here in
NumPy arrays. Texts are read from the generation's SQLite file when a hit or an answer needs
them, through a small LRU cache of whole documents (answers read neighbouring sentences, and
hits cluster in few documents).

The SQLite connection is opened once, read-only, and shared by threads under a lock: a
rebuild may delete the generation's folder while a server still reads it, and an open file
stays readable on POSIX systems after it is unlinked.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from index.records import AgendaItem, Document, DocumentInfo, Meeting, Passage
from index.store import IndexUnavailable

DOCUMENT_CACHE_SIZE = 64


class MetaReader:
    """One read-only connection to a generation's ``meta.sqlite``, safe to share by threads."""

    def __init__(self, path: Path) -> None:
        self._con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.columns = {row[1] for row in self._con.execute("PRAGMA table_info(documents)")}

    def all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple = ()) -> tuple | None:
        with self._lock:
            return self._con.execute(sql, params).fetchone()

    def close(self) -> None:
        with self._lock:
            self._con.close()


def _meeting(body, committee, date, number, year) -> Meeting:
    return Meeting(body=body, committee=committee,
                   date=dt.date.fromisoformat(date) if date else None, number=number, year=year)


def _pages(raw: str | None) -> tuple[tuple[int, int], ...]:
    return tuple((int(n), int(start)) for n, start in json.loads(raw)) if raw else ()


class DocumentTable(Mapping[str, Document]):
    """``document id → Document``; metadata in memory, texts read on demand (LRU cached)."""

    def __init__(self, reader: MetaReader, cache_size: int = DOCUMENT_CACHE_SIZE) -> None:
        self._reader = reader
        pages = "pages" if "pages" in reader.columns else "NULL"
        self._infos: dict[str, DocumentInfo] = {}
        for (id_, source, kind, title, body, committee, date, number, year, public, checksum,
             raw_pages, length) in reader.all(
                f"SELECT id, source, kind, title, body, committee, date, meeting_number, year, "
                f"public, checksum, {pages}, length(text) FROM documents ORDER BY id"):
            self._infos[id_] = DocumentInfo(
                id=id_, source=source, kind=kind, title=title,
                meeting=_meeting(body, committee, date, number, year), public=bool(public),
                checksum=checksum, pages=_pages(raw_pages), length=length)
        self._cache: OrderedDict[str, Document] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._infos)

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __contains__(self, document_id: object) -> bool:
        return document_id in self._infos

    def __getitem__(self, document_id: str) -> Document:
        with self._lock:
            document = self._cache.get(document_id)
            if document is not None:
                self._cache.move_to_end(document_id)
                return document
        info = self._infos[document_id]  # KeyError for an unknown id, as a dict would raise
        row = self._reader.one("SELECT text FROM documents WHERE id = ?", (document_id,))
        document = Document(id=info.id, text=row[0], source=info.source, kind=info.kind,
                            title=info.title, meeting=info.meeting, public=info.public,
                            checksum=info.checksum, pages=info.pages)
        with self._lock:
            self._cache[document_id] = document
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return document

    def info(self, document_id: str) -> DocumentInfo:
        """Metadata without the text (no disk read)."""
        return self._infos[document_id]

    def infos(self) -> list[DocumentInfo]:
        return list(self._infos.values())


class PassageTable(Sequence[Passage]):
    """Passages by row: arrays of document, agenda item and offsets; text sliced on demand.

    Passage ids are ``<agenda item id>:<ordinal>`` (see ``index.passages``) and the passages
    of an agenda item occupy consecutive rows, so ids are derived, not stored; ``load``
    checks that against the stored ids once.
    """

    def __init__(self, documents: DocumentTable, items: Mapping[str, AgendaItem],
                 document_ids: list[str], item_ids: list[str], doc_index: np.ndarray,
                 item_index: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        self._documents = documents
        self._items = items
        self.document_ids = document_ids  # doc_index → id
        self.item_ids = item_ids  # item_index → id
        self.doc_index = doc_index
        self.item_index = item_index
        self.starts = starts
        self.ends = ends
        n_items = len(item_ids)
        self.item_first = np.full(n_items, -1, dtype=np.int64)
        self.item_count = np.bincount(item_index, minlength=n_items).astype(np.int64)
        if len(item_index):
            first_rows = np.flatnonzero(np.r_[True, item_index[1:] != item_index[:-1]])
            self.item_first[item_index[first_rows]] = first_rows
        self._item_position = {item_id: i for i, item_id in enumerate(item_ids)}
        self._document_position = {document_id: i for i, document_id in enumerate(document_ids)}
        self._reader: MetaReader | None = None

    @classmethod
    def load(cls, reader: MetaReader, documents: DocumentTable,
             items: Mapping[str, AgendaItem]) -> tuple["PassageTable", np.ndarray]:
        """The table and the duplicate group of every row."""
        rows = reader.all('SELECT id, document_id, agenda_item_id, start, "end", duplicate_group '
                          'FROM passages ORDER BY row')
        document_ids = list(documents)
        doc_position = {d: i for i, d in enumerate(document_ids)}
        item_ids = sorted({r[2] for r in rows} | set(items))
        item_position = {item_id: i for i, item_id in enumerate(item_ids)}
        n = len(rows)
        doc_index = np.fromiter((doc_position[r[1]] for r in rows), dtype=np.int32, count=n)
        item_index = np.fromiter((item_position[r[2]] for r in rows), dtype=np.int32, count=n)
        starts = np.fromiter((r[3] for r in rows), dtype=np.int64, count=n)
        ends = np.fromiter((r[4] for r in rows), dtype=np.int64, count=n)
        groups = np.fromiter((r[5] for r in rows), dtype=np.int32, count=n)
        table = cls(documents, items, document_ids, item_ids, doc_index, item_index, starts, ends)
        table._reader = reader
        for row, r in enumerate(rows):
            if table.passage_id(row) != r[0]:
                raise IndexUnavailable(f"passage {r[0]!r} at row {row} does not follow the passage id "
                                       f"scheme; rebuild the index: minutes-qa index --rebuild")
        return table, groups

    def __len__(self) -> int:
        return len(self.starts)

    def passage_id(self, row: int) -> str:
        item = int(self.item_index[row])
        return f"{self.item_ids[item]}:{row - int(self.item_first[item]):03d}"

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        document_id = self.document_ids[self.doc_index[row]]
        start, end = int(self.starts[row]), int(self.ends[row])
        text = self._documents[document_id].text[start:end]
        return Passage(self.passage_id(row), document_id, self.item_ids[self.item_index[row]],
                       start, end, text)

    def __iter__(self) -> Iterator[Passage]:
        for row in range(len(self)):
            yield self[row]

    def stored_terms(self, rows: range) -> set[str]:
        """The BM25 terms stored for these rows (what the analyzer made of their text)."""
        if self._reader is None or not len(rows):
            return set()
        found: set[str] = set()
        for (terms,) in self._reader.all('SELECT terms FROM passages WHERE row >= ? AND row < ?',
                                         (rows.start, rows.stop)):
            found.update(terms.split(" ") if terms else ())
        return found

    def agenda_item_id(self, row: int) -> str:
        return self.item_ids[self.item_index[row]]

    def document_id(self, row: int) -> str:
        return self.document_ids[self.doc_index[row]]

    def row_of(self, passage_id: str) -> int | None:
        """Row of a passage id, or None."""
        item_id, _, ordinal = passage_id.rpartition(":")
        item = self._item_position.get(item_id)
        if item is None or not ordinal.isdigit():
            return None
        ordinal_int = int(ordinal)
        if self.item_first[item] < 0 or ordinal_int >= self.item_count[item]:
            return None
        row = int(self.item_first[item]) + ordinal_int
        return row if self.passage_id(row) == passage_id else None

    def rows_of_document(self, document_id: str) -> list[int]:
        position = self._document_position.get(document_id)
        return [] if position is None else np.flatnonzero(self.doc_index == position).tolist()

    def rows_of_item(self, item_id: str) -> range:
        item = self._item_position.get(item_id)
        if item is None or self.item_first[item] < 0:
            return range(0)
        first = int(self.item_first[item])
        return range(first, first + int(self.item_count[item]))
