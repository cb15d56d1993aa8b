"""The ``minutes-qa`` command line."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from index.config import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(index_dir=getattr(args, "index_dir", None))


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from index.build import build_index

    settings = _settings(args)
    bar: tqdm | None = None

    def on_progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc="Encoding passages", unit="passage", file=sys.stderr)
        bar.update(done - bar.n)

    report = build_index([Path(p) for p in args.paths] or None, settings, rebuild=args.rebuild,
                         on_progress=on_progress)
    if bar is not None:
        bar.close()
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    if report.status == "up-to-date":
        print(f"Index at {report.index_dir} is up to date ({report.documents} documents, "
              f"{report.passages} passages); nothing to do.")
    else:
        what = ("all reprocessed: settings, model or code changed" if report.reprocessed
                else f"added {len(report.added)}, changed {len(report.changed)}")
        print(f"Indexed {report.documents} documents, {report.passages} passages into "
              f"{report.index_dir} in {report.seconds:.1f} s ({what}; encoded {report.encoded} "
              "passages, the rest from the cache).")
    return 1 if report.errors else 0


def cmd_import_oparl(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from index.oparl.importer import import_oparl

    settings = _settings(args)
    bars: dict[str, tqdm] = {}
    labels = {"read": ("Reading OParl lists", "page"), "files": ("Reading files", "file"),
              "encode": ("Encoding passages", "passage")}

    def on_progress(phase: str, done: int, total: int | None) -> None:
        if phase not in bars:
            for bar in bars.values():
                bar.close()
            desc, unit = labels[phase]
            bars[phase] = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
        bars[phase].update(done - bars[phase].n)
        if total is not None and done >= total:
            bars[phase].close()

    report = import_oparl(args.source, settings, full=args.full, on_progress=on_progress)
    for bar in bars.values():
        bar.close()
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for skipped in report.skipped:
        print(f"skipped: {skipped}", file=sys.stderr)
    since = f" (changes since {report.modified_since})" if report.incremental else ""
    print(f"OParl import from {report.source}{since}: {report.received} objects received, "
          f"{report.objects} known.")
    if report.skipped_before:
        print(f"{report.skipped_before} documents skipped by an earlier import are unchanged and "
              "were not tried again.")
    if report.status == "up-to-date":
        print(f"Nothing changed; the index at {report.index_dir} is up to date "
              f"({report.documents} documents, {report.passages} passages).")
    else:
        print(f"Added {len(report.added)}, changed {len(report.changed)}, removed "
              f"{len(report.removed)}, unchanged {report.unchanged}, skipped {len(report.skipped)} "
              f"documents; the index at {report.index_dir} now holds {report.documents} documents, "
              f"{report.passages} passages ({report.seconds:.1f} s).")
    return 1 if report.skipped or report.problems else 0


def _citation(meeting: dict, item: dict) -> tuple[str, str]:
    """('Body · Committee · date', 'TOP n ') for a terminal line; missing parts left out."""
    where = " · ".join(str(x) for x in (meeting["body"], meeting["committee"],
                                         meeting["date"] or meeting["year"]) if x)
    return where, f"TOP {item['number']} " if item["number"] else ""


def cmd_search(args: argparse.Namespace) -> int:
    from index.records import Filters
    from index.retrieve import SearchIndex

    index = SearchIndex(_settings(args))
    filters = Filters(body=args.body, committee=args.committee, date_from=args.date_from,
                      date_to=args.date_to, document_id=args.document)
    hits = index.search(args.query, mode=args.mode, top_k=args.top_k, filters=filters)
    results = [index.hit_json(h) for h in hits]
    if args.json:
        print(json.dumps({"query": args.query, "mode": args.mode, "results": results},
                         ensure_ascii=False, indent=2))
        return 0
    if not results:
        print("No passage matches.")
    for rank, result in enumerate(results, start=1):
        item = result["agenda_item"]
        where, label = _citation(result["meeting"], item)
        print(f"{rank}. [{result['score']:.4f}] {label}{item['title'] or ''}  ({where})")
        print(f"   {result['document_id']} [{result['start']}:{result['end']}]")
        snippet = " ".join(result["text"].split())
        print(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
        if result["duplicates"]:
            print(f"   also in: {', '.join(d['document_id'] for d in result['duplicates'])}")
    return 0


def _load_assistant(settings: Settings, prepare: bool):
    """The assistant over the configured index; with ``prepare``, build the seed index first
    when there is none (a fresh install), showing progress."""
    from assistant.pipeline import Assistant
    from index.retrieve import SearchIndex
    from index.store import IndexUnavailable, current_generation

    if prepare and current_generation(settings.resolved_index_dir) is None:
        print(f"No index at {settings.resolved_index_dir} yet: preparing the model and indexing "
              "the seed documents (first start only).", file=sys.stderr)
        code = cmd_index(argparse.Namespace(paths=[], rebuild=False, index_dir=settings.index_dir))
        if code:
            raise SystemExit(code)
    try:
        return Assistant(SearchIndex(settings))
    except IndexUnavailable:
        if not (prepare and _holds_only_seeds(settings)):
            raise  # the message says how to rebuild; other documents are never dropped silently
    print(f"The seed index at {settings.resolved_index_dir} was built by another version or with "
          "other settings: rebuilding it from the seed documents.", file=sys.stderr)
    code = cmd_index(argparse.Namespace(paths=[], rebuild=True, index_dir=settings.index_dir))
    if code:
        raise SystemExit(code)
    return Assistant(SearchIndex(settings))


def _holds_only_seeds(settings: Settings) -> bool:
    """Does the index hold nothing but the seed documents (safe to rebuild from them)?"""
    from index.build import read_sources
    from index.config import SEEDS_DIR
    from index.store import read_manifest

    manifest = read_manifest(settings.resolved_index_dir) or {}
    indexed = set(manifest.get("documents") or {})
    return bool(indexed) and indexed <= {d.id for d in read_sources([SEEDS_DIR], [])}


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.api import AccessPolicy, create_app

    settings = _settings(args)
    assistant = _load_assistant(settings, prepare=True)
    print("Loading the model …", file=sys.stderr)
    assistant.warm_up()
    policy = AccessPolicy(include_non_public=settings.include_non_public, api_key=settings.api_key)
    if settings.include_non_public and not settings.api_key:
        print("warning: include_non_public is set but no api_key: non-public items stay hidden",
              file=sys.stderr)
    app = create_app(assistant, policy)
    print(f"Serving {len(assistant.index.documents)} documents on http://{args.host}:{args.port} "
          f"(API docs: http://{args.host}:{args.port}/docs)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning" if not args.verbose else "info")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    assistant = _load_assistant(_settings(args), prepare=False)
    result = assistant.ask(args.question)
    if args.json:
        print(json.dumps(assistant.result_json(result), ensure_ascii=False, indent=2))
        return 0
    if result.abstained:
        print("Keine Antwort in den Niederschriften gefunden. Die nächsten Textstellen:")
        for hit in result.hits[:3]:
            item = assistant.index.items[hit.passage.agenda_item_id]
            print(f"  - {hit.passage.document_id}, {item.number or item.title}: "
                  f"{' '.join(hit.passage.text.split())[:200]}…")
        return 0
    for rank, answer in enumerate(result.answers, start=1):
        data = assistant.answer_json(answer)
        item = data["agenda_item"]
        where, label = _citation(data["meeting"], item)
        print(f"{rank}. {answer.text}")
        print(f"   „{' '.join(answer.context.split())}“")
        print(f"   — {where}; {label}{item['title'] or ''} [{data['document_id']} "
              f"{answer.start}:{answer.end}]")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    print(json.dumps(_settings(args).as_dict(), indent=2, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minutes-qa", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or update the index (default: the seed documents)")
    p.add_argument("paths", nargs="*", help="files or folders (.txt, .md, .html, .pdf); default: seeds/")
    p.add_argument("--index-dir", type=Path)
    p.add_argument("--rebuild", action="store_true", help="start from the given sources alone")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("import-oparl", help="import (or update from) an OParl endpoint or dump")
    p.add_argument("source", help="OParl System or Body URL, or a folder of its JSON objects")
    p.add_argument("--index-dir", type=Path)
    p.add_argument("--full", action="store_true",
                   help="read everything again instead of the changes since the last import")
    p.set_defaults(func=cmd_import_oparl)

    p = sub.add_parser("search", help="search passages")
    p.add_argument("query")
    p.add_argument("--mode", choices=["bm25", "dense", "hybrid"], default="hybrid")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--index-dir", type=Path)
    p.add_argument("--body")
    p.add_argument("--committee")
    p.add_argument("--date-from", type=_date)
    p.add_argument("--date-to", type=_date)
    p.add_argument("--document")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("serve", help="serve the HTTP API (prepares the seed index on first start)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--index-dir", type=Path)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("ask", help="answer one question on the terminal")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--index-dir", type=Path)
    p.set_defaults(func=cmd_ask)

    from eval.cli import add_eval_parser

    add_eval_parser(sub)

    p = sub.add_parser("config", help="print the effective configuration")
    p.add_argument("--index-dir", type=Path)
    p.set_defaults(func=cmd_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from index.ingest import IngestError
    from index.oparl.source import OParlSourceError
    from index.store import IndexUnavailable

    try:
        return args.func(args)
    except (IngestError, IndexUnavailable, OParlSourceError, ValueError) as exc:
        print(f"minutes-qa: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("minutes-qa: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
