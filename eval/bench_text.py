"""Benchmark: text-processing throughput (analyzer and sentence splitter) on the seeds.

    python -m eval.bench_text [--repeats 30]

Words per second, warm (after one pass), on one core, over the five seed documents'
canonical texts. The baseline measured in the same run is ``str.split`` over the same text,
so the ratio says how much each step costs beyond merely cutting text into words.
"""
from __future__ import annotations

import argparse
import time

from index.analyze import get_analyzer
from index.config import SEEDS_DIR
from index.ingest import collect_sources, read_document
from index.sentences import split_sentences


def words_per_second(texts: list[str], words: int, repeats: int, step) -> float:
    for text in texts:  # warm-up: caches filled, data loaded
        step(text)
    started = time.perf_counter()
    for _ in range(repeats):
        for text in texts:
            step(text)
    return words * repeats / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    texts = [read_document(source).text for source in collect_sources([SEEDS_DIR])]
    words = sum(len(t.split()) for t in texts)
    analyzer = get_analyzer()
    baseline = words_per_second(texts, words, args.repeats, str.split)
    figures = {
        "analyzer (GermanAnalyzer.analyze)": words_per_second(texts, words, args.repeats, analyzer.analyze),
        "sentence splitter (split_sentences)": words_per_second(texts, words, args.repeats, split_sentences),
    }
    print(f"{len(texts)} documents, {words} words, {args.repeats} repeats (warm)")
    print(f"{'baseline str.split':40} {baseline:14,.0f} words/s")
    for name, value in figures.items():
        print(f"{name:40} {value:14,.0f} words/s   ({baseline / value:.0f}× slower than the baseline)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
