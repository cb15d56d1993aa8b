"""The evaluation's building blocks on hand-computed examples: ranx usage, labelling of runs,
answer normalisation, EM/F1, abstention, offsets, latency, the format loaders, and a tiny
BEIR benchmark run end to end with the real model."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.answers import (AnswerScore, abstention_scores, check_offsets, contains_gold, exact_match, max_f1,
                          normalize_answer, score_answer, token_f1)
from eval.formats import (FormatError, load_eval_set, read_beir_qrels, read_qrels, read_trec_docs,
                          read_trec_topics, sniff)
from eval.metrics import latency_summary, mean_over, metric_names, per_query
from eval.relevance import FILLER_PREFIX, Judged, label_ranking, strict_scores
from index.records import Answer, Passage

# ------------------------------------------------------------------------------------ ranx


def three_queries() -> Judged:
    """q1: relevant a, c; run a b c.  q2: relevant d; run b c d.  q3: relevant e, f; run empty."""
    judged = Judged("document")
    judged.qrels = {"q1": {"a": 1, "c": 1}, "q2": {"d": 1}, "q3": {"e": 1, "f": 1}}
    judged.run = {"q1": [("a", 0.9), ("b", 0.8), ("c", 0.7)],
                  "q2": [("b", 0.9), ("c", 0.8), ("d", 0.7)],
                  "q3": []}
    return judged


def test_metrics_on_a_hand_computed_example():
    names = ["hit@1", "hit@3", "recall@1", "recall@3", "mrr@10", "ndcg@10", "map@10"]
    values = per_query(three_queries(), names)
    q = ("q1", "q2", "q3")
    ndcg_q1 = (1 / math.log2(2) + 1 / math.log2(4)) / (1 / math.log2(2) + 1 / math.log2(3))
    expected = {
        "hit@1": (1, 0, 0),
        "hit@3": (1, 1, 0),
        "recall@1": (0.5, 0, 0),
        "recall@3": (1, 1, 0),
        "mrr@10": (1, 1 / 3, 0),
        "ndcg@10": (ndcg_q1, 1 / math.log2(4), 0),  # q2: DCG 1/log2(4), ideal 1
        "map@10": ((1 / 1 + 2 / 3) / 2, 1 / 3, 0),
    }
    for name, per in expected.items():
        for qid, value in zip(q, per):
            assert values[name][qid] == pytest.approx(value), (name, qid)
    assert mean_over(values["mrr@10"], q) == pytest.approx(4 / 9)
    assert mean_over(values["map@10"], q) == pytest.approx((5 / 6 + 1 / 3) / 3)
    assert mean_over(values["ndcg@10"], q) == pytest.approx((ndcg_q1 + 0.5) / 3)
    assert mean_over(values["recall@1"], q) == pytest.approx(1 / 6)


def test_ndcg_uses_linear_gains_like_trec_eval():
    judged = Judged("document", qrels={"q": {"a": 2, "b": 1}}, run={"q": [("b", 2.0), ("a", 1.0)]})
    dcg = 1 / math.log2(2) + 2 / math.log2(3)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert per_query(judged, ["ndcg@10"])["ndcg@10"]["q"] == pytest.approx(dcg / ideal)


def test_relevance_zero_is_not_relevant():
    judged = Judged("document", qrels={"q": {"a": 0, "b": 1}}, run={"q": [("a", 2.0), ("b", 1.0)]})
    values = per_query(judged, ["hit@1", "mrr@10", "recall@1"])
    assert values["hit@1"]["q"] == 0 and values["mrr@10"]["q"] == 0.5 and values["recall@1"]["q"] == 0


def test_ranx_objects_agree_with_the_dict_path():
    from ranx import evaluate

    judged = three_queries()
    judged.run["q3"] = [("x", 1.0)]  # ranx objects need a non-empty run too
    qrels, run = judged.to_ranx()
    names = ["hit@1", "recall@3", "mrr@10", "ndcg@10", "map@10"]
    via_objects = evaluate(qrels, run, ["hit_rate@1", "recall@3", "mrr@10", "ndcg@10", "map@10"])
    via_dicts = per_query(judged, names)
    for ours, theirs in zip(names, ["hit_rate@1", "recall@3", "mrr@10", "ndcg@10", "map@10"]):
        assert mean_over(via_dicts[ours], judged.qrels) == pytest.approx(via_objects[theirs])


def test_query_order_of_run_does_not_matter():
    judged = three_queries()
    judged.run = dict(reversed(list(judged.run.items())))  # ranx would pair dicts by position
    assert per_query(judged, ["mrr@10"])["mrr@10"] == {"q1": 1.0, "q2": pytest.approx(1 / 3), "q3": 0.0}


def test_single_metric_works():  # ranx returns a wrong key for one metric without the mean
    assert per_query(three_queries(), ["hit@3"])["hit@3"]["q2"] == 1.0


def test_tied_scores_keep_the_system_order():
    scores = strict_scores([0.5, 0.5, 0.5, 0.4, 0.4])
    assert all(a > b for a, b in zip(scores, scores[1:]))
    assert scores[0] == 0.5 and scores[3] < scores[2]
    # float32 (what trec_eval's sort sees) keeps them apart as well
    import numpy as np
    assert len(set(np.asarray(scores, dtype=np.float32).tolist())) == 5
    labels = ["x", "y", "rel"]  # relevant third: ranx must not reorder ties
    judged = Judged("document", qrels={"q": {"rel": 1}},
                    run={"q": list(zip(labels, strict_scores([1.0, 1.0, 1.0])))})
    assert per_query(judged, ["mrr@10"])["mrr@10"]["q"] == pytest.approx(1 / 3)


def test_metric_names():
    assert metric_names((1, 5), 10) == ["hit@1", "hit@5", "recall@1", "recall@5", "mrr@10", "ndcg@10", "map@10"]


def test_label_ranking_counts_copies_once_and_repeats_never():
    # gold items C and D are copies of each other (one class "C"); A is not gold
    classes = {"C": "C", "D": "C"}
    labels = label_ranking([["A"], ["B", "D"], ["A"], ["C"], ["E"]], ["p1", "p2", "p3", "p4", "p5"], classes)
    assert labels == ["A", "C", FILLER_PREFIX + "p3", FILLER_PREFIX + "p4", "E"]
    judged = Judged("agenda_item", qrels={"q": {"C": 1}}, run={"q": list(zip(labels, strict_scores([5, 4, 3, 2, 1])))})
    values = per_query(judged, ["hit@1", "hit@2", "recall@5", "mrr@10"])
    assert values["hit@1"]["q"] == 0 and values["hit@2"]["q"] == 1
    assert values["recall@5"]["q"] == 1 and values["mrr@10"]["q"] == 0.5


def test_optional_cross_check_against_trec_eval():
    """ranx through our labelling agrees with trec_eval (pytrec_eval) on a random run with ties."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    import random

    rng = random.Random(7)
    judged = Judged("document")
    for q in range(40):
        docs = [f"d{i}" for i in range(30)]
        judged.qrels[f"q{q}"] = {d: rng.choice([1, 1, 2]) for d in rng.sample(docs, rng.randint(1, 4))}
        ranked = rng.sample(docs, 12)
        raw = sorted((rng.choice([0.1, 0.2, 0.3, 0.4]) for _ in ranked), reverse=True)  # many ties
        judged.run[f"q{q}"] = list(zip(ranked, strict_scores(raw)))
    ours = per_query(judged, ["hit@5", "recall@10", "ndcg@10", "map@12"])
    run = {q: dict(r) for q, r in judged.run.items()}
    measures = {"success.5", "recall.10", "ndcg_cut.10", "map"}
    theirs = pytrec_eval.RelevanceEvaluator(judged.qrels, measures).evaluate(run)
    for q in judged.qrels:
        assert ours["hit@5"][q] == pytest.approx(theirs[q]["success_5"])
        assert ours["recall@10"][q] == pytest.approx(theirs[q]["recall_10"])
        assert ours["ndcg@10"][q] == pytest.approx(theirs[q]["ndcg_cut_10"])
        assert ours["map@12"][q] == pytest.approx(theirs[q]["map"])


def test_eval_subcommand_parses():
    import argparse

    from eval.cli import add_eval_parser, cmd_eval

    parser = argparse.ArgumentParser(prog="minutes-qa")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", "a.jsonl", "b.jsonl", "--modes", "dense,hybrid", "--k", "1,5"])
    assert args.func is cmd_eval and args.questions == ["a.jsonl", "b.jsonl"]
    assert args.modes == ("dense", "hybrid") and args.ks == (1, 5) and args.out is None
    with pytest.raises(SystemExit):
        parser.parse_args(["eval", "a.jsonl", "--modes", "sparse"])


def test_latency_percentiles():
    summary = latency_summary([0.001, 0.002, 0.003, 0.004])
    assert summary["p50_ms"] == 2.5 and summary["p95_ms"] == pytest.approx(3.85)
    assert summary["n"] == 4 and latency_summary([])["p50_ms"] is None


# ------------------------------------------------------------------------------------ answers


@pytest.mark.parametrize("a, b", [
    ("Die 1,5 Stellen", "1.5 Stellen"),
    ("der Ausschuss", "Ausschuss"),
    ("Case-Management-Stellen", "Case Management Stellen"),
    ("„Dialog Jung/Alt“", "Dialog Jung Alt"),
    ("Straße", "STRASSE"),
    ("an  the\u00a0meeting.", "meeting"),
])
def test_normalisation_makes_equal(a, b):
    assert normalize_answer(a) == normalize_answer(b)
    assert exact_match(a, [b]) == 1.0


@pytest.mark.parametrize("a, b", [("1,5", "15"), ("11.05.2022", "11052022"), ("18:00 Uhr", "1800 Uhr")])
def test_normalisation_keeps_apart(a, b):
    assert normalize_answer(a) != normalize_answer(b)


def test_numbers_keep_their_points():
    assert normalize_answer("am 11.05.2022.") == "am 11.05.2022"
    assert normalize_answer("624.493,60 €") == "624.493.60 €"


def test_token_f1_by_hand():
    assert token_f1("am 27.04.2022", "27.04.2022") == pytest.approx(2 / 3)  # P 1/2, R 1
    assert token_f1("1,5 Stellen besetzt", "Die 1.5 Stellen") == pytest.approx(0.8)  # P 2/3, R 1
    assert token_f1("Caritas", "Diakonie") == 0.0
    assert max_f1("Caritas", ["Diakonie", "die Caritas"]) == 1.0


def test_containment():
    assert contains_gold("am 27.04.2022", ["27.04.2022"])  # the answer holds the gold
    assert contains_gold("Louven", ["Louven, Andreas"])  # a >= 3-character part of the gold
    assert not contains_gold("Dr.", ["Grübener, Sabrina, Dr."])  # too short to count as a part
    assert not contains_gold("11,5 Stellen", ["1,5"])  # tokens, not characters
    assert not contains_gold("", ["1,5"])
    assert score_answer(None, ["1,5"]) == AnswerScore(False, 0.0, 0.0)  # abstained
    assert score_answer("Die 1,5 Stellen", ["1.5 Stellen"]) == AnswerScore(True, 1.0, 1.0)


def test_abstention_scores_by_hand():
    abstained = [True, True, False, False, True]
    unanswerable = [True, False, True, False, True]
    s = abstention_scores(abstained, unanswerable)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx(2 / 3)
    assert (s["abstained_unanswerable"], s["abstained_answerable"], s["answered_unanswerable"]) == (2, 1, 1)
    assert abstention_scores([False], [False])["precision"] is None


def test_offset_check():
    text = "Aktuell sind hiervon 1,5 Stellen besetzt."
    passage = Passage("d:0:0", "d", "d:0", 0, len(text), text)
    good = Answer("1,5 Stellen", 21, 32, text, 0, len(text), 1.0, passage)
    assert check_offsets(good, text).valid
    shifted = Answer("1,5 Stellen", 20, 31, text, 0, len(text), 1.0, passage)
    assert not check_offsets(shifted, text).span
    outside = Answer("1,5 Stellen", 21, 32, text[:10], 0, 10, 1.0, passage)
    check = check_offsets(outside, text)
    assert check.span and check.context and not check.nested


# ------------------------------------------------------------------------------------ formats

SGML = """<top>
<num> Number: 301
<title> Kündigung Frauenberatungsstelle
<desc> Description:
Was hat die Verwaltung zur Vereinbarung
mit dem Träger beschlossen?
<narr> Narrative: ...
</top>

<top><num>302</num><title>Case Management Stellen</title></top>
"""


def test_trec_sgml_topics(tmp_path):
    path = tmp_path / "topics.txt"
    path.write_text(SGML, encoding="utf-8")
    assert sniff(path) == "trec-topics"
    assert read_trec_topics(path) == {"301": "Kündigung Frauenberatungsstelle", "302": "Case Management Stellen"}
    desc = read_trec_topics(path, "desc")
    assert desc["301"] == "Was hat die Verwaltung zur Vereinbarung mit dem Träger beschlossen?"
    assert desc["302"] == "Case Management Stellen"  # no <desc>: the title


def test_tsv_topics_and_qrels(tmp_path):
    topics = tmp_path / "topics.tsv"
    topics.write_text("1\tWie viele Stellen sind besetzt?\n2\tWer leitet den Beirat?\n", encoding="utf-8")
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("1 0 doc-a 1\n1 0 doc-b 0\n2 Q0 doc-c 2\n", encoding="utf-8")
    assert (sniff(topics), sniff(qrels)) == ("tsv-topics", "qrels")
    assert read_qrels(qrels) == {"1": {"doc-a": 1, "doc-b": 0}, "2": {"doc-c": 2}}
    eval_set = load_eval_set([topics, qrels])
    assert eval_set.kind == "trec" and [q.id for q in eval_set.questions] == ["1", "2"]
    assert eval_set.corpus is None and eval_set.qrels["2"] == {"doc-c": 2}
    folder = load_eval_set([tmp_path])  # the same as a folder
    assert [q.question for q in folder.questions] == [q.question for q in eval_set.questions]
    bad = tmp_path / "bad.txt"
    bad.write_text("1 0 doc-a\n", encoding="utf-8")
    with pytest.raises(FormatError):
        read_qrels(bad)


def test_trec_documents(tmp_path):
    path = tmp_path / "docs.sgml"
    path.write_text("<DOC>\n<DOCNO> D1 </DOCNO>\n<TITLE>T</TITLE>\n<TEXT>\nEin Text.\n</TEXT>\n</DOC>\n"
                    "<DOC><DOCNO>D2</DOCNO><TEXT>Zwei.</TEXT></DOC>", encoding="utf-8")
    assert sniff(path) == "trec-docs"
    docs = read_trec_docs(path)
    assert [(d.id, d.title, d.text) for d in docs] == [("D1", "T", "Ein Text."), ("D2", "", "Zwei.")]


BEIR_DOCS = [
    ("lib", "Stadtbibliothek", "Die Stadtbibliothek hat ab März samstags von 10 bis 14 Uhr geöffnet."),
    ("fire", "Feuerwache", "Der Kreistag beschloss den Neubau der Feuerwache für 4,2 Millionen Euro."),
    ("bus", "Buslinie 12", "Die Buslinie 12 fährt ab Dezember alle zwanzig Minuten zum Bahnhof."),
    ("pool", "Hallenbad", "Im Hallenbad wird das Dach saniert; die Halle bleibt bis Juni geschlossen."),
    ("waste", "Müllabfuhr", "Die Müllabfuhr leert die Biotonnen künftig jede Woche."),
]
BEIR_QUERIES = [("1", "Wann hat die Bibliothek samstags geöffnet?", "lib"),
                ("2", "Was kostet die neue Feuerwache?", "fire"),
                ("3", "How often does the bus go to the station?", "bus")]


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as handle:
        for doc_id, title, text in BEIR_DOCS:
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}, ensure_ascii=False) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as handle:
        for qid, text, _ in BEIR_QUERIES + [("4", "Unjudged query", None)]:
            handle.write(json.dumps({"_id": qid, "text": text}) + "\n")
    rows = ["query-id\tcorpus-id\tscore"] + [f"{qid}\t{doc}\t1" for qid, _, doc in BEIR_QUERIES] + ["1\tpool\t0"]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_beir_folder_loads(tmp_path):
    folder = write_beir(tmp_path / "tiny")
    assert sniff(folder / "corpus.jsonl") == "beir-corpus"
    assert sniff(folder / "queries.jsonl") == "beir-queries"
    assert read_beir_qrels(folder / "qrels" / "test.tsv")["1"] == {"lib": 1, "pool": 0}
    eval_set = load_eval_set([folder])
    assert eval_set.kind == "beir" and len(eval_set.corpus) == 5
    assert [q.id for q in eval_set.questions] == ["1", "2", "3"]  # query 4 has no judgments
    assert [q.lang for q in eval_set.questions] == ["de", "de", "en"]
    with pytest.raises(FormatError):
        load_eval_set([tmp_path / "missing"])


def test_jsonl_sets_merge_and_reject_duplicate_ids(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text(json.dumps({"id": "q1", "question": "Wer?", "answer": "X"}) + "\n", encoding="utf-8")
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps({"id": "c1", "turns": [{"question": "Wer?", "answer": "X"},
                                                   {"question": "Und?", "unanswerable": True}]}) + "\n",
                 encoding="utf-8")
    eval_set = load_eval_set([a, b])
    assert eval_set.kind == "jsonl" and len(eval_set.questions) == 1 and len(eval_set.conversations) == 1
    copy = tmp_path / "copy.jsonl"
    copy.write_text(a.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(FormatError, match="q1"):
        load_eval_set([a, copy])


def test_tiny_beir_benchmark_end_to_end(tmp_path, model_dir, embedder):
    """5 documents, 3 queries through corpus indexing, the three retrievers, ranx and the report."""
    from eval.corpus import index_corpus
    from eval.harness import run_evaluation
    from eval.report import write_outputs
    from index.config import Settings
    from index.retrieve import SearchIndex

    eval_set = load_eval_set([write_beir(tmp_path / "tiny")])
    settings = Settings.from_env(index_dir=tmp_path / "index", model_dir=model_dir)
    report = index_corpus(eval_set.corpus, settings, embedder)
    assert report.documents == 5 and not report.errors
    assert index_corpus(eval_set.corpus, settings, embedder).status == "up-to-date"
    index = SearchIndex(settings, embedder=embedder)
    assert set(index.documents) == {d[0] for d in BEIR_DOCS}  # the BEIR ids are the document ids

    evaluation = run_evaluation(eval_set, index, modes=("bm25", "dense", "hybrid"), ks=(1, 3))
    retrieval = evaluation.summary["retrieval"]
    assert retrieval["level"] == "document" and retrieval["judged_ids_in_index"] == retrieval["judged_ids"] == 4
    modes = retrieval["levels"]["document"]["modes"]
    assert modes["dense"]["all"]["hit@1"] == 1.0 and modes["hybrid"]["all"]["hit@1"] == 1.0
    assert modes["hybrid"]["all"]["mrr@10"] == 1.0 and modes["hybrid"]["n"] == 3
    # BM25 gets the German queries; the English one is left to chance (no shared words)
    assert modes["bm25"]["per_query"]["hit@1"]["1"] == 1.0 and modes["bm25"]["per_query"]["hit@1"]["2"] == 1.0

    files = {f.name for f in write_outputs(evaluation, tmp_path / "out", command="test")}
    assert {"report.md", "results.json", "failures.csv", "recall_at_k.png", "qrels.document.trec",
            "run.hybrid.document.trec"} <= files
    run_lines = (tmp_path / "out" / "run.hybrid.document.trec").read_text().splitlines()
    qid, q0, doc, rank, score, tag = run_lines[0].split()
    assert (qid, q0, doc, rank, tag) == ("1", "Q0", "lib", "1", "minutes-qa-hybrid")
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["retrieval"]["levels"]["document"]["modes"]["hybrid"]["all"]["hit@1"] == 1.0
