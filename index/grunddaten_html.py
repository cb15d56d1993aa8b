"""The "Grunddaten" table of an agenda-item or Vorlage page of a council information system
(ALLRIS, SessionNet, SD.NET), rendered as the text block ``index.metadata.grunddaten`` reads.

On the page the block is a two-column table (Betreff, Status, Vorlage-Art, Federführend,
Beratungsfolge …); the Beratungsfolge is a table of its own, nested in its row or following
a "Beratungsfolge" heading. The table is replaced by one ``<pre>`` block::

    Grunddaten
    - Betreff:
    - Sachstandsbericht zum kommunalen Integrationsmanagement (KIM)
    - Beratungsfolge:
    - 16.06.2021 Ausschuss für Soziales … (Kenntnisnahme); 01.07.2021 Städteregionsausschuss (Kenntnisnahme)

which is the shape the same page has when saved as text (seed 002), so metadata extraction
and segmentation treat HTML and text pages alike, with spans into the canonical text.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}$")
_ROLE = re.compile(r"^(Entscheidung|Vorberatung|Kenntnisnahme|Beratung|Anhörung|Beschlussfassung)",
                   re.I)
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "caption", "th", "div", "span", "p", "b", "strong")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


def _heading(soup: BeautifulSoup, label: str) -> Tag | None:
    """The smallest element whose whole text is ``label`` (a heading, caption or cell)."""
    wanted = label.casefold()
    for tag in soup.find_all(_HEADING_TAGS):
        if _text(tag).rstrip(":").casefold() == wanted:
            return tag
    return None


def _table_after(tag: Tag) -> Tag | None:
    if tag.name == "caption" or tag.find_parent("table") is not None and tag.name == "th":
        return tag.find_parent("table")
    return tag.find_next("table")


def _consultations(table: Tag) -> str:
    """'16.06.2021 Ausschuss … (Kenntnisnahme); …' from a Beratungsfolge table."""
    entries = []
    for row in table.find_all("tr"):
        cells = [_text(c) for c in row.find_all("td")]
        cells = [c for c in cells if c]
        if not cells:
            continue  # a header row
        date = next((c for c in cells if _DATE.match(c)), None)
        role = next((c for c in cells if _ROLE.match(c)), None)
        rest = [c for c in cells if c not in (date, role)]
        committee = max(rest, key=len) if rest else ""
        entries.append(" ".join(x for x in (date, committee, f"({role})" if role else None) if x))
    return "; ".join(entries)


def _rows(table: Tag) -> list[tuple[str, str]]:
    rows = []
    for row in table.find_all("tr", recursive=False) or table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        cells = row.find_all(["td", "th"], recursive=False)
        if len(cells) < 2:
            continue
        key = _text(cells[0]).rstrip(":").strip()
        nested = cells[1].find("table")
        value = _consultations(nested) if nested else " ".join(_text(c) for c in cells[1:]).strip()
        if key and value and len(key) <= 40:
            rows.append((key, value))
    return rows


def render_grunddaten(html: str) -> str:
    """The page with its Grunddaten table as a text block; the page unchanged if it has none."""
    if "grunddaten" not in html.casefold():
        return html
    soup = BeautifulSoup(html, "html.parser")
    heading = _heading(soup, "Grunddaten")
    table = _table_after(heading) if heading else None
    if table is None:
        return html
    rows = _rows(table)
    if not rows:
        return html
    if not any(k.casefold() == "beratungsfolge" for k, _ in rows):
        follow = _heading(soup, "Beratungsfolge")
        follow_table = _table_after(follow) if follow else None
        if follow_table is not None and follow_table is not table:
            rows.append(("Beratungsfolge", _consultations(follow_table)))
            follow_table.decompose()
            follow.decompose()
    block = soup.new_tag("pre")
    block.string = "Grunddaten\n" + "\n".join(f"- {k}:\n- {v}" for k, v in rows)
    table.replace_with(block)
    if heading.parent is not None and heading.find_parent("table") is None:
        heading.decompose()
    return str(soup)
