import dataclasses
import datetime as dt
import threading

import pytest

from assistant.conversation import Resolution, SessionStore, known_entities, resolve
from eval.questions import load_jsonl
from eval.retrieval import hit_items, relevant_items
from index.config import PROJECT_ROOT
from index.records import Answer, Filters

BODIES = ["Kreis Heinsberg", "Rhein-Sieg-Kreis", "StädteRegion Aachen"]
COMMITTEES = ["Ausschuss für Gesundheit, Soziales und Generationenfragen",
              "Ausschuss für Soziales, Gesundheit, Senioren und demographische Vielfalt"]
CONVERSATIONS = load_jsonl(PROJECT_ROOT / "eval" / "questions" / "seeds_conversations.jsonl")[1]
# Later turns that the gold set marks as standalone questions on a new topic.
STANDALONE_TURNS = {("c006", 3), ("c009", 2)}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def converse(questions, filters=None, answers=None, store=None):
    """Resolve and record the questions in one session; the resolutions in order."""
    session = (SessionStore() if store is None else store).get(None)
    resolutions = []
    for i, question in enumerate(questions):
        request = filters[i] if isinstance(filters, list) else filters
        resolution = resolve(session, question, request, BODIES, COMMITTEES)
        session.record(question, resolution, answers=(answers or {}).get(i, ()))
        resolutions.append(resolution)
    return resolutions


# ------------------------------------------------------------- gold conversations


def test_known_entities_of_the_seeds(seed_index):
    bodies, committees = known_entities(seed_index.documents.values())
    assert bodies == BODIES
    assert committees == COMMITTEES


@pytest.mark.parametrize("record_answers", [False, True], ids=["no-answers", "gold-answers"])
@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda c: c.id)
def test_every_turn_finds_its_gold_agenda_item(seed_index, conversation, record_answers):
    """Resolve each turn in order, search (hybrid, top 5) with the resolved query and filters,
    and find the turn's gold evidence in a retrieved agenda item. The session records what
    a real pipeline knows after answering: the top hit's agenda item and document, and (in the
    gold-answers run, standing in for a perfect answerer) the first gold answer."""
    bodies, committees = known_entities(seed_index.documents.values())
    session = SessionStore().get(None)
    failures = []
    for number, turn in enumerate(conversation.turns, start=1):
        resolution = resolve(session, turn.question, Filters(), bodies, committees)
        hits = seed_index.search(resolution.query, mode="hybrid", top_k=5, filters=resolution.filters)
        session.record(turn.question, resolution,
                       answers=turn.answers[:1] if record_answers else (),
                       agenda_item_ids=[h.passage.agenda_item_id for h in hits[:1]],
                       document_ids=[h.passage.document_id for h in hits[:1]])
        if number == 1 or (conversation.id, number) in STANDALONE_TURNS:
            assert not resolution.is_followup, (conversation.id, number, resolution.reason)
            assert resolution.query == turn.question
            assert resolution.filters == Filters()
        if turn.unanswerable:
            continue
        gold = relevant_items(seed_index, turn)
        assert gold, (conversation.id, number)
        if not any(hit_items(seed_index, hit) & gold for hit in hits):
            failures.append(f"{conversation.id} turn {number}: {resolution.query!r} "
                            f"{resolution.filters} ({resolution.reason})")
    assert not failures, "\n".join(failures)


def test_the_rhein_sieg_unanswerable_turn_is_kept_out_of_heinsberg(seed_index):
    """c008 turn 3 asks for the Rhein-Sieg Jobcenter's head, which no seed names: the body
    filter keeps the Heinsberg Jobcenter's head (the trap) out of the results."""
    turns = next(c for c in CONVERSATIONS if c.id == "c008").turns
    resolutions = converse([t.question for t in turns])
    last = resolutions[-1]
    assert last.is_followup and last.filters.body == "Rhein-Sieg-Kreis"
    hits = seed_index.search(last.query, mode="hybrid", top_k=5, filters=last.filters)
    assert hits and all(h.passage.document_id == "004_b04a331a870c6ffb" for h in hits)
    assert not any("Trox" in h.passage.text for h in hits)


# ------------------------------------------------------------------ detection


@pytest.mark.parametrize("question", [
    "Und wie viele sollen zunächst besetzt werden?",
    "Wer leitet das?",
    "Wer leitet ihn?",
    "Bis wann ist deren Förderung durch das Land gesichert?",
    "Wie viele Personen sind dort tätig?",
    "Wie viele davon sind unbesetzt?",
    "Was wurde dazu beschlossen?",
    "Wie sieht es im Rhein-Sieg-Kreis aus?",
    "Und im Kreis Heinsberg?",
    "Was ist mit Aachen?",
    "Wann beginnt er?",
    "Welche Aufgaben hat sie?",
    "Wann wurde diese Stelle besetzt?",
    "Förderung?",
    "When does he start?",
    "How many of them are based at the German Red Cross?",
    "And in how many municipalities?",
    "What about Aachen?",
    "Who leads it?",
    "When was that?",
    "Who works there?",
    "What is their budget?",
])
def test_follow_ups_are_detected(question):
    first, follow = converse(["Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?",
                              question])
    assert not first.is_followup
    assert follow.is_followup, follow.reason
    assert "Case-Management-Stellen" in follow.query
    assert follow.query.startswith(question)


@pytest.mark.parametrize("question", [
    "Wie viele Ukrainerinnen und Ukrainer sind im Kreis Heinsberg registriert?",
    "Welcher Träger steht hinter der Suchtberatung, deren Jahresbericht beigefügt war?",
    "Wann hat das KI dazu aufgerufen, dass sich Sprachmittler melden?",
    "Können Sie mir die Zahl der Teilhabemanagement-Stellen im Kreis Heinsberg nennen?",
    "Wer leitet das Kommunale Integrationszentrum der StädteRegion Aachen?",
    "What time did the StädteRegion Aachen committee meeting of 16 June 2021 start?",
    "When did the advisory council for generational issues hold its workshop?",
    "Which groups did the Rhein-Sieg case managers counsel this year?",
    "Are there vacant case management posts in the Rhein-Sieg-Kreis?",
    "Is it true that the state funds twelve case management posts?",
])
def test_standalone_questions_are_not_polluted(question):
    *_, resolution = converse(["Wie viele Mitglieder hat der Beirat für Generationenfragen?",
                               "Und wer leitet ihn im Rhein-Sieg-Kreis?", question])
    assert not resolution.is_followup, resolution.reason
    assert resolution.query == question
    assert resolution.filters == Filters()
    assert resolution.focus_items == ()


def test_no_single_dev_question_is_taken_for_a_follow_up():
    """The single questions of the dev set are self-contained: asked after another question,
    none may pick up the earlier topic (169 questions, de and en)."""
    singles = load_jsonl(PROJECT_ROOT / "eval" / "questions" / "seeds_dev.jsonl")[0]
    session = SessionStore().get(None)
    first = resolve(session, "Wer ist Geschäftsführer des Jobcenters?", None, BODIES, COMMITTEES)
    session.record("Wer ist Geschäftsführer des Jobcenters?", first)
    taken = [(q.id, q.question, r.reason) for q in singles
             for r in [resolve(session, q.question, None, BODIES, COMMITTEES)] if r.is_followup]
    assert len(singles) > 150
    assert not taken


def test_first_question_is_standalone_even_with_cues():
    (resolution,) = converse(["Und wie viele davon sind geplant?"])
    assert not resolution.is_followup
    assert resolution.query == "Und wie viele davon sind geplant?"
    assert resolution.reason == "first question of the session"


def test_weak_check_is_optional_and_bounded():
    session = SessionStore().get(None)
    first = resolve(session, "Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?",
                    None, BODIES, COMMITTEES)
    session.record(first.query, first)
    asked = []

    def weak(query):
        asked.append(query)
        return True

    short = "Welche Fördersumme gilt?"
    assert not resolve(session, short, None, BODIES, COMMITTEES).is_followup
    resolution = resolve(session, short, None, BODIES, COMMITTEES, weak=weak)
    assert resolution.is_followup and "poorly" in resolution.reason and asked == [short]
    # a question that names an entity or has many content terms never asks
    long = "Welche Fördersumme gilt für die Teilhabemanagement-Stellen des Jobcenters?"
    named = "Welche Fördersumme gilt im Rhein-Sieg-Kreis?"
    assert not resolve(session, long, None, BODIES, COMMITTEES, weak=weak).is_followup
    assert not resolve(session, named, None, BODIES, COMMITTEES, weak=weak).is_followup
    assert asked == [short]


# ---------------------------------------------------------- expansion and filters


def test_topic_terms_are_carried_into_a_readable_query():
    _, follow = converse(["Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?",
                          "Und wie viele davon sind geplant?"])
    assert follow.is_followup
    assert follow.query == "Und wie viele davon sind geplant? (Case-Management-Stellen, Kreis Heinsberg)"
    assert "besetzt" not in follow.query  # verbs stay behind: they would pull back to the old answer
    assert follow.topic[:1] == ("Case-Management-Stellen",)


def test_terms_already_asked_for_are_not_repeated():
    _, follow = converse(["Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?",
                          "Und wie viele Case Management Stellen sind geplant?"])
    assert follow.query == "Und wie viele Case Management Stellen sind geplant? (Kreis Heinsberg)"


def test_named_body_replaces_carried_body_and_is_carried_on():
    first, second, third = converse([
        "Wie viele Case-Management-Stellen sind im Kreis Heinsberg aktuell besetzt?",
        "Wie sieht es im Rhein-Sieg-Kreis aus?",
        "Und wie viele Personen sind dort vor Ort tätig?",
    ])
    assert first.filters == Filters()  # standalone: the body stays a query term
    assert second.filters == Filters(body="Rhein-Sieg-Kreis")
    assert "Case-Management-Stellen" in second.query and "Heinsberg" not in second.query
    assert third.filters == Filters(body="Rhein-Sieg-Kreis")
    assert "Rhein-Sieg-Kreis" in third.query and "Case-Management-Stellen" in third.query


@pytest.mark.parametrize("question, body", [
    ("Und in Aachen?", "StädteRegion Aachen"),
    ("What about Rhein-Sieg?", "Rhein-Sieg-Kreis"),
    ("Und wie ist es beim Rhein-Sieg-Kreises?", "Rhein-Sieg-Kreis"),
    ("Und in der StädteRegion Aachen?", "StädteRegion Aachen"),
    ("and in heinsberg?", "Kreis Heinsberg"),
])
def test_short_forms_of_bodies(question, body):
    _, follow = converse(["Wie viele Case-Management-Stellen sind im Rhein-Sieg-Kreis geplant?", question])
    assert follow.filters.body == body
    assert follow.topic[0] == body  # remembered by its canonical name


def test_named_year_sets_a_date_range_and_replaces_the_carried_one():
    _, second, third = converse([
        "Wie viele Case-Management-Stellen waren geplant?",
        "Und 2022?",
        "Und in den Jahren 2020 bis 2021?",
    ])
    assert (second.filters.date_from, second.filters.date_to) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert (third.filters.date_from, third.filters.date_to) == (dt.date(2020, 1, 1), dt.date(2021, 12, 31))
    assert "2022" not in third.query


def test_a_year_inside_a_full_date_is_no_year_filter():
    _, follow = converse(["Wer leitet den Beirat?", "Und was geschah dort am 16.06.2021?"])
    assert follow.is_followup and follow.filters.date_from is None


def test_named_committee_replaces_the_carried_body_and_committee():
    _, second, third = converse([
        "Wie viele Case-Management-Stellen sind geplant?",
        "Und im Kreis Heinsberg?",
        "Und was berichtete man dazu im Ausschuss für Soziales?",
    ])
    assert second.filters.body == "Kreis Heinsberg"
    assert third.filters.committee == COMMITTEES[1] and third.filters.body is None


def test_request_filters_win_and_permissions_are_not_inherited():
    (_, second, third) = converse(
        ["Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?",
         "Wie sieht es im Rhein-Sieg-Kreis aus?",
         "Und wie viele davon sind geplant?"],
        filters=[Filters(include_non_public=True),
                 Filters(body="StädteRegion Aachen", include_non_public=True),
                 Filters(date_from=dt.date(2021, 1, 1))])
    assert second.filters == Filters(body="StädteRegion Aachen", include_non_public=True)
    assert third.filters == Filters(body="StädteRegion Aachen", date_from=dt.date(2021, 1, 1),
                                    include_non_public=False)
    assert "Rhein-Sieg-Kreis" not in third.query  # contradicts the effective body filter


def test_standalone_question_drops_carried_filters():
    _, second, third = converse([
        "Wie viele Case-Management-Stellen sind geplant?",
        "Und im Rhein-Sieg-Kreis?",
        "Wie viele Ukrainerinnen und Ukrainer sind im Kreis Heinsberg registriert?",
    ])
    assert second.filters.body == "Rhein-Sieg-Kreis"
    assert not third.is_followup and third.filters == Filters()


def test_a_name_given_as_answer_resolves_a_personal_pronoun():
    _, follow = converse(["Who is the new head of the integration centre of the StädteRegion Aachen?",
                          "When does he start?"], answers={0: ("Herrn Jan Röder",)})
    assert follow.query.startswith("When does he start? (Jan Röder, ")
    _, other = converse(["Wie viele Mitglieder hat der Beirat?", "Wer leitet ihn?"], answers={0: ("13",)})
    assert "13" not in other.query  # not a name


def test_focus_items_come_from_the_previous_turn():
    session = SessionStore().get(None)
    first = resolve(session, "Wer leitet den Beirat für Generationenfragen?", None, BODIES, COMMITTEES)
    session.record("Wer leitet den Beirat für Generationenfragen?", first,
                   agenda_item_ids=["i1", "i2", "i1"], document_ids=["d1"])
    follow = resolve(session, "Seit wann leitet er ihn?", None, BODIES, COMMITTEES)
    assert follow.is_followup
    assert (follow.focus_items, follow.focus_documents) == (("i1", "i2"), ("d1",))


def test_add_turn_takes_answer_and_hit_records(seed_index):
    session = SessionStore().get(None)
    question = "Wer ist der neue Leiter des Kommunalen Integrationszentrums der StädteRegion Aachen?"
    first = resolve(session, question, None, BODIES, COMMITTEES)
    hits = seed_index.search(first.query, mode="hybrid", top_k=5, filters=first.filters)
    passage = hits[1].passage
    start = passage.text.index(passage.text.split()[0])
    answer = Answer(text="Jan Röder", start=passage.start + start, end=passage.start + start + 9,
                    context=passage.text, context_start=passage.start, context_end=passage.end,
                    score=1.0, passage=passage)
    turn = session.add_turn(question=question, query=first.query, filters=first.filters,
                            answers=[answer], hits=hits)
    assert turn.answers == ("Jan Röder",) and turn.topic == first.topic
    assert turn.agenda_item_ids[0] == passage.agenda_item_id  # what answered comes first
    assert set(turn.agenda_item_ids) == {h.passage.agenda_item_id for h in hits} | {passage.agenda_item_id}
    follow = resolve(session, "Wann fängt er an?", None, BODIES, COMMITTEES)
    assert follow.query.startswith("Wann fängt er an? (Jan Röder, ")
    assert follow.focus_items == turn.agenda_item_ids


def test_empty_store_and_session_are_truthy():
    store = SessionStore()
    assert store and len(store) == 0
    session = store.get(None)
    assert session and len(session) == 0


def test_resolution_is_frozen_and_deterministic():
    questions = ["Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?",
                 "Wie sieht es im Rhein-Sieg-Kreis aus?", "Und wie viele davon sind geplant?"]
    assert converse(questions) == converse(questions)
    with pytest.raises(dataclasses.FrozenInstanceError):
        converse(questions)[0].query = "x"  # type: ignore[misc]


# --------------------------------------------------------------------- sessions


def test_store_creates_new_sessions_for_missing_or_unknown_ids():
    store = SessionStore()
    first = store.get(None)
    assert len(first.id) == 32 and int(first.id, 16) >= 0  # uuid4 hex
    assert store.get(first.id) is first
    unknown = store.get("not-a-session")
    assert unknown.id not in (first.id, "not-a-session")
    assert len(store) == 2


def test_store_evicts_the_least_recently_used_session():
    clock = Clock()
    store = SessionStore(max_sessions=2, clock=clock)
    a, b = store.get(None), store.get(None)
    clock.now += 1
    assert store.get(a.id) is a  # a is now more recent than b
    c = store.get(None)
    assert len(store) == 2
    assert a.id in store and c.id in store and b.id not in store
    assert store.get(b.id) is not b


def test_store_expires_sessions_by_age_since_last_use():
    clock = Clock()
    store = SessionStore(ttl_seconds=60, clock=clock)
    a, b = store.get(None), store.get(None)
    clock.now += 50
    assert store.get(a.id) is a  # used again: its age starts over
    clock.now += 20  # b unused for 70 s, a for 20 s
    assert b.id not in store and a.id in store
    assert store.get(b.id) is not b
    clock.now += 61
    assert store.get(a.id) is not a
    assert len(store) == 1  # b's replacement, unused for 61 s, has expired too


def test_session_keeps_the_most_recent_turns():
    store = SessionStore(max_turns=3)
    session = store.get(None)
    for n in range(5):
        session.record(f"Frage {n}?", Resolution(f"Frage {n}?", Filters(), False, "test"))
    assert [t.question for t in session.turns] == ["Frage 2?", "Frage 3?", "Frage 4?"]
    assert session.last_turn.question == "Frage 4?"


def test_invalid_bounds_are_refused():
    with pytest.raises(ValueError):
        SessionStore(max_sessions=0)
    with pytest.raises(ValueError):
        SessionStore(ttl_seconds=0)


def test_store_is_thread_safe():
    store = SessionStore(max_sessions=8, max_turns=5)
    shared = store.get(None)
    errors = []
    barrier = threading.Barrier(8)

    def worker(n):
        try:
            barrier.wait()
            for i in range(200):
                session = store.get(shared.id if i % 2 else None)
                session.record(f"q{n}-{i}", Resolution(f"q{n}-{i}", Filters(), False, "test"))
                assert len(session.turns) <= 5
                assert len(store) <= 8
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(store) <= 8
    assert len(shared.turns) <= 5


def test_resolving_in_parallel_sessions():
    store = SessionStore()
    questions = ["Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?",
                 "Wie sieht es im Rhein-Sieg-Kreis aus?"]
    expected = converse(questions)
    results = [None] * 8

    def worker(n):
        results[n] = converse(questions, store=store)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r == expected for r in results)
    assert len(store) == 8
