import random

import numpy as np
from rank_bm25 import BM25Okapi

from index.bm25 import ReferenceBM25, SparseBM25


def committee_corpus() -> list[list[str]]:
    """Passages of one committee: 'kreis' occurs in exactly half of them, 'ausschuss' in all."""
    return [
        ["ausschuss", "kreis", "haushalt"],
        ["ausschuss", "kreis", "schule"],
        ["ausschuss", "stelle", "besetzt"],
        ["ausschuss", "pflege"],
    ]


def test_okapi_gives_zero_or_negative_weight_to_common_terms_ours_does_not():
    corpus = committee_corpus()
    okapi = BM25Okapi(corpus)
    assert okapi.idf["kreis"] == 0  # the known trap: a term in half the passages weighs nothing
    assert okapi.get_scores(["kreis"]).max() == 0
    ours = ReferenceBM25(corpus)
    assert all(v > 0 for v in ours.idf.values())
    scores = ours.get_scores(["kreis"])
    assert (scores[:2] > 0).all() and (scores[2:] == 0).all()
    assert (ours.get_scores(["ausschuss"]) > 0).all()


def test_sparse_scores_equal_rank_bm25_reference():
    rng = random.Random(7)
    vocabulary = [f"t{i}" for i in range(300)]
    corpus = [[rng.choice(vocabulary[: rng.randint(5, 300)]) for _ in range(rng.randint(1, 80))]
              for _ in range(400)]
    reference = ReferenceBM25(corpus)
    sparse = SparseBM25.build(corpus)
    for _ in range(50):
        query = [rng.choice(vocabulary) for _ in range(rng.randint(1, 6))] + ["unknown"]
        expected = reference.get_scores(query)
        got = sparse.scores(query)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        # identical rankings (ties broken the same way: by row)
        order_expected = np.lexsort((np.arange(len(expected)), -np.round(expected, 4)))[:10]
        order_got = np.lexsort((np.arange(len(got)), -np.round(got, 4)))[:10]
        assert order_expected.tolist() == order_got.tolist()


def test_repeated_query_terms_count_like_rank_bm25():
    corpus = committee_corpus()
    np.testing.assert_allclose(SparseBM25.build(corpus).scores(["stelle", "stelle"]),
                               ReferenceBM25(corpus).get_scores(["stelle", "stelle"]), rtol=1e-6)


def test_save_and_load_round_trip(tmp_path):
    sparse = SparseBM25.build(committee_corpus())
    sparse.save(tmp_path)
    loaded = SparseBM25.load(tmp_path)
    np.testing.assert_array_equal(loaded.scores(["besetzt", "kreis"]), sparse.scores(["besetzt", "kreis"]))
    assert loaded.scores(["nichts"]).sum() == 0
