"""Hybrid retrieval: BM25 ∥ dense (FAISS) → fusion → filters → one copy per duplicate group.

Filters are applied inside each retriever (a boolean mask over passages for BM25, an
ID selector for FAISS), so a filtered search still returns ``top_k`` hits when they exist.
Ties are broken by passage row, so the same query always gives the same ranking.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from index.analyze import get_analyzer
from index.build import pipeline_signature
from index.config import Settings
from index.embed import Embedder
from index.language import guess_language
from index.pdf import page_of
from index.records import AgendaItem, Document, DocumentInfo, Filters, Hit, Passage
from index.references import ReferenceResolver
from index.store import IndexUnavailable, open_generation
from index.tables import DocumentTable, PassageTable

log = logging.getLogger(__name__)

MODES = ("bm25", "dense", "hybrid")
EXACT_SUBSET_MAX = 20_000  # filtered dense search scores at most this many rows exactly


@dataclass(frozen=True)
class Ranked:
    rows: np.ndarray  # passage rows, best first
    scores: np.ndarray


def reciprocal_rank_fusion(rankings: dict[str, Ranked], k: int,
                           weights: dict[str, float] | None = None) -> dict[int, float]:
    """Σ weight / (k + rank) over the retrievers (weights default to 1)."""
    fused: dict[int, float] = {}
    for name, ranked in rankings.items():
        weight = 1.0 if weights is None else weights[name]
        for rank, row in enumerate(ranked.rows.tolist(), start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


def weighted_fusion(rankings: dict[str, Ranked], weights: dict[str, float]) -> dict[int, float]:
    """Convex combination of min-max normalised scores (a missing hit counts as 0)."""
    fused: dict[int, float] = {}
    for name, ranked in rankings.items():
        if not len(ranked.rows):
            continue
        low, high = float(ranked.scores.min()), float(ranked.scores.max())
        span = high - low
        for row, score in zip(ranked.rows.tolist(), ranked.scores.tolist()):
            normalised = (score - low) / span if span > 0 else 1.0
            fused[row] = fused.get(row, 0.0) + weights[name] * normalised
    return fused


class SearchIndex:
    """A loaded index generation with its retrievers.

    Memory: per passage only NumPy rows (document, agenda item, offsets, duplicate group,
    public flag), the BM25 matrix and the FAISS vectors; texts stay in the generation's
    SQLite file until a hit or an answer needs them (``index.tables``).
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.index_dir: Path = settings.resolved_index_dir
        generation = open_generation(self.index_dir)
        self.manifest = generation.manifest
        self.dense, self.bm25 = generation.dense, generation.bm25
        self.embedder = embedder or Embedder.from_settings(settings)
        expected = pipeline_signature(settings, self.embedder.name)
        if self.manifest.get("model") != expected["model"]:
            raise IndexUnavailable(
                f"The index at {self.index_dir} was built with the model {self.manifest.get('model')!r}, "
                f"but the configured model is {expected['model']!r}. Rebuild it: "
                f"minutes-qa index --rebuild --index-dir {self.index_dir}")
        if self.manifest.get("analyzer_version") != expected["analyzer_version"]:
            raise IndexUnavailable(
                f"The index at {self.index_dir} was analysed with analyzer version "
                f"{self.manifest.get('analyzer_version')!r}, this version uses "
                f"{expected['analyzer_version']!r}. Rebuild it: minutes-qa index --rebuild "
                f"--index-dir {self.index_dir}")
        self.analyzer = get_analyzer()
        self.documents: DocumentTable = generation.documents
        self.items: dict[str, AgendaItem] = generation.items
        self.passages: PassageTable = generation.passages
        self.groups: np.ndarray = generation.groups
        # only groups with several members (most passages have no duplicate)
        self._group_members: dict[int, list[int]] = {}
        counts = np.bincount(self.groups) if len(self.groups) else np.zeros(0, dtype=np.int64)
        for row in np.flatnonzero(counts[self.groups] > 1).tolist():
            self._group_members.setdefault(int(self.groups[row]), []).append(row)
        item_public = np.array([self.items[i].public if i in self.items else True
                                for i in self.passages.item_ids], dtype=bool)
        doc_public = np.array([self.documents.info(d).public for d in self.passages.document_ids],
                              dtype=bool)
        self._public = item_public[self.passages.item_index] & doc_public[self.passages.doc_index]
        self._filter_cache: dict[Filters, np.ndarray] = {}
        self.ef_search = 128  # HNSW breadth; at least the retrieval depth
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()
        self._filter_lock = threading.Lock()

    @property
    def passage_rows(self) -> "_PassageRows":
        """``passage id → row`` lookups (``in`` and ``[]``), without a dict of every id."""
        return _PassageRows(self.passages)

    def group_rows(self, row: int) -> list[int]:
        """Rows of the duplicate group of ``row`` (``[row]`` when it has no copy)."""
        return self._group_members.get(int(self.groups[row]), [row])

    def item_passages(self, item_id: str) -> list[Passage]:
        """The passages of an agenda item, in text order."""
        return sorted((self.passages[r] for r in self.passages.rows_of_item(item_id)),
                      key=lambda p: p.start)

    def passages_around(self, passage: Passage, whole_item_max: int, radius: int) -> list[Passage]:
        """Passages of ``passage``'s agenda item: all of them when the item has at most
        ``whole_item_max``, else the ``radius`` passages on either side (text order)."""
        rows = self.passages.rows_of_item(passage.agenda_item_id)
        if len(rows) > whole_item_max:
            row = self.passages.row_of(passage.id)
            if row is not None:
                rows = range(max(rows.start, row - radius), min(rows.stop, row + radius + 1))
        return sorted((self.passages[r] for r in rows), key=lambda p: p.start)

    def document_passages(self, document_id: str) -> list[Passage]:
        return [self.passages[r] for r in self.passages.rows_of_document(document_id)]

    def query_vector(self, query: str) -> np.ndarray:
        """The e5 query vector (float32), cached: the answer step asks for the same one."""
        with self._query_lock:
            vector = self._query_vectors.get(query)
            if vector is not None:
                self._query_vectors.move_to_end(query)
                return vector
        vector = np.ascontiguousarray(self.embedder.encode_queries([query])[0], dtype=np.float32)
        with self._query_lock:
            self._query_vectors[query] = vector
            while len(self._query_vectors) > 1024:
                self._query_vectors.popitem(last=False)
        return vector

    def clear_query_cache(self) -> None:
        with self._query_lock:
            self._query_vectors.clear()

    def warm_up(self) -> None:
        self.embedder.warm_up()
        self.analyzer.analyze("Aufwärmen")

    # ------------------------------------------------------------------ filters

    def mask(self, filters: Filters | None) -> np.ndarray:
        filters = filters or Filters()
        keep = self._public.copy() if not filters.include_non_public \
            else np.ones(len(self.passages), dtype=bool)
        if filters != Filters(include_non_public=filters.include_non_public):
            wanted = self._documents_matching(filters)
            if not wanted.all():
                keep &= wanted[self.passages.doc_index]
        return keep

    def _documents_matching(self, filters: Filters) -> np.ndarray:
        """Per document (``passages.document_ids`` order): does it pass the filters? Cached,
        since a conversation repeats its filters on every turn."""
        key = replace(filters, include_non_public=False)
        wanted = self._filter_cache.get(key)
        if wanted is None:
            wanted = np.array([document_matches(self.documents.info(d), key)
                               for d in self.passages.document_ids], dtype=bool)
            with self._filter_lock:
                if len(self._filter_cache) >= 256:
                    self._filter_cache.pop(next(iter(self._filter_cache)))
                self._filter_cache[key] = wanted
        return wanted

    # ------------------------------------------------------------------ retrievers

    def bm25_ranking(self, query: str, depth: int, mask: np.ndarray) -> Ranked:
        scores = self.bm25.scores(self.analyzer.analyze(query))
        candidates = np.flatnonzero((scores > 0) & mask)  # never return zero-score hits
        return _top(candidates, scores[candidates], depth)

    def dense_ranking(self, query: str, depth: int, mask: np.ndarray) -> Ranked:
        if self.dense.ntotal == 0 or not mask.any():
            return Ranked(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        vector = self.query_vector(query)[None, :]
        if mask.all():
            return self._dense_search(vector, min(depth, self.dense.ntotal), None)
        selected = np.flatnonzero(mask)
        if len(selected) <= EXACT_SUBSET_MAX:
            # a narrow filter (one meeting, one committee): exact scores of just those rows,
            # which an HNSW graph search restricted to them could miss
            scores = self.dense.reconstruct_batch(selected) @ vector[0]
            return _top(selected, scores.astype(np.float32), depth)
        bitmap = np.packbits(mask, bitorder="little")  # O(n/8); kept alive during the search
        selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
        depth = min(depth, len(selected))
        params = (faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ef_search, depth))
                  if isinstance(self.dense, faiss.IndexHNSW) else faiss.SearchParameters(sel=selector))
        return self._dense_search(vector, depth, params)

    def _dense_search(self, vector: np.ndarray, depth: int, params) -> Ranked:
        if params is None and isinstance(self.dense, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, depth))
        scores, rows = self.dense.search(vector, depth, params=params)
        valid = rows[0] >= 0
        return _top(rows[0][valid].astype(np.int64), scores[0][valid], depth)

    # ------------------------------------------------------------------ search

    def search(self, query: str, mode: str = "hybrid", top_k: int = 5,
               filters: Filters | None = None) -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not query or not query.strip():
            raise ValueError("the query is empty")
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        mask = self.mask(filters)
        depth = max(self.settings.candidates, top_k * 4)
        rankings: dict[str, Ranked] = {}
        if mode in ("bm25", "hybrid"):
            rankings["bm25"] = self.bm25_ranking(query, depth, mask)
        if mode in ("dense", "hybrid"):
            rankings["dense"] = self.dense_ranking(query, depth, mask)
        if mode == "hybrid":
            weights = self.fusion_weights(query)
            if self.settings.fusion == "weighted":
                fused = weighted_fusion(rankings, weights)
            else:
                fused = reciprocal_rank_fusion(rankings, self.settings.rrf_k, weights)
        else:
            only = rankings[mode]
            fused = dict(zip(only.rows.tolist(), only.scores.tolist()))
        return self._collapse(fused, rankings, top_k)

    def fusion_weights(self, query: str) -> dict[str, float]:
        """Retriever weights for one query.

        BM25 matches words, so it can only help a question in the language of the minutes
        (German); for an English question it mostly adds noise, and only names, numbers and
        dates still match. Its weight is scaled down then (``cross_lingual_bm25_weight``).
        """
        dense = self.settings.dense_weight if self.settings.fusion == "weighted" else 1.0
        lexical = 1 - self.settings.dense_weight if self.settings.fusion == "weighted" else 1.0
        if guess_language(query) != "de":
            lexical *= self.settings.cross_lingual_bm25_weight
        return {"bm25": lexical, "dense": dense}

    def _collapse(self, fused: dict[int, float], rankings: dict[str, Ranked], top_k: int) -> list[Hit]:
        """Best copy of each duplicate group, others listed on it; at most
        ``max_passages_per_item`` passages of one agenda item (field collapsing, so that one
        long item cannot fill the whole result list); deterministic order."""
        rank_of = {name: {row: r for r, row in enumerate(ranked.rows.tolist(), start=1)}
                   for name, ranked in rankings.items()}
        score_of = {name: dict(zip(ranked.rows.tolist(), ranked.scores.tolist()))
                    for name, ranked in rankings.items()}
        ordered = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        hits: list[Hit] = []
        seen_groups: set[int] = set()
        per_item: dict[str, int] = {}
        limit = self.settings.max_passages_per_item
        for row, score in ordered:
            group = int(self.groups[row])
            item_id = self.passages.agenda_item_id(row)
            if group in seen_groups or (limit and per_item.get(item_id, 0) >= limit):
                continue
            seen_groups.add(group)
            per_item[item_id] = per_item.get(item_id, 0) + 1
            copies = tuple(self.passages.passage_id(r) for r in self.group_rows(row) if r != row)
            hits.append(Hit(
                passage=self.passages[row],
                score=float(score),
                ranks={n: rank_of[n][row] for n in rankings if row in rank_of[n]},
                scores={n: float(score_of[n][row]) for n in rankings if row in score_of[n]},
                duplicates=copies,
            ))
            if len(hits) == top_k:
                break
        return hits

    # ------------------------------------------------------------------ presentation

    @cached_property
    def references(self) -> ReferenceResolver:
        """Links "Vorlage 0135/2020" / "TOP 21" in a text span to their targets in this index."""
        return ReferenceResolver(self.documents, self.items)

    def passage_by_id(self, passage_id: str) -> Passage:
        row = self.passages.row_of(passage_id)
        if row is None:
            raise KeyError(passage_id)
        return self.passages[row]

    def hit_json(self, hit: Hit) -> dict:
        passage = hit.passage
        item = self.items[passage.agenda_item_id]
        document = self.documents[passage.document_id]
        duplicates = []
        for pid in hit.duplicates:
            copy = self.passage_by_id(pid)
            duplicates.append({"passage_id": copy.id, "document_id": copy.document_id,
                               "start": copy.start, "end": copy.end,
                               "agenda_item": self.items[copy.agenda_item_id].as_json()})
        return {
            "passage_id": passage.id,
            "document_id": passage.document_id,
            "text": passage.text,
            "start": passage.start,
            "end": passage.end,
            "score": round(hit.score, 6),
            "ranks": hit.ranks,
            "agenda_item": item.as_json(),
            "meeting": document.meeting.as_json(),
            "page": page_of(document, passage.start),
            "duplicates": duplicates,
            "references": self.references.find_json(document, passage.start, passage.end),
        }


def _top(rows: np.ndarray, scores: np.ndarray, depth: int) -> Ranked:
    """The ``depth`` best rows: score descending, then row ascending (deterministic ties).

    A partial selection first, so a frequent word matching most of 100k passages costs a
    linear pass, not a full sort; every row tied with the last one kept is sorted with it.
    """
    if len(scores) > 4 * depth:
        threshold = np.partition(scores, len(scores) - depth)[len(scores) - depth]
        keep = scores >= threshold
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:depth]
    return Ranked(rows[order], scores[order])


class _PassageRows:
    """Mapping-like view: ``passage id in rows`` and ``rows[passage id]``."""

    def __init__(self, passages: PassageTable) -> None:
        self._passages = passages

    def __contains__(self, passage_id: object) -> bool:
        return isinstance(passage_id, str) and self._passages.row_of(passage_id) is not None

    def __getitem__(self, passage_id: str) -> int:
        row = self._passages.row_of(passage_id)
        if row is None:
            raise KeyError(passage_id)
        return row

    def __iter__(self):
        return (self._passages.passage_id(r) for r in range(len(self._passages)))

    def __len__(self) -> int:
        return len(self._passages)


def document_matches(document: Document | DocumentInfo, filters: Filters) -> bool:
    meeting = document.meeting
    if filters.document_id and document.id != filters.document_id:
        return False
    if filters.body and (meeting.body or "").casefold() != filters.body.casefold():
        return False
    if filters.committee and filters.committee.casefold() not in (meeting.committee or "").casefold():
        return False
    if filters.date_from or filters.date_to:
        first, last = _date_range(document)
        if first is None:
            return False
        if filters.date_from and last < filters.date_from:
            return False
        if filters.date_to and first > filters.date_to:
            return False
    return True


def _date_range(document: Document | DocumentInfo) -> tuple[dt.date | None, dt.date | None]:
    """The meeting date, or the whole year when only the year is known."""
    meeting = document.meeting
    if meeting.date:
        return meeting.date, meeting.date
    if meeting.year:
        return dt.date(meeting.year, 1, 1), dt.date(meeting.year, 12, 31)
    return None, None
