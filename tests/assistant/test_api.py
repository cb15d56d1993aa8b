"""The HTTP API, spoken to over real HTTP on loopback."""
import shutil

import httpx
import pytest

from assistant.api import MASK, AccessPolicy, create_app
from assistant.live_server import LiveServer
from assistant.pipeline import MAX_QUESTION_CHARS, Assistant
from index.build import build_index
from index.config import SEEDS_DIR
from index.retrieve import SearchIndex

HEINSBERG_2022 = "003_564f44dd3b622e57"


@pytest.fixture(scope="module")
def client(api_server):
    with httpx.Client(base_url=api_server.url, timeout=60) as http:
        yield http


def document_text(client, document_id):
    return client.get(f"/documents/{document_id}").json()["text"]


def assert_exact_spans(client, body):
    texts = {}
    for answer in body["answers"]:
        text = texts.setdefault(answer["document_id"], document_text(client, answer["document_id"]))
        assert text[answer["start"]:answer["end"]] == answer["text"]
        assert text[answer["context_start"]:answer["context_end"]] == answer["context"]
        assert answer["context_start"] <= answer["start"] < answer["end"] <= answer["context_end"]
        for copy in answer["also_in"]:
            if "start" in copy:
                other = texts.setdefault(copy["document_id"], document_text(client, copy["document_id"]))
                assert other[copy["start"]:copy["end"]] == answer["text"]
    for passage in body["passages"]:
        text = texts.setdefault(passage["document_id"], document_text(client, passage["document_id"]))
        assert text[passage["start"]:passage["end"]] == passage["text"]


def test_ask_answers_with_an_exact_span_and_citation(client):
    response = client.post("/ask", json={"question": "Wie viele Case-Management-Stellen sind besetzt?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"question", "session_id", "query", "abstained", "answers", "passages"}
    assert body["abstained"] is False
    top = body["answers"][0]
    assert "1,5" in top["text"]
    assert top["meeting"]["body"] == "Kreis Heinsberg" and top["meeting"]["date"] == "2022-05-11"
    assert top["agenda_item"]["title"]
    assert_exact_spans(client, body)


def test_every_answer_span_on_the_dev_questions_is_exact(client):
    from eval.questions import load_jsonl
    from index.config import PROJECT_ROOT

    questions, _ = load_jsonl(PROJECT_ROOT / "eval" / "questions" / "seeds_dev.jsonl")
    for question in questions[::4]:
        body = client.post("/ask", json={"question": question.question}).json()
        assert_exact_spans(client, body)


def test_follow_up_keeps_the_conversation(client):
    first = client.post("/ask", json={"question": "Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?"}).json()
    session = first["session_id"]
    follow = client.post("/ask", json={"question": "Und wie viele davon sind geplant?",
                                       "session_id": session}).json()
    assert follow["session_id"] == session
    assert follow["query"] != follow["question"]
    assert "6,0" in follow["answers"][0]["text"]
    other = client.post("/ask", json={"question": "Wie sieht es im Rhein-Sieg-Kreis aus?",
                                      "session_id": session}).json()
    assert other["answers"] and other["answers"][0]["meeting"]["body"] == "Rhein-Sieg-Kreis"


def test_unanswerable_question_abstains_but_returns_passages(client):
    body = client.post("/ask", json={"question": "Wie hoch ist das KIM-Budget der Stadt Köln für 2025?"}).json()
    assert body["abstained"] is True and body["answers"] == []
    assert body["passages"]


def test_filters_are_applied(client):
    body = client.post("/ask", json={"question": "Wie viele Stellen sind besetzt?",
                                     "filters": {"body": "Rhein-Sieg-Kreis"}}).json()
    assert {p["document_id"] for p in body["passages"]} == {"004_b04a331a870c6ffb"}


@pytest.mark.parametrize("payload", [
    {"question": ""},
    {"question": "   "},
    {"question": "x" * (MAX_QUESTION_CHARS + 1)},
    {"question": "KIM", "top_k": 0},
    {"question": "KIM", "top_k": "many"},
    {"question": "KIM", "filters": {"date_from": "11.05.2022"}},
    {"question": "KIM", "unknown": 1},
    {},
])
def test_bad_input_gets_422_with_one_error_shape(client, payload):
    response = client.post("/ask", json=payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422 and error["code"] == "invalid_request" and error["message"]


def test_malformed_json_gets_422(client):
    response = client.post("/ask", content=b'{"question": "KIM"', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_json"
    assert client.get("/health").json()["status"] == "ok"  # the server is still fine


def test_documents_decisions_health_and_openapi(client):
    listing = client.get("/documents").json()["documents"]
    assert len(listing) == 5
    assert client.get("/documents", params={"body": "StädteRegion Aachen"}).json()["documents"][0]["id"] \
        == "002_bf7472c224a09783"
    document = client.get(f"/documents/{HEINSBERG_2022}").json()
    assert document["meeting"]["date"] == "2022-05-11"
    assert [i["number"] for i in document["agenda_items"] if i["kind"] == "item"] == \
        ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]
    missing = client.get("/documents/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    decisions = client.get("/decisions", params={"q": "Kenntnis"}).json()["decisions"]
    assert any(d["agenda_item"]["number"] == "Ö 12" and d["meeting"]["date"] == "2021-06-16"
               for d in decisions)
    for decision in decisions:
        text = document_text(client, decision["document_id"])
        assert text[decision["decision_start"]:decision["decision_end"]] == decision["decision"]
    assert client.get("/decisions", params={"date_from": "2021-01-01", "date_to": "2021-12-31"}).json()[
        "decisions"][0]["document_id"] == "002_bf7472c224a09783"
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["documents"] == 5
    assert client.get("/openapi.json").json()["paths"]["/ask"]
    assert client.get("/docs").status_code == 200


NON_PUBLIC = ("Niederschrift\n\nüber die 9. Sitzung des Ausschusses für Finanzen am 01.03.2023\n\n"
              "Sitzung: öffentlich\n\nTagesordnungspunkt 1:\n\nHaushalt 2023\n\n"
              "Der Ausschuss berät den Haushalt 2023. Die Kreisumlage steigt um 2 Prozent.\n\n"
              "Sitzung: nichtöffentlich\n\nTagesordnungspunkt 2:\n\nGrundstücksankauf Waldstraße\n\n"
              "Der Kreis kauft das Grundstück Waldstraße 12 für 350.000 Euro.")


@pytest.fixture(scope="module")
def private_server(tmp_path_factory, seed_settings, embedder):
    from dataclasses import replace

    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(next(SEEDS_DIR.glob("002_*.txt")), corpus)
    (corpus / "finanzen.txt").write_text(NON_PUBLIC, encoding="utf-8")
    settings = replace(seed_settings, index_dir=tmp_path_factory.mktemp("private-index"))
    build_index([corpus], settings, embedder=embedder)
    assistant = Assistant(SearchIndex(settings, embedder=embedder))
    app = create_app(assistant, AccessPolicy(include_non_public=True, api_key="s3cret"))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def test_non_public_items_need_configuration_and_key(private_server):
    question = {"question": "Wie viel kostet das Grundstück Waldstraße?"}
    anonymous = private_server.post("/ask", json=question).json()
    assert all("Waldstraße 12" not in p["text"] for p in anonymous["passages"])
    assert all("350.000" not in a["context"] for a in anonymous["answers"])
    text = private_server.get("/documents/finanzen").json()["text"]
    assert "Waldstraße" not in text and MASK in text and "Kreisumlage" in text
    items = private_server.get("/documents/finanzen").json()["agenda_items"]
    assert [i["number"] for i in items if i["kind"] == "item"] == ["1"]

    wrong = private_server.post("/ask", json=question, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"

    key = {"X-API-Key": "s3cret"}
    insider = private_server.post("/ask", json=question, headers=key).json()
    assert any("Waldstraße 12" in p["text"] for p in insider["passages"])
    assert "Waldstraße 12" in private_server.get("/documents/finanzen", headers=key).json()["text"]


def test_non_public_items_stay_hidden_without_configuration():
    policy = AccessPolicy(include_non_public=False, api_key="s3cret")
    assert not policy.allows_non_public("s3cret")
    assert not AccessPolicy(include_non_public=True, api_key=None).allows_non_public("")
