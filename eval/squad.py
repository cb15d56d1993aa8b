"""An off-domain check of the answer step on a SQuAD v1.1-format set (XQuAD German by default).

Each paragraph becomes a document of a small index of its own, built once under the cache
(``CACHE_DIR/eval/<file>-<hash>/index``; an unchanged file reuses it). Two measurements:

* **oracle paragraph**: ``Assistant.ask(question, filters=Filters(document_id=paragraph))``,
  so the answer step sees only the gold paragraph; EM / F1 / containment of the top answer;
* **retrieved**: retrieval over all paragraphs per mode (document-level hit@k, MRR, nDCG),
  and ``Assistant.ask(question)`` unrestricted, with the EM / F1 of its top answer.

An abstention scores 0 (every SQuAD v1.1 question has an answer). Every answer's offsets are
checked against the indexed paragraph text. XQuAD is read from the shared folder
(``PROJECT_ROOT.parent / "shared"``) and never copied into the repository.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from eval.answers import check_offsets, score_answer
from eval.corpus import index_corpus
from eval.formats import CorpusDoc, FormatError
from eval.metrics import latency_summary, mean_over, metric_names, per_query
from eval.questions import Question
from eval.relevance import GoldIndex, Judged, judge_external
from index.config import Settings
from index.records import Filters
from index.retrieve import MODES, SearchIndex

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    paragraph_id: str
    answers: tuple[str, ...]


def load_squad(path: Path) -> tuple[list[CorpusDoc], list[SquadQuestion]]:
    """Paragraphs (as documents ``sq-AAA-PPP``: article and paragraph number) and questions."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise FormatError(f"{path}: not SQuAD format (expected {{'data': [{{'paragraphs': …}}]}})")
    paragraphs: list[CorpusDoc] = []
    questions: list[SquadQuestion] = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article.get("paragraphs", [])):
            pid = f"sq-{a:03d}-{p:03d}"
            paragraphs.append(CorpusDoc(pid, paragraph["context"], str(article.get("title", ""))))
            for qa in paragraph.get("qas", []):
                answers = tuple(dict.fromkeys(x["text"] for x in qa.get("answers", [])))
                if answers:
                    questions.append(SquadQuestion(str(qa["id"]), qa["question"], pid, answers))
    return paragraphs, questions


def squad_index_dir(path: Path, settings: Settings) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return settings.cache_dir / "eval" / f"{path.stem.replace('.', '-')}-{digest}" / "index"


def open_squad_index(path: Path, settings: Settings, paragraphs: list[CorpusDoc],
                     index_dir: Path | None = None, embedder=None) -> tuple[SearchIndex, dict]:
    """The paragraphs' index, built (or found up to date) under the cache. Titles are left out
    of the documents: the answer step should read the paragraph only."""
    from index.embed import Embedder

    settings = dataclasses.replace(settings, index_dir=index_dir or squad_index_dir(path, settings))
    embedder = embedder or Embedder.from_settings(settings)
    started = time.perf_counter()
    docs = [CorpusDoc(d.id, d.text) for d in paragraphs]
    report = index_corpus(docs, settings, embedder, kind="squad")
    build = {"dir": str(report.index_dir), "status": report.status, "documents": report.documents,
             "passages": report.passages, "encoded": report.encoded, "errors": report.errors,
             "seconds": round(time.perf_counter() - started, 2)}
    return SearchIndex(settings, embedder=embedder), build


def _answer_row(index: SearchIndex, question: SquadQuestion, result, seconds: float) -> dict:
    top = result.answers[0] if result.answers and not result.abstained else None
    score = score_answer(top.text if top else None, question.answers)
    checks = [check_offsets(a, index.documents[a.passage.document_id].text) for a in result.answers]
    return {"answer": top.text if top else None, "abstained": result.abstained,
            "answer_paragraph": top.passage.document_id if top else None,
            "correct": score.correct, "exact": score.exact, "f1": round(score.f1, 4),
            "offsets_checked": len(checks), "offsets_valid": sum(c.valid for c in checks),
            "seconds": round(seconds, 4)}


def _answer_stats(rows: Sequence[dict]) -> dict:
    n = len(rows)
    checked = sum(r["offsets_checked"] for r in rows)
    valid = sum(r["offsets_valid"] for r in rows)
    if not n:
        return {"n": 0}
    return {"n": n, "exact_match": round(sum(r["exact"] for r in rows) / n, 4),
            "f1": round(sum(r["f1"] for r in rows) / n, 4),
            "top1_accuracy": round(sum(r["correct"] for r in rows) / n, 4),
            "abstained": sum(r["abstained"] for r in rows),
            "offsets": {"answers": checked, "valid": valid,
                        "share_valid": round(valid / checked, 4) if checked else None},
            "latency": latency_summary([r["seconds"] for r in rows])}


def run_squad(path: Path, settings: Settings, modes: Sequence[str] = MODES, ks: Sequence[int] = (1, 3, 5, 10),
              limit: int | None = None, index_dir: Path | None = None, embedder=None,
              on_progress: Progress | None = None) -> dict:
    """Run both measurements; returns the JSON-ready summary (with per-question rows under
    ``questions`` and the judged runs under the private key ``_judged``)."""
    from assistant.pipeline import Assistant

    started = time.perf_counter()
    paragraphs, questions = load_squad(path)
    total_questions = len(questions)
    if limit is not None:
        questions = questions[:limit]
    index, build = open_squad_index(path, settings, paragraphs, index_dir, embedder)
    index.warm_up()
    assistant = Assistant(index)
    texts = {d.id: index.documents[d.id].text for d in paragraphs if d.id in index.documents}
    gold_verbatim = sum(any(a in texts.get(q.paragraph_id, "") for a in q.answers) for q in questions)

    # retrieval per mode, document level
    ks = tuple(sorted(set(ks)))
    depth = max(max(ks), 10)
    names = metric_names(ks, depth)
    as_questions = [Question(id=q.id, question=q.question, lang="de", answers=q.answers) for q in questions]
    qrels = {q.id: {q.paragraph_id: 1} for q in questions}
    gold = GoldIndex(index)
    retrieval: dict = {"depth": depth, "ks": list(ks), "metrics": names, "modes": {}}
    judged_runs: dict[tuple[str, str], Judged] = {}
    phase = time.perf_counter()
    for mode in modes:
        hits, seconds = {}, []
        for done, q in enumerate(questions, start=1):
            t0 = time.perf_counter()
            hits[q.id] = index.search(q.question, mode=mode, top_k=depth)
            seconds.append(time.perf_counter() - t0)
            if on_progress:
                on_progress(f"retrieval {mode}", done, len(questions))
        judged = judge_external(gold, qrels, as_questions, hits, "document")
        judged_runs[("document", mode)] = judged
        values = per_query(judged, names)
        retrieval["modes"][mode] = {"n": len(judged.qrels),
                                    "all": {n: round(mean_over(values[n], judged.qrels) or 0.0, 4) for n in names},
                                    "latency": latency_summary(seconds)}
    retrieval["seconds"] = round(time.perf_counter() - phase, 2)

    # answers: oracle paragraph, then retrieved
    rows = []
    phase = time.perf_counter()
    for done, q in enumerate(questions, start=1):
        t0 = time.perf_counter()
        result = assistant.ask(q.question, filters=Filters(document_id=q.paragraph_id))
        rows.append({"id": q.id, "question": q.question, "paragraph": q.paragraph_id, "gold": list(q.answers),
                     "oracle": _answer_row(index, q, result, time.perf_counter() - t0)})
        if on_progress:
            on_progress("answers (oracle paragraph)", done, len(questions))
    oracle_seconds = round(time.perf_counter() - phase, 2)
    phase = time.perf_counter()
    ask_hits = {}
    for done, (q, row) in enumerate(zip(questions, rows), start=1):
        t0 = time.perf_counter()
        result = assistant.ask(q.question)
        row["retrieved"] = _answer_row(index, q, result, time.perf_counter() - t0)
        ask_hits[q.id] = result.hits
        if on_progress:
            on_progress("answers (retrieved)", done, len(questions))
    retrieved_seconds = round(time.perf_counter() - phase, 2)
    ask_judged = judge_external(gold, qrels, as_questions, ask_hits, "document")
    ask_hit5 = per_query(ask_judged, ["hit@5"])["hit@5"]

    oracle = _answer_stats([r["oracle"] for r in rows])
    oracle["seconds"] = oracle_seconds
    retrieved = _answer_stats([r["retrieved"] for r in rows])
    retrieved["seconds"] = retrieved_seconds
    retrieved["hit@5_of_ask"] = round(mean_over(ask_hit5, ask_hit5) or 0.0, 4)
    retrieved["answer_in_gold_paragraph"] = round(
        sum(r["retrieved"]["answer_paragraph"] == r["paragraph"] for r in rows) / len(rows), 4) if rows else None
    return {
        "set": {"name": path.name, "kind": "squad", "sources": [str(path)], "paragraphs": len(paragraphs),
                "questions_total": total_questions, "questions": len(questions), "limit": limit,
                "gold_verbatim_in_index": gold_verbatim},
        "index": build,
        "modes": list(modes),
        "retrieval": retrieval,
        "oracle": oracle,
        "retrieved": retrieved,
        "seconds": {"total": round(time.perf_counter() - started, 2), "index": build["seconds"],
                    "retrieval": retrieval["seconds"], "oracle": oracle_seconds, "retrieved": retrieved_seconds},
        "questions": rows,
        "_judged": judged_runs,
    }
