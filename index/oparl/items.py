"""Agenda items of OParl documents, from the item specs an import stores beside the index.

``items_for(document)`` is what ``index.build.update_index`` calls: for a per-item document it
gives one AgendaItem spanning the text with the OParl number, name, ``public``, paper
reference, result and resolution text; for a protocol it segments the text as usual and gives
each item the metadata of the OParl AgendaItem with the same number. The specs live in the
import state, so a later rebuild of the index (new model, changed settings) keeps them.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Callable

from index.clean import normalise_whitespace
from index.oparl.mapping import bare_number, number_key
from index.records import AgendaItem, Document
from index.segment import segment

RESOLUTION_LABEL = "Beschluss:"


def with_resolution(text: str, resolution: str | None) -> str:
    """The document text, with the resolution text appended when the file does not hold it
    (so that it is searchable and the decision is a slice of the text)."""
    if not resolution or not resolution.strip() or _find(text, resolution) is not None:
        return text
    block = f"{RESOLUTION_LABEL}\n{normalise_whitespace(resolution)}"
    return f"{text}\n\n{block}" if text else block


def _find(text: str, needle: str) -> tuple[int, int] | None:
    """Span of ``needle`` in ``text``, any run of whitespace matching any other."""
    words = needle.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return match.span() if match else None


def whole_item(document: Document, spec: dict) -> AgendaItem:
    text = document.text
    resolution = spec.get("resolution_text")
    span = _find(text, resolution) if resolution else None
    if span is None:  # a "Beschluss:" line in the file itself
        span = next(((i.decision_start, i.decision_end) for i in segment(document).items
                     if i.decision_start is not None), None)
    return AgendaItem(
        id=f"{document.id}:000", document_id=document.id, number=spec.get("number"),
        title=spec.get("title") or document.title, start=0, end=len(text),
        public=bool(spec.get("public", True)) and document.public, kind="item",
        decision=text[span[0]:span[1]] if span else None,
        decision_start=span[0] if span else None, decision_end=span[1] if span else None,
        paper_reference=spec.get("paper_reference"), result=spec.get("result"),
        resolution_text=resolution)


def enriched_items(document: Document, spec: dict) -> list[AgendaItem]:
    by_number: dict[str, dict] = dict(spec.get("items") or {})
    by_bare = {}
    for key, value in by_number.items():
        by_bare.setdefault(bare_number(key), value)
    items = []
    for item in segment(document).items:
        found = by_number.get(number_key(item.number)) or by_bare.get(bare_number(item.number)) \
            if item.kind == "item" and item.number else None
        if found:
            item = replace(item, title=item.title or found.get("title"),
                           public=item.public and found.get("public", True),
                           paper_reference=found.get("paper_reference"),
                           result=found.get("result"), resolution_text=found.get("resolution_text"))
        items.append(item)
    return items


def items_for_specs(specs: dict[str, dict]) -> Callable[[Document], list[AgendaItem] | None]:
    def items_for(document: Document) -> list[AgendaItem] | None:
        spec = specs.get(document.id)
        if spec is None:
            return None
        return enriched_items(document, spec) if spec.get("mode") == "enrich" \
            else [whole_item(document, spec)]
    return items_for


def index_items_for(index_dir: Path) -> Callable[[Document], list[AgendaItem] | None] | None:
    """``items_for`` over every OParl document imported into ``index_dir`` (None if none)."""
    from index.oparl.state import load_state

    specs = load_state(index_dir).all_specs()
    return items_for_specs(specs) if specs else None
