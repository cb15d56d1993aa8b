"""Hybrid retrieval: BM25 ∥ dense (FAISS) → fusion → filters → one copy per duplicate group.

Filters are applied inside each retriever (a boolean mask over passages for BM25, an
ID selector for FAISS), so a filtered search still returns ``top_k`` hits when they exist.
Ties are broken by passage row, so the same query always gives the same ranking.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index.analyze import get_analyzer
from index.build import pipeline_signature
from index.config import Settings
from index.embed import Embedder
from index.language import guess_language
from index.pdf import page_of
from index.records import AgendaItem, Document, Filters, Hit, Passage
from index.store import IndexUnavailable, load_generation

log = logging.getLogger(__name__)

MODES = ("bm25", "dense", "hybrid")


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
    """A loaded index generation with its retrievers."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.index_dir: Path = settings.resolved_index_dir
        data, self.dense, self.bm25 = load_generation(self.index_dir, with_vectors=False)
        self.manifest = data.manifest
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
        self.documents: dict[str, Document] = {d.id: d for d in data.documents}
        self.items: dict[str, AgendaItem] = {i.id: i for i in data.items}
        self.passages: list[Passage] = data.passages
        self.passage_rows: dict[str, int] = {p.id: row for row, p in enumerate(self.passages)}
        self.groups = np.asarray(data.duplicate_groups, dtype=np.int64)
        self._group_members: dict[int, list[int]] = {}
        for row, group in enumerate(data.duplicate_groups):
            self._group_members.setdefault(group, []).append(row)
        self._public = np.array([self.items[p.agenda_item_id].public and
                                 self.documents[p.document_id].public for p in self.passages], dtype=bool)

    def warm_up(self) -> None:
        self.embedder.warm_up()
        self.analyzer.analyze("Aufwärmen")

    # ------------------------------------------------------------------ filters

    def mask(self, filters: Filters | None) -> np.ndarray:
        filters = filters or Filters()
        keep = np.ones(len(self.passages), dtype=bool)
        if not filters.include_non_public:
            keep &= self._public
        wanted_docs = [d for d in self.documents.values() if document_matches(d, filters)]
        if len(wanted_docs) != len(self.documents):
            ids = {d.id for d in wanted_docs}
            keep &= np.array([p.document_id in ids for p in self.passages], dtype=bool)
        return keep

    # ------------------------------------------------------------------ retrievers

    def bm25_ranking(self, query: str, depth: int, mask: np.ndarray) -> Ranked:
        scores = self.bm25.scores(self.analyzer.analyze(query))
        scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)  # never return zero-score hits
        return _top(candidates, scores[candidates], depth)

    def dense_ranking(self, query: str, depth: int, mask: np.ndarray) -> Ranked:
        if self.dense.ntotal == 0 or not mask.any():
            return Ranked(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        vector = self.embedder.encode_queries([query]).astype(np.float32)
        depth = min(depth, int(mask.sum()))
        params = None
        if not mask.all():
            selector = faiss.IDSelectorBatch(np.flatnonzero(mask).astype(np.int64))
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=max(128, depth))
                      if isinstance(self.dense, faiss.IndexHNSW) else faiss.SearchParameters(sel=selector))
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
            item_id = self.passages[row].agenda_item_id
            if group in seen_groups or (limit and per_item.get(item_id, 0) >= limit):
                continue
            seen_groups.add(group)
            per_item[item_id] = per_item.get(item_id, 0) + 1
            copies = tuple(self.passages[r].id for r in self._group_members[group] if r != row)
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

    def passage_by_id(self, passage_id: str) -> Passage:
        return self.passages[self.passage_rows[passage_id]]

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
        }


def _top(rows: np.ndarray, scores: np.ndarray, depth: int) -> Ranked:
    order = np.lexsort((rows, -scores))[:depth]  # score descending, then row ascending
    return Ranked(rows[order], scores[order])


def document_matches(document: Document, filters: Filters) -> bool:
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


def _date_range(document: Document) -> tuple[dt.date | None, dt.date | None]:
    """The meeting date, or the whole year when only the year is known."""
    meeting = document.meeting
    if meeting.date:
        return meeting.date, meeting.date
    if meeting.year:
        return dt.date(meeting.year, 1, 1), dt.date(meeting.year, 12, 31)
    return None, None
