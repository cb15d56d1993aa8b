"""Benchmark: encoder backends (torch fp32, ONNX Runtime fp32, ONNX Runtime int8) on the seeds.

    python -m eval.bench_encoder [--rounds 3] [--query-rounds 2] [--no-memory] [--json OUT]

For each backend, in one process and interleaved (each round runs every backend, in rotating
order, so load from other processes hits all of them alike): passage throughput over the seed
index's passage texts, single-query latency (p50/p95) over the seed dev questions, the largest
cosine deviation from torch fp32, and seed dev-set agenda-item hit@5 (dense and hybrid) of an
index built with each passage backend, plus mixed settings (fp32 passages, int8 queries).
Ratios are against torch fp32 from the same run. Peak memory per backend comes from a fresh
subprocess each (load, encode a batch and a query; ``ru_maxrss``), unless ``--no-memory``.

Recommendation rule: the fastest backend whose hit@5 (dense and hybrid) stays within one point
of torch fp32's; chosen separately for passages (throughput) and queries (p50 latency).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from index.embed import BACKENDS, Embedder
from index.model_export import default_cache_dir, ensure_model

MODES = ("dense", "hybrid")
TOLERANCE = 0.01  # one point of hit@5
DEV_QUESTIONS = Path(__file__).resolve().parent / "questions" / "seeds_dev.jsonl"


def seed_passage_texts(index) -> list[str]:
    """What the index encodes: each passage with its place (``indexed_text``)."""
    from index.passages import indexed_text

    return [indexed_text(p, index.items[p.agenda_item_id], index.documents[p.document_id])
            for p in index.passages]


def build_seed_index(settings, embedder: Embedder, vectors: dict[str, np.ndarray] | None = None):
    """The seed index under ``settings``; ``vectors`` (text -> vector) pre-fill its private
    embedding cache, so the index holds exactly the vectors measured in this run."""
    from index.build import build_index
    from index.retrieve import SearchIndex
    from index.store import EMBEDDING_CACHE, EmbeddingCache

    if vectors:
        cache = EmbeddingCache(settings.cache_dir / EMBEDDING_CACHE, embedder.name)
        texts = list(vectors)
        cache.put_many(texts, np.stack([vectors[t] for t in texts]))
    build_index(None, settings, embedder=embedder, rebuild=True)
    return SearchIndex(settings, embedder=embedder)


def interleaved(backends: list[str], rounds: int, step) -> dict[str, list[float]]:
    """Seconds of ``step(backend)`` per round, backends in rotating order each round."""
    seconds: dict[str, list[float]] = {b: [] for b in backends}
    for r in range(rounds):
        for backend in backends[r % len(backends):] + backends[:r % len(backends)]:
            started = time.perf_counter()
            step(backend)
            seconds[backend].append(time.perf_counter() - started)
    return seconds


def memory_probe(backend: str) -> dict:
    """Run in a fresh process: load ``backend``, encode, report memory (MiB, from /proc).

    ``loaded``: resident after loading (the model's cost); ``after``: resident after encoding
    32 passages of 512 tokens and a query (includes ONNX Runtime's arena, which keeps its
    peak); ``peak``: high-water mark of the process (``VmHWM``; unlike ``ru_maxrss`` it is
    not inherited from the parent across exec).
    """
    def status(key: str) -> float:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key):
                    return round(int(line.split()[1]) / 1024, 1)
        return float("nan")

    embedder = Embedder(model_dir=ensure_model(default_cache_dir(), verify=False), backend=backend)
    import index.onnx_encoder  # noqa: F401  (numpy, tokenizers: not part of the model's cost)

    start = status("VmRSS:")
    embedder.warm_up()
    loaded = status("VmRSS:")
    embedder.encode_passages(["Der Kreistag beschließt den Haushaltsplan. " * 80] * 32)
    embedder.encode_queries(["Wer hat die Niederschrift geführt?"])
    return {"start_mib": start, "loaded_mib": loaded, "after_mib": status("VmRSS:"), "peak_mib": status("VmHWM:")}


def measure_memory(backends: list[str]) -> dict[str, dict]:
    out = {}
    for backend in backends:
        proc = subprocess.run([sys.executable, "-m", "eval.bench_encoder", "--memory-probe", backend],
                              capture_output=True, text=True, check=False)
        try:
            out[backend] = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            out[backend] = {"error": proc.stderr.strip().splitlines()[-1:] or ["no output"]}
    return out


def recommend(results: dict) -> dict:
    """Fastest backend within one point of torch fp32's hit@5, for passages and for queries."""
    hits = results["hit_at_5"]
    base = hits["torch/torch"]

    def ok(config: str) -> bool:
        return config in hits and all(hits[config][m] >= base[m] - TOLERANCE - 1e-9 for m in MODES)

    speed = results["passages_per_second"]
    passage = max((b for b in BACKENDS if ok(f"{b}/{b}")), key=lambda b: speed[b])
    latency = results["query_latency_ms"]
    query = min((q for q in BACKENDS if ok(f"{passage}/{q}") or (q == passage)),
                key=lambda q: latency[q]["p50"])
    return {"encoder_backend": passage, "query_backend": query}


def run(rounds: int, query_rounds: int, memory: bool) -> dict:
    from eval.questions import load_jsonl
    from eval.retrieval import evaluate
    from index.config import Settings

    cache_dir = default_cache_dir()
    model_dir = ensure_model(cache_dir)
    backends = list(BACKENDS)
    embedders = {b: Embedder(model_dir=model_dir, cache_dir=cache_dir, backend=b).warm_up() for b in backends}
    singles, conversations = load_jsonl(DEV_QUESTIONS)
    questions = singles + [c.turns[0] for c in conversations]
    results: dict = {"backends": backends, "names": {b: embedders[b].name for b in backends}}

    with tempfile.TemporaryDirectory(prefix="bench-encoder-") as tmp:
        work = Path(tmp)

        def settings_for(label: str) -> Settings:
            # private embedding cache and index per passage backend; the model cache is shared
            return Settings.from_env(cache_dir=work / label, index_dir=work / label / "index", model_dir=model_dir)

        print("building the seed index with torch fp32 ...", file=sys.stderr)
        torch_index = build_seed_index(settings_for("torch"), embedders["torch"])
        texts = seed_passage_texts(torch_index)
        queries = [q.question for q in questions]
        results["passages"], results["questions"] = len(texts), len(queries)

        print(f"passage throughput: {len(texts)} passages x {rounds} rounds ...", file=sys.stderr)
        vectors: dict[str, np.ndarray] = {}

        def encode_all(backend: str) -> None:
            vectors[backend] = embedders[backend].encode_passages(texts)

        seconds = interleaved(backends, rounds, encode_all)
        results["passage_seconds"] = {b: [round(s, 3) for s in seconds[b]] for b in backends}
        results["passages_per_second"] = {b: len(texts) / statistics.median(seconds[b]) for b in backends}

        print(f"query latency: {len(queries)} questions x {query_rounds} rounds ...", file=sys.stderr)
        latencies: dict[str, list[float]] = {b: [] for b in backends}
        query_vectors: dict[str, list[np.ndarray]] = {b: [] for b in backends}
        for r in range(query_rounds):
            for i, query in enumerate(queries):
                order = backends[(i + r) % len(backends):] + backends[:(i + r) % len(backends)]
                for backend in order:
                    started = time.perf_counter()
                    vector = embedders[backend].encode_queries([query])
                    latencies[backend].append(time.perf_counter() - started)
                    if r == 0:
                        query_vectors[backend].append(vector[0])
        results["query_latency_ms"] = {
            b: {"p50": 1000 * float(np.percentile(latencies[b], 50)),
                "p95": 1000 * float(np.percentile(latencies[b], 95))} for b in backends}

        deviation = {}
        for b in backends:
            cos_p = np.sum(vectors[b] * vectors["torch"], axis=1)
            cos_q = np.sum(np.stack(query_vectors[b]) * np.stack(query_vectors["torch"]), axis=1)
            deviation[b] = {"passages_min_cos": float(cos_p.min()), "queries_min_cos": float(cos_q.min()),
                            "mean_cos": float(np.concatenate([cos_p, cos_q]).mean())}
        results["cosine_vs_torch"] = deviation

        print("hit@5 per configuration ...", file=sys.stderr)
        hits: dict[str, dict[str, float]] = {}
        configs = [("torch", "torch"), ("onnx", "onnx"), ("onnx-int8", "onnx-int8"),
                   ("torch", "onnx-int8"), ("onnx", "onnx-int8")]
        indexes = {"torch": torch_index}
        for passage_backend, query_backend in configs:
            if passage_backend not in indexes:
                indexes[passage_backend] = build_seed_index(
                    settings_for(passage_backend), embedders[passage_backend],
                    dict(zip(texts, vectors[passage_backend], strict=True)))
            index = indexes[passage_backend]
            searcher = replace_embedder(index, Embedder(model_dir=model_dir, cache_dir=cache_dir,
                                                        backend=passage_backend, query_backend=query_backend),
                                        embedders)
            report = evaluate(searcher, questions, k=5, modes=MODES)
            hits[f"{passage_backend}/{query_backend}"] = {m: report["modes"][m]["hit_at_k"] for m in MODES}
        results["hit_at_5"] = hits

    if memory:
        print("memory, one fresh process per backend ...", file=sys.stderr)
        results["memory"] = measure_memory(backends)
    results["recommendation"] = recommend(results)
    return results


def replace_embedder(index, embedder: Embedder, loaded: dict[str, Embedder]):
    """``index`` searching with ``embedder``, reusing the already loaded runners (no reload)."""
    for backend in {embedder.backend, embedder.query_backend}:
        source = loaded[backend]
        if backend == "torch":
            embedder._model = source._model
        else:
            embedder._onnx[backend] = source._onnx[backend]
    if index.manifest.get("model") != embedder.name:
        raise RuntimeError(f"index built with {index.manifest.get('model')}, searched with {embedder.name}")
    index.embedder = embedder
    return index


def print_table(results: dict) -> None:
    backends = results["backends"]
    speed, latency = results["passages_per_second"], results["query_latency_ms"]
    base_speed, base_p50 = speed["torch"], latency["torch"]["p50"]
    print(f"{results['passages']} seed passages, {results['questions']} seed dev questions; "
          f"ratios vs torch fp32 in this run")
    header = (f"{'backend':11} {'passages/s':>10} {'x':>5} {'q p50 ms':>9} {'q p95 ms':>9} {'x p50':>6} "
              f"{'min cos':>8} {'RSS loaded':>10} {'after':>6} {'peak':>6}")
    print(header)
    print("-" * len(header))
    for b in backends:
        dev = results["cosine_vs_torch"][b]
        mem = results.get("memory", {}).get(b, {})
        print(f"{b:11} {speed[b]:10.1f} {speed[b] / base_speed:5.2f} {latency[b]['p50']:9.1f} "
              f"{latency[b]['p95']:9.1f} {base_p50 / latency[b]['p50']:6.2f} "
              f"{min(dev['passages_min_cos'], dev['queries_min_cos']):8.5f} "
              f"{mem.get('loaded_mib', float('nan')):10.0f} {mem.get('after_mib', float('nan')):6.0f} "
              f"{mem.get('peak_mib', float('nan')):6.0f}")
    if "memory" in results:
        print("RSS in MiB, one fresh process per backend: after loading / after encoding 32 x 512 "
              "tokens / peak")
    print()
    print(f"{'passages/queries':24} " + " ".join(f"{m + ' hit@5':>12}" for m in MODES))
    for config, values in results["hit_at_5"].items():
        print(f"{config:24} " + " ".join(f"{values[m]:12.4f}" for m in MODES))
    rec = results["recommendation"]
    print()
    print(f"recommendation (fastest within {TOLERANCE * 100:.0f} point of torch fp32 hit@5): "
          f"encoder_backend={rec['encoder_backend']}, query_backend={rec['query_backend']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="passage-throughput rounds per backend")
    parser.add_argument("--query-rounds", type=int, default=2, help="passes over the questions")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-backend memory probes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--memory-probe", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        print(json.dumps(memory_probe(args.memory_probe)))
        return 0
    results = run(args.rounds, args.query_rounds, memory=not args.no_memory)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
