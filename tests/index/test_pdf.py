"""PDF ingestion: text layer, running headers/footers, hyphenation, page offsets.

The PDFs are generated here with reportlab (no fetched files): three pages of minutes with a
running header ("… – Seite N von 3"), a footer page number ("- N -"), a word broken at a line
end, a compound hyphen at a line end, a word broken across a page break, and TOP markers.
"""
import io
import json
import sqlite3

import numpy as np
import pytest

pytest.importorskip("pypdf")
canvas_module = pytest.importorskip("reportlab.pdfgen.canvas")
from reportlab.lib.pagesizes import A4  # noqa: E402

from index.ingest import IngestError, Source, collect_sources, read_document  # noqa: E402
from index.pdf import PdfText, page_of, pdf_to_text  # noqa: E402
from index.records import Document, Meeting, Passage  # noqa: E402
from index.segment import segment  # noqa: E402
from index.store import FORMAT_VERSION, IndexData, load_generation, write_generation  # noqa: E402

HEADER = ("Niederschrift über die 6. Sitzung des Ausschusses für Soziales am 11.05.2022 "
          "– Seite {page} von {pages}")
PARAGRAPH_GAP = ""  # a line of its own in PAGES: extra vertical space (a paragraph break)

PAGES = [
    ["Niederschrift", PARAGRAPH_GAP,
     "über die 6. Sitzung des Ausschusses für Soziales am 11.05.2022", PARAGRAPH_GAP,
     "Anwesend:", "Dr. Kehren", "Frau Müller", PARAGRAPH_GAP,
     "Sitzung: öffentlich", PARAGRAPH_GAP,
     "Tagesordnungspunkt 1:", PARAGRAPH_GAP,
     "Bericht zur Baustelle Innenstadt", PARAGRAPH_GAP,
     "Die Verwaltung berichtet über den Stand der Kombilösungsbaustel-",
     "le in der Innenstadt. Die Arbeiten liegen im Zeitplan."],
    ["Für das Case Management werden zwei neue Case-Management-",
     "Stellen geschaffen. Die Kinder-",
     "und Jugendhilfe wird beteiligt. Die Verwaltung prüft die Finanzie-"],
    ["rung des Projekts bis zum Herbst.", PARAGRAPH_GAP,
     "Sitzung: öffentlich", PARAGRAPH_GAP,
     "Tagesordnungspunkt 2:", PARAGRAPH_GAP,
     "Verschiedenes", PARAGRAPH_GAP,
     "Es liegen keine Wortmeldungen vor.", PARAGRAPH_GAP,
     "Dr. Kehren", "Ausschussvorsitzender"],
]

EXPECTED_PAGE_1 = (
    "Niederschrift\n\n"
    "über die 6. Sitzung des Ausschusses für Soziales am 11.05.2022\n\n"
    "Anwesend:\nDr. Kehren\nFrau Müller\n\n"
    "Sitzung: öffentlich\n\n"
    "Tagesordnungspunkt 1:\n\n"
    "Bericht zur Baustelle Innenstadt\n\n"
    "Die Verwaltung berichtet über den Stand der Kombilösungsbaustelle\n"
    "in der Innenstadt. Die Arbeiten liegen im Zeitplan.")
EXPECTED_PAGE_2 = (
    "Für das Case Management werden zwei neue Case-Management-Stellen\n"
    "geschaffen. Die Kinder-\n"
    "und Jugendhilfe wird beteiligt. Die Verwaltung prüft die Finanzierung")
EXPECTED_PAGE_3 = (
    "des Projekts bis zum Herbst.\n\n"
    "Sitzung: öffentlich\n\n"
    "Tagesordnungspunkt 2:\n\n"
    "Verschiedenes\n\n"
    "Es liegen keine Wortmeldungen vor.\n\n"
    "Dr. Kehren\nAusschussvorsitzender")


def make_pdf(pages: list[list[str]], header: bool = True, footer: bool = True) -> bytes:
    buffer = io.BytesIO()
    canvas = canvas_module.Canvas(buffer, pagesize=A4)
    for number, lines in enumerate(pages, 1):
        if header:
            canvas.setFont("Helvetica", 8)
            canvas.drawString(60, 805, HEADER.format(page=number, pages=len(pages)))
        canvas.setFont("Helvetica", 11)
        y = 770
        for line in lines:
            if line == PARAGRAPH_GAP:
                y -= 10
                continue
            canvas.drawString(60, y, line)
            y -= 14
        if footer:
            canvas.setFont("Helvetica", 9)
            canvas.drawCentredString(297, 40, f"- {number} -")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def minutes_pdf() -> bytes:
    return make_pdf(PAGES)


@pytest.fixture(scope="module")
def extracted(minutes_pdf) -> PdfText:
    return pdf_to_text(minutes_pdf)


def _document(text: str, pages=()) -> Document:
    return Document(id="d", text=text, source="d.pdf", kind="niederschrift", title=None,
                    meeting=Meeting(), pages=tuple(pages))


def test_canonical_text_of_a_three_page_pdf(extracted):
    expected = EXPECTED_PAGE_1 + "\n\n" + EXPECTED_PAGE_2 + "\n" + EXPECTED_PAGE_3
    assert extracted.text == expected


def test_running_header_footer_and_page_numbers_are_removed(extracted):
    assert "Seite" not in extracted.text
    assert "Niederschrift über die 6. Sitzung" not in extracted.text
    assert "- 1 -" not in extracted.text and "- 3 -" not in extracted.text
    # the document's own heading and the signature at the bottom of the last page stay
    assert extracted.text.startswith("Niederschrift\n\nüber die 6. Sitzung")
    assert extracted.text.endswith("Dr. Kehren\nAusschussvorsitzender")
    assert extracted.text.count("Sitzung: öffentlich") == 2


def test_line_break_hyphenation_is_joined_and_compound_hyphens_kept(extracted):
    text = extracted.text
    assert "Kombilösungsbaustelle" in text and "Kombilösungsbaustel-" not in text
    assert "Case-Management-Stellen" in text
    assert "Die Kinder-\nund Jugendhilfe" in text  # suspended compound: the hyphen is real
    assert "prüft die Finanzierung\ndes Projekts" in text  # broken across the page break


def test_page_offsets_and_page_of(extracted):
    text = extracted.text
    page_2 = text.index(EXPECTED_PAGE_2)
    page_3 = text.index(EXPECTED_PAGE_3)
    assert extracted.pages == ((1, 0), (2, page_2), (3, page_3))
    document = _document(text, extracted.pages)
    assert page_of(document, 0) == 1
    assert page_of(document, text.index("Kombilösungsbaustelle")) == 1
    assert page_of(document, text.index("Case-Management-Stellen")) == 2
    assert page_of(document, text.index("Finanzierung")) == 2  # the joined word stays on page 2
    assert page_of(document, text.index("des Projekts")) == 3
    assert page_of(document, text.index("Tagesordnungspunkt 2:")) == 3
    assert page_of(document, len(text) - 1) == 3
    assert page_of(document, len(text) + 5) is None
    assert page_of(_document(text), 10) is None  # not a PDF: no pages known


def test_segmentation_finds_the_agenda_items(extracted):
    items = segment(_document(extracted.text, extracted.pages)).items
    agenda = [item for item in items if item.kind == "item"]
    assert [(item.number, item.title) for item in agenda] == [
        ("1", "Bericht zur Baustelle Innenstadt"), ("2", "Verschiedenes")]
    first = extracted.text[agenda[0].start:agenda[0].end]
    assert first.startswith("Sitzung: öffentlich\n\nTagesordnungspunkt 1:")
    assert "Case-Management-Stellen" in first and "Finanzierung\ndes Projekts" in first
    assert [item.kind for item in items if item.kind == "signatures"] == ["signatures"]


def test_ingestion_end_to_end_with_a_manifest(tmp_path, minutes_pdf):
    (tmp_path / "sitzung_6.pdf").write_bytes(minutes_pdf)
    (tmp_path / "manifest.json").write_text(json.dumps({"documents": {"sitzung_6.pdf": {
        "body": "Kreis Heinsberg", "kind": "niederschrift", "public": True}}}), encoding="utf-8")
    (source,) = collect_sources([tmp_path])
    assert source.path.name == "sitzung_6.pdf" and source.metadata["body"] == "Kreis Heinsberg"
    document = read_document(source)
    assert document.id == "sitzung_6" and document.kind == "niederschrift"
    assert document.meeting.body == "Kreis Heinsberg"
    assert document.meeting.number == "6"
    assert document.meeting.date.isoformat() == "2022-05-11"
    assert document.meeting.committee == "Ausschuss für Soziales"
    assert document.text == pdf_to_text(minutes_pdf).text
    assert [n for n, _ in document.pages] == [1, 2, 3]
    assert page_of(document, document.text.index("Tagesordnungspunkt 2:")) == 3
    # a single file is accepted too
    assert collect_sources([tmp_path / "sitzung_6.pdf"])[0].metadata["kind"] == "niederschrift"


def test_a_pdf_without_text_layer_is_refused(tmp_path):
    empty = tmp_path / "leer.pdf"
    empty.write_bytes(make_pdf([[], []], header=False, footer=False))
    with pytest.raises(IngestError, match=r"has no text layer \(scanned PDF\?\); run OCR first"):
        read_document(Source(empty, {}))

    from PIL import Image
    from reportlab.lib.utils import ImageReader

    picture = Image.new("RGB", (200, 100), (240, 240, 240))
    buffer = io.BytesIO()
    canvas = canvas_module.Canvas(buffer, pagesize=A4)
    canvas.drawImage(ImageReader(picture), 50, 500, width=400, height=200)
    canvas.rect(50, 100, 300, 200)
    canvas.showPage()
    canvas.save()
    scanned = tmp_path / "scan.pdf"
    scanned.write_bytes(buffer.getvalue())
    with pytest.raises(IngestError, match="scan.pdf: the PDF has no text layer"):
        read_document(Source(scanned, {}))


@pytest.mark.parametrize("content", [
    b"this is not a PDF at all\n" * 20,
    b"",
    "truncated",
])
def test_corrupt_pdfs_give_ingest_errors(tmp_path, minutes_pdf, content):
    if content == "truncated":
        content = minutes_pdf[:len(minutes_pdf) // 3]
    path = tmp_path / "kaputt.pdf"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=r"kaputt.pdf: corrupt or truncated PDF \(.+\)"):
        read_document(Source(path, {}))


def test_page_offsets_survive_the_index_store(tmp_path, extracted):
    document = _document(extracted.text, extracted.pages)
    plain = Document(id="e", text="Nur Text.", source="e.txt", kind="dokument", title=None,
                     meeting=Meeting())
    passages = [Passage("d:0", "d", "d:000", 0, 13, extracted.text[:13]),
                Passage("e:0", "e", "e:000", 0, 9, "Nur Text.")]
    data = IndexData(documents=[document, plain], items=[], passages=passages,
                     terms=[["niederschrift"], ["text"]], duplicate_groups=[0, 1],
                     vectors=np.eye(2, 4, dtype=np.float32),
                     manifest={"format_version": FORMAT_VERSION})
    folder = write_generation(tmp_path / "index", data, "flat")
    loaded = {d.id: d for d in load_generation(tmp_path / "index", with_vectors=False)[0].documents}
    assert loaded["d"] == document and loaded["d"].pages == extracted.pages
    assert loaded["e"].pages == ()

    # a generation written before the column existed still loads (documents without pages)
    con = sqlite3.connect(folder / "meta.sqlite")
    con.execute("ALTER TABLE documents DROP COLUMN pages")
    con.commit()
    con.close()
    loaded = {d.id: d for d in load_generation(tmp_path / "index", with_vectors=False)[0].documents}
    assert loaded["d"].pages == () and loaded["d"].text == extracted.text


def test_search_results_and_answers_carry_their_page(tmp_path, minutes_pdf, seed_settings, embedder):
    """A PDF indexed end to end: passages and answers say which page they stand on."""
    from dataclasses import replace

    from assistant.pipeline import Assistant
    from index.build import build_index
    from index.retrieve import SearchIndex

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sitzung.pdf").write_bytes(minutes_pdf)
    settings = replace(seed_settings, index_dir=tmp_path / "index")
    build_index([corpus], settings, embedder=embedder)
    index = SearchIndex(settings, embedder=embedder)
    hits = index.search("Wortmeldungen Verschiedenes", top_k=3)
    pages = {index.hit_json(h)["page"] for h in hits}
    assert 3 in pages and pages <= {1, 2, 3}
    result = Assistant(index).ask("Wie viele neue Case-Management-Stellen werden geschaffen?")
    assert not result.abstained
    answer = Assistant(index).answer_json(result.answers[0])
    assert "zwei" in answer["context"] and answer["page"] == 2
