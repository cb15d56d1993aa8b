"""OParl objects, checked and indexed by id.

Parsing is tolerant: an entry that is not an object with a string ``id`` and ``type`` is
skipped; a field of the wrong shape is dropped (and reported with the object id); everything
else is kept as the server sent it. Embedded objects (a Meeting's agendaItem, a Paper's
consultation, Files inside either) are stored under their own ids too, so that references by
URL and embedding resolve alike.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from index.oparl.source import type_name

# field -> expected JSON shape; a value of another shape is dropped with a message
_SHAPES: dict[str, dict[str, type | tuple[type, ...]]] = {
    "Body": {"name": str, "shortName": str},
    "Organization": {"name": str, "shortName": str},
    "Meeting": {"name": str, "start": str, "organization": list, "agendaItem": list,
                "verbatimProtocol": (dict, str), "resultsProtocol": (dict, str),
                "auxiliaryFile": list, "body": str},
    "AgendaItem": {"number": str, "name": str, "public": bool, "meeting": str,
                   "consultation": str, "result": str, "resolutionText": str,
                   "resolutionFile": (dict, str), "auxiliaryFile": list, "order": int},
    "Paper": {"name": str, "reference": str, "date": str, "paperType": str, "consultation": list,
              "mainFile": (dict, str), "body": str, "underDirectionOf": list},
    "Consultation": {"paper": str, "agendaItem": str, "meeting": str, "role": str},
    "File": {"name": str, "fileName": str, "mimeType": str, "text": str, "accessUrl": str,
             "downloadUrl": str, "sha1Checksum": str, "sha512Checksum": str},
}
_EMBEDDED = ("agendaItem", "consultation", "verbatimProtocol", "resultsProtocol", "auxiliaryFile",
             "resolutionFile", "mainFile", "invitation")
_CONTAINER_PARENT_FIELD = {"AgendaItem": "meeting", "Consultation": "paper"}


@dataclass
class ObjectStore:
    """Objects by id; ``problems`` lists what was skipped or dropped, and why."""

    objects: dict[str, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)  # ids the source marked deleted: true

    def add_all(self, entries: list) -> None:
        for position, entry in enumerate(entries):
            self.add(entry, where=f"object {position + 1} read")

    def add(self, entry, where: str = "", parent: dict | None = None) -> str | None:
        """Check and store one object (and what it embeds); returns its id, or None."""
        if not isinstance(entry, dict):
            self.problems.append(f"{where}: not a JSON object ({type(entry).__name__}); skipped")
            return None
        obj_id, kind = entry.get("id"), type_name(entry)
        if not isinstance(obj_id, str) or not obj_id or not kind:
            missing = "id" if not isinstance(obj_id, str) or not obj_id else "type"
            label = f"{kind or 'OParl'} object"
            if isinstance(entry.get("name"), str):
                label += f" {entry['name']!r}"
            elif obj_id:
                label += f" {obj_id}"
            self.problems.append(f"{where}: malformed {label} without {missing}; skipped")
            return None
        if entry.get("deleted") is True:
            self.deleted.add(obj_id)
            self.objects.pop(obj_id, None)
            return None
        self.deleted.discard(obj_id)
        obj = dict(entry)
        for name, shape in _SHAPES.get(kind, {}).items():
            if name in obj and obj[name] is not None and not isinstance(obj[name], shape):
                self.problems.append(f"{obj_id}: {kind}.{name} has the wrong type "
                                     f"({type(obj[name]).__name__}); field ignored")
                del obj[name]
        if parent is not None and kind in _CONTAINER_PARENT_FIELD:
            obj.setdefault(_CONTAINER_PARENT_FIELD[kind], parent["id"])
        for name in _EMBEDDED:
            value = obj.get(name)
            if isinstance(value, dict):
                obj[name] = self.add(value, where=f"{obj_id}.{name}", parent=obj)
            elif isinstance(value, list):
                obj[name] = [self.add(v, where=f"{obj_id}.{name}", parent=obj) if isinstance(v, dict)
                             else v for v in value]
                obj[name] = [v for v in obj[name] if isinstance(v, str)]
        self.objects[obj_id] = obj
        return obj_id

    def get(self, obj_id, kind: str | None = None) -> dict | None:
        obj = self.objects.get(obj_id) if isinstance(obj_id, str) else None
        if obj is not None and kind is not None and type_name(obj) != kind:
            return None
        return obj

    def of_type(self, kind: str) -> list[dict]:
        return sorted((o for o in self.objects.values() if type_name(o) == kind), key=lambda o: o["id"])


def parse_date(value) -> dt.date | None:
    """The date of an OParl date or date-time ('2021-06-16', '2021-06-16T16:00:00+02:00')."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
