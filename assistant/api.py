"""HTTP API (FastAPI): /ask, /documents, /decisions, /health; OpenAPI at /docs.

Every error has one JSON shape, ``{"error": {"status", "code", "message", "details"}}``,
and the right status: 422 for invalid input (including malformed JSON), 404 for unknown
documents, 401 for a wrong API key. Non-public agenda items are only ever returned when the
server is configured to include them *and* the request carries the configured API key; to
anyone else, a document's non-public parts are masked character by character (offsets stay
valid) and they never appear in search results or answers.
"""
from __future__ import annotations

import datetime as dt
import hmac
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.pipeline import MAX_QUESTION_CHARS, Assistant
from index.records import Document, DocumentInfo, Filters
from index.retrieve import document_matches

log = logging.getLogger(__name__)

MASK = "█"


@dataclass(frozen=True)
class AccessPolicy:
    """Who may see non-public agenda items: nobody, unless both settings are given."""

    include_non_public: bool = False
    api_key: str | None = None

    def allows_non_public(self, presented_key: str | None) -> bool:
        if not (self.include_non_public and self.api_key):
            return False
        if presented_key is None:
            return False
        return hmac.compare_digest(presented_key.encode(), self.api_key.encode())


# ----------------------------------------------------------------------------- models


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str | None = Field(None, max_length=200)
    committee: str | None = Field(None, max_length=300)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    document_id: str | None = Field(None, max_length=200)


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description=f"1 to {MAX_QUESTION_CHARS} characters")
    session_id: str | None = Field(None, max_length=100)
    top_k: int = Field(5, ge=1, le=20)
    filters: FiltersIn | None = None

    @field_validator("question")
    @classmethod
    def question_length(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        if len(value) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
        return value


# ----------------------------------------------------------------------------- errors


def _error(status: int, code: str, message: str, details: list | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={
        "error": {"status": status, "code": code, "message": message, "details": details or []}})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"location": list(e.get("loc", [])), "message": e.get("msg", "")} for e in exc.errors()]
        malformed = any(e.get("type") == "json_invalid" for e in exc.errors())
        message = "The request body is not valid JSON." if malformed else "The request is invalid."
        return _error(422, "invalid_json" if malformed else "invalid_request", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 401: "unauthorized", 405: "method_not_allowed"}
        return _error(exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail))

    @app.exception_handler(ValueError)
    async def value_error(_: Request, exc: ValueError) -> JSONResponse:
        return _error(422, "invalid_request", str(exc))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _error(500, "internal_error", "An unexpected error occurred; it has been logged.")


# ----------------------------------------------------------------------------- access


def non_public_access(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> bool:
    """Whether this request may see non-public items; a wrong key is an error, not a shrug."""
    policy: AccessPolicy = request.app.state.policy
    if x_api_key is not None and policy.include_non_public and not policy.allows_non_public(x_api_key):
        raise HTTPException(401, "The API key is not valid.")
    return policy.allows_non_public(x_api_key)


Access = Annotated[bool, Depends(non_public_access)]


# ----------------------------------------------------------------------------- app


def create_app(assistant: Assistant, policy: AccessPolicy | None = None) -> FastAPI:
    policy = policy or AccessPolicy()
    index = assistant.index
    app = FastAPI(title="minutes-qa", version="0.1.0",
                  description="Extractive question answering over German council minutes.")
    app.state.policy = policy
    _install_error_handlers(app)

    def visible_text(document: Document, non_public_ok: bool) -> str:
        if non_public_ok:
            return document.text
        text = list(document.text)
        for item in index.items.values():
            if item.document_id == document.id and not item.public:
                for i in range(item.start, item.end):
                    if text[i] != "\n":
                        text[i] = MASK
        return "".join(text)

    def find_document(document_id: str, non_public_ok: bool) -> Document:
        document = index.documents.get(document_id)
        if document is None or (not document.public and not non_public_ok):
            raise HTTPException(404, f"No document with id {document_id!r}.")
        return document

    def document_summary(document: Document | DocumentInfo) -> dict:
        length = document.length if isinstance(document, DocumentInfo) else len(document.text)
        return {"id": document.id, "title": document.title, "kind": document.kind,
                "public": document.public, "meeting": document.meeting.as_json(),
                "length": length}

    @app.post("/ask")
    def ask(request: AskIn, non_public_ok: Access) -> dict:
        f = request.filters or FiltersIn()
        filters = Filters(body=f.body, committee=f.committee, date_from=f.date_from,
                          date_to=f.date_to, document_id=f.document_id,
                          include_non_public=non_public_ok)
        result = assistant.ask(request.question, session_id=request.session_id,
                               top_k=request.top_k, filters=filters)
        return assistant.result_json(result)

    @app.get("/documents")
    def list_documents(non_public_ok: Access, body: str | None = None,
                       committee: str | None = None, date_from: dt.date | None = None,
                       date_to: dt.date | None = None) -> dict:
        filters = Filters(body=body, committee=committee, date_from=date_from, date_to=date_to)
        documents = [document_summary(d) for d in index.documents.infos()
                     if (d.public or non_public_ok) and document_matches(d, filters)]
        return {"documents": documents}

    @app.get("/documents/{document_id}")
    def get_document(document_id: str, non_public_ok: Access) -> dict:
        document = find_document(document_id, non_public_ok)
        items = [{"id": i.id, "kind": i.kind, "start": i.start, "end": i.end, **i.as_json(),
                  "decision": i.decision if (i.public or non_public_ok) else None}
                 for i in sorted(index.items.values(), key=lambda i: i.start)
                 if i.document_id == document.id and (i.public or non_public_ok)]
        return {**document_summary(document), "source": document.source,
                "text": visible_text(document, non_public_ok), "agenda_items": items}

    @app.get("/decisions")
    def decisions(non_public_ok: Access,
                  q: Annotated[str | None, Query(max_length=200, description="text to look for")] = None,
                  body: str | None = None, committee: str | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None) -> dict:
        filters = Filters(body=body, committee=committee, date_from=date_from, date_to=date_to)
        found = []
        for item in sorted(index.items.values(), key=lambda i: (i.document_id, i.start)):
            document = index.documents.info(item.document_id)
            # the resolution text a source states (OParl resolutionText) is the decision;
            # decision_start/end locate it when it stands in the text, as segmentation found it
            decision = item.resolution_text or item.decision
            if not decision or not (item.public or non_public_ok) or not document_matches(document, filters):
                continue
            if item.kind != "item":
                continue
            title = item.title or ""
            if q and q.casefold() not in " ".join((decision, title, item.paper_reference or "")).casefold():
                continue
            located = item.decision is not None and " ".join(decision.split()) == " ".join(item.decision.split())
            found.append({"document_id": document.id, "agenda_item": {"id": item.id, **item.as_json()},
                          "decision": item.decision if located else decision,
                          "decision_start": item.decision_start if located else None,
                          "decision_end": item.decision_end if located else None,
                          "result": item.result, "paper_reference": item.paper_reference,
                          "meeting": document.meeting.as_json()})
        return {"decisions": found}

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "documents": len(index.documents), "passages": len(index.passages),
                "model": index.manifest.get("model"), "index_created": index.manifest.get("created")}

    # ---- web page (assistant/web): static files at /static, the page at / -----------------
    from pathlib import Path

    from fastapi.responses import FileResponse
    from starlette.staticfiles import StaticFiles

    web_dir = Path(__file__).parent / "web"
    app.mount("/static", StaticFiles(directory=web_dir), name="static")

    @app.get("/", include_in_schema=False)
    def web_page() -> FileResponse:
        return FileResponse(web_dir / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})
    # ---- end web page ------------------------------------------------------------------------

    return app
