"""OParl import over real HTTP (a fixture server on loopback) and from a folder dump.

The fixture system (tests/index/oparl_fixture.py) is written from the OParl 1.1 specification;
its resolution file is a PDF generated with reportlab, one attachment is a PDF without a text
layer, one is a copy of the Vorlage's text, and the meeting list holds a malformed object.
"""
import datetime as dt
import json
from dataclasses import replace

import pytest

pytest.importorskip("reportlab")

from assistant.cli import main  # noqa: E402
from index.oparl.importer import import_oparl  # noqa: E402
from index.oparl.state import STATE_FILE  # noqa: E402
from index.records import Meeting  # noqa: E402
from index.retrieve import SearchIndex  # noqa: E402
from tests.index.oparl_fixture import SCHEMA, OParlServer, make_pdf  # noqa: E402

COMMITTEE = "Ausschuss für Umwelt und Verkehr"


@pytest.fixture
def server():
    with OParlServer() as running:
        yield running


@pytest.fixture
def settings(tmp_path, seed_settings):
    return replace(seed_settings, index_dir=tmp_path / "index")


def documents_of(index: SearchIndex, kind: str) -> list:
    return sorted((d for d in index.documents.values() if d.kind == kind), key=lambda d: d.id)


def items_of(index: SearchIndex, document_id: str) -> dict:
    return {i.number: i for i in index.items.values() if i.document_id == document_id and i.kind == "item"}


def assert_no_duplicate_passages(index: SearchIndex) -> None:
    spans = [(p.document_id, p.start, p.end) for p in index.passages]
    assert len(spans) == len(set(spans))
    assert len({p.id for p in index.passages}) == len(index.passages)


def test_an_endpoint_is_imported_with_its_metadata_and_bad_input_reported(server, settings, embedder):
    report = import_oparl(server.url, settings, embedder=embedder)
    assert any("/meetings?page=2" in r for r in server.requests)  # links.next followed
    index = SearchIndex(settings, embedder=embedder)
    assert sorted(d.kind for d in index.documents.values()) == [
        "auszug", "auszug", "auszug", "auszug", "beschlussvorlage", "niederschrift"]
    assert sorted(report.added) == sorted(index.documents)

    # the protocol: segmented, its items matched by number to the OParl agenda items
    [protocol] = documents_of(index, "niederschrift")
    assert protocol.meeting == Meeting(body="Stadt Beispielstadt", committee=COMMITTEE,
                                       date=dt.date(2020, 9, 15), number="3", year=2020)
    items = items_of(index, protocol.id)
    assert set(items) == {"Ö 1", "Ö 2", "N 3"}
    assert items["Ö 1"].paper_reference == "0135/2020"
    assert items["Ö 1"].result == "ungeändert beschlossen"
    assert items["Ö 2"].resolution_text.startswith("Der Ausschuss nimmt den Entwurf des Lärmaktionsplans")
    assert not items["N 3"].public and items["Ö 1"].public

    # the per-item extract: a PDF, one item spanning it, the decision a slice of the text
    [extract] = [d for d in documents_of(index, "auszug") if d.pages]
    [item] = items_of(index, extract.id).values()
    assert (item.number, item.title, item.paper_reference) == ("Ö 1", "Radverkehrskonzept 2030", "0135/2020")
    assert "Förderanträge" in extract.text and extract.meeting.date == dt.date(2020, 9, 15)
    assert extract.text[item.decision_start:item.decision_end] == item.decision
    assert " ".join(item.decision.split()) == item.resolution_text
    # an item with only a resolutionText is a document too; a non-public one stays non-public
    texts = {d.title: d for d in documents_of(index, "auszug")}
    assert "Tempo 30 nachts in der Bahnhofstraße" in texts["Lärmaktionsplan, dritte Stufe"].text
    assert not texts["Grundstücksangelegenheit Flurstück 412"].public
    [paper] = documents_of(index, "beschlussvorlage")
    assert items_of(index, paper.id)[None].paper_reference == "0135/2020"

    # bad input: reported with the object, skipped, never a crash
    assert any("malformed Meeting object 'Sitzung ohne id' without id" in p for p in report.problems)
    assert any("meeting/283: Meeting.start has the wrong type" in p for p in report.problems)
    assert any("file/12" in s and "no text layer" in s for s in report.skipped)
    assert any("file/14" in s and f"same text as document {paper.id}" in s for s in report.skipped)
    assert_no_duplicate_passages(index)


def test_reimport_is_incremental_and_follows_changes_and_deletions(server, settings, embedder):
    import_oparl(server.url, settings, embedder=embedder)
    before = SearchIndex(settings, embedder=embedder)
    passages = sorted(p.id for p in before.passages)

    again = import_oparl(server.url, settings, embedder=embedder)
    assert again.status == "up-to-date" and again.incremental
    assert any("modified_since=" in r for r in server.requests[-4:])
    assert again.received == 2  # only System and Body: nothing changed since
    assert again.skipped == [] and again.skipped_before == 2  # the scan and the copy: not retried
    assert not any("/files/scan-12.pdf" in r for r in server.requests[-4:])
    assert sorted(p.id for p in SearchIndex(settings, embedder=embedder).passages) == passages

    # a changed agenda item: only what was made from it is processed again
    meeting = server.meeting(281)
    meeting["agendaItem"][1]["resolutionText"] = "Der Ausschuss beschließt Tempo 30 nachts in der Bahnhofstraße."
    meeting["agendaItem"][1]["result"] = "mehrheitlich beschlossen"
    server.touch(meeting)
    changed = import_oparl(server.url, settings, embedder=embedder)
    assert changed.incremental and not changed.added and not changed.removed
    index = SearchIndex(settings, embedder=embedder)
    [protocol] = documents_of(index, "niederschrift")
    noise = next(d for d in documents_of(index, "auszug") if d.title == "Lärmaktionsplan, dritte Stufe")
    assert sorted(changed.changed) == sorted([protocol.id, noise.id])
    assert "Der Ausschuss beschließt Tempo 30 nachts" in noise.text
    assert "bittet um Prüfung" not in noise.text
    assert items_of(index, protocol.id)["Ö 2"].result == "mehrheitlich beschlossen"
    assert len(index.passages) == len(passages)
    assert_no_duplicate_passages(index)

    # the scanned attachment is replaced by one with a text layer: tried again, and indexed
    server.files["scan-12.pdf"] = make_pdf(["Kostenschätzung Radverkehrskonzept 2030",
                                            "Gesamtkosten 2,4 Millionen Euro"])
    server.touch(meeting["agendaItem"][0]["auxiliaryFile"][0])
    server.touch(meeting)
    rescanned = import_oparl(server.url, settings, embedder=embedder)
    assert len(rescanned.added) == 1 and rescanned.skipped_before == 1  # the copy stays skipped
    assert "Gesamtkosten" in SearchIndex(settings, embedder=embedder).documents[rescanned.added[0]].text

    # a deleted meeting: its documents leave the index
    later = server.meeting(282)
    later.clear()
    later.update({"id": f"{server.base}/oparl/v1/meeting/282", "type": SCHEMA + "Meeting", "deleted": True})
    server.touch(later)
    deleted = import_oparl(server.url, settings, embedder=embedder)
    assert len(deleted.removed) == 1
    index = SearchIndex(settings, embedder=embedder)
    assert deleted.removed[0] not in index.documents
    assert not any(d.title == "Winterdienst auf Radwegen" for d in index.documents.values())
    state = json.loads((settings.resolved_index_dir / STATE_FILE).read_text())
    assert f"{server.base}/oparl/v1/meeting/282" not in next(iter(state["sources"].values()))["objects"]


def _write_dump(folder, meetings: list[dict]) -> None:
    base = "https://oparl.example.org/oparl/v1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "body.json").write_text(json.dumps({
        "id": f"{base}/body/1", "type": SCHEMA + "Body", "name": "Gemeinde Musterdorf"}))
    (folder / "organizations.json").write_text(json.dumps({"data": [{
        "id": f"{base}/organization/2", "type": SCHEMA + "Organization", "name": "Gemeinderat"}],
        "links": {}}))
    (folder / "meetings.json").write_text(json.dumps({"data": meetings, "links": {}}))
    (folder / "broken.json").write_text("{ not json")
    contents = folder / "file-contents"
    contents.mkdir(exist_ok=True)
    (contents / "900.txt").write_text(
        "Niederschrift\n\nüber die 12. Sitzung des Gemeinderates am 03.03.2021\n\n"
        "Tagesordnungspunkt 1:\n\nNeubau der Feuerwache\n\nDer Gemeinderat berät über den Neubau "
        "der Feuerwache an der Lindenstraße. Die Baukosten werden auf 3,1 Millionen Euro geschätzt.\n\n"
        "Beschluss:\nDer Gemeinderat beschließt den Neubau der Feuerwache.", encoding="utf-8")


def _dump_meeting(number: int, file_id: int) -> dict:
    base = "https://oparl.example.org/oparl/v1"
    return {"id": f"{base}/meeting/{number}", "type": SCHEMA + "Meeting",
            "name": "12. Sitzung des Gemeinderates", "start": "2021-03-03T19:00:00+01:00",
            "organization": [f"{base}/organization/2"],
            "resultsProtocol": {"id": f"{base}/file/{file_id}", "type": SCHEMA + "File",
                                "name": "Ergebnisprotokoll", "accessUrl": f"{base}/file/{file_id}/download"},
            "agendaItem": [{"id": f"{base}/agendaitem/{number}1", "type": SCHEMA + "AgendaItem",
                            "number": "1", "name": "Neubau der Feuerwache", "public": True,
                            "result": "einstimmig beschlossen"}]}


def test_a_folder_dump_is_imported_and_a_reimport_follows_it(tmp_path, settings, embedder):
    dump = tmp_path / "dump"
    _write_dump(dump, [_dump_meeting(77, 900)])
    report = import_oparl(str(dump), settings, embedder=embedder)
    assert any("broken.json: not valid JSON" in p for p in report.problems)
    index = SearchIndex(settings, embedder=embedder)
    [protocol] = documents_of(index, "ergebnisprotokoll")
    assert protocol.meeting.body == "Gemeinde Musterdorf" and protocol.meeting.committee == "Gemeinderat"
    assert items_of(index, protocol.id)["1"].result == "einstimmig beschlossen"

    assert import_oparl(str(dump), settings, embedder=embedder).status == "up-to-date"
    second = _dump_meeting(78, 901)
    second["resultsProtocol"]["text"] = ("Tagesordnungspunkt 1:\n\nHaushaltssatzung 2021\n\n"
                                         "Der Gemeinderat beschließt die Haushaltssatzung 2021.")
    _write_dump(dump, [_dump_meeting(77, 900), second])
    assert len(import_oparl(str(dump), settings, embedder=embedder).added) == 1
    _write_dump(dump, [second])  # a dump is complete: what it no longer holds is gone
    report = import_oparl(str(dump), settings, embedder=embedder)
    assert report.removed == [protocol.id]
    assert list(SearchIndex(settings, embedder=embedder).documents) != [protocol.id]
    _write_dump(dump, [])
    with pytest.raises(Exception, match="empty"):  # an import never leaves an empty index
        import_oparl(str(dump), settings, embedder=embedder)
    assert len(SearchIndex(settings, embedder=embedder).documents) == 1


def test_the_command_imports_and_reports(server, tmp_path, settings, monkeypatch, capsys):
    monkeypatch.setenv("MINUTES_QA_MODEL_DIR", str(settings.model_dir))
    index_dir = tmp_path / "cli-index"
    code = main(["import-oparl", server.url, "--index-dir", str(index_dir)])
    out, err = capsys.readouterr()
    assert code == 1  # some files were skipped, and it says which and why
    assert "Added 6, changed 0, removed 0, unchanged 0, skipped 2 documents" in out
    assert "no text layer" in err and "without id" in err
    code = main(["import-oparl", server.url, "--index-dir", str(index_dir)])
    out, _ = capsys.readouterr()
    assert "changes since" in out and "Nothing changed" in out
    assert "2 documents skipped by an earlier import are unchanged" in out and code == 0


@pytest.mark.parametrize("source, message", [
    ("http://127.0.0.1:9/oparl/v1/system", "cannot be reached"),
    ("{base}/oparl/v1/nowhere", "HTTP 404"),
    ("{base}/files/auszug-101.pdf", "not JSON"),
    ("{empty}", "no OParl JSON files"),
    ("no/such/folder", "neither an http(s) URL nor a folder"),
])
def test_an_unusable_source_fails_clearly(server, tmp_path, capsys, source, message):
    (tmp_path / "empty").mkdir()
    source = source.format(base=server.base, empty=tmp_path / "empty")
    code = main(["import-oparl", source, "--index-dir", str(tmp_path / "index")])
    assert code == 2
    assert message in capsys.readouterr().err


def test_imported_items_survive_an_index_build_that_reprocesses_everything(server, settings, embedder):
    from index.build import build_index

    import_oparl(server.url, settings, embedder=embedder)
    # another duplicate threshold: every document is processed again, seeds added beside
    changed = replace(settings, duplicate_threshold=0.85)
    report = build_index(None, changed, embedder=embedder)
    assert report.reprocessed
    index = SearchIndex(changed, embedder=embedder)
    [protocol] = [d for d in documents_of(index, "niederschrift") if d.id.startswith("oparl-")]
    assert items_of(index, protocol.id)["Ö 1"].paper_reference == "0135/2020"
    assert len(index.documents) == 6 + 5
    assert import_oparl(server.url, changed, embedder=embedder).status == "up-to-date"


def test_an_attachment_takes_the_item_metadata_but_not_its_resolution(server, settings, embedder):
    server.files["scan-12.pdf"] = make_pdf(["Kostenschätzung Radverkehrskonzept 2030",
                                            "Gesamtkosten 2,4 Millionen Euro"])
    import_oparl(server.url, settings, embedder=embedder)
    index = SearchIndex(settings, embedder=embedder)
    [attachment] = documents_of(index, "anlage")
    assert attachment.title == "Anlage Kostenschätzung (Scan)"
    [item] = items_of(index, attachment.id).values()
    assert (item.number, item.title, item.paper_reference) == ("Ö 1", "Radverkehrskonzept 2030", "0135/2020")
    assert item.decision is None and "Beschluss" not in attachment.text
