"""Performance and scale benchmark: indexing and query speed, memory and size, as the corpus
grows, against the tools a user would pick instead, measured in the same run.

    python -m eval.bench [--sizes 10000 100000] [--queries 200] [--baseline-queries 40]
                         [--workdir DIR] [--stand-in-vectors] [--out FILE.json]

For each size N the benchmark takes the first documents of the Bundestag scale corpus
(``eval.scale_corpus``) that give N passages and runs two child processes, so that each
one's peak memory is its own:

* **build**: the real ``update_index`` (passages, German analysis, embeddings, FAISS, BM25,
  SQLite), with wall seconds per phase, passages/s, peak RSS and the size on disk. Passage
  vectors come from the embedding cache when present (keyed by model and text hash; filled
  by ``python -m eval.precompute_embeddings``); the encoder's own throughput is measured on a
  sample in the same run. With ``--stand-in-vectors``, passages whose vector is not cached get
  a perturbed copy of a cached real vector (``stand_in_vectors``; search speed of an exact
  index does not depend on the values, an HNSW graph's little; the output says how many).
* **query**: memory of the loaded index beyond the vectors, per passage; p50/p95 of bm25,
  dense and hybrid search; the naive rank-bm25 prototype and a Haystack 2.x hybrid pipeline on
  the same passages, vectors and queries (ratios); ``POST /ask`` over real HTTP on loopback,
  one client and 8 concurrent clients.

Queries are known-item queries: a sentence (first 12 words) of a random passage; a system
"finds" it when a top-5 passage contains that sentence. That checks that fast is not wrong at
sizes where no question set exists; answer quality is measured on the seeds (``eval``).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from eval.metrics import latency_summary
from index.config import Settings

CONCURRENT_CLIENTS = 8


# ----------------------------------------------------------------------------- helpers


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def folder_size(path: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(path.iterdir()) if p.is_file()}


def bench_settings(size: int, workdir: Path, faiss_index: str | None) -> Settings:
    from index.model_export import default_cache_dir, ensure_model

    model_dir = Settings.from_env().model_dir or ensure_model(default_cache_dir())
    return Settings.from_env(index_dir=workdir / f"index-{size}", cache_dir=workdir / "cache",
                             model_dir=model_dir, faiss_index=faiss_index)


def bench_embedder(settings: Settings):
    """The configured encoders (default: ONNX fp32 passages, int8 queries), loaded; their ONNX
    exports live in the shared cache, not in the benchmark's private one."""
    from dataclasses import replace

    from index.embed import Embedder
    from index.model_export import default_cache_dir

    return Embedder.from_settings(replace(settings, cache_dir=default_cache_dir())).warm_up()


# ----------------------------------------------------------------------------- build child


def stand_in_vectors(real: np.ndarray, count: int, seed: int = 7) -> np.ndarray:
    """Unit vectors near real ones (cosine about 0.93): real passage vectors cycled, plus seeded
    Gaussian noise, so that an HNSW graph sees distinct points spread like real data rather
    than thousands of exact copies."""
    rng = np.random.default_rng(seed)
    vectors = real[np.arange(count) % len(real)] + rng.normal(0, 0.02, (count, real.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def run_build(size: int, workdir: Path, stand_ins: bool, encode_sample: int,
              faiss_index: str | None, encode_limit: int) -> dict:
    from eval.scale_corpus import dense_texts, take_passages
    from index.build import update_index
    from index.model_export import default_cache_dir
    from index.store import EMBEDDING_CACHE, EmbeddingCache, current_generation

    settings = bench_settings(size, workdir, faiss_index)
    started = time.perf_counter()
    chosen = take_passages(size, settings)
    read_seconds = time.perf_counter() - started
    embedder = bench_embedder(settings)

    # passage vectors: the shared cache first, then up to ``encode_limit`` encoded now (and
    # kept in the shared cache), then stand-ins only when asked for
    texts = dense_texts(chosen, settings)
    shared = EmbeddingCache(default_cache_dir() / EMBEDDING_CACHE, embedder.name)
    found = shared.get_many(texts)
    missing = [t for t in dict.fromkeys(texts) if shared.key(t) not in found]
    encode_now, rest = missing[:encode_limit], missing[encode_limit:]
    if rest and not stand_ins:
        raise SystemExit(
            f"{len(missing)} of {len(texts)} passage vectors are not cached; encoding them on this "
            f"CPU takes hours. Fill the cache (python -m eval.precompute_embeddings) or pass "
            f"--stand-in-vectors.")
    if encode_now:
        print(f"encoding {len(encode_now)} uncached passages …", file=sys.stderr, flush=True)
        vectors = embedder.encode_passages(encode_now)
        shared.put_many(encode_now, vectors)
        found.update({shared.key(t): v for t, v in zip(encode_now, vectors)})
    real = [t for t in dict.fromkeys(texts) if shared.key(t) in found]
    private = EmbeddingCache(settings.cache_dir / EMBEDDING_CACHE, embedder.name)
    real_vectors = np.stack([found[shared.key(t)] for t in real])
    private.put_many(real, real_vectors)
    if rest:
        private.put_many(rest, stand_in_vectors(real_vectors, len(rest)))

    # encoder throughput on a sample of the same passages
    step = max(1, len(texts) // encode_sample)
    sample = texts[::step][:encode_sample]
    embedder.encode_passages(sample[:8])
    encode_started = time.perf_counter()
    embedder.encode_passages(sample)
    encode_seconds = time.perf_counter() - encode_started

    documents = [c.document for c in chosen]
    items = {c.document.id: [c.item] for c in chosen}
    report = update_index(documents, settings, rebuild=True, embedder=embedder,
                          items_for=lambda d: items[d.id])
    generation = current_generation(settings.resolved_index_dir)
    sizes = folder_size(generation)
    t = report.timings
    analysis_bm25 = t["analyze"] + t.get("write:bm25", 0.0)
    return {
        "size": size, "passages": report.passages, "documents": report.documents,
        "vectors": {"real": len(real), "encoded_now": len(encode_now), "stand_ins": len(rest),
                    "encoded_in_build": report.encoded},
        "corpus_read_s": round(read_seconds, 2),
        "timings_s": {k: round(v, 2) for k, v in t.items()},
        "analysis_bm25_passages_per_s": round(report.passages / analysis_bm25, 1),
        "encoder_passages_per_s": round(len(sample) / encode_seconds, 2),
        "encoder_sample": len(sample),
        "encoder_hours_for_all": round(report.passages / (len(sample) / encode_seconds) / 3600, 2),
        "build_s": round(report.seconds, 2),
        "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
        "disk_bytes": sizes, "disk_mb": round(sum(sizes.values()) / 2**20, 1),
        "faiss_index": settings.faiss_index,
    }


# ----------------------------------------------------------------------------- query child


def known_item_queries(index, count: int, seed: int = 13) -> list[tuple[str, str]]:
    """(query, sentence) pairs: the first 12 words of a 10-40-word sentence of a random passage."""
    from index.sentences import split_sentences

    rng = random.Random(seed)
    queries: list[tuple[str, str]] = []
    tries = 0
    while len(queries) < count and tries < count * 20:
        tries += 1
        passage = index.passages[rng.randrange(len(index.passages))]
        text = index.documents[passage.document_id].text
        sentences = [text[s:e] for s, e in split_sentences(text, passage.start, passage.end)]
        sentences = [s for s in sentences if 10 <= len(s.split()) <= 40 and "\n" not in s]
        if sentences:
            sentence = rng.choice(sentences)
            queries.append((" ".join(sentence.split()[:12]), sentence))
    return queries


def _timed(action) -> tuple[float, object]:
    """(wall seconds, result) of ``action()``."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run_query(size: int, workdir: Path, n_queries: int, n_baseline: int,
              faiss_index: str | None, skip_baselines: bool) -> dict:
    import httpx

    from assistant.api import create_app
    from assistant.live_server import LiveServer
    from assistant.pipeline import Assistant
    from index.retrieve import SearchIndex

    settings = bench_settings(size, workdir, faiss_index)
    embedder = bench_embedder(settings)
    embedder.encode_queries(["Aufwärmen"])
    from index.analyze import get_analyzer
    get_analyzer().analyze("Aufwärmen der Wörterbücher")  # lexicons are per process, not per passage
    rss_before = rss_bytes()
    load_s, index = _timed(lambda: SearchIndex(settings, embedder))
    index.warm_up()
    rss_loaded = rss_bytes()
    n = len(index.passages)
    vector_bytes = index.dense.ntotal * index.dense.d * 4
    result: dict = {"size": size, "passages": n, "load_ms": round(load_s * 1000, 1),
                    "faiss_index": settings.faiss_index}

    queries = known_item_queries(index, n_queries)
    result["queries"] = len(queries)

    def found(texts: list[str], sentence: str) -> bool:
        return any(sentence in t for t in texts)

    ours: dict = {}
    for mode in ("bm25", "dense", "hybrid"):
        for query, _ in queries[:5]:
            index.search(query, mode=mode)
        times, hits = [], 0
        for query, sentence in queries:
            index.clear_query_cache()  # every query pays its encoding, as a new question does
            seconds, found_hits = _timed(lambda: index.search(query, mode=mode, top_k=5))
            times.append(seconds)
            hits += found([h.passage.text for h in found_hits], sentence)
        ours[mode] = {**latency_summary(times), "known_item_hit@5": round(hits / len(queries), 3)}
    result["minutes_qa"] = ours
    rss_queried = rss_bytes()
    beyond = rss_loaded - rss_before - vector_bytes
    result["memory"] = {
        "vectors_mb": round(vector_bytes / 2**20, 1),
        "loaded_index_rss_mb": round((rss_loaded - rss_before) / 2**20, 1),
        "beyond_vectors_bytes_per_passage": round(beyond / n),
        "beyond_vectors_after_queries_bytes_per_passage": round((rss_queried - rss_before - vector_bytes) / n),
    }

    if not skip_baselines:
        result["baselines"] = run_baselines(index, queries[:n_baseline], ours)

    # /ask end to end over real HTTP: one client, then 8 concurrent clients, then one client
    # again for the ratio; each phase asks questions not asked before (cold caches)
    assistant = Assistant(index)
    index.clear_query_cache()
    questions = [q for q, _ in queries]
    third = len(questions) // 3
    with LiveServer(create_app(assistant)) as server:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            client.post("/ask", json={"question": "Aufwärmen"}).raise_for_status()
            times = []
            for question in questions[:third]:
                seconds, response = _timed(lambda: client.post("/ask", json={"question": question}))
                response.raise_for_status()
                times.append(seconds)
        result["ask"] = latency_summary(times)
        result["ask_concurrent"] = concurrent_ask(server.url, questions[third:2 * third], CONCURRENT_CLIENTS)
        result["ask_one_client"] = concurrent_ask(server.url, questions[2 * third:], 1)
    result["ask_concurrent"]["speedup_vs_one_client"] = round(
        result["ask_concurrent"]["requests_per_s"] / result["ask_one_client"]["requests_per_s"], 2)
    result["peak_rss_mb"] = round(peak_rss_bytes() / 2**20, 1)
    return result


def concurrent_ask(url: str, questions: list[str], clients: int) -> dict:
    """``clients`` threads, each with its own keep-alive connection, share the questions."""
    import httpx

    work = list(questions)
    lock = threading.Lock()
    times: list[float] = []
    errors: list[str] = []

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=300) as client:
            while True:
                with lock:
                    if not work:
                        return
                    question = work.pop()
                seconds, response = _timed(lambda: client.post("/ask", json={"question": question}))
                with lock:
                    times.append(seconds)
                    if response.status_code != 200:
                        errors.append(f"{response.status_code}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"clients": clients, "requests": len(times), "errors": len(errors),
            "requests_per_s": round(len(times) / wall, 2), **latency_summary(times)}


def run_baselines(index, queries: list[tuple[str, str]], ours: dict) -> dict:
    """The naive rank-bm25 prototype and a Haystack hybrid pipeline on the same passages."""
    from eval.baselines import HaystackHybrid, NaiveBM25

    texts = [p.text for p in index.passages]
    vectors = index.dense.reconstruct_n(0, index.dense.ntotal)
    out: dict = {}
    systems: list[tuple[str, object, str]] = [("rank_bm25_naive", NaiveBM25(), "bm25")]
    try:
        systems.append(("haystack_hybrid", HaystackHybrid(model_dir=index.embedder.model_dir), "hybrid"))
    except ImportError as exc:
        out["haystack_hybrid"] = {"skipped": f"haystack-ai not installed ({exc}); pip install -e '.[bench]'"}
    while systems:
        name, system, compare_to = systems.pop(0)  # dropped after its turn (Haystack holds GBs)
        index_s, _ = _timed(lambda: system.index(texts, vectors))
        times, hits = [], 0
        for query, sentence in queries:
            seconds, rows = _timed(lambda: system.search(query, 5))
            times.append(seconds)
            hits += any(sentence in texts[r] for r in rows)
        figures = {**latency_summary(times), "known_item_hit@5": round(hits / len(queries), 3),
                   "index_s": round(index_s, 2)}
        ours_p50 = ours[compare_to]["p50_ms"]
        figures[f"speedup_minutes_qa_{compare_to}_p50"] = round(figures["p50_ms"] / ours_p50, 1)
        figures[f"speedup_minutes_qa_{compare_to}_p95"] = round(figures["p95_ms"] / ours[compare_to]["p95_ms"], 1)
        out[name] = figures
        del system
        gc.collect()
    return out


# ----------------------------------------------------------------------------- parent


def _child(args: list[str]) -> dict:
    command = [sys.executable, "-m", "eval.bench", *args]
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(command)} (exit {completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def print_table(results: list[dict]) -> None:
    print("\n| passages | analysis+BM25 passages/s | encoder passages/s | build peak RSS MB | disk MB "
          "| beyond vectors B/passage | bm25 p50/p95 ms | dense p50/p95 | hybrid p50/p95 | /ask p50/p95 "
          "| 8 clients req/s |")
    print("|" + "---|" * 11)
    for r in results:
        b, q = r["build"], r["query"]
        m = q["minutes_qa"]
        print(f"| {b['passages']:,} | {b['analysis_bm25_passages_per_s']:,.0f} | {b['encoder_passages_per_s']} "
              f"| {b['peak_rss_mb']:,.0f} | {b['disk_mb']} | {q['memory']['beyond_vectors_bytes_per_passage']:,} "
              f"| {m['bm25']['p50_ms']} / {m['bm25']['p95_ms']} | {m['dense']['p50_ms']} / {m['dense']['p95_ms']} "
              f"| {m['hybrid']['p50_ms']} / {m['hybrid']['p95_ms']} | {q['ask']['p50_ms']} / {q['ask']['p95_ms']} "
              f"| {q['ask_concurrent']['requests_per_s']} |")
    for small, large in zip(results, results[1:]):
        a, b = small["query"], large["query"]
        beyond = lambda q: q["memory"]["loaded_index_rss_mb"] - q["memory"]["vectors_mb"]  # noqa: E731
        per_passage = (beyond(b) - beyond(a)) * 2**20 / (b["passages"] - a["passages"])
        print(f"memory beyond the vectors, marginal from {a['passages']:,} to {b['passages']:,} passages: "
              f"{per_passage:,.0f} bytes per passage")
    for r in results:
        for name, figures in r["query"].get("baselines", {}).items():
            print(f"{r['build']['passages']:,} passages, {name}: {json.dumps(figures)}")
        v = r["build"]["vectors"]
        print(f"{r['build']['passages']:,} passages: {v['real']:,} real passage vectors "
              f"({v['real'] - v['encoded_now']:,} from the embedding cache, {v['encoded_now']:,} encoded in this "
              f"run), {v['stand_ins']:,} stand-ins (perturbed copies of real vectors); encoding all of them would take "
              f"{r['build']['encoder_hours_for_all']} h on this machine")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-queries", type=int, default=40)
    parser.add_argument("--encode-sample", type=int, default=128,
                        help="passages encoded to measure the encoder's throughput")
    parser.add_argument("--encode-limit", type=int, default=500,
                        help="uncached passage vectors encoded for real before stand-ins are needed")
    parser.add_argument("--workdir", type=Path, help="default: a temporary folder, removed afterwards")
    parser.add_argument("--stand-in-vectors", action="store_true")
    parser.add_argument("--faiss-index", choices=("flat", "hnsw"))
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--out", type=Path, help="write all figures as JSON")
    parser.add_argument("--_step", choices=("build", "query"), help=argparse.SUPPRESS)
    parser.add_argument("--_size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._step:
        workdir = args.workdir
        if args._step == "build":
            figures = run_build(args._size, workdir, args.stand_in_vectors, args.encode_sample,
                                args.faiss_index, args.encode_limit)
        else:
            figures = run_query(args._size, workdir, args.queries, args.baseline_queries,
                                args.faiss_index, args.skip_baselines)
        print(json.dumps(figures))
        return 0

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="minutes-qa-bench-"))
    print(f"machine: {os.cpu_count()} CPUs, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB; "
          f"workdir {workdir}", flush=True)
    common = ["--workdir", str(workdir), "--queries", str(args.queries),
              "--baseline-queries", str(args.baseline_queries), "--encode-sample", str(args.encode_sample),
              "--encode-limit", str(args.encode_limit)]
    if args.stand_in_vectors:
        common.append("--stand-in-vectors")
    if args.faiss_index:
        common += ["--faiss-index", args.faiss_index]
    if args.skip_baselines:
        common.append("--skip-baselines")
    results = []
    try:
        for size in args.sizes:
            print(f"[{size:,} passages] building …", flush=True)
            build = _child(["--_step", "build", "--_size", str(size), *common])
            print(json.dumps(build), flush=True)
            print(f"[{size:,} passages] querying …", flush=True)
            query = _child(["--_step", "query", "--_size", str(size), *common])
            print(json.dumps(query), flush=True)
            results.append({"build": build, "query": query})
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
