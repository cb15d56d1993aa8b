"""OParl metadata and reference links reach answers, search hits and /decisions (real HTTP)."""
from dataclasses import replace

import httpx
import pytest

pytest.importorskip("reportlab")

from assistant.api import create_app  # noqa: E402
from assistant.live_server import LiveServer  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from index.oparl.importer import import_oparl  # noqa: E402
from index.retrieve import SearchIndex  # noqa: E402
from tests.assistant.test_web import Page, browser  # noqa: E402,F401 (browser: the Chromium fixture)
from tests.index.oparl_fixture import OParlServer  # noqa: E402


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, seed_settings, embedder):
    settings = replace(seed_settings, index_dir=tmp_path_factory.mktemp("oparl-index"))
    with OParlServer() as server:
        import_oparl(server.url, settings, embedder=embedder)
    return Assistant(SearchIndex(settings, embedder=embedder))


@pytest.fixture(scope="module")
def client(assistant):
    with LiveServer(create_app(assistant)) as server, \
            httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def test_decisions_carry_the_stated_resolution_result_and_paper(client):
    decisions = client.get("/decisions", params={"q": "0135/2020"}).json()["decisions"]
    assert decisions and all(d["paper_reference"] == "0135/2020" for d in decisions)
    protocol = next(d for d in decisions if d["agenda_item"]["number"] == "Ö 1" and d["decision_start"])
    assert protocol["result"] == "ungeändert beschlossen"
    assert protocol["meeting"]["committee"] == "Ausschuss für Umwelt und Verkehr"
    text = client.get(f"/documents/{protocol['document_id']}").json()["text"]
    assert text[protocol["decision_start"]:protocol["decision_end"]] == protocol["decision"]

    # the protocol's own Beschluss line is shorter than the resolutionText OParl states: the
    # stated text is the decision, and no offsets claim it stands in the protocol
    noise = [d for d in client.get("/decisions", params={"q": "Lärmaktionsplan"}).json()["decisions"]
             if d["agenda_item"]["number"] == "Ö 2"]
    assert {d["decision"] for d in noise} == {
        "Der Ausschuss nimmt den Entwurf des Lärmaktionsplans zur Kenntnis und bittet um Prüfung "
        "von Tempo 30 nachts in der Bahnhofstraße."}
    in_protocol = next(d for d in noise if d["decision_start"] is None)
    assert in_protocol["agenda_item"]["result"] == "zur Kenntnis genommen"
    # the non-public item's decision is not served
    assert client.get("/decisions", params={"q": "Ankauf"}).json()["decisions"] == []


def test_an_answer_cites_the_oparl_metadata_and_links_references(client):
    body = client.post("/ask", json={"question": "Wie viele Kilometer neue Radwege sieht das "
                                                 "Radverkehrskonzept vor?"}).json()
    assert not body["abstained"]
    answer = body["answers"][0]
    assert "14 Kilometer" in answer["context"]
    assert answer["meeting"]["date"] == "2020-09-15"
    assert answer["meeting"]["body"] == "Stadt Beispielstadt"
    assert "references" in answer
    cited = [p for p in body["passages"] if p["agenda_item"]["paper_reference"] == "0135/2020"]
    assert cited
    links = [r for p in body["passages"] for r in p["references"] if r["text"] == "Vorlage 0135/2020"]
    assert links and all(r["target"]["paper_reference"] == "0135/2020" for r in links)
    for passage in body["passages"]:
        text = client.get(f"/documents/{passage['document_id']}").json()["text"]
        for reference in passage["references"]:
            assert passage["start"] <= reference["start"] < reference["end"] <= passage["end"]
            assert text[reference["start"]:reference["end"]] == reference["text"]


def test_top_references_in_the_protocol_point_to_the_item(assistant):
    index = assistant.index
    protocol = next(d for d in index.documents.values() if d.kind == "niederschrift")
    start = protocol.text.index("wie bereits unter TOP Ö 1")
    [reference] = index.references.find_json(protocol, start, start + 40)
    assert reference["text"] == "TOP Ö 1"
    assert reference["target"]["document_id"] == protocol.id
    assert reference["target"]["title"] == "Radverkehrskonzept 2030"


@pytest.fixture(scope="module")
def web_server(assistant):
    with LiveServer(create_app(assistant)) as server:
        yield server


def test_the_web_page_shows_the_paper_and_links_references(browser, web_server):  # noqa: F811
    page = Page(browser, web_server.url, {"width": 1280, "height": 900})
    try:
        page.open()
        page.ask("Was hat Frau Berger erläutert?")
        reply = page.turn(0)
        assert "Vorlage 0135/2020" in reply.locator(".citation-line").first.inner_text()
        link = reply.locator(".references-line a.reference").first
        assert link.inner_text().startswith("Vorlage 0135/2020 → ")
        link.click()
        page.page.wait_for_selector(".doc-text mark", state="attached")
        assert "#/documents/" in page.page.url
    finally:
        page.close()
