"""What an index remembers of its OParl imports: ``INDEX_DIR/oparl-state.json``.

Per source (endpoint URL or dump folder): the time of the last complete import (the next one
asks for ``modified_since`` that time), every object seen (embedded objects by id), and per
document the signature of the objects it was made from and its item spec; and the documents
that could not be indexed (no text, a duplicate), which are not tried again until they change. Written atomically
(temporary file, fsync, rename), after the index generation it describes.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

STATE_FILE = "oparl-state.json"
STATE_VERSION = 1


@dataclass
class SourceState:
    last_import: str | None = None  # ISO date-time (UTC) to pass as modified_since
    objects: dict[str, dict] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)  # doc id -> {signature, spec, origin}
    skipped: dict[str, dict] = field(default_factory=dict)  # doc id -> {signature, reason, duplicate_of}


@dataclass
class ImportState:
    path: Path
    sources: dict[str, SourceState] = field(default_factory=dict)

    def source(self, key: str) -> SourceState:
        return self.sources.setdefault(key, SourceState())

    def all_specs(self) -> dict[str, dict]:
        return {doc_id: entry["spec"] for state in self.sources.values()
                for doc_id, entry in state.documents.items()}

    def save(self) -> None:
        data = {"version": STATE_VERSION,
                "sources": {key: {"last_import": s.last_import, "objects": s.objects,
                                  "documents": s.documents, "skipped": s.skipped}
                            for key, s in self.sources.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def load_state(index_dir: Path) -> ImportState:
    path = index_dir / STATE_FILE
    state = ImportState(path)
    if not path.exists():
        return state
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: the OParl import state cannot be read ({exc}); delete it to "
                         "import everything again") from exc
    if data.get("version") != STATE_VERSION:
        return state  # an unknown layout: start over (a full import)
    for key, entry in (data.get("sources") or {}).items():
        state.sources[key] = SourceState(entry.get("last_import"), entry.get("objects") or {},
                                         entry.get("documents") or {}, entry.get("skipped") or {})
    return state
