"""``import_oparl``: one import of an OParl source into an index.

1. Read the source: everything on the first import (and from a dump, always); from an
   endpoint again, only what changed since the last complete import (``modified_since``),
   merged into the objects remembered from before. Objects marked ``deleted`` are dropped.
2. Map the objects to candidate documents (``index.oparl.mapping``). A candidate whose
   objects are unchanged and which is in the index is left alone; the others get their file
   text read. Unreadable files are skipped with the reason (a changed document keeps its
   previous version); a text identical to another document's is indexed once.
3. ``update_index`` adds and replaces the documents and removes those whose objects are
   gone, in one new index generation; then the import state is saved.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from index.build import BuildReport, update_index
from index.config import Settings
from index.embed import Embedder
from index.ingest import IngestError
from index.oparl.content import ContentError, file_text
from index.oparl.items import items_for_specs, with_resolution
from index.oparl.mapping import Candidate, Mapper
from index.oparl.objects import ObjectStore
from index.oparl.source import HttpSource, OParlSourceError, open_source
from index.oparl.state import SourceState, load_state
from index.records import Document
from index.store import read_manifest

log = logging.getLogger(__name__)

# modified_since is set this much before the start of the last import, so that clocks of
# server and client that differ a little cannot lose a change (re-reading one is harmless)
CLOCK_MARGIN = dt.timedelta(minutes=5)

Progress = Callable[[str, int, int | None], None]  # (phase, done, total or None)


@dataclass
class ImportReport:
    source: str
    index_dir: Path
    status: str = "imported"  # "imported" or "up-to-date"
    incremental: bool = False
    modified_since: str | None = None
    objects: int = 0  # OParl objects known after this import
    received: int = 0  # entries the source returned this time
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # documents not indexed, with the reason
    skipped_before: int = 0  # skipped by an earlier import, unchanged since: not tried again
    problems: list[str] = field(default_factory=list)  # objects or fields skipped, with the reason
    documents: int = 0  # in the index afterwards
    passages: int = 0
    seconds: float = 0.0
    build: BuildReport | None = None


def _read_candidate(candidate: Candidate, store: ObjectStore, source) -> tuple[Document, str]:
    """The candidate's document and the hash of its file text (for finding duplicate files)."""
    if candidate.file_id is None:
        text, pages, origin = candidate.lead_text or "", (), candidate.origin
    else:
        file_obj = store.get(candidate.file_id, "File") or {}
        text, pages = file_text(file_obj, source)
        origin = file_obj.get("accessUrl") or candidate.file_id
    content = hashlib.sha256(f"{candidate.file_id is None}\0{text}".encode()).hexdigest()
    if candidate.spec.get("mode") == "whole":
        text = with_resolution(text, candidate.spec.get("resolution_text"))
    if not text.strip():
        raise ContentError("the file has no text")
    checksum = hashlib.sha256(f"{candidate.signature}\0{text}".encode()).hexdigest()
    return Document(id=candidate.doc_id, text=text, source=origin, kind=candidate.kind,
                    title=candidate.title, meeting=candidate.meeting, public=candidate.public,
                    checksum=checksum, pages=pages), content


def _collect(candidates: list[Candidate], remembered: SourceState, indexed: set[str],
             store: ObjectStore, reader, report: ImportReport,
             on_progress: Progress | None) -> tuple[dict[str, dict], dict[str, dict], list[Document]]:
    """Which candidates to read, reading them, and what the state keeps of each.

    Returns the state entries of the documents in the index afterwards (doc id → signature,
    spec, origin, content hash), those skipped and not to be retried until they change, and the
    documents to add or replace.
    """
    previous = remembered.documents
    known = {c.doc_id for c in candidates}
    entries: dict[str, dict] = {}
    skipped: dict[str, dict] = {}  # doc id -> {signature, reason, duplicate_of}
    by_content: dict[str, str] = {}  # hash of a file text -> document id
    new_documents: list[Document] = []

    def unchanged(candidate: Candidate) -> bool:
        old = previous.get(candidate.doc_id)
        return bool(old) and old["signature"] == candidate.signature and candidate.doc_id in indexed

    def skipped_before(candidate: Candidate) -> bool:
        old = remembered.skipped.get(candidate.doc_id)
        return bool(old) and old["signature"] == candidate.signature \
            and (old.get("duplicate_of") is None or old["duplicate_of"] in known)

    to_read = []
    for candidate in candidates:
        if candidate.doc_id in entries or candidate.doc_id in skipped:
            continue  # one File in two roles: indexed once, as the first
        if unchanged(candidate):
            entries[candidate.doc_id] = previous[candidate.doc_id]
            by_content.setdefault(previous[candidate.doc_id].get("content", ""), candidate.doc_id)
            report.unchanged += 1
        elif skipped_before(candidate):
            skipped[candidate.doc_id] = remembered.skipped[candidate.doc_id]
            report.skipped_before += 1
        else:
            to_read.append(candidate)

    for done, candidate in enumerate(to_read):
        if on_progress:
            on_progress("files", done, len(to_read))
        if candidate.doc_id in entries or candidate.doc_id in skipped:
            continue
        old = previous.get(candidate.doc_id)
        what = f"{candidate.origin} ({candidate.kind}, File {candidate.file_id})"
        try:
            document, content = _read_candidate(candidate, store, reader)
        except (ContentError, OParlSourceError, OSError) as exc:
            if old and candidate.doc_id in indexed:
                report.skipped.append(f"{what}: {exc} (its previous version stays in the index)")
                entries[candidate.doc_id] = old  # its old signature: tried again next time
            else:
                report.skipped.append(f"{what}: {exc}")
                skipped[candidate.doc_id] = {"signature": candidate.signature, "reason": str(exc),
                                             "duplicate_of": None}
            continue
        if content in by_content:
            report.skipped.append(f"{what}: same text as document {by_content[content]}; indexed once")
            skipped[candidate.doc_id] = {"signature": candidate.signature, "reason": "duplicate",
                                         "duplicate_of": by_content[content]}
            continue
        by_content[content] = candidate.doc_id
        entries[candidate.doc_id] = {"signature": candidate.signature, "spec": candidate.spec,
                                     "origin": candidate.origin, "content": content}
        new_documents.append(document)
    if on_progress and to_read:
        on_progress("files", len(to_read), len(to_read))
    return entries, skipped, new_documents


def import_oparl(source: str, settings: Settings, full: bool = False,
                 embedder: Embedder | None = None, on_progress: Progress | None = None) -> ImportReport:
    """Import (or update from) an endpoint URL or dump folder; see the module docstring."""
    started = time.perf_counter()
    began = dt.datetime.now(dt.timezone.utc)
    reader = open_source(source)
    index_dir = settings.resolved_index_dir
    state = load_state(index_dir)
    remembered = state.source(reader.key)
    report = ImportReport(source=source, index_dir=index_dir)
    report.incremental = (isinstance(reader, HttpSource) and not full
                          and remembered.last_import is not None and bool(remembered.objects))
    report.modified_since = remembered.last_import if report.incremental else None

    pages = 0

    def page_read(n: int) -> None:
        nonlocal pages
        pages += n
        if on_progress:
            on_progress("read", pages, None)

    fetched = reader.fetch(modified_since=report.modified_since, on_progress=page_read)
    store = ObjectStore()
    if report.incremental or not fetched.complete:
        store.objects = dict(remembered.objects)  # merge; an incomplete read removes nothing
    store.add_all(fetched.objects)
    report.received = len(fetched.objects)
    report.objects = len(store.objects)
    mapper = Mapper(store)
    candidates = mapper.candidates()
    report.problems = fetched.problems + store.problems + mapper.problems

    manifest = read_manifest(index_dir)
    indexed = set((manifest or {}).get("documents") or {})
    previous = remembered.documents
    entries, skipped, new_documents = _collect(candidates, remembered, indexed, store, reader,
                                               report, on_progress)
    remove = {d for d in previous if d not in entries} & indexed
    remembered.documents = entries
    remembered.skipped = skipped
    if new_documents or remove:
        try:
            report.build = update_index(
                new_documents, settings, remove=remove, embedder=embedder,
                items_for=items_for_specs(state.all_specs()),
                on_progress=(lambda d, t: on_progress("encode", d, t)) if on_progress else None)
        except IngestError as exc:
            raise IngestError(f"{source}: {exc}") from exc
        report.added, report.changed = report.build.added, report.build.changed
        report.removed = report.build.removed
        report.documents, report.passages = report.build.documents, report.build.passages
    else:
        report.status = "up-to-date"
        report.documents = len(indexed)
        report.passages = int(((manifest or {}).get("counts") or {}).get("passages", 0))
    remembered.objects = store.objects
    if fetched.complete:
        remembered.last_import = (began - CLOCK_MARGIN).isoformat(timespec="seconds")
    state.save()
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["ImportReport", "OParlSourceError", "import_oparl"]
