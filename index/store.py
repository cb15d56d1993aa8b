"""The index directory: generations written atomically, read back as one ``IndexReader``.

Layout::

    INDEX_DIR/
      CURRENT              name of the live generation (replaced atomically with os.replace)
      gen-<timestamp>/     manifest.json, meta.sqlite, dense.faiss, bm25_weights.npz, bm25_terms.txt

Passage vectors are also kept in ``CACHE_DIR/embeddings.sqlite``, keyed by model and text
hash, so rebuilds and other index folders reuse them.

A build writes a complete new generation under a temporary name, fsyncs it, renames it, and
only then points CURRENT at it. A crash or kill at any moment leaves CURRENT pointing at the
previous, complete generation; leftovers are removed by the next build.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np

from index.bm25 import SparseBM25
from index.records import AgendaItem, Document, Meeting, Passage

if TYPE_CHECKING:
    from index.tables import DocumentTable, PassageTable

FORMAT_VERSION = 2  # 2: agenda items carry paper_reference, result, resolution_text
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
META_FILE = "meta.sqlite"
FAISS_FILE = "dense.faiss"
EMBEDDING_CACHE = "embeddings.sqlite"


class IndexUnavailable(RuntimeError):
    """The index is missing or cannot be used; the message says what to do."""

_SCHEMA = """
CREATE TABLE documents (
    id TEXT PRIMARY KEY, text TEXT NOT NULL, source TEXT, kind TEXT, title TEXT,
    body TEXT, committee TEXT, date TEXT, meeting_number TEXT, year INTEGER,
    public INTEGER NOT NULL, checksum TEXT NOT NULL, pages TEXT);
CREATE TABLE agenda_items (
    id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id), number TEXT,
    title TEXT, start INTEGER NOT NULL, "end" INTEGER NOT NULL, public INTEGER NOT NULL,
    kind TEXT NOT NULL, decision TEXT, decision_start INTEGER, decision_end INTEGER,
    paper_reference TEXT, result TEXT, resolution_text TEXT);
CREATE TABLE passages (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, document_id TEXT NOT NULL,
    agenda_item_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    duplicate_group INTEGER NOT NULL, terms TEXT NOT NULL);
"""


@dataclass
class IndexData:
    """Everything a generation holds, in passage-row order."""

    documents: list[Document]
    items: list[AgendaItem]
    passages: list[Passage]
    terms: list[list[str]]
    duplicate_groups: list[int]
    vectors: np.ndarray  # (n_passages, dim) float32, L2-normalised
    manifest: dict


# ----------------------------------------------------------------------------- writing


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_meta(path: Path, data: IndexData) -> None:
    con = sqlite3.connect(path)
    try:
        con.executescript(_SCHEMA)
        con.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(d.id, d.text, d.source, d.kind, d.title, d.meeting.body, d.meeting.committee,
              d.meeting.date.isoformat() if d.meeting.date else None, d.meeting.number,
              d.meeting.year, int(d.public), d.checksum,
              json.dumps([list(p) for p in d.pages]) if d.pages else None)
             for d in data.documents])
        con.executemany(
            "INSERT INTO agenda_items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(i.id, i.document_id, i.number, i.title, i.start, i.end, int(i.public), i.kind,
              i.decision, i.decision_start, i.decision_end, i.paper_reference, i.result,
              i.resolution_text) for i in data.items])
        con.executemany(
            "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?)",
            [(row, p.id, p.document_id, p.agenda_item_id, p.start, p.end, group, " ".join(terms))
             for row, (p, group, terms) in enumerate(zip(data.passages, data.duplicate_groups, data.terms))])
        con.commit()
    finally:
        con.close()


def build_faiss(vectors: np.ndarray, kind: str) -> faiss.Index:
    dim = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_generation(index_dir: Path, data: IndexData, faiss_kind: str,
                     timings: dict[str, float] | None = None) -> Path:
    """Write a complete generation and make it current. Returns its folder.

    ``timings`` (optional) receives the seconds spent on "sqlite", "faiss", "bm25" and "sync".
    """
    timings = {} if timings is None else timings
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - clock
        clock = now

    index_dir.mkdir(parents=True, exist_ok=True)
    name = "gen-" + dt.datetime.now().strftime("%Y%m%dT%H%M%S%f") + f"-{os.getpid()}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    _write_meta(tmp / META_FILE, data)
    lap("sqlite")
    faiss.write_index(build_faiss(data.vectors, faiss_kind), str(tmp / FAISS_FILE))
    lap("faiss")
    SparseBM25.build(data.terms).save(tmp)
    lap("bm25")
    (tmp / MANIFEST_FILE).write_text(json.dumps(data.manifest, indent=2, ensure_ascii=False),
                                     encoding="utf-8")
    for file in tmp.iterdir():
        with open(file, "rb") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(tmp)
    final = index_dir / name
    os.replace(tmp, final)
    pointer = index_dir / f".{CURRENT_FILE}.{os.getpid()}.tmp"
    pointer.write_text(name, encoding="utf-8")
    with open(pointer, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT_FILE)
    _fsync_dir(index_dir)
    remove_stale(index_dir, keep=name)
    lap("sync")
    return final


def remove_stale(index_dir: Path, keep: str) -> None:
    """Delete old generations and leftovers of interrupted builds (never the live one)."""
    for entry in index_dir.iterdir():
        if entry.name == keep:
            continue
        if entry.name.startswith(("gen-", ".tmp-gen-")) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{CURRENT_FILE}.") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- reading


def current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT_FILE
    if not pointer.exists():
        return None
    folder = index_dir / pointer.read_text(encoding="utf-8").strip()
    return folder if folder.is_dir() else None


def read_manifest(index_dir: Path) -> dict | None:
    folder = current_generation(index_dir)
    if folder is None:
        return None
    return json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))


_DOCUMENT_COLUMNS = ("id, text, source, kind, title, body, committee, date, meeting_number, year, "
                     "public, checksum")


def _document_from_row(row: tuple) -> Document:
    (id_, text, source, kind, title, body, committee, date, number, year, public, checksum,
     pages) = row
    meeting = Meeting(body=body, committee=committee,
                      date=dt.date.fromisoformat(date) if date else None, number=number, year=year)
    return Document(id=id_, text=text, source=source, kind=kind, title=title, meeting=meeting,
                    public=bool(public), checksum=checksum,
                    pages=tuple((int(n), int(start)) for n, start in json.loads(pages)) if pages else ())


def _select_documents(con: sqlite3.Connection) -> str:
    """Generations written before the ``pages`` column existed read as documents without pages."""
    columns = {row[1] for row in con.execute("PRAGMA table_info(documents)")}
    pages = "pages" if "pages" in columns else "NULL"
    return f"SELECT {_DOCUMENT_COLUMNS}, {pages} FROM documents ORDER BY id"


def _read_manifest_checked(index_dir: Path) -> tuple[Path, dict]:
    folder = current_generation(index_dir)
    if folder is None:
        raise IndexUnavailable(
            f"No index at {index_dir}. Build one with: minutes-qa index --index-dir {index_dir}")
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnavailable(
            f"The index at {index_dir} has format {manifest.get('format_version')}, this version of "
            f"minutes-qa reads format {FORMAT_VERSION}. Rebuild it: minutes-qa index --rebuild "
            f"--index-dir {index_dir}")
    return folder, manifest


def _read_items(rows) -> list[AgendaItem]:
    return [AgendaItem(id=r[0], document_id=r[1], number=r[2], title=r[3], start=r[4], end=r[5],
                       public=bool(r[6]), kind=r[7], decision=r[8], decision_start=r[9],
                       decision_end=r[10], paper_reference=r[11], result=r[12],
                       resolution_text=r[13]) for r in rows]


@dataclass
class Generation:
    """The live generation opened for searching: texts stay on disk (``index.tables``)."""

    folder: Path
    manifest: dict
    documents: "DocumentTable"
    items: dict[str, AgendaItem]
    passages: "PassageTable"
    groups: np.ndarray  # duplicate group per passage row
    dense: faiss.Index
    bm25: SparseBM25


def open_generation(index_dir: Path) -> Generation:
    from index.tables import DocumentTable, MetaReader, PassageTable

    folder, manifest = _read_manifest_checked(index_dir)
    reader = MetaReader(folder / META_FILE)
    documents = DocumentTable(reader)
    items = {i.id: i for i in _read_items(reader.all("SELECT * FROM agenda_items ORDER BY id"))}
    passages, groups = PassageTable.load(reader, documents, items)
    dense = faiss.read_index(str(folder / FAISS_FILE))
    return Generation(folder, manifest, documents, items, passages, groups, dense,
                      SparseBM25.load(folder))


def load_generation(index_dir: Path, with_vectors: bool = True) -> tuple[IndexData, faiss.Index, SparseBM25]:
    """Everything in memory (for builds, which reuse passages and terms of unchanged documents)."""
    folder, manifest = _read_manifest_checked(index_dir)
    con = sqlite3.connect(f"file:{folder / META_FILE}?mode=ro", uri=True)
    try:
        documents = [_document_from_row(r) for r in con.execute(_select_documents(con))]
        items = _read_items(con.execute("SELECT * FROM agenda_items ORDER BY id"))
        texts = {d.id: d.text for d in documents}
        passages, groups, terms = [], [], []
        for row, pid, doc_id, item_id, start, end, group, term_text in con.execute(
                "SELECT * FROM passages ORDER BY row"):
            passages.append(Passage(pid, doc_id, item_id, start, end, texts[doc_id][start:end]))
            groups.append(group)
            terms.append(term_text.split(" ") if term_text else [])
    finally:
        con.close()
    dense = faiss.read_index(str(folder / FAISS_FILE))
    vectors = (dense.reconstruct_n(0, dense.ntotal) if with_vectors and dense.ntotal
               else np.zeros((0, dense.d), dtype=np.float32))
    bm25 = SparseBM25.load(folder)
    data = IndexData(documents, items, passages, terms, groups, vectors, manifest)
    return data, dense, bm25


# ----------------------------------------------------------------------------- embedding cache


class EmbeddingCache:
    """Passage vectors keyed by (model, sha256 of the embedded text); survives rebuilds."""

    def __init__(self, path: Path, model_name: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.model_name = model_name
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        con.commit()
        con.close()

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\0{text}".encode()).hexdigest()

    def get_many(self, texts: list[str]) -> dict[str, np.ndarray]:
        keys = [self.key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        con = sqlite3.connect(self.path)
        try:
            for chunk in range(0, len(keys), 500):
                part = keys[chunk:chunk + 500]
                query = f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})"
                for key, blob in con.execute(query, part):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        finally:
            con.close()
        return found

    def put_many(self, texts: list[str], vectors: np.ndarray) -> None:
        for attempt in range(5):
            try:
                con = sqlite3.connect(self.path, timeout=30)
                with con:
                    con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                    [(self.key(t), v.astype(np.float32).tobytes())
                                     for t, v in zip(texts, vectors)])
                con.close()
                return
            except sqlite3.OperationalError:
                time.sleep(0.2 * (attempt + 1))
        raise IndexUnavailable(f"could not write the embedding cache {self.path}")
