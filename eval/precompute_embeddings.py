"""Pre-compute the scale corpus's passage vectors on a faster machine and load them into the
embedding cache, so benchmark builds over 100k passages need not wait hours for a 2-core CPU.

Without a GPU, ``fill`` encodes the texts on this machine into the cache, in file order and in
chunks, so it can be stopped and resumed (run it under ``nice`` beside other work)::

    python -m eval.precompute_embeddings fill --texts DIR/texts.json.xz

With one, three steps (the middle one runs where the GPU is, with this repository checked out)::

    python -m eval.precompute_embeddings texts --passages 100000 --out DIR   # here
    python -m eval.precompute_embeddings encode --texts DIR/texts.json.xz --out OUT --device cuda
    python -m eval.precompute_embeddings load OUT/*.npy --texts DIR/texts.json.xz  # here

``load`` first re-encodes a sample on this machine and refuses vectors that disagree with
the local model (cosine < 0.999), then stores them in ``CACHE_DIR/embeddings.sqlite`` under
the local model's name, keyed by text hash, exactly as an index build would have. The
benchmark prints how many passage vectors came from that cache. Vectors travel as float16
(transfer size); cosine to the float32 originals stays above 0.9999.
"""
from __future__ import annotations

import argparse
import json
import lzma
import sys
from pathlib import Path

import numpy as np

SHARD_ROWS = 20_000  # 20k × 384 float16 = 15 MB a file


def write_texts(passages: int, out: Path) -> Path:
    from eval.scale_corpus import dense_texts, take_passages
    from index.config import Settings

    settings = Settings.from_env()
    texts = dense_texts(take_passages(passages, settings), settings)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "texts.json.xz"
    path.write_bytes(lzma.compress(json.dumps(texts, ensure_ascii=False).encode("utf-8"), preset=6))
    print(f"{len(texts)} passage texts → {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return path


def read_texts(path: Path) -> list[str]:
    return json.loads(lzma.decompress(path.read_bytes()).decode("utf-8"))


def encode(texts_path: Path, out: Path, device: str, model_dir: Path | None, batch_size: int) -> None:
    import time

    from index.embed import Embedder

    texts = read_texts(texts_path)
    embedder = Embedder(model_dir=model_dir, device=device, batch_size=batch_size).warm_up()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for shard, offset in enumerate(range(0, len(texts), SHARD_ROWS)):
        vectors = embedder.encode_passages(texts[offset:offset + SHARD_ROWS])
        np.save(out / f"vectors-{shard:02d}.npy", vectors.astype(np.float16))
        print(f"shard {shard}: rows {offset}..{offset + len(vectors)} "
              f"({time.perf_counter() - started:.1f} s)", flush=True)
    seconds = time.perf_counter() - started
    print(f"encoded {len(texts)} passages on {device} in {seconds:.1f} s "
          f"({len(texts) / seconds:.0f} passages/s); model {embedder.name}")


def load(shards: list[Path], texts_path: Path, sample: int = 64) -> int:
    from index.config import Settings
    from index.embed import Embedder
    from index.store import EMBEDDING_CACHE, EmbeddingCache

    texts = read_texts(texts_path)
    vectors = np.concatenate([np.load(p) for p in sorted(shards)]).astype(np.float32)
    if len(vectors) != len(texts):
        raise SystemExit(f"{len(vectors)} vectors for {len(texts)} texts: shards missing?")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    settings = Settings.from_env()
    embedder = Embedder.from_settings(settings)
    rows = np.linspace(0, len(texts) - 1, num=min(sample, len(texts)), dtype=int)
    local = embedder.encode_passages([texts[i] for i in rows])
    cosine = np.sum(local * vectors[rows], axis=1)
    print(f"sample of {len(rows)}: cosine to local encoder min {cosine.min():.6f}, "
          f"mean {cosine.mean():.6f}")
    if cosine.min() < 0.999:
        raise SystemExit("the pre-computed vectors disagree with the local model; not loaded")
    cache = EmbeddingCache(settings.cache_dir / EMBEDDING_CACHE, embedder.name)
    for offset in range(0, len(texts), 5000):
        cache.put_many(texts[offset:offset + 5000], vectors[offset:offset + 5000])
    print(f"stored {len(texts)} vectors in {cache.path} for {embedder.name}")
    return len(texts)


def fill(texts_path: Path, limit: int | None) -> None:
    """Encode the texts not yet cached, first rows first, with the local model."""
    from index.build import _embed
    from index.config import Settings
    from index.embed import Embedder

    texts = read_texts(texts_path)[:limit]
    settings = Settings.from_env()
    embedder = Embedder.from_settings(settings)
    step = 1000
    for offset in range(0, len(texts), step):
        _, encoded = _embed(texts[offset:offset + step], embedder, settings.cache_dir, None)
        print(f"rows {offset}..{offset + step}: {encoded} encoded", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.precompute_embeddings", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("texts", help="write the scale corpus's passage texts (xz JSON)")
    p.add_argument("--passages", type=int, default=100_000)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("encode", help="encode texts into float16 .npy shards")
    p.add_argument("--texts", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--device", default="cuda")
    p.add_argument("--model-dir", type=Path)
    p.add_argument("--batch-size", type=int, default=256)
    p = sub.add_parser("fill", help="encode uncached texts on this machine into the cache")
    p.add_argument("--texts", type=Path, required=True)
    p.add_argument("--limit", type=int, help="only the first N texts")
    p = sub.add_parser("load", help="check the shards against the local model and cache them")
    p.add_argument("shards", type=Path, nargs="+")
    p.add_argument("--texts", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "texts":
        write_texts(args.passages, args.out)
    elif args.command == "encode":
        encode(args.texts, args.out, args.device, args.model_dir, args.batch_size)
    elif args.command == "fill":
        fill(args.texts, args.limit)
    else:
        load(args.shards, args.texts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
