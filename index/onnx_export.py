"""Offline ONNX export of a sentence-transformers folder: fp32 and int8 variants, cached.

Why: ONNX Runtime runs the same encoder without torch at query time, and its dynamic int8
quantisation roughly halves CPU encoding time (numbers: ``python -m eval.bench_encoder``).

Route: ``torch.onnx.export`` with the TorchScript exporter (``dynamo=False``) on the folder's
transformer (``transformers.AutoModel``, local files only). It writes one self-contained
``model.onnx``, needs nothing beyond torch and ``onnx``, and its graph is what
``onnxruntime.quantization.quantize_dynamic`` handles best. The graph outputs token embeddings
only; pooling and normalisation follow the folder's own modules (``index.onnx_encoder``).

int8 recipe: weights of every ``MatMul`` quantised per output channel (signed int8),
activations quantised dynamically at run time; the word-embedding ``Gather`` stays fp32.
Quantising the embeddings too (the library default) made the file 4x smaller but cost about
a point of cosine (min 0.983 vs 0.993 on the test texts), so it is not done.

Each variant lives in its own folder beside the model folder in the cache
(``<cache>/<model>-onnx-fp32``, ``<cache>/<model>-onnx-int8``), written into a temporary
sibling and renamed into place (never half-written), with ``checksums.json`` recording the
source model's fingerprint, the recipe and the hash of ``model.onnx``. A folder whose
checksum, source or recipe does not match is re-exported. Nothing touches the network.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from pathlib import Path

from index.model_export import (
    CHECKSUMS_FILE,
    _export_lock,
    _remove_stale_temporaries,
    publish_folder,
    sha256_file,
)

logger = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
VARIANTS = ("fp32", "int8")
# Bump a recipe when its output changes: cached exports with another recipe are redone.
RECIPES: dict[str, str] = {
    "fp32": "torchscript-opset17-v1",
    "int8": "torchscript-opset17-v1+dynamic-qint8-matmul-per-channel-v1",
}
OPSET = 17


def onnx_dir(model_dir: Path, cache_dir: Path, variant: str) -> Path:
    """Where the ``variant`` export of ``model_dir`` is cached."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r}; expected one of {VARIANTS}")
    return Path(cache_dir) / f"{Path(model_dir).name}-onnx-{variant}"


def verify_onnx(folder: Path, source_fingerprint: str, variant: str, full: bool = True) -> list[str]:
    """Problems with a cached export (empty list = usable).

    ``full=False`` skips hashing ``model.onnx`` (about 1 s for the fp32 file) and only
    compares its size.
    """
    try:
        meta = json.loads((folder / CHECKSUMS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{CHECKSUMS_FILE} unreadable: {exc}"]
    problems = []
    if meta.get("source_fingerprint") != source_fingerprint:
        problems.append("exported from another model folder (source fingerprint differs)")
    if meta.get("recipe") != RECIPES[variant]:
        problems.append(f"recipe {meta.get('recipe')!r} != {RECIPES[variant]!r}")
    path = folder / ONNX_FILE
    if not path.is_file():
        problems.append(f"{ONNX_FILE} missing")
    elif path.stat().st_size != meta.get("size"):
        problems.append(f"{ONNX_FILE} has {path.stat().st_size} bytes, expected {meta.get('size')}")
    elif full and sha256_file(path) != meta.get("sha256"):
        problems.append(f"{ONNX_FILE} checksum mismatch")
    return problems


def ensure_onnx(model_dir: Path, cache_dir: Path, variant: str = "fp32", verify: bool = True) -> Path:
    """Path of the cached ``model.onnx`` for ``variant``, exporting it first when needed.

    ``int8`` is quantised from the fp32 export (ensured only when int8 must be made). Exports
    are serialised between processes sharing ``cache_dir``.
    """
    from index.embed import model_fingerprint

    model_dir, cache_dir = Path(model_dir), Path(cache_dir)
    if not (model_dir / "modules.json").is_file():
        raise FileNotFoundError(f"{model_dir} is not a sentence-transformers folder (no modules.json)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = model_fingerprint(model_dir)
    target = onnx_dir(model_dir, cache_dir, variant)
    with _export_lock(cache_dir, target.name):
        _remove_stale_temporaries(cache_dir, target.name)
        if target.exists():
            problems = verify_onnx(target, fingerprint, variant, full=verify)
            if not problems:
                return target / ONNX_FILE
            logger.warning("ONNX export %s is unusable (%s); exporting again", target, "; ".join(problems))
        # int8 is made from fp32 (its lock is taken inside int8's, always in this order)
        fp32_path = ensure_onnx(model_dir, cache_dir, "fp32", verify) if variant == "int8" else None
        _publish(target, variant, fingerprint, lambda out: _write_variant(model_dir, fp32_path, out, variant))
    return target / ONNX_FILE


def _publish(target: Path, variant: str, fingerprint: str, write) -> None:
    """Write the model into a temporary sibling, add checksums, publish it atomically."""
    started = time.perf_counter()

    def fill(tmp: Path) -> None:
        path = tmp / ONNX_FILE
        write(path)
        meta = {
            "variant": variant,
            "recipe": RECIPES[variant],
            "source_fingerprint": fingerprint,
            "size": path.stat().st_size,
            "sha256": sha256_file(path),
            "versions": _versions(),
        }
        (tmp / CHECKSUMS_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    publish_folder(target, fill)
    logger.info("wrote %s in %.1fs", target, time.perf_counter() - started)


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch

    return {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}


def _write_variant(model_dir: Path, fp32_path: Path | None, out: Path, variant: str) -> None:
    if variant == "fp32":
        export_fp32(model_dir, out)
    else:
        assert fp32_path is not None
        quantize_int8(fp32_path, out)


def export_fp32(model_dir: Path, out: Path) -> None:
    """Token embeddings of the folder's transformer as ONNX (dynamic batch and length)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # Two rows of different length, so padding and masking are traced, not constant-folded.
    input_ids = torch.tensor([[0, 100, 200, 300, 2], [0, 500, 600, 2, 1]])
    attention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about python booleans in SDPA glue
        torch.onnx.export(
            TokenEmbeddings(model),
            (input_ids, attention_mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["token_embeddings"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_embeddings": axes},
            opset_version=OPSET,
            dynamo=False,
        )


def quantize_int8(fp32_path: Path, out: Path) -> None:
    """Dynamic int8 quantisation of every MatMul weight, per output channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it warns on the root logger to run pre-processing first
    try:
        quantize_dynamic(
            str(fp32_path),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        root.setLevel(level)
