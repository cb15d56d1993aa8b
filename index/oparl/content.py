"""The text of an OParl File: ``File.text``, a dump's ``file-contents/<id>.txt``, or the file
itself (PDF text layer, HTML, plain text), in that order."""
from __future__ import annotations

from index.clean import canonical_text
from index.ingest import to_canonical_text
from index.pdf import PdfError, pdf_to_text


class ContentError(ValueError):
    """A File whose text cannot be had; the message says why."""


def file_text(file_obj: dict, source) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Canonical text of a File and its PDF page offsets (() when not a PDF)."""
    if isinstance(file_obj.get("text"), str) and file_obj["text"].strip():
        return canonical_text(file_obj["text"]), ()
    side = source.file_text(file_obj)
    if side is not None and side.strip():
        return canonical_text(side), ()
    raw = source.file_bytes(file_obj)
    if raw is None:
        raise ContentError("no text: neither File.text, nor file-contents, nor a readable "
                           "accessUrl/downloadUrl")
    mime = (file_obj.get("mimeType") or "").casefold()
    if raw.startswith(b"%PDF") or mime == "application/pdf":
        try:
            pdf = pdf_to_text(raw)
        except PdfError as exc:
            raise ContentError(str(exc)) from exc
        return pdf.text, pdf.pages
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        decoded = raw.decode("cp1252", errors="replace")
    if "html" in mime or decoded.lstrip()[:15].casefold().startswith(("<!doctype", "<html")):
        return to_canonical_text(decoded, "html"), ()
    if mime and not mime.startswith("text/"):
        raise ContentError(f"unsupported file type {mime!r}")
    return canonical_text(decoded), ()
