"""Baselines for the performance benchmark: what a user would pick instead of minutes-qa.

* ``NaiveBM25``: rank-bm25's ``BM25Okapi`` over a naive tokenizer (lowercase, split on
  non-word characters), scored with ``get_scores`` and sorted with ``argsort``: the quick
  prototype.
* ``HaystackHybrid``: a Haystack 2.x hybrid pipeline (``InMemoryBM25Retriever`` ∥
  sentence-transformers embedding retriever with the same model → ``DocumentJoiner`` with
  reciprocal rank fusion). Haystack is the ``bench`` extra (``make bench-install``); this
  module imports it only when a ``HaystackHybrid`` is built.

Both take the passage texts (and, optionally, their vectors, so a large benchmark need not
embed the corpus again) and return passage rows, best first. The seed-set comparison with
minutes-qa itself is ``python -m eval.baselines`` (see ``eval.baseline_seeds``).
"""
from __future__ import annotations

import importlib.util
import os
import re
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np
from rank_bm25 import BM25Okapi

from index.config import Settings

# As index.embed does, before anything imports torch: idle torch threads must not spin on
# this shared machine, for the baselines' encoder no less than for minutes-qa's.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_WORD = re.compile(r"\w+")

E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "


class Ranker(Protocol):
    """Anything that ranks passage rows for a query."""

    name: str

    def search(self, query: str, k: int) -> list[int]:
        """Passage rows (positions in the indexed texts), best first, at most ``k``."""
        ...


class Baseline(Ranker, Protocol):
    """A ranker that indexes a list of passage texts itself."""

    def index(self, texts: list[str], vectors: np.ndarray | None = None) -> None:
        """Index ``texts`` (row i = ``texts[i]``); ``vectors``: their L2-normalised embeddings."""
        ...


def naive_tokenize(text: str) -> list[str]:
    """Lowercase, split on non-word characters."""
    return _WORD.findall(text.lower())


class NaiveBM25:
    """``BM25Okapi`` as a prototype uses it: every query scores every passage in Python."""

    name = "naive-rank-bm25"

    def __init__(self) -> None:
        self._bm25: BM25Okapi | None = None

    def index(self, texts: list[str], vectors: np.ndarray | None = None) -> None:
        if not texts:
            raise ValueError("nothing to index")
        self._bm25 = BM25Okapi([naive_tokenize(t) for t in texts])

    def search(self, query: str, k: int) -> list[int]:
        if self._bm25 is None:
            raise RuntimeError("index() first")
        scores = self._bm25.get_scores(naive_tokenize(query))
        return np.argsort(-scores, kind="stable")[:k].tolist()


def haystack_available() -> bool:
    return importlib.util.find_spec("haystack") is not None


def default_model_dir() -> Path:
    """The model minutes-qa embeds with (exported on first use, never downloaded)."""
    from index.model_export import default_cache_dir, ensure_model

    return ensure_model(default_cache_dir())


class HaystackHybrid:
    """Haystack 2.x: BM25 and embedding retrieval over an ``InMemoryDocumentStore``, fused by RRF.

    ``candidates``: documents each retriever passes to the joiner (default: minutes-qa's own
    ``Settings.candidates``, so both fuse equally deep lists). Vectors are L2-normalised, so
    the store's dot product is the cosine (``embedding_similarity_function="cosine"`` would
    only normalise them again on every query). ``bm25_algorithm``: the store's default,
    BM25L, unless given.
    """

    name = "haystack-hybrid"

    def __init__(self, model_dir: Path | None = None, candidates: int | None = None,
                 bm25_algorithm: str = "BM25L", batch_size: int = 32) -> None:
        if not haystack_available():
            raise ImportError("haystack-ai is not installed; install the bench extra: make bench-install")
        # Before haystack is imported: no usage reports, no model downloads.
        os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.candidates = candidates or Settings().candidates
        self.bm25_algorithm = bm25_algorithm
        self.batch_size = batch_size
        self._pipeline = None

    def _embedder_args(self) -> dict:
        from haystack.utils import ComponentDevice

        return {"model": str(self.model_dir), "device": ComponentDevice.from_str("cpu"),
                "local_files_only": True, "normalize_embeddings": True, "progress_bar": False,
                "batch_size": self.batch_size}

    def index(self, texts: list[str], vectors: np.ndarray | None = None) -> None:
        from haystack import Document, Pipeline
        from haystack.components.joiners import DocumentJoiner
        from haystack.components.retrievers.in_memory import (InMemoryBM25Retriever,
                                                              InMemoryEmbeddingRetriever)
        from haystack.document_stores.in_memory import InMemoryDocumentStore

        if not texts:
            raise ValueError("nothing to index")
        if vectors is not None and len(vectors) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        documents = [Document(content=text, meta={"row": row},
                              embedding=None if vectors is None else vectors[row].tolist())
                     for row, text in enumerate(texts)]
        if vectors is None:
            with warnings.catch_warnings():  # the component's "moving to another package" notice
                warnings.simplefilter("ignore", FutureWarning)
                from haystack.components.embedders import SentenceTransformersDocumentEmbedder

                embedder = SentenceTransformersDocumentEmbedder(prefix=E5_PASSAGE_PREFIX,
                                                                **self._embedder_args())
            embedder.warm_up()
            documents = embedder.run(documents=documents)["documents"]
        store = InMemoryDocumentStore(embedding_similarity_function="dot_product",
                                      bm25_algorithm=self.bm25_algorithm)
        store.write_documents(documents)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            from haystack.components.embedders import SentenceTransformersTextEmbedder

            text_embedder = SentenceTransformersTextEmbedder(prefix=E5_QUERY_PREFIX, **self._embedder_args())
        pipeline = Pipeline()
        pipeline.add_component("text_embedder", text_embedder)
        pipeline.add_component("embedding_retriever",
                               InMemoryEmbeddingRetriever(document_store=store, top_k=self.candidates))
        pipeline.add_component("bm25_retriever",
                               InMemoryBM25Retriever(document_store=store, top_k=self.candidates))
        pipeline.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion"))
        pipeline.connect("text_embedder.embedding", "embedding_retriever.query_embedding")
        pipeline.connect("bm25_retriever.documents", "joiner.documents")
        pipeline.connect("embedding_retriever.documents", "joiner.documents")
        pipeline.warm_up()
        self._pipeline = pipeline

    def search(self, query: str, k: int) -> list[int]:
        if self._pipeline is None:
            raise RuntimeError("index() first")
        result = self._pipeline.run({"text_embedder": {"text": query},
                                     "bm25_retriever": {"query": query},
                                     "joiner": {"top_k": k}})
        return [int(doc.meta["row"]) for doc in result["joiner"]["documents"]]


if __name__ == "__main__":
    from eval.baseline_seeds import main

    raise SystemExit(main())
