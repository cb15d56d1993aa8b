"""BM25 over analysed terms.

The scoring function is rank-bm25's ``BM25Okapi`` with one change: the IDF. Okapi's
``log((N - n + 0.5) / (n + 0.5))`` is zero for a term in exactly half of the passages and
negative above that (rank-bm25 then substitutes ``epsilon * average_idf``, which is itself
zero or negative when most terms are common, as in one committee's minutes). We use
Lucene's ``log(1 + (N - n + 0.5) / (n + 0.5))``, which is always positive, so every
matching term adds to the score and a passage without any query term scores exactly 0.

``ReferenceBM25`` is that function on top of rank-bm25 (the design's choice, and the
reference in tests). ``SparseBM25`` computes the same scores from a precomputed
term × passage weight matrix (the bm25s approach): a query is a sum of a few sparse rows,
which is orders of magnitude faster than rank-bm25's per-term Python loop on large corpora.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from rank_bm25 import BM25Okapi

K1 = 1.5
B = 0.75


def lucene_idf(n_docs: int, doc_freq: np.ndarray | int) -> np.ndarray | float:
    return np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


class ReferenceBM25(BM25Okapi):
    """rank-bm25's BM25Okapi with a strictly positive (Lucene) IDF."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log1p((self.corpus_size - freq + 0.5) / (freq + 0.5))
        self.average_idf = sum(self.idf.values()) / max(len(self.idf), 1)


class SparseBM25:
    """BM25 scores equal to ``ReferenceBM25.get_scores`` from a sparse weight matrix."""

    def __init__(self, vocabulary: dict[str, int], weights: sp.csr_matrix) -> None:
        self.vocabulary = vocabulary
        self.weights = weights  # shape (n_terms, n_passages)

    @property
    def n_passages(self) -> int:
        return self.weights.shape[1]

    @classmethod
    def build(cls, corpus: list[list[str]], k1: float = K1, b: float = B) -> "SparseBM25":
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        doc_len = np.zeros(len(corpus), dtype=np.float64)
        for doc_index, terms in enumerate(corpus):
            doc_len[doc_index] = len(terms)
            for term, tf in Counter(terms).items():
                rows.append(vocabulary.setdefault(term, len(vocabulary)))
                cols.append(doc_index)
                tfs.append(tf)
        n_docs = len(corpus)
        rows_a = np.asarray(rows, dtype=np.int64)
        cols_a = np.asarray(cols, dtype=np.int64)
        tf_a = np.asarray(tfs, dtype=np.float64)
        doc_freq = np.bincount(rows_a, minlength=len(vocabulary)) if len(rows_a) else np.zeros(0)
        idf = lucene_idf(n_docs, doc_freq)
        avgdl = doc_len.mean() if n_docs and doc_len.sum() else 1.0
        norm = k1 * (1 - b + b * doc_len[cols_a] / avgdl)
        values = idf[rows_a] * tf_a * (k1 + 1) / (tf_a + norm)
        weights = sp.csr_matrix((values.astype(np.float32), (rows_a, cols_a)),
                                shape=(len(vocabulary), n_docs))
        return cls(vocabulary, weights)

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """Score of every passage (float32); repeated query terms count repeatedly, as in rank-bm25."""
        counts = Counter(t for t in query_terms if t in self.vocabulary)
        if not counts:
            return np.zeros(self.n_passages, dtype=np.float32)
        row_ids = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64)
        multiplicity = np.fromiter(counts.values(), dtype=np.float32)
        rows = self.weights[row_ids]
        return np.asarray(rows.T @ multiplicity, dtype=np.float32).ravel()

    def save(self, directory: Path) -> None:
        sp.save_npz(directory / "bm25_weights.npz", self.weights, compressed=False)
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        (directory / "bm25_terms.txt").write_text("\n".join(terms), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "SparseBM25":
        weights = sp.load_npz(directory / "bm25_weights.npz").tocsr()
        text = (directory / "bm25_terms.txt").read_text(encoding="utf-8")
        terms = text.split("\n") if text else []
        return cls({t: i for i, t in enumerate(terms)}, weights)


class IdfTable:
    """``term → idf`` of an index's BM25 vocabulary, read from the matrix on demand (no second
    dict of every term); ``get`` and ``in`` work like a dict's."""

    def __init__(self, bm25: SparseBM25) -> None:
        weights = bm25.weights.tocsr()
        self._vocabulary = bm25.vocabulary
        self._idf = lucene_idf(weights.shape[1], np.diff(weights.indptr)).astype(np.float64)
        self.max_idf = float(lucene_idf(max(weights.shape[1], 1), 0))

    def __contains__(self, term: object) -> bool:
        return term in self._vocabulary

    def get(self, term: str, default: float | None = None) -> float | None:
        row = self._vocabulary.get(term)
        return default if row is None else float(self._idf[row])
