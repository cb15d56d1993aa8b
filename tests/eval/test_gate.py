"""CI gate: the whole harness on the seed dev set, with floors from eval/floors.json.

Runs retrieval in the three modes, the assistant on every single question and every
conversation turn, and writes the report files, once per test session (~40 s warm).
"""
from __future__ import annotations

import json

import pytest

from eval.retrieval import DEFAULT_QUESTIONS
from index.config import PROJECT_ROOT

FLOORS = json.loads((PROJECT_ROOT / "eval" / "floors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_evaluation(seed_index, seed_assistant, tmp_path_factory):
    from eval.formats import load_eval_set
    from eval.harness import run_evaluation
    from eval.report import write_outputs

    eval_set = load_eval_set(DEFAULT_QUESTIONS)
    evaluation = run_evaluation(eval_set, seed_index, seed_assistant)
    out = tmp_path_factory.mktemp("eval-out")
    files = write_outputs(evaluation, out, command="pytest tests/eval/test_gate.py")
    return evaluation, out, files


def measured(evaluation) -> dict[str, float]:
    summary = evaluation.summary
    return {
        "hybrid_agenda_item_hit@5": summary["retrieval"]["levels"]["agenda_item"]["modes"]["hybrid"]["all"]["hit@5"],
        "answer_top1_accuracy": summary["answers"]["all"]["top1_accuracy"],
    }


def test_floors_hold(seed_evaluation):
    evaluation, out, _ = seed_evaluation
    values = measured(evaluation)
    below = {name: (values[name], floor) for name, floor in FLOORS["floors"].items() if values[name] < floor}
    assert not below, (f"below the floors of eval/floors.json (value, floor): {below}; "
                       f"see {out / 'report.md'} and {out / 'failures.csv'}")


def test_floors_are_just_under_the_measured_values():
    for name, floor in FLOORS["floors"].items():
        assert floor <= FLOORS["measured"]["values"][name] < floor + 0.02, name


def test_agenda_item_hit_at_5_equals_eval_retrieval(seed_evaluation, seed_index):
    """The harness's agenda-item level is what eval/retrieval.py measures: the same hit@5
    and the same misses."""
    from eval.formats import load_eval_set
    from eval.harness import retrieval_questions
    from eval.retrieval import evaluate

    evaluation, _, _ = seed_evaluation
    reference = evaluate(seed_index, retrieval_questions(load_eval_set(DEFAULT_QUESTIONS)), k=5, modes=("hybrid",))
    level = evaluation.summary["retrieval"]["levels"]["agenda_item"]["modes"]["hybrid"]
    assert level["all"]["hit@5"] == reference["modes"]["hybrid"]["hit_at_k"]
    misses = sorted(q for q, v in level["per_query"]["hit@5"].items() if v == 0)
    assert misses == sorted(reference["modes"]["hybrid"]["misses"])


def test_report_files_and_sections(seed_evaluation):
    evaluation, out, files = seed_evaluation
    names = {f.name for f in files}
    assert {"report.md", "results.json", "failures.csv", "recall_at_k.png"} <= names
    for mode in ("bm25", "dense", "hybrid"):
        assert f"run.{mode}.agenda_item.trec" in names and f"run.{mode}.passage.trec" in names
    report = (out / "report.md").read_text(encoding="utf-8")
    for heading in ("## Retrieval", "### Agenda item", "### Passage", "## Answers", "**Abstention**",
                    "## Conversations", "## Latency"):
        assert heading in report
    summary = evaluation.summary
    assert summary["answers"]["offsets"]["share_valid"] == 1.0  # every answer is an exact slice
    assert summary["conversations"]["turns"] == summary["set"]["turns"]
    assert set(summary["conversations"]["by_turn"]) == {"1", "2", "3"}
    assert summary["answers"]["latency"]["p95_ms"] >= summary["answers"]["latency"]["p50_ms"] > 0


def test_ranx_objects_give_the_reported_figures(seed_evaluation):
    from ranx import evaluate

    evaluation, _, _ = seed_evaluation
    qrels, run = evaluation.judged[("agenda_item", "hybrid")].to_ranx()
    reported = evaluation.summary["retrieval"]["levels"]["agenda_item"]["modes"]["hybrid"]["all"]
    figures = evaluate(qrels, run, ["hit_rate@5", "ndcg@10", "mrr@10"])
    assert figures["hit_rate@5"] == pytest.approx(reported["hit@5"], abs=5e-5)
    assert figures["ndcg@10"] == pytest.approx(reported["ndcg@10"], abs=5e-5)
    assert figures["mrr@10"] == pytest.approx(reported["mrr@10"], abs=5e-5)
