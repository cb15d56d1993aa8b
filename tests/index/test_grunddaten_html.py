"""An HTML Vorlage page with a Grunddaten table (ALLRIS/SessionNet style), modelled on seed 002."""
import datetime as dt
from pathlib import Path

from index.ingest import Source, read_document
from index.metadata import consultations, grunddaten
from index.segment import segment

PAGE = Path(__file__).parent / "fixtures" / "vorlage_grunddaten.html"
COMMITTEE = "Ausschuss für Soziales, Gesundheit, Senioren und demographische Vielfalt"


def test_the_grunddaten_table_gives_the_metadata():
    document = read_document(Source(PAGE, {"body": "StädteRegion Aachen", "title": "ein Rateversuch"}))
    assert document.title == "Sachstandsbericht zum kommunalen Integrationsmanagement (KIM)"
    assert document.kind == "mitteilungsvorlage"
    assert document.public
    assert document.meeting.date == dt.date(2021, 6, 16)
    assert document.meeting.committee == COMMITTEE  # the Beratungsfolge entry of that date
    assert document.meeting.body == "StädteRegion Aachen"  # from the manifest: the page does not say
    assert "sessionTimeout" not in document.text and "tk1" not in document.text


def test_the_block_is_text_with_exact_spans_and_the_item_has_the_paper():
    document = read_document(Source(PAGE, {}))
    block = grunddaten(document.text)
    assert block.get("Vorlage-Art") == block.get("Vorlageart") == "Mitteilungsvorlage"
    assert block.get("Federführend") == "A 46 - Kommunales Integrationszentrum"
    start, end = block.span("Betreff")
    assert document.text[start:end] == "Sachstandsbericht zum kommunalen Integrationsmanagement (KIM)"
    assert consultations(block.get("Beratungsfolge")) == [
        (dt.date(2021, 6, 16), COMMITTEE, "Kenntnisnahme"),
        (dt.date(2021, 7, 1), "Städteregionsausschuss", "Kenntnisnahme")]
    [item] = [i for i in segment(document).items if i.kind == "item"]
    assert item.paper_reference == "2021/0412"
    assert item.decision is None  # a Beschlussvorschlag is a proposal, not a decision
    assert "11,5 Stellen" in document.text[item.start:item.end]


SESSIONNET_PAGE = """<html><body><h1>Vorlage - VO/2023/117</h1>
<table summary="Grunddaten"><caption>Grunddaten</caption>
<tr><th>Betreff</th><td>Förderung von Lastenrädern</td></tr>
<tr><th>Drucksache</th><td>VO/2023/117</td></tr>
<tr><th>Vorlageart</th><td>Beschlussvorlage</td></tr>
<tr><th>Status</th><td>nichtöffentlich</td></tr>
<tr><th>Beratungsfolge</th><td><table>
  <tr><th>Gremium</th><th>Datum</th><th>Rolle</th></tr>
  <tr><td>Umweltausschuss</td><td>05.09.2023</td><td>Vorberatung</td></tr>
  <tr><td>Rat der Stadt</td><td>28.09.2023</td><td>Entscheidung</td></tr></table></td></tr>
</table>
<p>Beschluss: Der Rat beschließt ein Förderprogramm für Lastenräder über 50.000 Euro.</p>
</body></html>"""


def test_a_sessionnet_page_with_header_cells_caption_and_nested_consultations(tmp_path):
    page = tmp_path / "vo117.html"
    page.write_text(SESSIONNET_PAGE, encoding="utf-8")
    document = read_document(Source(page, {}))
    assert document.title == "Förderung von Lastenrädern"
    assert document.kind == "beschlussvorlage" and not document.public
    assert document.meeting.committee == "Rat der Stadt"  # no date on the page: the deciding one
    [item] = [i for i in segment(document).items if i.kind == "item"]
    assert item.paper_reference == "VO/2023/117"
    assert item.decision.startswith("Der Rat beschließt ein Förderprogramm")
