"""Sentence embeddings with ONNX Runtime, reproducing the sentence-transformers folder.

The ONNX graph (``index.onnx_export``) gives token embeddings; everything around it follows
the folder's own configuration, so the vectors equal ``SentenceTransformer(folder).encode``:
the ``tokenizers`` tokenizer from ``tokenizer.json`` with truncation at ``max_seq_length``
(at most 512), the pooling mode from ``1_Pooling/config.json`` (mean or CLS; prompt tokens
included, as the folder says) and L2 normalisation when ``modules.json`` has a Normalize
module. Callers pass texts with their prompt already prepended, as sentence-transformers does
before tokenising.

Texts are tokenised once, sorted by length and batched, so a batch pads only to its own
longest text. Session options: ``intra_op_num_threads`` = the cores this process may use,
one inter-op thread (the graph is a chain), full graph optimisation, and no spinning of idle
pool threads: on a shared 2-core machine spinning threads steal the core a busy sibling needs
(the same reason ``index.embed`` sets ``OMP_WAIT_POLICY=PASSIVE`` for torch). The one session
serves both single queries (latency) and batches (throughput); ONNX Runtime's session is
thread-safe, so concurrent requests share it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from index.config import available_cores

logger = logging.getLogger(__name__)

MAX_TOKENS = 512
ATTENTION_BUDGET = 8 * 512 * 512  # rows x tokens² per batch, see OnnxEncoder._batches
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


class FolderPipeline:
    """Tokenisation, pooling and normalisation as a sentence-transformers folder configures them."""

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        types = [m["type"] for m in modules]
        if not types or types[0] != _TRANSFORMER or _POOLING not in types:
            raise ValueError(f"{model_dir}: ONNX backend supports Transformer + Pooling [+ Normalize], not {types}")
        unsupported = [t for t in types if t not in (_TRANSFORMER, _POOLING, _NORMALIZE)]
        if unsupported:
            raise ValueError(f"{model_dir}: ONNX backend cannot run the modules {unsupported}")
        self.normalize = _NORMALIZE in types
        pooling_path = next(m["path"] for m in modules if m["type"] == _POOLING)
        pooling = json.loads((model_dir / pooling_path / "config.json").read_text(encoding="utf-8"))
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
        if modes == ["pooling_mode_mean_tokens"]:
            self.pooling = "mean"
        elif modes == ["pooling_mode_cls_token"]:
            self.pooling = "cls"
        else:
            raise ValueError(f"{model_dir}: ONNX backend supports mean or CLS pooling, not {modes}")
        if not pooling.get("include_prompt", True):
            raise ValueError(f"{model_dir}: pooling excludes the prompt; the ONNX backend does not support that")
        self.dim = int(pooling["word_embedding_dimension"])

        st_config = _read_json(model_dir / "sentence_bert_config.json")
        self.max_tokens = min(int(st_config.get("max_seq_length") or MAX_TOKENS), MAX_TOKENS)
        self.lower_case = bool(st_config.get("do_lower_case", False))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        pad_token = _read_json(model_dir / "tokenizer_config.json").get("pad_token")
        pad_id = self.tokenizer.token_to_id(pad_token) if isinstance(pad_token, str) else None
        self.pad_id = 0 if pad_id is None else pad_id  # masked out either way

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        if self.lower_case:
            texts = [t.lower() for t in texts]
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def batch(self, ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Right-padded ``input_ids`` and ``attention_mask`` (int64)."""
        width = max(len(x) for x in ids)
        input_ids = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = x
            mask[row, : len(x)] = 1
        return input_ids, mask

    def pool(self, token_embeddings: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            vectors = token_embeddings[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            vectors = (token_embeddings * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        if self.normalize:
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.astype(np.float32, copy=False)


class OnnxEncoder:
    """Encodes (already prompted) texts with an ONNX export of ``model_dir``."""

    def __init__(self, onnx_path: Path, model_dir: Path, num_threads: int | None = None,
                 batch_size: int = 32) -> None:
        import onnxruntime as ort

        self.pipeline = FolderPipeline(model_dir)
        self.batch_size = batch_size
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads or available_cores()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.log_severity_level = 3  # warnings about unused initialisers etc. are noise here
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        logger.info("ONNX session for %s (%d threads)", onnx_path, options.intra_op_num_threads)

    @property
    def dim(self) -> int:
        return self.pipeline.dim

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self.pipeline.tokenize(list(texts))
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        for rows in self._batches(order, [len(x) for x in ids]):
            input_ids, mask = self.pipeline.batch([ids[i] for i in rows])
            (tokens,) = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})
            out[rows] = self.pipeline.pool(tokens, mask)
        return out

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Consecutive rows (shortest first), at most ``batch_size`` and ``ATTENTION_BUDGET``.

        The budget bounds rows x length², the size of the attention scores that ONNX Runtime
        materialises (and keeps in its arena): 32 texts of 512 tokens would take 400 MB per
        tensor, 8 of them take 100 MB at about the same speed per token.
        """
        batches: list[list[int]] = []
        for row in order:
            longest = lengths[row]  # sorted: the newest row is the longest
            if batches and len(batches[-1]) < self.batch_size and \
                    (len(batches[-1]) + 1) * longest * longest <= ATTENTION_BUDGET:
                batches[-1].append(row)
            else:
                batches.append([row])
        return batches


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
