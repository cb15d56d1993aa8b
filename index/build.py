"""Build or update an index directory from source files.

Incremental by design: the index holds the union of the documents indexed so far; a build
adds new documents, re-processes changed ones (checksum of the source and its manifest
entry) and reuses everything else, including passage vectors from the embedding cache.
Building an unchanged corpus does no work. ``rebuild=True`` starts from the given sources
alone.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from index.analyze import ANALYZER_VERSION, get_analyzer
from index.config import SEEDS_DIR, Settings, available_cores
from index.dedup import duplicate_groups
from index.embed import Embedder
from index.ingest import IngestError, collect_sources, read_document
from index.passages import indexed_text, make_passages
from index.records import AgendaItem, Document, Passage
from index.segment import SEGMENTER_VERSION, segment
from index.store import (EMBEDDING_CACHE, FORMAT_VERSION, EmbeddingCache, IndexData,
                         IndexUnavailable, load_generation, read_manifest, write_generation)

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    status: str  # "built" or "up-to-date"
    index_dir: Path
    documents: int = 0
    passages: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    encoded: int = 0  # passages sent to the encoder (the rest came from the cache)
    reprocessed: bool = False  # every document processed again: settings, models or code changed
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # wall seconds per phase: "read", "analyze" (segmentation, passages, analyzer),
    # "embed" (cache lookups + encoder), "dedup", "write" (SQLite, FAISS, BM25 matrix)
    timings: dict[str, float] = field(default_factory=dict)


_PIPELINE_MODULES = ("clean", "markup", "grunddaten_html", "pdf", "metadata", "ingest", "segment",
                     "sentences", "passages")


def _pipeline_code_hash() -> str:
    """Hash of the text-processing code, so a changed rule always reprocesses documents
    (vectors of unchanged passages still come from the embedding cache)."""
    digest = hashlib.sha256()
    for name in _PIPELINE_MODULES:
        digest.update((Path(__file__).parent / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


def pipeline_signature(settings: Settings, model_name: str) -> dict:
    """Everything that changes what an index contains; a mismatch forces reprocessing."""
    return {
        "format_version": FORMAT_VERSION,
        "model": model_name,
        "analyzer_version": ANALYZER_VERSION,
        "segmenter_version": f"{SEGMENTER_VERSION}+{_pipeline_code_hash()}",
        "passages": [settings.passage_target_words, settings.passage_max_words,
                     settings.passage_min_words, settings.passage_overlap_words],
        "faiss_index": settings.faiss_index,
        "hnsw_min_passages": settings.hnsw_min_passages,
        "duplicate_threshold": settings.duplicate_threshold,
    }


def read_sources(paths: list[Path], errors: list[str]) -> list[Document]:
    documents: dict[str, Document] = {}
    for source in collect_sources(paths):
        try:
            document = read_document(source)
        except (IngestError, OSError) as exc:
            errors.append(str(exc))
            log.error("skipped: %s", exc)
            continue
        if document.id in documents:
            errors.append(f"{source.path}: document id {document.id!r} already used by "
                          f"{documents[document.id].source}; skipped")
            continue
        documents[document.id] = document
    return list(documents.values())


def _process(document: Document, settings: Settings,
             given_items: list[AgendaItem] | None = None) -> tuple[list[AgendaItem], list[Passage]]:
    if given_items is not None:
        items, section_starts = given_items, {i.id: [] for i in given_items}
    else:
        segmentation = segment(document)
        items, section_starts = segmentation.items, segmentation.section_starts
    passages: list[Passage] = []
    for item in items:
        if item.kind == "agenda":  # a table of contents: structure, not searchable content
            continue
        passages.extend(make_passages(
            document, item, section_starts[item.id],
            target=settings.passage_target_words, max_words=settings.passage_max_words,
            min_words=settings.passage_min_words, overlap=settings.passage_overlap_words))
    return items, passages


Analysed = tuple[list[AgendaItem], list[Passage], list[list[str]]]

# Text analysis runs in worker processes when there is at least this much new text (about
# 2,500 passages) and more than one core; below that, starting workers costs more than it saves.
PARALLEL_MIN_CHARACTERS = 2_000_000


def _analyze_one(document: Document, settings: Settings, given: list[AgendaItem] | None) -> Analysed:
    """Agenda items, passages and BM25 terms of one document."""
    analyzer = get_analyzer()
    doc_items, doc_passages = _process(document, settings, given)
    item_by_id = {i.id: i for i in doc_items}
    terms = [analyzer.analyze(indexed_text(p, item_by_id[p.agenda_item_id], document, with_meeting=False))
             for p in doc_passages]
    return doc_items, doc_passages, terms


def _analyze_chunk(chunk: list[tuple[Document, Settings, list[AgendaItem] | None]]) -> list[Analysed]:
    return [_analyze_one(*job) for job in chunk]


def analyze_documents(documents: list[Document], settings: Settings,
                      given: dict[str, list[AgendaItem] | None]) -> list[Analysed]:
    """``_analyze_one`` for each document, in order; on all cores for large batches.

    Workers are forked (Linux), so they start with the loaded lexicons; each chunk of
    documents comes back as whole results, in submission order."""
    import multiprocessing

    jobs = [(d, settings, given.get(d.id)) for d in documents]
    cores = available_cores()
    characters = sum(len(d.text) for d in documents)
    if cores < 2 or characters < PARALLEL_MIN_CHARACTERS or \
            "fork" not in multiprocessing.get_all_start_methods():
        return [_analyze_one(*job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    get_analyzer().analyze("Wörterbücher laden")  # load the lexicons once, before forking
    size = max(1, len(jobs) // (cores * 8))
    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    with ProcessPoolExecutor(max_workers=cores, mp_context=multiprocessing.get_context("fork")) as pool:
        return [result for part in pool.map(_analyze_chunk, chunks) for result in part]


ProgressCallback = Callable[[int, int], None]  # (passages encoded so far, passages to encode)


def build_index(paths: list[Path] | None, settings: Settings, rebuild: bool = False,
                on_progress: ProgressCallback | None = None,
                embedder: Embedder | None = None) -> BuildReport:
    """Read the source files (default: the seeds) and add them to the index."""
    started = time.perf_counter()
    errors: list[str] = []
    new_documents = read_sources(paths or [SEEDS_DIR], errors)
    if not new_documents:
        raise IngestError("no document could be read: " + "; ".join(errors or ["no input files"]))
    read_seconds = time.perf_counter() - started
    # documents imported from OParl keep the agenda items their source states when a changed
    # pipeline reprocesses them here
    from index.oparl.items import index_items_for

    report = update_index(new_documents, settings, rebuild=rebuild, on_progress=on_progress,
                          embedder=embedder,
                          items_for=None if rebuild else index_items_for(settings.resolved_index_dir))
    report.errors = errors + report.errors
    report.timings = {"read": read_seconds, **report.timings}
    report.seconds += read_seconds
    return report


def update_index(new_documents: list[Document], settings: Settings, remove: set[str] | None = None,
                 rebuild: bool = False, on_progress: ProgressCallback | None = None,
                 embedder: Embedder | None = None,
                 items_for: Callable[[Document], list[AgendaItem] | None] | None = None) -> BuildReport:
    """Add or replace ``new_documents`` and drop the ids in ``remove``; one new generation.

    ``items_for`` may give a document's agenda items when its source already states them
    (an OParl agenda item, say); ``None`` from it means: segment the text as usual.
    """
    started = time.perf_counter()
    index_dir = settings.resolved_index_dir
    report = BuildReport(status="built", index_dir=index_dir)
    remove = set(remove or ())

    embedder = embedder or Embedder.from_settings(settings)
    signature = pipeline_signature(settings, embedder.name)

    previous = None
    if not rebuild:
        manifest = read_manifest(index_dir)
        if manifest is not None:
            if {k: manifest.get(k) for k in signature} == signature:
                previous, _, _ = load_generation(index_dir, with_vectors=False)
            else:
                log.warning("the index at %s was built with other settings or models; "
                            "rebuilding it from its documents and the new ones", index_dir)
                report.reprocessed = True
                try:
                    previous_docs = load_generation(index_dir, with_vectors=False)[0].documents
                except IndexUnavailable:
                    previous_docs = []
                new_ids = {d.id for d in new_documents}
                new_documents = [d for d in previous_docs if d.id not in new_ids] + new_documents

    old_docs = {d.id: d for d in previous.documents} if previous else {}
    corpus = {d: doc for d, doc in old_docs.items() if d not in remove}
    report.removed = sorted(d for d in remove if d in old_docs)
    for document in new_documents:
        if document.id in remove:
            continue
        if document.id not in old_docs:
            report.added.append(document.id)
        elif old_docs[document.id].checksum != document.checksum:
            report.changed.append(document.id)
        corpus[document.id] = document
    if previous is not None and not report.added and not report.changed and not report.removed:
        report.status = "up-to-date"
        report.documents = len(corpus)
        report.passages = len(previous.passages)
        report.seconds = time.perf_counter() - started
        return report
    if not corpus:
        raise IngestError("the index would be empty: every document was removed")

    phase = time.perf_counter()
    reusable = {d for d in old_docs if d not in report.changed and d not in remove}
    previous_items: dict[str, list[AgendaItem]] = {}
    previous_rows: dict[str, list[int]] = {}
    if previous is not None:
        for item in previous.items:
            previous_items.setdefault(item.document_id, []).append(item)
        for row, passage in enumerate(previous.passages):
            previous_rows.setdefault(passage.document_id, []).append(row)
    to_process = [corpus[d] for d in sorted(corpus) if not (d in reusable and previous is not None)]
    given = {d.id: items_for(d) for d in to_process} if items_for else {}
    processed = dict(zip((d.id for d in to_process),
                         analyze_documents(to_process, settings, given)))
    items: list[AgendaItem] = []
    passages: list[Passage] = []
    terms: list[list[str]] = []
    for doc_id in sorted(corpus):
        if doc_id in processed:
            doc_items, doc_passages, doc_terms = processed[doc_id]
            items.extend(doc_items)
            passages.extend(doc_passages)
            terms.extend(doc_terms)
        else:
            items.extend(previous_items.get(doc_id, []))
            for row in previous_rows.get(doc_id, []):
                passages.append(previous.passages[row])
                terms.append(previous.terms[row])
    report.timings["analyze"] = time.perf_counter() - phase

    phase = time.perf_counter()
    item_by_id = {i.id: i for i in items}
    texts = [indexed_text(p, item_by_id[p.agenda_item_id], corpus[p.document_id]) for p in passages]
    vectors, report.encoded = _embed(texts, embedder, settings.cache_dir, on_progress)
    report.timings["embed"] = time.perf_counter() - phase

    phase = time.perf_counter()
    groups = duplicate_groups([p.text for p in passages], [p.document_id for p in passages],
                              settings.duplicate_threshold)
    report.timings["dedup"] = time.perf_counter() - phase

    phase = time.perf_counter()
    manifest = dict(signature)
    manifest.update({
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "dim": int(vectors.shape[1]),
        "documents": {d: corpus[d].checksum for d in sorted(corpus)},
        "counts": {"documents": len(corpus), "agenda_items": len(items), "passages": len(passages)},
        "faiss_kind": settings.faiss_kind(len(passages)),
    })
    data = IndexData(documents=[corpus[d] for d in sorted(corpus)], items=items, passages=passages,
                     terms=terms, duplicate_groups=groups, vectors=vectors, manifest=manifest)
    write_timings: dict[str, float] = {}
    write_generation(index_dir, data, settings.faiss_kind(len(passages)), write_timings)
    report.timings.update({f"write:{k}": v for k, v in write_timings.items()})
    report.timings["write"] = time.perf_counter() - phase
    report.documents, report.passages = len(corpus), len(passages)
    report.seconds = time.perf_counter() - started
    return report


def _embed(texts: list[str], embedder: Embedder, cache_dir: Path,
           on_progress: ProgressCallback | None) -> tuple[np.ndarray, int]:
    cache = EmbeddingCache(cache_dir / EMBEDDING_CACHE, embedder.name)
    cached = cache.get_many(texts)
    missing = [t for t in dict.fromkeys(texts) if cache.key(t) not in cached]
    if missing:
        log.info("encoding %d passages (%d from the cache)", len(missing), len(texts) - len(missing))
        # encode and cache in chunks, so an interrupted build keeps what it already encoded
        chunk = embedder.batch_size * 4
        if on_progress:
            on_progress(0, len(missing))
        for offset in range(0, len(missing), chunk):
            part = missing[offset:offset + chunk]
            vectors = embedder.encode_passages(part)
            cache.put_many(part, vectors)
            cached.update({cache.key(t): v for t, v in zip(part, vectors)})
            if on_progress:
                on_progress(offset + len(part), len(missing))
    dim = embedder.dim
    matrix = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        matrix[row] = cached[cache.key(text)]
    return matrix, len(missing)
