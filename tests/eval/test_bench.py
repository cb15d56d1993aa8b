"""Pieces of the scale benchmark that decide what its figures mean."""
import numpy as np

from eval.bench import known_item_queries, stand_in_vectors


def test_stand_in_vectors_are_unit_vectors_near_their_real_source():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(5, 384)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    stand_ins = stand_in_vectors(real, 12)
    assert stand_ins.shape == (12, 384) and stand_ins.dtype == np.float32
    assert np.allclose(np.linalg.norm(stand_ins, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(stand_ins * real[np.arange(12) % 5], axis=1)
    assert np.all(cosine > 0.85) and np.all(cosine < 0.99)  # near, but no exact copies
    assert len({v.tobytes() for v in stand_ins}) == 12
    assert np.array_equal(stand_ins, stand_in_vectors(real, 12))  # seeded


def test_known_item_queries_come_from_one_sentence_of_the_index(seed_index):
    queries = known_item_queries(seed_index, 10)
    assert len(queries) == 10
    assert queries == known_item_queries(seed_index, 10)
    texts = [p.text for p in seed_index.passages]
    for query, sentence in queries:
        assert 10 <= len(sentence.split()) <= 40
        assert query == " ".join(sentence.split()[:12])
        assert any(sentence in text for text in texts)
