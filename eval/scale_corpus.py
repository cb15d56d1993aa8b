"""The scale corpus for benchmarks: Bundestag plenary speeches as minutes-qa documents.

``../shared/corpora/bundestag/speeches_wp19_wp20.jsonl.gz`` holds one speech a line (wp,
session, top, speaker, party, text). The speeches of one agenda item of one sitting become one
document (speaker line, then the speech), with a single agenda item spanning it, so the
benchmark runs the real passage, analysis, embedding and index code without depending on
TOP segmentation rules written for council minutes. This is speed and memory data, not a
quality test: there are no questions with gold answers for it.
"""
from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.config import PROJECT_ROOT, Settings
from index.passages import indexed_text, make_passages
from index.records import AgendaItem, Document, Meeting

DEFAULT_PATH = PROJECT_ROOT.parent / "shared" / "corpora" / "bundestag" / "speeches_wp19_wp20.jsonl.gz"


@dataclass(frozen=True)
class ScaleDocument:
    document: Document
    item: AgendaItem
    passages: int  # how many passages the index will cut from it


def _agenda_label(top: str) -> tuple[str, str]:
    """``Tagesordnungspunkt_2`` → (``TOP 2``, ``Tagesordnungspunkt 2``)."""
    title = top.replace("_", " ").strip()
    kind, _, number = title.rpartition(" ")
    short = {"Tagesordnungspunkt": "TOP", "Zusatzpunkt": "ZP"}.get(kind, kind)
    return (f"{short} {number}".strip(), title)


def _speech_block(speech: dict) -> str:
    who = speech.get("speaker") or "N. N."
    party = speech.get("party")
    head = f"{who} ({party}):" if party else f"{who}:"
    return f"{head}\n{(speech.get('text') or '').strip()}"


def read_documents(path: Path = DEFAULT_PATH) -> Iterator[tuple[Document, AgendaItem]]:
    """Documents in file order: one per (electoral term, sitting, agenda item) run of speeches."""
    if not path.is_file():
        raise FileNotFoundError(f"scale corpus not found: {path} (see ../shared/corpora/bundestag/README.md)")
    seen: dict[str, int] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        speeches = (json.loads(line) for line in lines if line.strip())
        for (wp, session, top), group in itertools.groupby(
                speeches, key=lambda s: (s["wp"], s["session"], s["top"])):
            text = "\n\n".join(_speech_block(s) for s in group)
            base = f"bt-{wp}-{session:03d}-{top}"
            seen[base] = seen.get(base, 0) + 1
            doc_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            number, title = _agenda_label(top)
            meeting = Meeting(body="Deutscher Bundestag", committee="Plenum",
                              number=f"{wp}/{session}")
            document = Document(id=doc_id, text=text, source=f"{path.name}#{doc_id}",
                                kind="plenarprotokoll", title=f"{session}. Sitzung, {title}",
                                meeting=meeting,
                                checksum=hashlib.sha256(text.encode("utf-8")).hexdigest())
            item = AgendaItem(id=f"{doc_id}:1", document_id=doc_id, number=number, title=title,
                              start=0, end=len(text))
            yield document, item


def take_passages(target: int, settings: Settings, path: Path = DEFAULT_PATH) -> list[ScaleDocument]:
    """The first documents of the corpus that together give at least ``target`` passages."""
    chosen: list[ScaleDocument] = []
    total = 0
    for document, item in read_documents(path):
        count = len(_passages(document, item, settings))
        if not count:
            continue
        chosen.append(ScaleDocument(document, item, count))
        total += count
        if total >= target:
            return chosen
    raise ValueError(f"the scale corpus has only {total} passages, fewer than {target}")


def _passages(document: Document, item: AgendaItem, settings: Settings):
    return make_passages(document, item, [], target=settings.passage_target_words,
                         max_words=settings.passage_max_words, min_words=settings.passage_min_words,
                         overlap=settings.passage_overlap_words)


def dense_texts(chosen: list[ScaleDocument], settings: Settings) -> list[str]:
    """The texts the encoder sees for these documents, exactly as an index build makes them."""
    texts: list[str] = []
    for entry in chosen:
        texts.extend(indexed_text(p, entry.item, entry.document)
                     for p in _passages(entry.document, entry.item, settings))
    return texts
