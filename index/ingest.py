"""Read source files into ``Document`` records with a canonical text and meeting metadata.

Supported inputs: ``.txt`` (plain, or markdown when it looks like it), ``.md``, ``.html`` and
``.pdf`` (its text layer, see ``index.pdf``; a scanned PDF without one is refused).
A ``manifest.json`` beside the files supplies metadata that the text does not state; what
the text states (see ``index.metadata``) wins.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from index.clean import canonical_text
from index.grunddaten_html import render_grunddaten
from index.markup import html_to_text, looks_like_markdown, markdown_to_text
from index.metadata import grunddaten, grunddaten_metadata, niederschrift_header
from index.pdf import PdfError, pdf_to_text
from index.records import Document, Meeting

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown",
                      ".html": "html", ".htm": "html", ".pdf": "pdf"}
MANIFEST_NAME = "manifest.json"
_SKIP_NAMES = {"readme.md", "readme.txt", MANIFEST_NAME}


class IngestError(ValueError):
    """A source that cannot be read into a document; the message says why."""


@dataclass(frozen=True)
class Source:
    path: Path
    metadata: dict  # manifest entry for this file ({} when none)


def load_manifest(directory: Path) -> dict[str, dict]:
    path = directory / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IngestError(f"{path}: not valid JSON ({exc})") from exc
    documents = data.get("documents", data)
    if not isinstance(documents, dict):
        raise IngestError(f"{path}: expected an object mapping file names to metadata")
    return documents


def collect_sources(paths: list[Path]) -> list[Source]:
    """Expand files and folders into supported source files, sorted, with manifest metadata."""
    sources: list[Source] = []
    for path in paths:
        if not path.exists():
            raise IngestError(f"{path}: no such file or directory")
        if path.is_dir():
            manifest = load_manifest(path)
            for file in sorted(path.rglob("*")):
                if file.is_file() and file.suffix.lower() in SUPPORTED_SUFFIXES \
                        and file.name.casefold() not in _SKIP_NAMES:
                    sources.append(Source(file, manifest.get(file.name, {})))
        else:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
                raise IngestError(f"{path}: unsupported file type {path.suffix!r} (supported: {supported})")
            manifest = load_manifest(path.parent)
            sources.append(Source(path, manifest.get(path.name, {})))
    return sources


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8; reading it as Windows-1252", path)
        return raw.decode("cp1252", errors="replace")


def to_canonical_text(raw_text: str, fmt: str) -> str:
    if fmt == "html":
        text = html_to_text(render_grunddaten(raw_text))
    elif fmt == "markdown":
        text = markdown_to_text(raw_text)
    else:
        text = raw_text
    return canonical_text(text)


def _parse_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise IngestError(f"manifest date {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def read_document(source: Source) -> Document:
    path, meta = source.path, dict(source.metadata)
    raw = path.read_bytes()
    fmt = meta.get("format") or SUPPORTED_SUFFIXES.get(path.suffix.lower(), "text")
    pages: tuple[tuple[int, int], ...] = ()
    if fmt == "pdf":
        try:
            pdf = pdf_to_text(raw)
        except PdfError as exc:
            raise IngestError(f"{path}: {exc}") from exc
        text, pages = pdf.text, pdf.pages
    else:
        raw_text = _decode(raw, path)
        if fmt == "text" and path.suffix.lower() == ".txt" and "format" not in meta \
                and looks_like_markdown(raw_text):
            fmt = "markdown"
        text = to_canonical_text(raw_text, fmt)
    if not text.strip():
        raise IngestError(f"{path}: the document has no text")

    stated = niederschrift_header(text)
    block = grunddaten(text)
    if block:
        stated.update(grunddaten_metadata(block))
    for key, value in stated.items():
        if meta.get(key) not in (None, value):
            log.info("%s: %s %r stated in the text replaces manifest value %r", path.name, key,
                     value, meta.get(key))
        meta[key] = value

    date = _parse_date(meta.get("date"))
    meeting = Meeting(
        body=meta.get("body"),
        committee=meta.get("committee"),
        date=date,
        number=str(meta["meeting_number"]) if meta.get("meeting_number") is not None else None,
        year=date.year if date else meta.get("year"),
    )
    return Document(
        id=meta.get("id") or path.stem,
        text=text,
        source=str(path),
        kind=meta.get("kind") or "dokument",
        title=meta.get("title"),
        meeting=meeting,
        public=bool(meta.get("public", True)),
        checksum=hashlib.sha256(raw + json.dumps(source.metadata, sort_keys=True).encode()).hexdigest(),
        pages=pages,
    )
