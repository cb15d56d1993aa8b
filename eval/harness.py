"""The evaluation harness: retrieval per mode and level, answers, abstention, conversations, latency.

    minutes-qa eval QUESTIONS... [--index-dir DIR] [--modes bm25,dense,hybrid] [--k 1,3,5,10] [--out DIR]
    python -m eval.harness QUESTIONS...        (the same, without the installed command)
    minutes-qa eval xquad [--limit N]          (the SQuAD-format answer-step check, eval/squad.py)

``run_evaluation`` does the work on a loaded index (and assistant) and returns an
``Evaluation``; ``eval.report.write_outputs`` writes the report files. See eval/README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from eval.answers import abstention_scores, check_offsets, score_answer
from eval.formats import EvalSet
from eval.metrics import latency_summary, mean_over, metric_names, per_query
from eval.questions import Question
from eval.relevance import (GOLD_LEVELS, GoldIndex, Judged, detect_level, first_relevant_rank,
                            judge_external, judge_gold)
from index.records import Hit
from index.retrieve import MODES, SearchIndex

log = logging.getLogger(__name__)

DEFAULT_KS = (1, 3, 5, 10)
FAILURE_K = 5  # retrieval failures and the gate: the right unit is not in the top 5
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Evaluation:
    """Everything one run measured: ``summary`` is JSON-ready; ``judged`` holds the qrels
    and runs per (level, mode) for the TREC files; ``failures`` the rows of failures.csv."""

    summary: dict
    judged: dict[tuple[str, str], Judged] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)


def retrieval_questions(eval_set: EvalSet) -> list[Question]:
    """Single questions, plus the first turn of each conversation (the later turns need the
    conversation and are judged through the assistant): the set eval/retrieval.py uses."""
    return list(eval_set.questions) + [c.turns[0] for c in eval_set.conversations if c.turns]


def _languages(questions: Sequence[Question]) -> list[str]:
    return sorted({q.lang for q in questions})


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def _search_all(index: SearchIndex, questions: Sequence[Question], modes: Sequence[str], depth: int,
                on_progress: Progress | None) -> tuple[dict[str, dict[str, list[Hit]]], dict[str, list[float]]]:
    hits: dict[str, dict[str, list[Hit]]] = {m: {} for m in modes}
    seconds: dict[str, list[float]] = {m: [] for m in modes}
    for mode in modes:
        for done, question in enumerate(questions, start=1):
            started = time.perf_counter()
            hits[mode][question.id] = index.search(question.question, mode=mode, top_k=depth)
            seconds[mode].append(time.perf_counter() - started)
            if on_progress:
                on_progress(f"retrieval {mode}", done, len(questions))
    return hits, seconds


def _describe_item(index: SearchIndex, item_id: str) -> str:
    item = index.items.get(item_id)
    if item is None:
        return item_id
    label = f"TOP {item.number}" if item.number else (item.title or item.kind)
    return f"{item.document_id} {label}"


def _describe_label(index: SearchIndex, gold: GoldIndex, level: str, label: str) -> str:
    if label.startswith("~"):
        passage = index.passage_by_id(label[1:])
        return f"({_describe_item(index, passage.agenda_item_id)} again)"
    if level == "agenda_item":
        return _describe_item(index, label)
    if level == "passage" and label in index.passage_rows:
        passage = index.passage_by_id(label)
        return f"{_describe_item(index, passage.agenda_item_id)} [{passage.start}:{passage.end}]"
    return label


def evaluate_retrieval(index: SearchIndex, eval_set: EvalSet, modes: Sequence[str] = MODES,
                       ks: Sequence[int] = DEFAULT_KS, gold: GoldIndex | None = None,
                       on_progress: Progress | None = None) -> Evaluation:
    """Retrieval metrics per level, mode and language (see eval.relevance for the levels)."""
    gold = gold or GoldIndex(index)
    ks = tuple(sorted(set(ks)))
    depth = max(max(ks), 10)
    questions = retrieval_questions(eval_set)
    by_id = {q.id: q for q in questions}
    hits, seconds = _search_all(index, questions, modes, depth, on_progress)
    names = metric_names(ks, depth)

    if eval_set.qrels is None:
        levels = list(GOLD_LEVELS)
        level_note = {}
    else:
        level, found, total = detect_level(index, eval_set.qrels)
        if not found:
            raise ValueError(f"none of the {total} judged ids of the qrels is a document, agenda-item or "
                             f"passage id of the index at {index.index_dir}; index the corpus they judge "
                             "(--corpus) or point --index-dir at it")
        levels = [level]
        level_note = {"level": level, "judged_ids_in_index": found, "judged_ids": total}
        if found < total:
            log.warning("%d of %d judged ids are not in the index (level %s)", total - found, total, level)

    evaluation = Evaluation(summary={})
    retrieval: dict = {"depth": depth, "ks": list(ks), "metrics": names, "levels": {},
                       "latency": {m: latency_summary(seconds[m]) for m in modes}, **level_note}
    for level in levels:
        level_data: dict = {"modes": {}}
        for mode in modes:
            if eval_set.qrels is None:
                judged = judge_gold(gold, questions, hits[mode], level)
            else:
                judged = judge_external(gold, eval_set.qrels, questions, hits[mode], level)
            evaluation.judged[(level, mode)] = judged
            values = per_query(judged, names)
            qids = list(judged.qrels)
            langs = _languages([by_id[q] for q in qids])
            level_data["modes"][mode] = {
                "n": len(qids),
                "all": {n: _round(mean_over(values[n], qids)) for n in names},
                "by_language": {lang: {"n": sum(by_id[q].lang == lang for q in qids),
                                       **{n: _round(mean_over(values[n], [q for q in qids if by_id[q].lang == lang]))
                                          for n in names}} for lang in langs},
                "per_query": {n: {q: round(v, 4) for q, v in values[n].items()} for n in names},
                "first_relevant_rank": {q: first_relevant_rank(judged, q) for q in qids},
            }
        judged_any = evaluation.judged[(level, modes[0])]
        level_data["n"] = len(judged_any.qrels)
        level_data["languages"] = _languages([by_id[q] for q in judged_any.qrels])
        level_data["no_gold_unit"] = sorted(q.id for q in questions
                                            if not q.unanswerable and q.id not in judged_any.qrels)
        level_data["hybrid_check"] = hybrid_check(level_data, names, by_id)
        retrieval["levels"][level] = level_data
        if level != "passage" or eval_set.qrels is not None:  # failures at the level users cite
            _retrieval_failures(evaluation, index, gold, level, modes, by_id)
    evaluation.summary["retrieval"] = retrieval
    return evaluation


def hybrid_check(level_data: dict, names: Sequence[str], by_id: dict[str, Question]) -> list[dict]:
    """Where hybrid is below the better of bm25 and dense, for all questions and per language:
    the metrics, and the questions that explain it (those on which hybrid's own value is
    below that mode's on one of these metrics), with each mode's first relevant rank."""
    modes = level_data["modes"]
    if not {"bm25", "dense", "hybrid"} <= set(modes):
        return []
    findings = []
    for subset in ["all"] + level_data["languages"]:
        def mean(mode: str, name: str) -> float | None:
            data = modes[mode]["all"] if subset == "all" else modes[mode]["by_language"].get(subset, {})
            return data.get(name)

        shortfalls = []
        questions: dict[str, dict] = {}
        for name in names:
            hybrid = mean("hybrid", name)
            better_mode = max(("bm25", "dense"), key=lambda m: mean(m, name) or 0.0)
            better = mean(better_mode, name)
            if hybrid is None or better is None or hybrid >= better - 1e-9:
                continue
            shortfalls.append({"metric": name, "hybrid": hybrid, "better_mode": better_mode, "better": better})
            own, other = modes["hybrid"]["per_query"][name], modes[better_mode]["per_query"][name]
            for qid, value in own.items():
                if (subset == "all" or by_id[qid].lang == subset) and value < other.get(qid, 0.0) - 1e-9:
                    entry = questions.setdefault(qid, {
                        "id": qid, "question": by_id[qid].question, "lower_on": {},
                        "first_relevant_rank": {m: modes[m]["first_relevant_rank"].get(qid)
                                                for m in ("bm25", "dense", "hybrid")}})
                    entry["lower_on"][name] = {"hybrid": value, better_mode: other[qid]}
        if shortfalls:
            findings.append({"subset": subset, "shortfalls": shortfalls, "questions": list(questions.values())})
    return findings


def _retrieval_failures(evaluation: Evaluation, index: SearchIndex, gold: GoldIndex, level: str,
                        modes: Sequence[str], by_id: dict[str, Question]) -> None:
    """A question whose relevant unit is not among the top FAILURE_K."""
    for mode in modes:
        judged = evaluation.judged[(level, mode)]
        for qid, units in judged.qrels.items():
            rank = first_relevant_rank(judged, qid)
            if rank is not None and rank <= FAILURE_K:
                continue
            question = by_id[qid]
            relevant = [u for u, rel in units.items() if rel > 0]
            expected = "; ".join(_describe_label(index, gold, level, u) for u in sorted(relevant))
            if question.evidence:
                expected += " | evidence: " + " / ".join(question.evidence)
            got = "; ".join(_describe_label(index, gold, level, u) for u, _ in judged.run[qid][:FAILURE_K])
            evaluation.failures.append({
                "kind": "retrieval", "mode": mode, "level": level, "id": qid, "lang": question.lang,
                "question": question.question, "expected": expected,
                "got": got + (f" (first relevant at rank {rank})" if rank else " (none in the run)")})


# ---------------------------------------------------------------------------------- answers


def _answer_record(assistant, question: Question, result, seconds: float) -> tuple[dict, list[dict]]:
    """The JSON record of one asked question, and its offset problems."""
    index = assistant.index
    problems = []
    checked = []
    for answer in result.answers:
        document = index.documents[answer.passage.document_id]
        check = check_offsets(answer, document.text)
        checked.append(check)
        if not check.valid:
            problems.append({"answer": answer.text, "document_id": answer.passage.document_id,
                             "start": answer.start, "end": answer.end, "span_ok": check.span,
                             "context_ok": check.context, "nested_ok": check.nested})
    top = result.answers[0] if result.answers and not result.abstained else None
    record = {
        "id": question.id, "lang": question.lang, "type": question.type, "question": question.question,
        "query": result.query, "unanswerable": question.unanswerable, "abstained": result.abstained,
        "answer": top.text if top else None,
        "answer_document": top.passage.document_id if top else None,
        "answer_span": [top.start, top.end] if top else None,
        "answers": [a.text for a in result.answers], "gold": list(question.answers),
        "seconds": round(seconds, 4), "offsets_checked": len(checked),
        "offsets_valid": sum(c.valid for c in checked),
    }
    if not question.unanswerable:
        score = score_answer(top.text if top else None, question.answers)
        record.update(correct=score.correct, exact=score.exact, f1=round(score.f1, 4))
    return record, problems


def _answer_summary(records: Sequence[dict]) -> dict:
    answerable = [r for r in records if not r["unanswerable"] and r.get("gold")]

    def stats(rows: Sequence[dict]) -> dict:
        n = len(rows)
        return {"n": n,
                "top1_accuracy": _round(sum(r["correct"] for r in rows) / n) if n else None,
                "exact_match": _round(sum(r["exact"] for r in rows) / n) if n else None,
                "f1": _round(sum(r["f1"] for r in rows) / n) if n else None,
                "abstained": sum(r["abstained"] for r in rows)}

    checked = sum(r["offsets_checked"] for r in records)
    valid = sum(r["offsets_valid"] for r in records)
    langs = sorted({r["lang"] for r in records})
    types = sorted({r["type"] for r in answerable})
    return {
        "all": stats(answerable),
        "by_language": {lang: stats([r for r in answerable if r["lang"] == lang]) for lang in langs},
        "by_type": {t: stats([r for r in answerable if r["type"] == t]) for t in types},
        "abstention": {"all": abstention_scores([r["abstained"] for r in records],
                                                [r["unanswerable"] for r in records]),
                       "by_language": {lang: abstention_scores(
                           [r["abstained"] for r in records if r["lang"] == lang],
                           [r["unanswerable"] for r in records if r["lang"] == lang]) for lang in langs}},
        "offsets": {"answers": checked, "valid": valid, "share_valid": _round(valid / checked) if checked else None},
    }


def _answer_failures(evaluation: Evaluation, records: Sequence[dict], kind: str) -> None:
    for r in records:
        base = {"mode": "ask", "level": "", "id": r["id"], "lang": r["lang"], "question": r["question"]}
        got = r["answer"] if r["answer"] is not None else "(abstained)"
        if r["unanswerable"] and not r["abstained"]:
            evaluation.failures.append({"kind": f"{kind}-abstention", **base, "expected": "(abstain)", "got": got})
        elif not r["unanswerable"] and r.get("gold") and not r["correct"]:
            evaluation.failures.append({"kind": kind, **base, "expected": " | ".join(r["gold"]), "got": got})
        if r["offsets_valid"] < r["offsets_checked"]:
            evaluation.failures.append({"kind": f"{kind}-offsets", **base, "expected": "valid offsets",
                                        "got": f"{r['offsets_checked'] - r['offsets_valid']} invalid"})


def evaluate_answers(assistant, eval_set: EvalSet, evaluation: Evaluation, gold: GoldIndex,
                     on_progress: Progress | None = None) -> None:
    """Single questions through ``Assistant.ask`` (a new session each), then conversations
    turn by turn in one session each."""
    records = []
    seconds = []
    for done, question in enumerate(eval_set.questions, start=1):
        started = time.perf_counter()
        result = assistant.ask(question.question)
        elapsed = time.perf_counter() - started
        seconds.append(elapsed)
        record, problems = _answer_record(assistant, question, result, elapsed)
        record["offset_problems"] = problems
        records.append(record)
        if on_progress:
            on_progress("answers", done, len(eval_set.questions))
    summary = _answer_summary(records)
    summary["latency"] = latency_summary(seconds)
    summary["questions"] = records
    evaluation.summary["answers"] = summary
    _answer_failures(evaluation, records, "answer")

    if eval_set.conversations:
        evaluation.summary["conversations"] = _evaluate_conversations(assistant, eval_set, evaluation, gold,
                                                                      on_progress)


def _evaluate_conversations(assistant, eval_set: EvalSet, evaluation: Evaluation, gold: GoldIndex,
                            on_progress: Progress | None) -> dict:
    turns: list[Question] = []
    turn_number: dict[str, int] = {}
    hits: dict[str, list[Hit]] = {}
    records: list[dict] = []
    seconds = []
    total = sum(len(c.turns) for c in eval_set.conversations)
    for conversation in eval_set.conversations:
        session_id = None
        for number, turn in enumerate(conversation.turns, start=1):
            started = time.perf_counter()
            result = assistant.ask(turn.question, session_id=session_id)
            elapsed = time.perf_counter() - started
            seconds.append(elapsed)
            session_id = result.session_id
            record, problems = _answer_record(assistant, turn, result, elapsed)
            record.update(conversation=conversation.id, turn=number, is_followup=result.is_followup,
                          offset_problems=problems)
            records.append(record)
            turns.append(turn)
            turn_number[turn.id] = number
            hits[turn.id] = result.hits
            if on_progress:
                on_progress("conversations", len(records), total)
    judged = judge_gold(gold, turns, hits, "agenda_item")
    hit_at = per_query(judged, [f"hit@{FAILURE_K}"])[f"hit@{FAILURE_K}"]
    for record in records:
        record[f"hit@{FAILURE_K}"] = hit_at.get(record["id"])
    by_turn = {}
    for number in sorted(set(turn_number.values())):
        rows = [r for r in records if r["turn"] == number]
        answered = [r for r in rows if not r["unanswerable"]]
        stats = _answer_summary(rows)["all"]
        hit_values = [r[f"hit@{FAILURE_K}"] for r in answered if r[f"hit@{FAILURE_K}"] is not None]
        by_turn[str(number)] = {
            "turns": len(rows), "answerable": len(answered),
            "top1_accuracy": stats["top1_accuracy"], "exact_match": stats["exact_match"], "f1": stats["f1"],
            f"hit@{FAILURE_K}": _round(sum(hit_values) / len(hit_values)) if hit_values else None,
            "unanswerable": len(rows) - len(answered),
            "abstained_unanswerable": sum(r["abstained"] for r in rows if r["unanswerable"]),
        }
    _answer_failures(evaluation, records, "turn")
    all_hits = [r[f"hit@{FAILURE_K}"] for r in records if r[f"hit@{FAILURE_K}"] is not None]
    summary = _answer_summary(records)
    return {"conversations": len(eval_set.conversations), "turns": len(records),
            "all": {**summary["all"], f"hit@{FAILURE_K}": _round(sum(all_hits) / len(all_hits)) if all_hits else None},
            "by_turn": by_turn, "abstention": summary["abstention"]["all"], "offsets": summary["offsets"],
            "latency": latency_summary(seconds), "turn_records": records}


# ---------------------------------------------------------------------------------- the run


def run_evaluation(eval_set: EvalSet, index: SearchIndex, assistant=None, modes: Sequence[str] = MODES,
                   ks: Sequence[int] = DEFAULT_KS, answers: bool = True,
                   on_progress: Progress | None = None) -> Evaluation:
    """Evaluate a question set on a loaded index: retrieval (every mode, every level) and,
    for our JSONL sets with an ``assistant.pipeline.Assistant``, answers, abstention and
    conversations."""
    started = time.perf_counter()
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (modes: {', '.join(MODES)})")
    index.warm_up()  # load the model before anything is timed
    seconds = {"warm_up": round(time.perf_counter() - started, 2)}
    phase = time.perf_counter()
    gold = GoldIndex(index)
    evaluation = evaluate_retrieval(index, eval_set, modes, ks, gold, on_progress)
    seconds["retrieval"] = round(time.perf_counter() - phase, 2)
    if answers and assistant is not None and eval_set.kind == "jsonl":
        phase = time.perf_counter()
        evaluate_answers(assistant, eval_set, evaluation, gold, on_progress)
        seconds["answers"] = round(time.perf_counter() - phase, 2)
    seconds["total"] = round(time.perf_counter() - started, 2)
    manifest = index.manifest
    questions = retrieval_questions(eval_set)
    evaluation.summary = {
        "set": {"name": eval_set.name, "kind": eval_set.kind, "sources": [str(s) for s in eval_set.sources],
                "questions": len(eval_set.questions),
                "answerable": sum(not q.unanswerable for q in eval_set.questions),
                "unanswerable": sum(q.unanswerable for q in eval_set.questions),
                "conversations": len(eval_set.conversations),
                "turns": sum(len(c.turns) for c in eval_set.conversations),
                "retrieval_questions": len(questions),
                "by_language": {lang: sum(q.lang == lang for q in questions) for lang in _languages(questions)}},
        "index": {"dir": str(index.index_dir), "model": manifest.get("model"),
                  "created": manifest.get("created"), **manifest.get("counts", {})},
        "settings": {k: v for k, v in index.settings.as_dict().items() if k != "api_key"},
        "modes": list(modes),
        "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seconds": seconds,
        **evaluation.summary,
    }
    return evaluation


# ---------------------------------------------------------------------------------- command line


def default_out_dir() -> Path:
    from index.config import PROJECT_ROOT

    return PROJECT_ROOT / "eval" / "out" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _progress_bars(quiet: bool) -> tuple[Progress | None, Callable[[], None]]:
    if quiet:
        return None, lambda: None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="q", file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return on_progress, close


def run_cli(args: argparse.Namespace) -> int:
    """Run an evaluation from parsed arguments; prints where the report is and a short summary."""
    from eval.formats import XQUAD_DE, load_eval_set, sniff
    from eval.report import summary_lines, write_outputs
    from index.config import Settings

    out_dir: Path = args.out or default_out_dir()
    paths = [XQUAD_DE if str(p).lower() == "xquad" else Path(p) for p in args.questions]
    on_progress, close = _progress_bars(args.quiet)
    started = time.perf_counter()
    try:
        if len(paths) == 1 and paths[0].is_file() and sniff(paths[0]) == "squad":
            from eval.squad import run_squad
            from eval.report import write_squad_outputs

            settings = Settings.from_env(index_dir=args.index_dir)
            result = run_squad(paths[0], settings, modes=args.modes, ks=args.ks, limit=args.limit,
                               index_dir=args.index_dir, on_progress=on_progress)
            close()
            files = write_squad_outputs(result, out_dir, command=_command_line())
            print("\n".join(summary_lines(result)))
        else:
            eval_set = load_eval_set(paths, split=args.split, topic_field=args.topic_field, corpus=args.corpus)
            if args.limit is not None:  # a quick run: the first N questions and conversations
                eval_set.questions = eval_set.questions[:args.limit]
                eval_set.conversations = eval_set.conversations[:args.limit]
            index, assistant = _open_index(eval_set, args, out_dir, need_assistant=not args.no_answers)
            evaluation = run_evaluation(eval_set, index, assistant, modes=args.modes, ks=args.ks,
                                        answers=not args.no_answers, on_progress=on_progress)
            close()
            files = write_outputs(evaluation, out_dir, command=_command_line())
            print("\n".join(summary_lines(evaluation.summary)))
    finally:
        close()
    print(f"\nWrote {len(files)} files to {out_dir} in {time.perf_counter() - started:.1f} s "
          f"(report: {out_dir / 'report.md'})")
    return 0


def _command_line() -> str:
    """The command as the user would type it (``python -m eval.harness`` is the same command)."""
    args = sys.argv[1:]
    if args and args[0] == "eval":
        args = args[1:]
    return " ".join(["minutes-qa eval", *(shlex.quote(a) for a in args)])


def _open_index(eval_set: EvalSet, args: argparse.Namespace, out_dir: Path, need_assistant: bool):
    """The index to evaluate: the configured one for our JSONL sets; for an external corpus,
    that corpus indexed into --index-dir (default: OUT/index)."""
    from eval.corpus import index_corpus, index_folder
    from index.config import Settings
    from index.embed import Embedder

    if eval_set.corpus is None and eval_set.corpus_dir is None:
        settings = Settings.from_env(index_dir=args.index_dir)
        index = SearchIndex(settings)
    else:
        settings = Settings.from_env(index_dir=args.index_dir or out_dir / "index")
        embedder = Embedder.from_settings(settings)
        if eval_set.corpus is not None:
            report = index_corpus(eval_set.corpus, settings, embedder, kind=eval_set.kind)
        else:
            report = index_folder(eval_set.corpus_dir, settings, embedder)
        for error in report.errors:
            print(f"warning: {error}", file=sys.stderr)
        print(f"Corpus: {report.documents} documents, {report.passages} passages in {report.index_dir} "
              f"({report.status}, {report.seconds:.1f} s)", file=sys.stderr)
        index = SearchIndex(settings, embedder=embedder)
    assistant = None
    if need_assistant and eval_set.kind == "jsonl":
        from assistant.pipeline import Assistant

        assistant = Assistant(index)
    return index, assistant


def main(argv: list[str] | None = None) -> int:
    from eval.cli import configure_parser

    parser = configure_parser(argparse.ArgumentParser(prog="python -m eval.harness",
                                                      description=__doc__.split("\n\n")[0]))
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from eval.formats import FormatError
    from index.ingest import IngestError
    from index.store import IndexUnavailable

    try:
        return run_cli(args)
    except (FormatError, IngestError, IndexUnavailable, ValueError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
