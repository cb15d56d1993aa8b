"""Index an external corpus (BEIR corpus.jsonl, TREC documents, SQuAD paragraphs) with the
project's own ingestion, so that external benchmarks run through the real pipeline.

Documents are written as plain ``.txt`` files with a ``manifest.json`` that keeps their
original ids (``"id"``) and forces plain text (``"format": "text"``: a corpus line starting
with "#" must not become a markdown heading). File names are derived from the ids but made
safe; the ids themselves are kept exactly, so qrels match document ids.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from pathlib import Path

from eval.formats import CorpusDoc
from index.build import BuildReport, ProgressCallback, build_index
from index.config import Settings
from index.embed import Embedder
from index.store import read_manifest

log = logging.getLogger(__name__)


def file_name(doc_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", doc_id)[:60].strip("._") or "doc"
    return f"{safe}-{hashlib.sha1(doc_id.encode('utf-8')).hexdigest()[:10]}.txt"


def write_corpus(docs: list[CorpusDoc], folder: Path, kind: str = "corpus") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict] = {}
    for doc in docs:
        name = file_name(doc.id)
        if name in manifest:
            raise ValueError(f"document id {doc.id!r} is used twice in the corpus")
        text = f"{doc.title.strip()}\n\n{doc.text.strip()}" if doc.title.strip() else doc.text.strip()
        (folder / name).write_text(text + "\n", encoding="utf-8")
        manifest[name] = {"id": doc.id, "title": doc.title or None, "format": "text", "kind": kind}
    (folder / "manifest.json").write_text(json.dumps({"documents": manifest}, ensure_ascii=False, indent=1),
                                          encoding="utf-8")


def index_corpus(docs: list[CorpusDoc], settings: Settings, embedder: Embedder | None = None,
                 kind: str = "corpus", on_progress: ProgressCallback | None = None) -> BuildReport:
    """Index ``docs`` into ``settings.resolved_index_dir`` (incremental: an index that already
    holds exactly these documents unchanged does no work; one that holds other documents is
    rebuilt from these alone)."""
    manifest = read_manifest(settings.resolved_index_dir)
    wanted = {d.id for d in docs}
    rebuild = manifest is not None and set(manifest.get("documents", {})) - wanted != set()
    if rebuild:
        log.warning("the index at %s holds other documents; rebuilding it from the corpus alone",
                    settings.resolved_index_dir)
    with tempfile.TemporaryDirectory(prefix="minutes-qa-corpus-") as tmp:
        write_corpus(docs, Path(tmp), kind)
        return build_index([Path(tmp)], settings, rebuild=rebuild, on_progress=on_progress,
                           embedder=embedder)


def index_folder(folder: Path, settings: Settings, embedder: Embedder | None = None,
                 on_progress: ProgressCallback | None = None) -> BuildReport:
    """Index a folder of .txt/.md/.html files as ``minutes-qa index`` would."""
    return build_index([folder], settings, on_progress=on_progress, embedder=embedder)
