"""Links from "Vorlage 0135/2020" / "Drucksache …" / "TOP 21" / "TOP Ö 3" to their targets."""
import datetime as dt

from index.records import AgendaItem, Document, Meeting
from index.references import ReferenceResolver, paper_key

MEETING = Meeting(body="Stadt Beispielstadt", committee="Rat", date=dt.date(2020, 9, 15))
PROTOCOL = ("Tagesordnungspunkt Ö 1:\nRadverkehr\nFrau Berger erläuterte die Vorlage 0135/2020 "
            "und verwies auf Drucksache Nr. 12/345.\n\n"
            "Tagesordnungspunkt Ö 2:\nLärm\nWie unter TOP Ö 1 und TOP 21 besprochen; siehe TOP 3.\n\n"
            "Tagesordnungspunkt N 3:\nGrundstück\nVertraulich.")
EXTRACT = "Auszug: Beschluss zu TOP 2 der Sitzung, nach TOP Ö 1. Siehe auch Vorlage 135/2020."


def _item(doc: str, seq: int, number, start: int, end: int, paper=None, public=True) -> AgendaItem:
    return AgendaItem(id=f"{doc}:{seq:03d}", document_id=doc, number=number, title=None,
                      start=start, end=end, public=public, paper_reference=paper)


def resolver() -> ReferenceResolver:
    first, second, third = (PROTOCOL.index(f"Tagesordnungspunkt {n}") for n in ("Ö 1", "Ö 2", "N 3"))
    documents = {
        "protocol": Document("protocol", PROTOCOL, "p", "niederschrift", None, MEETING),
        "extract": Document("extract", EXTRACT, "e", "auszug", None, MEETING),
        "paper": Document("paper", "Vorlage 0135/2020: Radverkehr", "v", "beschlussvorlage", None,
                          Meeting(body="Stadt Beispielstadt")),
    }
    items = [_item("protocol", 0, "Ö 1", first, second - 2, paper="0135/2020"),
             _item("protocol", 1, "Ö 2", second, third - 2),
             _item("protocol", 2, "N 3", third, len(PROTOCOL), public=False),
             _item("extract", 0, "Ö 2", 0, len(EXTRACT)),
             _item("paper", 0, None, 0, 30, paper="0135/2020")]
    return ReferenceResolver(documents, {i.id: i for i in items})


def test_references_are_found_with_exact_offsets_and_linked():
    links = resolver()
    document = links.documents["protocol"]
    found = links.find_json(document)
    assert [r["text"] for r in found] == ["Vorlage 0135/2020", "Drucksache Nr. 12/345", "TOP Ö 1",
                                          "TOP 21", "TOP 3"]
    for reference in found:
        assert document.text[reference["start"]:reference["end"]] == reference["text"]
    by_text = {r["text"]: r for r in found}
    # the Vorlage itself first; the item that stands here is not a link to itself
    assert by_text["Vorlage 0135/2020"]["target"]["document_id"] == "paper"
    assert by_text["Vorlage 0135/2020"]["other_targets"] == []
    assert by_text["Drucksache Nr. 12/345"]["target"] is None  # not in the index
    assert by_text["TOP Ö 1"]["target"]["agenda_item_id"] == "protocol:000"
    assert by_text["TOP 21"]["target"] is None
    assert by_text["TOP 3"]["target"] is None  # non-public: never linked


def test_top_in_an_extract_points_into_the_protocol_of_its_meeting():
    links = resolver()
    found = links.find_json(links.documents["extract"])
    # "TOP 2" is the extract's own item (Ö 2): not a reference; "TOP Ö 1" is in the protocol
    [top] = [r for r in found if r["kind"] == "agenda_item"]
    assert top["text"] == "TOP Ö 1"
    assert top["target"]["agenda_item_id"] == "protocol:000"
    paper = next(r for r in found if r["kind"] == "paper")
    assert paper["target"]["document_id"] == "paper"  # 135/2020 = 0135/2020
    assert paper["other_targets"][0]["agenda_item_id"] == "protocol:000"


def test_a_span_limits_what_is_found_and_headings_are_not_references():
    links = resolver()
    document = links.documents["protocol"]
    start = PROTOCOL.index("Wie unter")
    assert [r.text for r in links.find(document, start, start + 20)] == ["TOP Ö 1"]
    heading = PROTOCOL.index("Tagesordnungspunkt Ö 2")
    assert links.find(document, heading, heading + 25) == []


def test_paper_keys_ignore_case_spaces_and_leading_zeros():
    assert paper_key("0135/2020") == paper_key("135 / 2020") == "135/2020"
    assert paper_key("VO/2021/0412") == "vo/2021/412"
