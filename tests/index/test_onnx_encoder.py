"""ONNX Runtime backends against torch fp32 (real model and exports, no mocks).

The exports live in the persistent model cache beside the model folder and are reused across
runs; the first run exports them (about half a minute).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.embed import Embedder
from index.onnx_export import ONNX_FILE, _publish, ensure_onnx, onnx_dir, verify_onnx
from tests.index.test_embed import COSINE_TEXTS

# Measured on COSINE_TEXTS (passages and queries): min 0.9931, mean 0.9961; on the 60 seed
# passages min 0.9935 (python -m eval.bench_encoder). A wiring error falls far below.
INT8_MIN_COSINE = 0.99
INT8_MEAN_COSINE = 0.995


@pytest.fixture(scope="module")
def onnx_embedder(model_dir: Path) -> Embedder:
    return Embedder(model_dir=model_dir, backend="onnx").warm_up()


@pytest.fixture(scope="module")
def int8_embedder(model_dir: Path) -> Embedder:
    return Embedder(model_dir=model_dir, backend="onnx-int8").warm_up()


def _cosines(a: Embedder, b: Embedder, texts: list[str]) -> np.ndarray:
    return np.concatenate([np.sum(a.encode_passages(texts) * b.encode_passages(texts), axis=1),
                           np.sum(a.encode_queries(texts) * b.encode_queries(texts), axis=1)])


def test_onnx_fp32_equals_torch(embedder: Embedder, onnx_embedder: Embedder):
    """The ground for torch and "onnx" sharing one name (and so one index and cache)."""
    cos = _cosines(embedder, onnx_embedder, COSINE_TEXTS)
    assert cos.min() >= 0.99999, cos.min()
    assert onnx_embedder.name == embedder.name
    assert onnx_embedder.dim == embedder.dim == 384


def test_int8_close_to_torch(embedder: Embedder, int8_embedder: Embedder):
    cos = _cosines(embedder, int8_embedder, COSINE_TEXTS)
    assert cos.min() >= INT8_MIN_COSINE, cos.min()
    assert cos.mean() >= INT8_MEAN_COSINE, cos.mean()


def test_int8_has_its_own_name(embedder: Embedder, int8_embedder: Embedder):
    assert int8_embedder.name != embedder.name
    assert "+int8@" in int8_embedder.name
    mixed = Embedder(model_dir=embedder.model_dir, backend="torch", query_backend="onnx-int8")
    assert mixed.name == embedder.name  # the passages' backend names the index
    assert mixed.name_for("onnx-int8") == int8_embedder.name


def test_onnx_output_is_normalised_batched_and_truncated(onnx_embedder: Embedder, embedder: Embedder):
    texts = ["eins", "zwei drei", "Wort " * 2000]  # the last one exceeds 512 tokens
    vecs = onnx_embedder.encode_passages(texts)
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vecs, embedder.encode_passages(texts), atol=2e-5)
    single = np.vstack([onnx_embedder.encode_passages([t]) for t in texts])
    np.testing.assert_allclose(single, vecs, atol=1e-5)
    assert onnx_embedder.encode_queries([]).shape == (0, 384)


def test_unknown_backend_is_rejected(model_dir: Path):
    with pytest.raises(ValueError, match="unknown encoder backend 'onnx-fp16'"):
        Embedder(model_dir=model_dir, backend="onnx-fp16")


def test_settings_choose_backends(model_dir: Path, monkeypatch):
    from index.config import Settings

    monkeypatch.setenv("MINUTES_QA_ENCODER_BACKEND", "onnx")
    monkeypatch.setenv("MINUTES_QA_QUERY_BACKEND", "onnx-int8")
    embedder = Embedder.from_settings(Settings.from_env(model_dir=model_dir))
    assert (embedder.backend, embedder.query_backend) == ("onnx", "onnx-int8")
    monkeypatch.setenv("MINUTES_QA_QUERY_BACKEND", "tensorrt")
    with pytest.raises(ValueError, match="query_backend must be one of"):
        Settings.from_env(model_dir=model_dir)


# ------------------------------------------------------------- export cache


def _linked_export(model_dir: Path, cache: Path, variant: str) -> Path:
    """A private cache with hard links to the session's export (no 400 MB copies)."""
    source = onnx_dir(model_dir, model_dir.parent, variant)
    target = onnx_dir(model_dir, cache, variant)
    shutil.copytree(source, target, copy_function=os.link)
    return target


def test_export_is_reused(model_dir: Path, int8_embedder: Embedder):
    path = ensure_onnx(model_dir, model_dir.parent, "int8")
    before = (path.stat().st_ino, path.stat().st_mtime_ns)
    assert ensure_onnx(model_dir, model_dir.parent, "int8") == path
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == before
    meta = json.loads((path.parent / "checksums.json").read_text())
    assert meta["variant"] == "int8" and meta["size"] == path.stat().st_size


def test_partial_export_is_never_picked_up(model_dir: Path, tmp_path: Path, int8_embedder: Embedder):
    """A crashed export's temporary folder is ignored and removed; a cut file is refused."""
    from index.embed import model_fingerprint

    cache = tmp_path / "cache"
    target = _linked_export(model_dir, cache, "int8")
    good = target / ONNX_FILE
    crashed = cache / f".{target.name}.tmp-999-deadbeef"
    crashed.mkdir()
    (crashed / ONNX_FILE).write_bytes(good.read_bytes()[:1000])
    assert ensure_onnx(model_dir, cache, "int8") == good
    assert good.stat().st_ino == (onnx_dir(model_dir, model_dir.parent, "int8") / ONNX_FILE).stat().st_ino
    assert not crashed.exists()

    fingerprint = model_fingerprint(model_dir)
    assert verify_onnx(target, fingerprint, "int8") == []
    data = good.read_bytes()
    good.unlink()  # break the hard link before damaging the copy
    good.write_bytes(data[: len(data) // 2])
    assert verify_onnx(target, fingerprint, "int8", full=False) == [
        f"{ONNX_FILE} has {len(data) // 2} bytes, expected {len(data)}"]
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    good.write_bytes(bytes(flipped))
    assert verify_onnx(target, fingerprint, "int8") == [f"{ONNX_FILE} checksum mismatch"]
    assert verify_onnx(target, "another-model", "int8", full=False) == [
        "exported from another model folder (source fingerprint differs)"]


def test_failed_export_leaves_nothing(tmp_path: Path):
    target = tmp_path / "model-onnx-fp32"

    def crash(out: Path) -> None:
        out.write_bytes(b"half an onnx file")
        raise RuntimeError("export died")

    with pytest.raises(RuntimeError, match="export died"):
        _publish(target, "fp32", "fingerprint", crash)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- search


@pytest.mark.parametrize("question_id", ["q010", "q011"])
def test_search_with_int8_queries_finds_the_agenda_item(seed_index, seed_settings, model_dir: Path,
                                                        int8_embedder: Embedder, question_id: str):
    """fp32 passages in the index, int8 queries: the right agenda item still comes first."""
    from eval.questions import load_jsonl
    from eval.retrieval import DEFAULT_QUESTIONS, agenda_item_rank
    from index.retrieve import SearchIndex

    question = next(q for q in load_jsonl(DEFAULT_QUESTIONS[0])[0] if q.id == question_id)
    mixed = Embedder(model_dir=model_dir, backend=seed_index.embedder.backend, query_backend="onnx-int8")
    mixed._onnx["onnx-int8"] = int8_embedder._onnx["onnx-int8"]  # reuse the loaded session
    index = SearchIndex(seed_settings, embedder=mixed)
    for mode in ("dense", "hybrid"):
        hits = index.search(question.question, mode=mode, top_k=5)
        assert agenda_item_rank(index, question, hits) == 1, (mode, [h.passage.agenda_item_id for h in hits])
