"""Question analysis: answer types, focus terms, units, anchors, structured questions."""
from __future__ import annotations

import pytest

from assistant.question import ANSWER_TYPES, analyze_question
from index.analyze import get_analyzer


def terms(word: str) -> set[str]:
    return set(get_analyzer().analyze(word))


@pytest.mark.parametrize("question, expected", [
    # German
    ("Wie viele Case-Management-Stellen sind im Kreis Heinsberg besetzt?", "quantity"),
    ("Wie hoch ist der bewilligte Landeszuschuss?", "quantity"),
    ("Wie viel Geld erhält der Träger?", "quantity"),
    ("Welchen Anteil trägt das Land?", "quantity"),
    ("Welche Kündigungsfrist gilt für die Leistungsvereinbarung?", "quantity"),
    ("Wann fand die konstituierende Sitzung des Beirates statt?", "date"),
    ("Bis wann ist die Landesförderung befristet?", "date"),
    ("Seit wann gilt die Vereinbarung mit dem SKFM?", "date"),
    ("An welchem Tag wurde der Sachstandsbericht behandelt?", "date"),
    ("Um wie viel Uhr begann die Ausschusssitzung am 11.05.2022?", "time"),
    ("Wer leitet das Amt für Altershilfen und Sozialplanung?", "person"),
    ("Welcher Träger betreibt die Beratungsstelle für Frauen mit Gewalterfahrung?", "organisation"),
    ("Bei welchem Ministerium hat das Amt für Soziales nachgefragt?", "organisation"),
    ("Wo sollen die KIM-Stellen künftig untergebracht werden?", "place"),
    ("In welchem Raum kam der Ausschuss zusammen?", "place"),
    ("Was wurde zum Bericht des Zentrums beschlossen?", "decision"),
    ("Welcher Beschluss wurde zum schriftlichen Bericht gefasst?", "decision"),
    ("Welche Themenfelder hat der Beirat benannt?", "list"),
    ("Zu welchen Themen erhält das Kommunale Integrationszentrum Anfragen?", "list"),
    ("Warum ist ein taggleicher Übergang nicht möglich?", "other"),
    # English
    ("How many case-management posts are filled in Kreis Heinsberg?", "quantity"),
    ("How much state funding does the Rhein-Sieg-Kreis receive?", "quantity"),
    ("What share of the personnel costs is subsidised by the state?", "quantity"),
    ("When did the advisory council hold its workshop?", "date"),
    ("Until when does the current electoral term run?", "date"),
    ("Since when has the strategic overhead been fully staffed?", "date"),
    ("By what date does the administration intend to terminate the agreement?", "date"),
    ("What time did the Heinsberg committee meeting of 11 May 2022 end?", "time"),
    ("Who reported to the committee on the women's counselling service?", "person"),
    ("Which organisation's post moves into the KIM?", "organisation"),
    ("Which ministry funds 'Durchstarten in Ausbildung und Arbeit'?", "organisation"),
    ("Where was the new head of the integration centre seated?", "place"),
    ("What was decided on the care home?", "decision"),
    ("What did the district council decide on 24 November 2020?", "decision"),
    ("Which topics should the concept groups deal with?", "list"),
    ("What is the name of the digital information system?", "other"),
])
def test_answer_types(question, expected):
    analysis = analyze_question(question)
    assert analysis.answer_type in ANSWER_TYPES
    assert analysis.answer_type == expected, (question, analysis.answer_type)


def test_language():
    assert analyze_question("Wie viele Stellen sind besetzt?").lang == "de"
    assert analyze_question("How many posts are filled?").lang == "en"


def test_german_focus_terms_are_the_distinguishing_words():
    filled = analyze_question("Wie viele Stellen sind besetzt?")
    assert terms("besetzt") <= set(filled.focus_terms)
    planned = analyze_question("Wie viele Stellen sind geplant?")
    assert terms("geplant") <= set(planned.focus_terms)
    assert not terms("besetzt") & set(planned.focus_terms)
    # a topic adjective is not a focus word ("zur medizinischen Versorgung")
    topic = analyze_question("Wer hat über den Stand der medizinischen Versorgung berichtet?")
    assert terms("berichtet") <= set(topic.focus_terms)
    assert not terms("medizinischen") & set(topic.focus_terms)


@pytest.mark.parametrize("english, german", [
    ("filled", "besetzt"), ("planned", "geplant"), ("funded", "gefördert"),
])
def test_english_key_verbs_map_to_the_german_council_vocabulary(english, german):
    analysis = analyze_question(f"How many case-management posts are {english}?")
    assert terms(german) <= set(analysis.focus_terms)
    assert terms(german) <= set(analysis.terms)


def test_focus_groups_keep_synonyms_together():
    analysis = analyze_question("Wie viele Stellen sind derzeit besetzt?")
    (current,) = [g for g in analysis.focus_groups if "derzeit" in g]
    assert terms("aktuell") <= set(current)  # "derzeit" and "aktuell" count as one focus word


@pytest.mark.parametrize("question, unit", [
    ("Wie hoch ist der Eigenanteil des Kreises in Euro?", "money"),
    ("Wie hoch ist der bewilligte Landeszuschuss?", "money"),
    ("What share of the personnel costs is subsidised?", "percent"),
    ("Wie viele Personalstellen hat die Diakonie besetzt?", "posts"),
    ("How many people work as case managers on site?", "persons"),
    ("How many hours of coaching does the VHS provide?", "hours"),
    ("Welche Kündigungsfrist gilt?", "duration"),
    ("In wie vielen Geschäftsstellen wird das Jobcenter die Anträge bearbeiten?", None),
])
def test_units(question, unit):
    assert analyze_question(question).unit == unit


def test_counted_noun():
    analysis = analyze_question("Wie viele Termine wurden 2021 wahrgenommen?")
    assert terms("Termine") <= set(analysis.counted)
    english = analyze_question("How many additional benefit households does the job centre expect?")
    assert terms("Bedarfsgemeinschaften") <= set(english.counted)


def test_anchors_are_numbers_dates_acronyms_and_english_names():
    german = analyze_question("Wie hoch ist das Budget des KIM im Kreis Heinsberg für das Jahr 2024?")
    assert {"2024", "kim"} <= set(german.anchors)
    english = analyze_question("What did the district council decide on 24 November 2020 about Aachen?")
    assert {"2020-11-24", "aach"} <= set(english.anchors)
    assert "novemb" not in english.anchors  # month names are part of the date, not names


def test_target_noun():
    assert "ministerium" in analyze_question("Bei welchem Ministerium wurde nachgefragt?").target
    assert terms("Leiter") & set(analyze_question("Wer ist der neue Leiter des Zentrums?").target)
    assert "eigenanteil" in analyze_question("Wie hoch ist der Eigenanteil in Euro?").target


@pytest.mark.parametrize("question, special, group", [
    ("Wer war unentschuldigt abwesend?", "absent_unexcused", None),
    ("Who was absent without an excuse from the meeting?", "absent_unexcused", None),
    ("Welches beratende Mitglied war bei der Sitzung entschuldigt abwesend?", "absent_excused",
     "beratende mitglieder"),
    ("Welches Kreistagsmitglied fehlte in der Sitzung?", "absent", "kreistagsmitglieder"),
    ("Which co-opted citizen member did not attend the meeting?", "absent", "sachkundige bürger"),
    ("Wer hat die Niederschrift geführt?", "minutes_taker", None),
    ("Who took the minutes?", "minutes_taker", None),
    ("Wer hat die Sitzung des Ausschusses geleitet?", "chair", None),
    ("Who led the first meeting of the subcommittee?", None, None),  # another meeting
])
def test_structured_questions(question, special, group):
    analysis = analyze_question(question)
    assert (analysis.special, analysis.group) == (special, group)
    if special:
        assert analysis.answer_type == "person"


def test_english_terms_are_limited_to_the_index_vocabulary():
    vocabulary = {"cas", "management", "heinsberg", "kreis"}
    analysis = analyze_question("How many case management posts are filled in Kreis Heinsberg?", vocabulary)
    assert "filled" not in analysis.terms  # an English word: it cannot match German minutes
    assert {"cas", "management", "heinsberg", "besetzt"} <= set(analysis.terms)
