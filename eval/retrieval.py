"""Agenda-item accuracy of retrieval: is the right agenda item among the top k passages?

A retrieved passage counts as the right agenda item when its agenda item (or a duplicate
copy's) contains one of the question's gold evidence strings, in one of its gold documents.
This judges retrieval at the level users cite (the TOP), independent of passage cuts.

    python -m eval.retrieval [QUESTIONS.jsonl ...] [--k 5] [--index-dir DIR]

Single questions count with their gold; of a conversation only the first turn counts here
(later turns need the conversation to be understood).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.questions import Question, load_jsonl
from index.config import PROJECT_ROOT, Settings
from index.records import Hit
from index.retrieve import MODES, SearchIndex

DEFAULT_QUESTIONS = [PROJECT_ROOT / "eval" / "questions" / "seeds_dev.jsonl",
                     PROJECT_ROOT / "eval" / "questions" / "seeds_conversations.jsonl"]


def relevant_items(index: SearchIndex, question: Question) -> set[str]:
    """Ids of the agenda items that hold the gold evidence."""
    found: set[str] = set()
    for item in index.items.values():
        if question.document_ids and item.document_id not in question.document_ids:
            continue
        if question.agenda_items and item.number not in question.agenda_items:
            continue
        text = index.documents[item.document_id].text[item.start:item.end]
        if not question.evidence or any(e in text for e in question.evidence):
            found.add(item.id)
    return found


def hit_items(index: SearchIndex, hit: Hit) -> set[str]:
    items = {hit.passage.agenda_item_id}
    items.update(index.passage_by_id(pid).agenda_item_id for pid in hit.duplicates)
    return items


def agenda_item_rank(index: SearchIndex, question: Question, hits: list[Hit]) -> int | None:
    gold = relevant_items(index, question)
    for rank, hit in enumerate(hits, start=1):
        if hit_items(index, hit) & gold:
            return rank
    return None


def evaluate(index: SearchIndex, questions: list[Question], k: int = 5,
             modes: tuple[str, ...] = MODES) -> dict:
    answerable = [q for q in questions if not q.unanswerable]
    languages = sorted({q.lang for q in answerable})
    report: dict = {"questions": len(answerable), "k": k,
                    "by_language": {lang: sum(q.lang == lang for q in answerable) for lang in languages},
                    "modes": {}}
    for mode in modes:
        misses = []
        found = {lang: 0 for lang in languages}
        for question in answerable:
            rank = agenda_item_rank(index, question, index.search(question.question, mode=mode, top_k=k))
            if rank is not None:
                found[question.lang] += 1
            else:
                misses.append(question.id)
        report["modes"][mode] = {
            "hit_at_k": round(sum(found.values()) / len(answerable), 4),
            "by_language": {lang: round(found[lang] / report["by_language"][lang], 4) for lang in languages},
            "misses": misses,
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", nargs="*", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--index-dir", type=Path)
    args = parser.parse_args(argv)
    questions = []
    for path in args.questions:
        singles, conversations = load_jsonl(path)
        questions += singles + [c.turns[0] for c in conversations]
    index = SearchIndex(Settings.from_env(index_dir=args.index_dir))
    report = evaluate(index, questions, k=args.k)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
