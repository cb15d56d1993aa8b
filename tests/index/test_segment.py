import datetime as dt

import pytest

from index.config import SEEDS_DIR
from index.ingest import Source, collect_sources, load_manifest, read_document
from index.records import Document, Meeting
from index.segment import segment


def seed(prefix: str) -> Document:
    manifest = load_manifest(SEEDS_DIR)
    path = next(SEEDS_DIR.glob(f"{prefix}_*.txt"))
    return read_document(Source(path, manifest.get(path.name, {})))


def items_by_number(document: Document) -> dict:
    return {i.number: i for i in segment(document).items if i.kind == "item"}


def test_003_yields_agenda_items_2_1_to_2_6_with_titles():
    doc = seed("003")
    items = items_by_number(doc)
    assert list(items) == ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]
    assert items["2.1"].title == ("Unterausschuss zur proaktiven Begleitung der Sicherung der "
                                  "medizinischen Versorgung im Kreis Heinsberg")
    assert items["2.2"].title == "Frauenberatung im Kreis Heinsberg"
    assert items["2.4"].title == "Wechsel ukrainischer Kriegsflüchtlinge in das Leistungssystem des SGB II"
    assert items["2.6"].title == "Bericht des Zentrums für kommunale Bildung und Integration"
    assert all(i.public for i in items.values())
    # each item's span holds its own text and not its neighbour's
    assert "SKFM e. V. Region Heinsberg" in doc.text[items["2.2"].start:items["2.2"].end]
    assert "SKFM" not in doc.text[items["2.1"].start:items["2.1"].end]
    assert "1.800 geflüchtete Ukrainerinnen" in doc.text[items["2.4"].start:items["2.4"].end]


def test_003_attendance_is_its_own_section_and_agenda_list_is_no_content():
    doc = seed("003")
    sections = segment(doc).items
    attendance = [i for i in sections if i.kind == "attendance"]
    assert len(attendance) == 1
    text = doc.text[attendance[0].start:attendance[0].end]
    assert "Terodde, Lothar +" in text and "+unentschuldigt" in text
    assert "Tagesordnungspunkt" not in text
    assert "Ende: 18:45 Uhr" not in text
    agenda_line = doc.text.index("- 2.2. Frauenberatung im Kreis Heinsberg")
    holding = [i.kind for i in sections if i.start <= agenda_line < i.end]
    assert holding == ["agenda"]
    signatures = [i for i in sections if i.kind == "signatures"]
    assert signatures and "Schriftführer" in doc.text[signatures[0].start:signatures[0].end]


def test_003_metadata_is_extracted_from_the_header_and_page_headers_are_gone():
    doc = seed("003")
    assert doc.meeting.date == dt.date(2022, 5, 11)
    assert doc.meeting.number == "6"
    assert doc.meeting.committee == "Ausschuss für Gesundheit, Soziales und Generationenfragen"
    assert doc.text.count("Niederschrift über die 6. Sitzung") == 0
    assert "Zum Aufbau des Case Managements sind derzeit" in doc.text


def test_markdown_markup_does_not_reach_the_text():
    doc = seed("003")
    for markup in ("**", "####", "\\*", "](", "<https"):
        assert markup not in doc.text
    assert "Schüler*innen" in doc.text
    assert "*möglichen*" not in doc.text and "dem möglichen Auslaufen" in doc.text


def test_002_yields_oe_12_dated_2021_06_16_with_its_decision():
    doc = seed("002")
    assert doc.meeting.date == dt.date(2021, 6, 16)
    assert doc.meeting.body == "StädteRegion Aachen"
    assert doc.kind == "mitteilungsvorlage"
    (item,) = segment(doc).items
    assert item.number == "Ö 12"
    assert item.decision == "zur Kenntnis genommen"
    assert doc.text[item.decision_start:item.decision_end] == item.decision
    assert item.public


def test_numbered_report_sections_are_items_and_enumerations_are_not():
    items = items_by_number(seed("001"))
    assert list(items) == ["1", "2", "3"]
    assert items["3"].title == "Kommunales Integrationsmanagement (KIM)"
    assert all(i.decision == "zur Kenntnis genommen" for i in items.values())
    items_000 = items_by_number(seed("000"))
    assert [i.title for i in items_000.values()] == [
        "Hilfe für geflüchtete Menschen aus der Ukraine",
        "Aktueller Stand der Implementierung des Kommunalen Integrationsmanagements (KIM)"]


def test_unstructured_document_is_one_item():
    doc = seed("004")
    (item,) = segment(doc).items
    assert (item.start, item.end) == (0, len(doc.text))
    assert doc.meeting.body == "Rhein-Sieg-Kreis"


@pytest.mark.parametrize("source", collect_sources([SEEDS_DIR]), ids=lambda s: s.path.name)
def test_every_item_span_and_decision_is_an_exact_slice(source):
    doc = read_document(source)
    for item in segment(doc).items:
        assert 0 <= item.start < item.end <= len(doc.text)
        assert doc.text[item.start:item.end].strip() == doc.text[item.start:item.end]
        if item.decision is not None:
            assert doc.text[item.decision_start:item.decision_end] == item.decision


def test_top_markers_with_inline_titles_and_non_public_session():
    text = ("Tagesordnung:\n\nÖffentliche Sitzung:\n\n1. Haushalt\n\nNichtöffentliche Sitzung:\n\n"
            "2. Grundstücksangelegenheiten\n\nTOP 1: Haushalt 2024\n\nDer Haushalt wurde beraten.\n\n"
            "Beschluss:\n\nDer Haushalt wird einstimmig beschlossen.\n\nSitzung: nichtöffentlich\n\n"
            "TOP 2: Grundstücksangelegenheiten\n\nVertraulich.")
    doc = Document(id="t", text=text, source="t", kind="niederschrift", title=None, meeting=Meeting())
    items = items_by_number(doc)
    assert items["1"].title == "Haushalt 2024" and items["1"].public
    assert items["1"].decision == "Der Haushalt wird einstimmig beschlossen."
    assert items["2"].public is False
