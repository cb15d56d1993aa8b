"""Relevance judgments and runs: from retrieved hits and gold annotations to ranx ``Qrels``/``Run``.

Two ways to judge a ranked list of hits (``index.records.Hit``, duplicates already collapsed):

**Gold-derived levels** (our JSONL sets): ``passage`` and ``agenda_item``. One run entry per
retrieved passage, so position *k* in the run is the *k*-th passage the system returned, and
hit@5 at agenda-item level means "the right agenda item is among the top 5 passages", which
is what ``eval/retrieval.py`` measures.

* ``passage``: units are duplicate groups (``SearchIndex.groups``), named by their first
  passage id. A group is relevant when one of its passages contains a gold evidence string
  (``passage``; the ``answer`` strings when there is none) inside a listed ``document_id``
  (and listed ``agenda_item`` numbers). Copies are one unit, as the search shows one of them.
* ``agenda_item``: gold items are those that contain an evidence string, in the listed
  documents and item numbers (``eval.retrieval.relevant_items``; without any string, every
  item of the listed documents). Gold items that hold copies of each other's text (000 and
  item 2.6 of 003) form one class, named by its first item id: finding either counts once.
  A retrieved passage stands for itself and its duplicate copies: it is labelled with the
  first gold class that its own item or a copy's item belongs to and that no earlier passage
  took; else with its own item id; a passage whose label was already used (a second passage
  of the same item) gets a unique filler id (``~`` + passage id) that is never relevant.

**External judgments** (BEIR, TREC): qrels name document ids (or item or passage ids, found
by matching them against the index). Hits are expanded MaxP-style: each hit's own unit, then
its copies' units (the collapsed copies were retrieved with the same score), each unit at its
first occurrence.

Scores in every run strictly decrease with the position (``strict_scores``): ranx sorts by
score with an unstable sort and trec_eval breaks ties by document id, so tied scores would
reorder the run and change the metrics (on the seeds, hybrid MRR by 0.01).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from eval.questions import Question
from index.records import Hit, Passage
from index.retrieve import SearchIndex

GOLD_LEVELS = ("passage", "agenda_item")
EXTERNAL_LEVELS = ("document", "agenda_item", "passage")
FILLER_PREFIX = "~"


@dataclass
class Judged:
    """Qrels and an ordered run for one level: qid → unit → relevance, qid → [(unit, score)]."""

    level: str
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)
    run: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def to_ranx(self):
        """(ranx.Qrels, ranx.Run) over the judged queries, each run query present (maybe empty)."""
        from ranx import Qrels, Run

        qrels = Qrels({q: dict(units) for q, units in self.qrels.items()})
        run = Run({q: dict(self.run.get(q, [])) for q in self.qrels})
        return qrels, run


TIE_STEP = 1e-6  # relative; above float32 resolution (1.2e-7), which trec_eval's sort sees


def strict_scores(scores: Sequence[float]) -> list[float]:
    """The scores, each lowered to ``TIE_STEP`` (relative) below the previous one where it is
    not at least that much lower: equal scores (RRF gives many: ranks 2+5 = ranks 5+2) keep the
    system's order in ranx and in trec_eval, whose sort does not see smaller differences."""
    out: list[float] = []
    for score in scores:
        score = float(score)
        if out:
            ceiling = out[-1] - max(abs(out[-1]), 1e-12) * TIE_STEP
            score = min(score, ceiling)
        out.append(score)
    return out


# ---------------------------------------------------------------------------------- gold


def evidence_strings(question: Question) -> tuple[str, ...]:
    return question.evidence or question.answers


class GoldIndex:
    """Gold units of questions over one index, with the duplicate structure precomputed."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.group_of: dict[str, str] = {}  # passage id -> group name (first passage id)
        members: dict[int, list[Passage]] = {}
        for row, passage in enumerate(index.passages):
            members.setdefault(int(index.groups[row]), []).append(passage)
        for group in members.values():
            for passage in group:
                self.group_of[passage.id] = group[0].id
        self.item_links: dict[str, set[str]] = {}  # items that share a duplicate passage
        for group in members.values():
            items = {p.agenda_item_id for p in group}
            for item in items:
                self.item_links.setdefault(item, set()).update(items - {item})

    def gold_items(self, question: Question) -> set[str]:
        strings = evidence_strings(question)
        found: set[str] = set()
        for item in self.index.items.values():
            if question.document_ids and item.document_id not in question.document_ids:
                continue
            if question.agenda_items and item.number not in question.agenda_items:
                continue
            text = self.index.documents[item.document_id].text[item.start:item.end]
            if not strings or any(s in text for s in strings):
                found.add(item.id)
        return found

    def gold_passages(self, question: Question) -> set[str]:
        strings = evidence_strings(question)
        items = self.gold_items(question) if not strings else None
        found: set[str] = set()
        for passage in self.index.passages:
            if question.document_ids and passage.document_id not in question.document_ids:
                continue
            if question.agenda_items and \
                    self.index.items[passage.agenda_item_id].number not in question.agenda_items:
                continue
            if (items is not None and passage.agenda_item_id in items) or \
                    (strings and any(s in passage.text for s in strings)):
                found.add(passage.id)
        return found

    def item_classes(self, items: set[str]) -> dict[str, str]:
        """Gold item → class name (first item id of its class of mutual copies)."""
        parent = {i: i for i in items}

        def find(i: str) -> str:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for item in items:
            for other in self.item_links.get(item, ()):
                if other in parent:
                    a, b = find(item), find(other)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        return {i: find(i) for i in items}

    # ------------------------------------------------------------------ per level

    def hit_units(self, hit: Hit, level: str) -> list[str]:
        """The units a hit stands for: its own first, then its copies'."""
        passages = [hit.passage.id] + [p for p in hit.duplicates]
        if level == "passage":
            return [self.group_of[hit.passage.id]]
        if level == "agenda_item":
            return _unique(self.index.passage_by_id(p).agenda_item_id for p in passages)
        if level == "document":
            return _unique(self.index.passage_by_id(p).document_id for p in passages)
        raise ValueError(f"unknown level {level!r}")

    def classes(self, question: Question, level: str) -> dict[str, str]:
        """Relevant unit → the name it is judged under."""
        if level == "passage":
            return {self.group_of[p]: self.group_of[p] for p in self.gold_passages(question)}
        if level == "agenda_item":
            return self.item_classes(self.gold_items(question))
        raise ValueError(f"no gold-derived judgments at level {level!r}")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def label_ranking(hit_units: Sequence[Sequence[str]], fillers: Sequence[str],
                  classes: dict[str, str]) -> list[str]:
    """One label per hit (see the module docstring): a not yet used gold class that the hit
    stands for, else its own unit if not used yet, else its filler."""
    used: set[str] = set()
    labels: list[str] = []
    for units, filler in zip(hit_units, fillers):
        relevant = [classes[u] for u in units if u in classes]
        label = next((c for c in relevant if c not in used), None)
        if label is None and not relevant and units[0] not in used:
            label = units[0]
        if label is None:
            label = FILLER_PREFIX + filler
        used.add(label)
        labels.append(label)
    return labels


def judge_gold(gold: GoldIndex, questions: Sequence[Question], hits: dict[str, list[Hit]],
               level: str) -> Judged:
    """Judgments at a gold-derived level for the questions with gold (see module docstring).
    A question whose gold has no unit at this level (evidence found in no passage) gets no
    qrels entry and is left out of this level, as trec_eval leaves out unjudged topics."""
    judged = Judged(level)
    for question in questions:
        if question.unanswerable:
            continue
        classes = gold.classes(question, level)
        if not classes:
            continue
        judged.qrels[question.id] = {name: 1 for name in set(classes.values())}
        ranked = hits.get(question.id, [])
        labels = label_ranking([gold.hit_units(h, level) for h in ranked],
                               [h.passage.id for h in ranked], classes)
        judged.run[question.id] = list(zip(labels, strict_scores([h.score for h in ranked])))
    return judged


# ---------------------------------------------------------------------------------- external


def detect_level(index: SearchIndex, qrels: dict[str, dict[str, int]]) -> tuple[str, int, int]:
    """The level whose ids the qrels name: (level, judged ids found, judged ids in all)."""
    ids = {u for units in qrels.values() for u in units}
    known = {"document": set(index.documents), "agenda_item": set(index.items),
             "passage": set(index.passage_rows)}
    level = max(EXTERNAL_LEVELS, key=lambda lv: len(ids & known[lv]))
    return level, len(ids & known[level]), len(ids)


def expand_ranking(gold: GoldIndex, hits: Sequence[Hit], level: str) -> list[tuple[str, float]]:
    """MaxP: each unit at its first occurrence, copies right after the hit they were collapsed
    into, scores strictly decreasing."""
    units: list[str] = []
    scores: list[float] = []
    seen: set[str] = set()
    for hit in hits:
        if level == "passage":
            candidates = [hit.passage.id, *hit.duplicates]
        else:
            candidates = gold.hit_units(hit, level)
        for unit in candidates:
            if unit not in seen:
                seen.add(unit)
                units.append(unit)
                scores.append(hit.score)
    return list(zip(units, strict_scores(scores)))


def judge_external(gold: GoldIndex, qrels: dict[str, dict[str, int]], questions: Sequence[Question],
                   hits: dict[str, list[Hit]], level: str) -> Judged:
    """External qrels as given, over the questions that have at least one relevant (> 0) unit
    (queries without one are left out, as trec_eval does)."""
    judged = Judged(level)
    for question in questions:
        units = qrels.get(question.id, {})
        if not any(rel > 0 for rel in units.values()):
            continue
        judged.qrels[question.id] = dict(units)
        judged.run[question.id] = expand_ranking(gold, hits.get(question.id, []), level)
    return judged


def build_qrels_and_run(index: SearchIndex, questions: Sequence[Question], hits: dict[str, list[Hit]],
                        level: str = "agenda_item"):
    """ranx ``(Qrels, Run)`` for our JSONL questions and their retrieved hits (question id →
    hits) at a gold-derived level, as the harness judges them."""
    return judge_gold(GoldIndex(index), questions, hits, level).to_ranx()


def first_relevant_rank(judged: Judged, qid: str) -> int | None:
    relevant = {u for u, rel in judged.qrels.get(qid, {}).items() if rel > 0}
    for rank, (unit, _) in enumerate(judged.run.get(qid, []), start=1):
        if unit in relevant:
            return rank
    return None

