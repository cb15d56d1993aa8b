"""Meeting metadata stated in a document's own text.

Two shapes occur in council minutes: the header of a Niederschrift ("über die 6. Sitzung des
Ausschusses für … am 11.05.2022") and the "Grunddaten" block of a council information
system page ("- TOP:" / "- Ö 12" / "- Datum:" / "- Mi., 16.06.2021" …). What is found here
wins over manifest values, which are only guesses about what the text leaves open.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b")

_NIEDERSCHRIFT = re.compile(
    r"(?:Niederschrift\s+)?über\s+die\s+(\d+)\.\s+Sitzung\s+(?:des|der)\s+(.+?)\s+am\s+"
    r"(\d{1,2}\.\d{1,2}\.\d{4})",
    re.S,
)


@dataclass
class Grunddaten:
    """Key/value pairs of a Grunddaten block, each value with its span in the text."""

    values: dict[str, tuple[str, int, int]]  # by grunddaten_key

    def get(self, *keys: str) -> str | None:
        """The value of the first of ``keys`` the block has ("Vorlage-Art" = "Vorlageart")."""
        for key in keys:
            found = self.values.get(grunddaten_key(key))
            if found:
                return found[0]
        return None

    def span(self, key: str) -> tuple[int, int] | None:
        found = self.values.get(grunddaten_key(key))
        return (found[1], found[2]) if found else None


def grunddaten_key(key: str) -> str:
    """'Vorlage-Art' → 'vorlageart', 'Vorlagen-Nr.' → 'vorlagennr' (systems spell keys variously)."""
    return re.sub(r"[\s\-./]+", "", key.casefold())


def parse_german_date(text: str) -> dt.date | None:
    """First date in ``text`` written as DD.MM.YYYY (or DD.MM.YY), else None."""
    match = _DATE.search(text)
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _nominative(name: str) -> str:
    """'Ausschusses für X' → 'Ausschuss für X' (the header uses the genitive)."""
    name = " ".join(name.split())
    return re.sub(r"^(Ausschuss|Unterausschuss|Kreisausschuss|Hauptausschuss)es\b", r"\1", name)


def niederschrift_header(text: str) -> dict:
    """Meeting number, committee and date from a Niederschrift header near the top."""
    match = _NIEDERSCHRIFT.search(text[:2000])
    if not match:
        return {}
    number, committee, date = match.groups()
    return {
        "meeting_number": number,
        "committee": _nominative(committee),
        "date": parse_german_date(date),
    }


_KEY_LINE = re.compile(r"^- ([A-ZÄÖÜa-zäöüß][\wÄÖÜäöüß .\-/]{0,40}):$")
_VALUE_LINE = re.compile(r"^- (.+)$")


def grunddaten(text: str) -> Grunddaten | None:
    """Parse a 'Grunddaten' block of '- Key:' / '- Value' line pairs, if the text has one."""
    start = text.find("Grunddaten")
    if start < 0:
        return None
    values: dict[str, tuple[str, int, int]] = {}
    offset = text.find("\n", start) + 1
    lines = text[offset:].split("\n")
    position = offset
    pending_key: str | None = None
    for line in lines:
        line_start = position
        position += len(line) + 1
        key_match = _KEY_LINE.match(line)
        if key_match:
            pending_key = grunddaten_key(key_match.group(1))
            continue
        value_match = _VALUE_LINE.match(line)
        if pending_key and value_match:
            value_start = line_start + 2
            values[pending_key] = (value_match.group(1), value_start, line_start + len(line))
            pending_key = None
            continue
        break  # the block ends at the first line of another shape
    return Grunddaten(values) if values else None


PAPER_KEYS = ("Vorlage", "Vorlagen-Nr.", "Vorlage-Nr.", "Vorlagennummer", "Drucksache",
              "Drucksachen-Nr.", "DS-Nr.")
_PUBLIC_VALUES = {"öffentlich": True, "nichtöffentlich": False, "nicht öffentlich": False}
_CONSULTATION = re.compile(r"^(?:(\d{1,2}\.\d{1,2}\.\d{2,4})\s+)?(.+?)(?:\s+\(([^()]+)\))?$")


def consultations(value: str) -> list[tuple[dt.date | None, str, str | None]]:
    """(date, committee, role) per entry of a Beratungsfolge value ('16.06.2021 Ausschuss … (Kenntnisnahme); …')."""
    entries = []
    for part in value.split(";"):
        match = _CONSULTATION.match(part.strip())
        if match and match.group(2):
            entries.append((parse_german_date(match.group(1) or ""), match.group(2), match.group(3)))
    return entries


def _committee(block: Grunddaten, date: dt.date | None) -> str | None:
    """The Gremium, else the Beratungsfolge entry of the page's date, else its deciding one."""
    if block.get("Gremium"):
        return block.get("Gremium")
    entries = consultations(block.get("Beratungsfolge") or "")
    for wanted in ((lambda e: date is not None and e[0] == date),
                   (lambda e: (e[2] or "").casefold().startswith("entscheid")),
                   (lambda e: True)):
        found = next((e for e in entries if wanted(e)), None)
        if found:
            return found[1]
    return None


def grunddaten_metadata(block: Grunddaten) -> dict:
    """Document-level fields from a Grunddaten block."""
    found: dict = {}
    if block.get("Datum"):
        found["date"] = parse_german_date(block.get("Datum") or "")
    if block.get("Beratung"):
        found["public"] = "nicht" not in (block.get("Beratung") or "").casefold()
    elif (block.get("Status") or "").casefold() in _PUBLIC_VALUES:
        found["public"] = _PUBLIC_VALUES[(block.get("Status") or "").casefold()]
    if block.get("Vorlageart"):
        found["kind"] = (block.get("Vorlageart") or "").casefold()
    if block.get("Betreff"):
        found["title"] = block.get("Betreff")
    found["committee"] = _committee(block, found.get("date"))
    return {k: v for k, v in found.items() if v is not None}
