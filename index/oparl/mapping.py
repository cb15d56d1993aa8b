"""OParl objects → the documents minutes-qa indexes (before their text is read).

- A Meeting's ``verbatimProtocol`` and ``resultsProtocol`` Files: one document each (kind
  "niederschrift" / "ergebnisprotokoll"), segmented into agenda items as usual; the items are
  then matched by number to the Meeting's AgendaItems, whose metadata they take.
- An AgendaItem's ``resolutionFile`` (kind "auszug") and ``auxiliaryFile`` Files (kind
  "anlage"): one document each, one agenda item spanning the text. An AgendaItem with a
  ``resolutionText`` but no resolution file becomes a document of its own (name + text).
- A Paper's ``mainFile`` (kind "vorlage", or the paperType): one document, one item.

Meeting metadata: Body name, the first Organization's name as committee, the date of
``start``, the number from the Meeting name ("6. Sitzung …"). Item metadata: number, name,
``public``, the Paper's ``reference`` (through the Consultation that links item and paper),
``result`` and ``resolutionText``.

Each candidate carries a signature over every object it was made from, so an import can tell
which documents changed without reading a single file.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from index.oparl.objects import ObjectStore, parse_date
from index.oparl.source import type_name
from index.records import Meeting


@dataclass
class Candidate:
    doc_id: str
    kind: str
    title: str | None
    meeting: Meeting
    public: bool
    file_id: str | None  # the File holding the text; None for a resolutionText-only item
    spec: dict  # how items_for makes its agenda items (see index.oparl.items)
    signature: str
    origin: str  # the OParl object the document stands for (for messages)
    lead_text: str | None = None  # text of its own when there is no file (item name)
    problems: list[str] = field(default_factory=list)


def doc_id_for(role: str, obj_id: str) -> str:
    """Stable document id from an OParl id: readable tail plus a hash of the whole id."""
    tail = re.sub(r"[^\w-]+", "-", obj_id.rstrip("/").rsplit("/", 1)[-1]).strip("-")[:40]
    return f"oparl-{role}-{tail}-{hashlib.sha1(obj_id.encode()).hexdigest()[:10]}"


def number_key(number: str | None) -> str:
    """'TOP Ö 1.2.' → 'ö1.2' (for matching item numbers written differently)."""
    if not number:
        return ""
    key = re.sub(r"^(top|tagesordnungspunkt)\s*", "", number.strip().casefold())
    return re.sub(r"\s+", "", key).rstrip(".")


def bare_number(number: str | None) -> str:
    """'Ö 1.2' → '1.2': the number without its public/non-public prefix."""
    return re.sub(r"^[ön]", "", number_key(number))


_VOLATILE = {"modified", "created", "web", "keyword", "license"}
_MEETING_NUMBER = re.compile(r"^\s*(\d+)\.\s*(?:\w+\s+)?Sitzung", re.I)


class Mapper:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.problems: list[str] = []
        self._paper_of_item: dict[str, dict] = {}
        for consultation in store.of_type("Consultation"):
            paper = store.get(consultation.get("paper"), "Paper")
            if paper and isinstance(consultation.get("agendaItem"), str):
                self._paper_of_item[consultation["agendaItem"]] = paper

    def _name(self, obj_id, kind: str) -> str | None:
        obj = self.store.get(obj_id, kind)
        return (obj.get("name") or obj.get("shortName")) if obj else None

    def _body_name(self, obj: dict) -> str | None:
        if isinstance(obj.get("body"), str):
            return self._name(obj["body"], "Body")
        bodies = self.store.of_type("Body")
        return (bodies[0].get("name") or bodies[0].get("shortName")) if len(bodies) == 1 else None

    def meeting_record(self, meeting: dict) -> Meeting:
        organizations = [o for o in meeting.get("organization") or [] if isinstance(o, str)]
        committee = self._name(organizations[0], "Organization") if organizations else None
        date = parse_date(meeting.get("start"))
        if meeting.get("start") and date is None:
            self.problems.append(f"{meeting['id']}: Meeting.start {meeting['start']!r} is not a "
                                 "date; the meeting date is left empty")
        number = _MEETING_NUMBER.match(meeting.get("name") or "")
        return Meeting(body=self._body_name(meeting), committee=committee, date=date,
                       number=number.group(1) if number else None,
                       year=date.year if date else None)

    def paper_of(self, item: dict) -> dict | None:
        paper = self._paper_of_item.get(item["id"])
        if paper is None and isinstance(item.get("consultation"), str):
            consultation = self.store.get(item["consultation"], "Consultation")
            paper = self.store.get(consultation.get("paper"), "Paper") if consultation else None
        return paper

    def item_metadata(self, item: dict) -> dict:
        paper = self.paper_of(item)
        return {"number": item.get("number"), "title": item.get("name"),
                "public": item.get("public", True) is not False,
                "paper_reference": paper.get("reference") if paper else None,
                "result": item.get("result"), "resolution_text": item.get("resolutionText")}

    def items_of(self, meeting: dict) -> list[dict]:
        ids = [i for i in meeting.get("agendaItem") or [] if isinstance(i, str)]
        ids += [i["id"] for i in self.store.of_type("AgendaItem")
                if i.get("meeting") == meeting["id"] and i["id"] not in ids]
        items = [self.store.get(i, "AgendaItem") for i in ids]
        return sorted((i for i in items if i), key=lambda i: (i.get("order", 0), ids.index(i["id"])))

    def _signature(self, *objects) -> str:
        """Hash of the objects a document is made from, without their timestamps (a Meeting's
        ``modified`` changes with each of its agenda items; the others' documents do not) —
        except a File's: a new ``modified`` may be all that says its content changed."""
        digest = hashlib.sha256()
        for obj in objects:
            if isinstance(obj, dict) and type_name(obj) != "File":
                obj = {k: v for k, v in obj.items() if k not in _VOLATILE}
            digest.update(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode())
        return digest.hexdigest()

    def _file(self, file_ref, owner: str, role: str) -> dict | None:
        file_obj = self.store.get(file_ref, "File")
        if file_ref and file_obj is None and file_ref not in self.store.deleted:
            self.problems.append(f"{owner}: {role} {file_ref!r} is not a known File; skipped")
        return file_obj

    def candidates(self) -> list[Candidate]:
        found: list[Candidate] = []
        for paper in self.store.of_type("Paper"):  # first: a copy elsewhere is the duplicate
            found.extend(self._paper_candidates(paper))
        for meeting in self.store.of_type("Meeting"):
            found.extend(self._meeting_candidates(meeting))
        return found

    def _meeting_candidates(self, meeting: dict) -> list[Candidate]:
        record = self.meeting_record(meeting)
        items = self.items_of(meeting)
        context = [meeting, record.body, record.committee]
        out: list[Candidate] = []
        enrich = {number_key(i.get("number")): self.item_metadata(i) for i in items if i.get("number")}
        for role, kind in (("verbatimProtocol", "niederschrift"), ("resultsProtocol", "ergebnisprotokoll")):
            file_obj = self._file(meeting.get(role), meeting["id"], f"Meeting.{role}")
            if file_obj is None:
                continue
            spec = {"mode": "enrich", "items": enrich}
            out.append(Candidate(
                doc_id=doc_id_for("meeting", file_obj["id"]), kind=kind,
                title=meeting.get("name") or file_obj.get("name"), meeting=record, public=True,
                file_id=file_obj["id"], spec=spec, origin=meeting["id"],
                signature=self._signature(*context, file_obj, spec)))
        for item in items:
            metadata = self.item_metadata(item)
            spec = {"mode": "whole", **metadata}
            title = item.get("name")
            resolution = self._file(item.get("resolutionFile"), item["id"], "AgendaItem.resolutionFile")
            files = [("auszug", resolution)] if resolution else []
            for ref in item.get("auxiliaryFile") or []:
                aux = self._file(ref, item["id"], "AgendaItem.auxiliaryFile")
                if aux:
                    files.append(("anlage", aux))
            for kind, file_obj in files:
                # an attachment is not the resolution: it gets the item's metadata, not its text
                file_spec = spec if kind == "auszug" else {**spec, "resolution_text": None}
                out.append(Candidate(
                    doc_id=doc_id_for("item", file_obj["id"]), kind=kind,
                    title=(title or file_obj.get("name")) if kind == "auszug"
                    else (file_obj.get("name") or title),
                    meeting=record, public=metadata["public"],
                    file_id=file_obj["id"], spec=file_spec, origin=item["id"],
                    signature=self._signature(*context, item, self.paper_of(item), file_obj)))
            if not resolution and item.get("resolutionText"):
                out.append(Candidate(
                    doc_id=doc_id_for("item", item["id"]), kind="auszug", title=title,
                    meeting=record, public=metadata["public"], file_id=None, spec=spec,
                    origin=item["id"], lead_text=title or "",
                    signature=self._signature(*context, item, self.paper_of(item))))
        if out:  # fields a citation needs, missing from a meeting that has documents
            for name, label in (("start", "meeting date"), ("organization", "committee")):
                if not meeting.get(name):
                    self.problems.append(f"{meeting['id']}: Meeting.{name} is missing; its "
                                         f"documents have no {label}")
        return out

    def _paper_candidates(self, paper: dict) -> list[Candidate]:
        file_obj = self._file(paper.get("mainFile"), paper["id"], "Paper.mainFile")
        if file_obj is None:
            return []
        directed = [o for o in paper.get("underDirectionOf") or [] if isinstance(o, str)]
        date = parse_date(paper.get("date"))
        record = Meeting(body=self._body_name(paper),
                         committee=self._name(directed[0], "Organization") if directed else None,
                         date=date, year=date.year if date else None)
        spec = {"mode": "whole", "number": None, "title": paper.get("name"), "public": True,
                "paper_reference": paper.get("reference"), "result": None, "resolution_text": None}
        return [Candidate(
            doc_id=doc_id_for("paper", file_obj["id"]),
            kind=(paper.get("paperType") or "vorlage").casefold(), title=paper.get("name"),
            meeting=record, public=True, file_id=file_obj["id"], spec=spec, origin=paper["id"],
            signature=self._signature(paper, record.body, record.committee, file_obj))]
