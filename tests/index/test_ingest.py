import pytest

from index.clean import canonical_text
from index.ingest import IngestError, Source, collect_sources, read_document, to_canonical_text
from index.markup import markdown_to_text


def test_markdown_is_rendered_to_plain_blocks():
    source = ("## **Tagesordnungspunkt 2.4:**\n\n### **Wechsel**\n\nDie *mögliche* Lösung "
              "für Schüler\\*innen (<https://example.org/a>).\n\n---\n\n1. Anfragen\n2. Bericht\n")
    text = markdown_to_text(source)
    assert text == ("Tagesordnungspunkt 2.4:\n\nWechsel\n\nDie mögliche Lösung für Schüler*innen "
                    "(https://example.org/a).\n\n1. Anfragen\n2. Bericht")


def test_html_is_read_as_visible_text_blocks():
    html = ("<html><head><title>x</title><style>p{}</style></head><body><h1>TOP Ö 3</h1>"
            "<p>Der Ausschuss <b>nimmt</b> Kenntnis.</p><script>alert(1)</script>"
            "<ul><li>eins</li><li>zwei</li></ul></body></html>")
    text = to_canonical_text(html, "html")
    assert text == "TOP Ö 3\n\nDer Ausschuss nimmt Kenntnis.\n\neins\nzwei"


def test_running_headers_are_removed_and_split_sentences_joined():
    header = "Niederschrift über die 6. Sitzung\ndes Ausschusses für Soziales am 11.05.2022"
    text = ("Einleitung des Berichts.\n\n" + "Zum Aufbau des Case Managements werden weitere "
            "Stellen ausgeschrieben und die Verwaltung berichtet im Ausschuss über den" +
            "\n\n" + header + "\n\nStand der Dinge.\n\n" + "Mehr Text.\n\n" + header + "\n\nSchluss.")
    cleaned = canonical_text(text)
    assert "Niederschrift über" not in cleaned
    assert "berichtet im Ausschuss über den Stand der Dinge." in cleaned
    assert cleaned.endswith("Mehr Text.\n\nSchluss.")


def test_short_repeated_labels_are_kept():
    text = "Sitzung: öffentlich\n\nTOP 1\n\nA.\n\nSitzung: öffentlich\n\nTOP 2\n\nB."
    assert canonical_text(text).count("Sitzung: öffentlich") == 2


def test_unsupported_and_missing_inputs_give_clear_errors(tmp_path):
    pdf = tmp_path / "x.docx"
    pdf.write_bytes(b"PK")
    with pytest.raises(IngestError, match="unsupported file type '.docx'"):
        collect_sources([pdf])
    with pytest.raises(IngestError, match="no such file"):
        collect_sources([tmp_path / "missing.txt"])
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n\n ", encoding="utf-8")
    with pytest.raises(IngestError, match="no text"):
        read_document(Source(empty, {}))


def test_manifest_values_fill_gaps_and_text_wins(tmp_path):
    (tmp_path / "a.txt").write_text(
        "Niederschrift\n\nüber die 3. Sitzung des Ausschusses für Schule am 01.02.2023\n\nText.",
        encoding="utf-8")
    (tmp_path / "manifest.json").write_text(
        '{"documents": {"a.txt": {"body": "Kreis X", "date": "2020-01-01", "public": true}}}',
        encoding="utf-8")
    (source,) = collect_sources([tmp_path])
    doc = read_document(source)
    assert doc.meeting.body == "Kreis X"
    assert doc.meeting.date.isoformat() == "2023-02-01"
    assert doc.meeting.committee == "Ausschuss für Schule"
    assert doc.meeting.number == "3"


def test_non_utf8_text_is_read(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Gebühren für Übernachtung".encode("cp1252"))
    assert read_document(Source(path, {})).text == "Gebühren für Übernachtung"
