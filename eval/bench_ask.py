"""Benchmark: /ask latency on the seed index, over real HTTP on loopback.

    python -m eval.bench_ask [--rounds 3] [--index-dir DIR]

Serves the real app with uvicorn on 127.0.0.1, warms it up, then sends every seed dev
question (sequentially, one client) ``rounds`` times and reports p50/p95 of:
- ``GET /health``: the HTTP round trip alone (the floor any endpoint pays),
- the hybrid search alone, in-process (what retrieval costs),
- ``POST /ask``: the whole request (resolution, retrieval, answer extraction, JSON).
Ratios against the first two show where the time goes. Target: /ask p50 < 100 ms warm.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx

from assistant.api import create_app
from assistant.live_server import LiveServer
from assistant.pipeline import Assistant
from eval.questions import load_jsonl
from index.config import PROJECT_ROOT, Settings
from index.retrieve import SearchIndex

QUESTIONS = PROJECT_ROOT / "eval" / "questions" / "seeds_dev.jsonl"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed_ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--index-dir", type=Path)
    args = parser.parse_args(argv)

    settings = Settings.from_env(index_dir=args.index_dir)
    assistant = Assistant(SearchIndex(settings))
    assistant.warm_up()
    questions = [q.question for q in load_jsonl(QUESTIONS)[0]]
    figures: dict[str, list[float]] = {"GET /health": [], "search (hybrid, in-process)": [],
                                       "POST /ask": []}
    with LiveServer(create_app(assistant)) as server, httpx.Client(base_url=server.url) as client:
        for question in questions[:10]:  # warm-up
            client.post("/ask", json={"question": question}).raise_for_status()
        for _ in range(args.rounds):
            for question in questions:
                figures["GET /health"].append(timed_ms(lambda: client.get("/health").raise_for_status()))
                # each timing pays its query encoding (the index caches query vectors)
                assistant.index.clear_query_cache()
                figures["search (hybrid, in-process)"].append(
                    timed_ms(lambda: assistant.index.search(question, mode="hybrid", top_k=5)))
                assistant.index.clear_query_cache()
                figures["POST /ask"].append(timed_ms(
                    lambda: client.post("/ask", json={"question": question}).raise_for_status()))

    print(f"{len(questions)} questions × {args.rounds} rounds, {len(assistant.index.passages)} passages")
    print(f"{'what':32} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in figures.items():
        print(f"{name:32} {statistics.median(values):8.1f} {percentile(values, 95):8.1f}")
    ask = statistics.median(figures["POST /ask"])
    print(f"/ask p50 ÷ search p50 = {ask / statistics.median(figures['search (hybrid, in-process)']):.2f}; "
          f"/ask p50 ÷ /health p50 = {ask / statistics.median(figures['GET /health']):.1f}")
    print(f"target /ask p50 < 100 ms: {'met' if ask < 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
