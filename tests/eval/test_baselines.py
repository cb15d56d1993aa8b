"""The benchmark baselines (real components) and the seed-set judging they are compared by."""
from __future__ import annotations

import numpy as np
import pytest

from eval.baselines import HaystackHybrid, NaiveBM25, haystack_available, naive_tokenize

needs_haystack = pytest.mark.skipif(
    not haystack_available(), reason="haystack-ai is not installed (the bench extra: make bench-install)")

# Seed passages of different agenda items: a report notice, the Ukraine integration portal,
# KIM staffing, a report heading, the "Gemeinsam klappt's" initiatives, a minutes' title,
# an attendance list.
HANDFUL = [0, 1, 4, 6, 8, 21, 22]
PORTAL, ATTENDANCE = 1, 22


@pytest.fixture(scope="module")
def corpus(seed_index):
    from eval.baseline_seeds import seed_corpus

    return seed_corpus(seed_index)


@pytest.fixture(scope="module")
def handful(corpus):
    assert "Integrationsportal" in corpus.texts[PORTAL]
    assert "Anwesend" in corpus.texts[ATTENDANCE]
    return [corpus.texts[row] for row in HANDFUL], corpus.vectors[HANDFUL]


def test_naive_tokenize():
    assert naive_tokenize("Beschluss: TOP Ö 12, Kreis-Heinsberg.") == ["beschluss", "top", "ö", "12", "kreis", "heinsberg"]


def test_naive_bm25_ranks_the_exact_term_first():
    texts = ["Der Kreistag beschließt den Haushalt.", "Die Sitzung endet um 18 Uhr.",
             "Schriftführer: Louven, Andreas", "Der Ausschuss nimmt den Bericht zur Kenntnis.",
             "Der Haushalt wird vertagt."]
    bm25 = NaiveBM25()
    bm25.index(texts)
    assert bm25.search("Wer war Schriftführer?", 3)[0] == 2
    assert len(bm25.search("Haushalt", 10)) == len(texts)


def test_naive_bm25_needs_an_index():
    with pytest.raises(RuntimeError):
        NaiveBM25().search("Haushalt", 5)


def test_judging_is_that_of_evaluate(corpus, seed_index):
    from eval.baseline_seeds import MinutesQA, judge
    from eval.retrieval import evaluate

    report = evaluate(seed_index, corpus.questions, k=5, modes=("bm25",))
    result = judge(corpus, MinutesQA(seed_index, "bm25"), k=5)
    assert result.hit_at_k == report["modes"]["bm25"]["hit_at_k"]
    assert result.misses == report["modes"]["bm25"]["misses"]
    assert len(result.latencies_ms) == len(corpus.questions)


def test_seed_hit_at_k_of_the_naive_baseline(corpus):
    from eval.baseline_seeds import seed_hit_at_k

    assert 0.5 < seed_hit_at_k(NaiveBM25(), k=5, corpus=corpus) <= 1.0


@needs_haystack
@pytest.mark.parametrize("own_embedder", [False, True], ids=["index-vectors", "own-embedder"])
def test_haystack_hybrid_finds_the_passage(handful, model_dir, own_embedder):
    texts, vectors = handful
    hybrid = HaystackHybrid(model_dir=model_dir)
    hybrid.index(texts, None if own_embedder else vectors)
    portal, attendance = HANDFUL.index(PORTAL), HANDFUL.index(ATTENDANCE)
    assert hybrid.search("Was ist das Integrationsportal für Geflüchtete aus der Ukraine?", 3)[0] == portal
    assert hybrid.search("Welche Kreistagsmitglieder waren bei der Sitzung anwesend?", 3)[0] == attendance
    # No word in common with the passage: only the embedding retriever can find it.
    assert hybrid.search("What does the integration portal for Ukrainian refugees offer?", 3)[0] == portal
    rows = hybrid.search("Sitzung", 5)
    assert len(rows) == len(set(rows)) <= 5


@needs_haystack
def test_haystack_hybrid_checks_its_input(model_dir):
    hybrid = HaystackHybrid(model_dir=model_dir, candidates=10)
    with pytest.raises(RuntimeError):
        hybrid.search("Haushalt", 5)
    with pytest.raises(ValueError):
        hybrid.index(["a", "b"], vectors=np.zeros((1, 384), dtype=np.float32))
