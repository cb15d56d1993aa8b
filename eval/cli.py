"""The ``minutes-qa eval`` subcommand, ready to be wired into assistant/cli.py.

In ``assistant.cli.build_parser``, after the other subcommands::

    from eval.cli import add_eval_parser
    add_eval_parser(sub)

``assistant.cli.main`` then dispatches to ``cmd_eval`` through ``args.func`` like every other
subcommand, and its handler turns ``ValueError`` (``eval.formats.FormatError`` is one),
``IngestError`` and ``IndexUnavailable`` into exit status 2. The same command without the
installed entry point: ``python -m eval.harness QUESTIONS ...``.

This module imports nothing heavy, so that ``minutes-qa --help`` stays fast; the harness is
imported when the subcommand runs.
"""
from __future__ import annotations

import argparse
from pathlib import Path

MODES = ("bm25", "dense", "hybrid")  # = index.retrieve.MODES, checked again by the harness
DEFAULT_KS = (1, 3, 5, 10)


def _int_list(value: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a comma-separated list of integers") from exc
    if not ks or min(ks) < 1:
        raise argparse.ArgumentTypeError("k values must be positive integers")
    return ks


def _mode_list(value: str) -> tuple[str, ...]:
    modes = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not modes or any(m not in MODES for m in modes):
        raise argparse.ArgumentTypeError(f"modes must be among {', '.join(MODES)}, not {value!r}")
    return modes


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("questions", nargs="+", metavar="QUESTIONS",
                        help="JSONL question file(s); a BEIR folder; TREC topics + qrels (files or a "
                             "folder); or 'xquad' / a SQuAD-format .json for the answer-step check")
    parser.add_argument("--index-dir", type=Path,
                        help="index to evaluate (default: the configured one); for a BEIR/TREC corpus "
                             "the index to build it into (default: OUT/index)")
    parser.add_argument("--modes", type=_mode_list, default=MODES,
                        help="comma-separated retrieval modes (default: bm25,dense,hybrid)")
    parser.add_argument("--k", type=_int_list, default=DEFAULT_KS, dest="ks",
                        help="cut-offs for hit@k and recall@k (default: 1,3,5,10)")
    parser.add_argument("--out", type=Path, help="output folder (default: eval/out/<timestamp>)")
    parser.add_argument("--no-answers", action="store_true", help="retrieval only")
    parser.add_argument("--split", default="test", help="BEIR qrels split (default: test)")
    parser.add_argument("--topic-field", default="title", choices=["title", "desc", "title+desc"],
                        help="the TREC SGML topic field used as the query (default: title)")
    parser.add_argument("--corpus", type=Path,
                        help="documents for TREC topics: a TREC <DOC> file, a BEIR corpus.jsonl or a "
                             "folder of .txt/.md/.html")
    parser.add_argument("--limit", type=int,
                        help="a quick run: the first N questions (and conversations) only")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def add_eval_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``eval`` to the ``minutes-qa`` subcommands (``subparsers``: from ``add_subparsers``)."""
    parser = subparsers.add_parser(
        "eval", help="evaluate retrieval and answers on a question set (JSONL, TREC, BEIR, xquad)",
        description="Evaluate retrieval (bm25, dense, hybrid) and answers on a question set; writes "
                    "report.md, results.json, TREC runs and qrels, failures.csv and recall_at_k.png "
                    "to --out. See eval/README.md.")
    configure_parser(parser)
    parser.set_defaults(func=cmd_eval)
    return parser


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.harness import run_cli

    return run_cli(args)
