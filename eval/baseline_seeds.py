"""The baselines beside minutes-qa on the seed dev set: agenda-item hit@k and query latency.

    python -m eval.baselines [--index-dir DIR] [--k 5] [--repeat 3] [--no-haystack]
                             [--haystack-embeds] [--json]

Every ranker sees the same passages: the rows of the seed index, as minutes-qa's BM25 sees
them (``indexed_text(..., with_meeting=False)``), with the index's own vectors (unless
``--haystack-embeds``: Haystack embeds those texts itself). Judging is that of
``eval.retrieval.evaluate``: a returned row counts for its agenda item and those of its
duplicate copies, and a question is a hit when one of the first k rows belongs to an agenda
item that holds its gold evidence. The questions are the answerable ones of
``seeds_dev.jsonl`` and the first turns of ``seeds_conversations.jsonl``.

Without ``--index-dir`` the seed documents are indexed into a temporary folder (vectors
come from the embedding cache, so this takes seconds once the cache is filled).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eval.baselines import Baseline, HaystackHybrid, NaiveBM25, Ranker, haystack_available
from eval.questions import Question, load_jsonl
from eval.retrieval import DEFAULT_QUESTIONS, relevant_items
from index.build import build_index
from index.config import Settings
from index.embed import Embedder
from index.passages import indexed_text
from index.retrieve import SearchIndex
from index.store import load_generation


@dataclass
class SeedCorpus:
    """The seed index and what the baselines are given: row i = ``index.passages[i]``."""

    index: SearchIndex
    questions: list[Question]  # answerable only
    texts: list[str]
    vectors: np.ndarray
    gold: dict[str, set[str]] = field(default_factory=dict)  # question id → agenda item ids
    row_items: list[set[str]] = field(default_factory=list)  # row → its and its copies' items

    def __post_init__(self) -> None:
        self.gold = {q.id: relevant_items(self.index, q) for q in self.questions}
        members: dict[int, set[str]] = {}
        for row, group in enumerate(self.index.groups.tolist()):
            members.setdefault(group, set()).add(self.index.passages[row].agenda_item_id)
        self.row_items = [members[group] for group in self.index.groups.tolist()]


@dataclass
class SeedResult:
    name: str
    hit_at_k: float
    misses: list[str]
    latencies_ms: list[float]

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q))


class MinutesQA:
    """minutes-qa's own search in one mode, as a ``Ranker`` over the same rows."""

    def __init__(self, index: SearchIndex, mode: str) -> None:
        self.index = index
        self.mode = mode
        self.name = f"minutes-qa {mode}"

    def search(self, query: str, k: int) -> list[int]:
        # every call pays its query encoding, as the baselines' do (no cached query vector)
        self.index.clear_query_cache()
        return [self.index.passage_rows[hit.passage.id]
                for hit in self.index.search(query, mode=self.mode, top_k=k)]


def seed_questions(paths: list[Path] = DEFAULT_QUESTIONS) -> list[Question]:
    """Single questions and first turns of conversations, answerable ones only."""
    questions: list[Question] = []
    for path in paths:
        singles, conversations = load_jsonl(path)
        questions += singles + [c.turns[0] for c in conversations]
    return [q for q in questions if not q.unanswerable]


def open_seed_index(index_dir: Path, build: bool = True, embedder: Embedder | None = None) -> SearchIndex:
    """The index at ``index_dir``; with ``build``, the seed documents are added first."""
    settings = Settings.from_env(index_dir=index_dir)
    embedder = embedder or Embedder.from_settings(settings)
    if build:
        build_index(None, settings, embedder=embedder)
    return SearchIndex(settings, embedder=embedder)


def seed_corpus(index: SearchIndex, questions: list[Question] | None = None) -> SeedCorpus:
    texts = [indexed_text(p, index.items[p.agenda_item_id], index.documents[p.document_id],
                          with_meeting=False) for p in index.passages]
    data, _, _ = load_generation(index.index_dir, with_vectors=True)
    if [p.id for p in data.passages] != [p.id for p in index.passages]:
        raise RuntimeError(f"the index at {index.index_dir} changed while it was read")
    return SeedCorpus(index, questions if questions is not None else seed_questions(), texts, data.vectors)


def load_seed_corpus(index_dir: Path | None = None) -> SeedCorpus:
    """The seed corpus from ``index_dir`` (as it is), or from a fresh temporary seed index."""
    if index_dir is not None:
        return seed_corpus(open_seed_index(index_dir, build=False))
    with tempfile.TemporaryDirectory(prefix="minutes-qa-seeds-") as tmp:
        return seed_corpus(open_seed_index(Path(tmp)))  # everything is in memory once loaded


def judge(corpus: SeedCorpus, ranker: Ranker, k: int = 5) -> SeedResult:
    """Hit@k as ``eval.retrieval.evaluate`` counts it (one pass; its latencies are recorded)."""
    misses: list[str] = []
    latencies: list[float] = []
    for question in corpus.questions:
        started = time.perf_counter()
        rows = ranker.search(question.question, k)
        latencies.append((time.perf_counter() - started) * 1000)
        if not any(corpus.row_items[row] & corpus.gold[question.id] for row in rows[:k]):
            misses.append(question.id)
    hit = 1 - len(misses) / len(corpus.questions)
    return SeedResult(ranker.name, round(hit, 4), misses, latencies)


def time_interleaved(corpus: SeedCorpus, rankers: list[Ranker], k: int = 5,
                     repeat: int = 3) -> dict[str, list[float]]:
    """Milliseconds per search call: ``repeat`` passes over the questions, each question sent
    to every ranker in turn, so that load from other work on the machine falls on all alike.
    One untimed warm-up query first."""
    latencies: dict[str, list[float]] = {r.name: [] for r in rankers}
    for ranker in rankers:
        ranker.search(corpus.questions[0].question, k)
    for _ in range(repeat):
        for question in corpus.questions:
            for ranker in rankers:
                started = time.perf_counter()
                ranker.search(question.question, k)
                latencies[ranker.name].append((time.perf_counter() - started) * 1000)
    return latencies


def seed_hit_at_k(baseline: Baseline, k: int = 5, corpus: SeedCorpus | None = None,
                  with_vectors: bool = True) -> float:
    """Index the seed passages into ``baseline`` and return its agenda-item hit@k."""
    corpus = corpus or load_seed_corpus()
    baseline.index(corpus.texts, corpus.vectors if with_vectors else None)
    return judge(corpus, baseline, k).hit_at_k


# ----------------------------------------------------------------------------- report


def compare(corpus: SeedCorpus, k: int = 5, repeat: int = 3, haystack: bool = True,
            haystack_embeds: bool = False) -> dict:
    """Index the baselines, judge every ranker, and the speed ratios of the pairs that matter."""
    baselines: list[Baseline] = [NaiveBM25()]
    if haystack:
        baselines.append(HaystackHybrid(model_dir=corpus.index.embedder.model_dir))  # the same model
    index_seconds: dict[str, float] = {}
    for baseline in baselines:
        with_vectors = not (haystack_embeds and isinstance(baseline, HaystackHybrid))
        started = time.perf_counter()
        baseline.index(corpus.texts, corpus.vectors if with_vectors else None)
        index_seconds[baseline.name] = round(time.perf_counter() - started, 3)
    corpus.index.warm_up()
    rankers: list[Ranker] = [*baselines, MinutesQA(corpus.index, "bm25"), MinutesQA(corpus.index, "hybrid")]
    results = {r.name: judge(corpus, r, k) for r in rankers}
    for name, latencies in time_interleaved(corpus, rankers, k, repeat).items():
        results[name].latencies_ms = latencies
    pairs = [("minutes-qa bm25", NaiveBM25.name)]
    if haystack:
        pairs.append(("minutes-qa hybrid", HaystackHybrid.name))
    return {
        "questions": len(corpus.questions), "passages": len(corpus.texts), "k": k, "repeat": repeat,
        "haystack_vectors": None if not haystack else "own embedder" if haystack_embeds else "the index's",
        "index_seconds": index_seconds,
        "rankers": {name: {"hit_at_k": r.hit_at_k, "p50_ms": round(r.percentile(50), 3),
                           "p95_ms": round(r.percentile(95), 3), "misses": r.misses}
                    for name, r in results.items()},
        "ratios": [{"ours": ours, "baseline": base,
                    "p50_speedup": round(results[base].percentile(50) / results[ours].percentile(50), 2),
                    "p95_speedup": round(results[base].percentile(95) / results[ours].percentile(95), 2),
                    "hit_at_k_difference": round(results[ours].hit_at_k - results[base].hit_at_k, 4)}
                   for ours, base in pairs],
    }


def format_report(report: dict) -> str:
    k = report["k"]
    haystack = f"; Haystack with {report['haystack_vectors']} vectors" if report["haystack_vectors"] else ""
    lines = [f"seed dev set: {report['questions']} questions, {report['passages']} passages; "
             f"latency over {report['repeat']} interleaved pass(es){haystack}",
             f"{'ranker':<20} {'hit@' + str(k):>7} {'p50 ms':>9} {'p95 ms':>9}"]
    for name, r in report["rankers"].items():
        lines.append(f"{name:<20} {r['hit_at_k']:>7.3f} {r['p50_ms']:>9.2f} {r['p95_ms']:>9.2f}")
    for pair in report["ratios"]:
        lines.append(f"{pair['ours']} vs {pair['baseline']}: speed-up (baseline time / ours) "
                     f"{pair['p50_speedup']:.2f}× at p50, {pair['p95_speedup']:.2f}× at p95; "
                     f"hit@{k} {pair['hit_at_k_difference']:+.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, help="a built index of the seeds (default: a fresh one)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the questions")
    parser.add_argument("--no-haystack", action="store_true", help="leave the Haystack pipeline out")
    parser.add_argument("--haystack-embeds", action="store_true",
                        help="Haystack embeds the passages itself instead of taking the index's vectors")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    haystack = not args.no_haystack
    if haystack and not haystack_available():
        parser.error("haystack-ai is not installed (make bench-install), or pass --no-haystack")
    corpus = load_seed_corpus(args.index_dir)
    report = compare(corpus, k=args.k, repeat=args.repeat, haystack=haystack,
                     haystack_embeds=args.haystack_embeds)
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else format_report(report))
    return 0
