"""The answer step: extractive answers from retrieved passages, without a reader model.

``AnswerExtractor(index).extract(question, hits)`` returns an ``AnswerSet``: up to
``max_answers`` answers (``index.records.Answer``: ``text`` and ``context`` are exact slices
of the document text), or an abstention (``abstained=True``, no answers) when the best score
is below ``ANSWER_THRESHOLD`` (calibrated with ``eval/calibrate_answers.py``, which documents
the trade-off; overridable with ``AnswerExtractor(index, threshold=...)``).

How it works
------------

1. **Question analysis** (``assistant.question.analyze_question``): expected answer type,
   focus words (grouped with their synonyms), content terms, anchors, unit family, target noun.
2. **Candidates**: the sentences (``index.sentences.split_sentences``) of the hit passages
   and of the other passages of the hits' agenda items (retrieval finds the right agenda
   item far more often than the right passage: a passage cut can separate the answer from
   the words the question matches). A short label line ending in ":" is also joined with the
   line after it ("- Uhrzeit:" / "- 16:00"). Attendance, minutes-taker and chair questions
   also read the attendance lists and signature blocks of the hits' documents
   (``attendance_names`` resolves the legend: "+unentschuldigt", "*entschuldigt").
3. **Features** of each candidate, all in [0, 1] (no encoder needed):

   * ``lex``: BM25-IDF-weighted share of the question's content terms found in the sentence
     (half) and in the sentence, its neighbours and its agenda item title (half);
   * ``focus``: share of the focus words (a word and its synonyms count once) found in the
     sentence, or in the lead-in sentence of a list item ("… wie folgt besetzt:"); 0.5 when
     the question has none; a focus word found only after a negation ("nicht gesichert",
     ``NEGATION_WINDOW`` words) counts ``NEGATED_FOCUS_FACTOR`` (0.25), one found only as a
     derivation of the same stem ("besetzt" ~ "Besetzung") ``DERIVED_FOCUS_FACTOR`` (0.4);
   * ``rank``: retrieval rank of the hit, ``1 / (1 + 0.3·(rank − 1))``, times 0.7 for
     sentences from the rest of the agenda item;
   * ``span``: quality of the best typed span (see 5.), 0.5 for untyped questions;
   * ``type`` factor: 1 when the sentence holds a span of the expected type (and unit);
     ``NO_TYPE_FACTOR`` (0.45) when it does not (typed questions, and "web address"
     questions without a URL), ``SECONDARY_KIND_TYPE_FACTOR`` (0.85) for an organisation
     answering a "who" question, ``MISSING_ROLE_FACTOR`` (0.6) when a "who is the
     <role>" question's role is not in the sentence, ``MISSING_OBJECT_FACTOR`` (0.6) when a
     "wer <verb> <thing>" question's thing is not in the sentence, its neighbours or its agenda
     item title ("Wer leitet das Jobcenter …?"), ``NOVELTY_FACTOR`` (0.75) for an untyped
     sentence that only repeats the question (a heading);
   * ``anchor`` factor: the question's numbers, years, dates and acronyms, and names of
     the indexed bodies ("Aachen", "Rhein-Sieg-Kreis"), must be in the sentence or its
     neighbours or the meeting's metadata (body, committee, date, year): ×0.85 (×0.7 for a
     full date) when found only elsewhere in the agenda item, ×0.55 per anchor missing,
     ×0.35 when a body name is missing. This is what separates "the passage is about this"
     from "this answers it" for questions about another body, year or meeting;
   * unknown words: ×0.55 for each capitalised word of a German question that occurs
     nowhere in the index ("Budget", "Köln", "Ansprechperson"): the minutes cannot say it.

4. **Embedding**: the ``answer_sentences`` setting's (6) best candidates by a cheap score (the
   features above) get ``sim``, the cosine of the e5 query and sentence vectors mapped from
   [``SIM_LOW``, ``SIM_HIGH``] to [0, 1]. Sentence vectors come from a memory cache, then the
   index's embedding cache (``embeddings.sqlite``, keyed by model and text), then one
   ``encode_passages`` batch; ``warm_up_sentences()`` encodes the whole index ahead of time.
   The final score::

       score = (0.30·sim + 0.15·lex + 0.25·focus + 0.20·rank + 0.10·span) · type · anchor

   (structured attendance/signature answers score at least ``(0.6 + 0.4·sim) · anchor``).
5. **Span**: among the typed spans of the best sentence, the one whose neighbourhood best
   matches the question: question words weighted by idf (focus ×2, counted noun ×1.5, target
   noun ×3; "im Kreis Heinsberg" ×0.2, it names the meeting), closeness by word distance,
   a bracket counts as one word and its contents only for spans inside it, words in another
   clause count 0.4, a date introduced by "vom" belongs to the noun before it; bonuses for
   the counted noun as unit, the target noun, an apposition ("den neuen Leiter …, Herrn Jan
   Röder"), a day for "which date"; a span inside brackets counts 0.85 unless the question
   names something in the brackets ("… und 0,5 Stellen bei der Diakonie" for a Diakonie
   question). A span the question already names (its date, its person) is never the answer.
   Without a typed span the answer is the whole sentence.
6. **Several answers**: best first, while the score is at least the threshold and within
   ``SECOND_ANSWER_MARGIN`` (0.12) of the best, or within ``OTHER_MEETING_MARGIN`` (0.25) for
   a meeting that has not answered yet (1,5 Stellen in Heinsberg 2022 and 10 VZÄ in the
   Rhein-Sieg-Kreis 2023 are both shown). The same sentence in a duplicate copy is one
   answer (``also_in``); the same answer text from another sentence of the same meeting is
   dropped.

Recognisers (``find_spans``) are regular expressions over a sentence and return offsets:
quantities (numbers and number words with modifiers — "rund", "weit über", "mindestens" —
and a unit or counted noun; references such as "TOP 21", "§ 16", "Folie 2" are not
quantities), dates (numeric, written, "Anfang Juni", "im September", "bis 2025", ranges, with
their preposition), times, persons (titles and roles with names, "Nachname, Vorname" lines,
"des Landrates"), organisations (e. V., ministries, Ämter, Behörden, Zentren, acronyms,
coordinations), places, decisions (after "Beschluss:", "zur Kenntnis genommen", the clause
after "beschlossen/beauftragt/gebeten/beabsichtigt"), lists (quoted items, the enumeration
after a colon or "nämlich", comma lists).

Speed: about 30-40 ms per question on the 2-core CPU when the sentence vectors are cached
(the query vector comes from the search index's query cache, so it is encoded once per
question); a question whose 16 sentences are all new waits for the encoder (0.4-0.7 s on
the shared 2-core machine).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from assistant.question import UNIT_PATTERNS, QuestionAnalysis, analyze_question
from index.bm25 import IdfTable
from index.records import AgendaItem, Answer, Document, DocumentInfo, Hit, Passage
from index.retrieve import SearchIndex
from index.sentences import split_sentences
from index.store import EMBEDDING_CACHE, EmbeddingCache

log = logging.getLogger(__name__)

ANSWER_THRESHOLD = 0.42  # calibrated with eval/calibrate_answers.py (see its docstring)
SIM_LOW, SIM_HIGH = 0.72, 0.90
NO_TYPE_FACTOR = 0.45
MISSING_ANCHOR_FACTOR = 0.55
MISSING_BODY_FACTOR = 0.35
UNKNOWN_WORD_FACTOR = 0.55  # per noun or name of a German question that the index never mentions
ITEM_ANCHOR_FACTOR = 0.85
ITEM_DATE_ANCHOR_FACTOR = 0.7  # a full date in the question should be in or next to the sentence
SECONDARY_KIND_TYPE_FACTOR = 0.85
MISSING_ROLE_FACTOR = 0.6  # person questions naming a role ("Geschäftsführer") the sentence lacks
MISSING_OBJECT_FACTOR = 0.6  # "wer <verb> <thing>" questions whose thing the sentence lacks
BODY_TERM_FACTOR = 0.2
PART_MATCH_FACTOR = 0.5  # a sentence word that matches only a compound part of a question word
OTHER_CLAUSE_FACTOR = 0.4
ATTACHED_FACTOR = 0.5  # question words in another clause of the sentence count less
PARENTHESIS_FACTOR = 0.85  # a span inside brackets is a detail, unless the question names it
SECOND_ANSWER_MARGIN = 0.12  # further answers from a meeting that already answered
OTHER_MEETING_MARGIN = 0.25  # answers from other meetings/bodies ("1,5 Stellen" 2022, "10 VZÄ" 2023)
EXPANDED_RANK_FACTOR = 0.7
# Candidates come from the hit's whole agenda item when it has at most this many passages
# (every item of the seeds), else from this many passages on either side of the hit: a
# 90-passage plenary debate would otherwise put thousands of sentences through the scorer.
WHOLE_ITEM_MAX_PASSAGES = 12
NEIGHBOUR_PASSAGES = 2
MAX_ENCODED_WORDS = 80  # longer sentences are cut for the encoder (speed; meaning is early)
WEIGHTS = {"sim": 0.30, "lex": 0.15, "focus": 0.25, "rank": 0.20, "span": 0.10}
NOVELTY_FACTOR = 0.75  # a sentence that only repeats the question (a heading) answers nothing
TYPED = ("quantity", "date", "time", "person", "organisation", "place", "decision", "list")
REPEAT_FACTOR = 0.6  # a follow-up's candidate that repeats the previous turn's answer
FOCUS_ITEM_FACTOR = 1.05  # a follow-up's candidate from an agenda item that answered the previous turn
NEAR_PREVIOUS_FACTOR = 1.08  # ... close to the previous answer (same document, NEAR_PREVIOUS_CHARS)
NEAR_PREVIOUS_CHARS = 600
NEGATED_FOCUS_FACTOR = 0.25  # a focus word found only negated ("nicht gesichert") hardly matches
NEGATION_WINDOW = 2  # a negator at most this many words before the word
DERIVED_FOCUS_FACTOR = 0.4  # a focus word found only as a derivation ("besetzt" ~ "Besetzung"):
# weak, "besetzt" (filled) is not "die Besetzung von 6,0 Stellen" (the planned filling)
BREAKDOWN_FACTOR = 0.9  # a follow-up's span in the brackets right after the previous answer
REFERENT_FACTOR = 1.15  # ... naming the topic a non-person anaphor refers to ("ihn" -> der Beirat)
ENTITY_FACTOR = 1.08  # ... naming the entity a personal anaphor refers to ("he" -> Jan Röder)


@dataclass(frozen=True)
class TurnContext:
    """What a follow-up question knows about the conversation (``extract(..., context=...)``).

    ``question``: the follow-up as asked (the resolved query, with carried topic terms, is the
    ``question`` argument of ``extract``); ``previous``: the previous turn's question analysis;
    ``answers``: the previous turn's answers (best first); ``focus_items`` /
    ``focus_documents``: agenda items and documents that answered the previous turn;
    ``entity``: the previous answer a personal anaphor refers to ("he" -> "Jan Röder");
    ``anaphor``: the follow-up has a personal anaphor ("Wer leitet ihn?"); without an
    ``entity`` it refers to the previous question's topic (``AnswerExtractor.referent_terms``).
    """

    question: str
    previous: QuestionAnalysis | None = None
    answers: tuple[Answer, ...] = ()
    focus_items: tuple[str, ...] = ()
    focus_documents: tuple[str, ...] = ()
    entity: str | None = None
    anaphor: bool = False


@dataclass
class AnswerSet:
    answers: list[Answer]
    abstained: bool
    best_score: float
    analysis: QuestionAnalysis
    seconds: float = 0.0  # time spent in extract()


# =============================================================================== spans


@dataclass(frozen=True)
class Span:
    start: int  # offsets relative to the sentence text
    end: int
    kind: str  # answer type
    unit: str = ""  # quantity: the unit or counted noun text


_MONTH = r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)"
_NUMERIC_DATE = r"\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})(?![\d])"
_WRITTEN_DATE = rf"\d{{1,2}}\.\s?{_MONTH}(?:\s+\d{{4}})?"
_PART_MONTH = rf"(?:Anfang|Mitte|Ende)\s+{_MONTH}(?:\s+\d{{4}})?"
_MONTH_YEAR = rf"{_MONTH}\s+\d{{4}}"
_YEAR = r"(?:19|20)\d{2}(?!\d)"
_SINGLE_DATE = (rf"(?:{_NUMERIC_DATE}|{_WRITTEN_DATE}|{_PART_MONTH}|{_MONTH_YEAR}"
                rf"|(?:Anfang|Mitte|Ende)\s+{_YEAR})")
_DATE_PREP = r"(?:(?:bis\s+zum|bis\s+zur|bis\s+Ende|bis|seit\s+dem|seit|ab\s+dem|ab|zum|vom|am|im|von|für\s+den)\s+)"
_DATE_RE = re.compile(
    rf"(?<![\w.])(?:"
    rf"(?:von\s+)?{_SINGLE_DATE}\s+bis\s+(?:zum\s+)?{_SINGLE_DATE}"  # a range
    rf"|{_DATE_PREP}?{_SINGLE_DATE}"
    rf"|(?:im|ab|seit|bis|bis\s+Ende|Anfang|Mitte|Ende)\s+{_MONTH}(?!\w)"
    rf"|(?:im\s+Jahr|in|bis|seit|ab|bis\s+Ende|Jahr)\s+{_YEAR}"
    rf"|\({_YEAR}\)"
    rf"|(?:ab|im|bis|seit|in)\s+(?:nächstem|nächsten|kommenden|diesem|vergangenen)\s+(?:Jahr|Monat|Woche)"
    rf")(?![\w])")
_TIME_RE = re.compile(r"(?<![\w.:])(?:(?:um|ab|bis|gegen)\s+)?(?:(?:[01]?\d|2[0-3]):[0-5]\d(?:\s?Uhr)?"
                      r"|(?:[01]?\d|2[0-3])(?:\.[0-5]\d)?\s?Uhr)(?![\w])")

_NUMBER_WORDS = ("zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig dreißig vierzig "
                 "fünfzig hundert tausend").split()
_NUMBER = re.compile(
    r"(?<![\w.,:/§-])(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?)(?![\w/]|[.,:]\d|-)"
    r"|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b|\b(?:eine?|einer|einem)\b(?=\s+(?:Stelle|Person|VZÄ|"
    r"Vollzeitstelle|Personalstelle))",
    re.IGNORECASE)
_MODIFIER = re.compile(r"(?:(?:weit\s+)?über|rund|ca\.|circa|etwa|mindestens|höchstens|maximal|knapp|"
                       r"mehr\s+als|weniger\s+als|bis\s+zu|insgesamt|nur|fast|gut|zusätzlich)\s+$",
                       re.IGNORECASE)
_REFERENCE = re.compile(r"(?:§|§§|Abs\.|TOP|Vorlage|Folie|Baustein|Förderbaustein|Förderbausteine|Modul|"
                        r"Module|Anlage|Nr\.|Ziffer|Stufe|Phase|Punkt|Tagesordnungspunkt|Ö|A|Artikel|"
                        r"Art\.|SGB|Kapitel|Seite|KIM-Baustein|Bausteinen|Folien|Sitzung|BÜNDNIS|COVID)\s*$")
_UNIT_TOKEN = re.compile(r"\s?(?:%|€|Euro\b|EUR\b|Mio\.\s?€|Mio\.\s?Euro|Tsd\.\s?€|VZÄ\b)")
_WORD_TOKEN = re.compile(r"[^\W\d_][\w*’'-]*\.?|\d[\d.,]*")
_ADJECTIVE = re.compile(r"[a-zäöüß][\w-]*(?:e|en|er|es|em)$")

_TITLE = r"(?:Herrn?|Frau|Dr\.|Prof\.)"
_ROLE = (r"(?:Landrat|Landrates|Landrats|Landrätin|Sozialdezernentin|Sozialdezernent|Dezernentin|Dezernent|"
         r"Ausschussvorsitzende[rn]?|Vorsitzende[rn]?|Bürgermeister(?:in)?|Oberbürgermeister(?:in)?|"
         r"Amtsleiter(?:in)?|Geschäftsführer(?:in)?|Kreisdirektor(?:in)?|Beigeordnete[r]?|"
         r"SRTM|SkB|sB|StR|RM|KTM)")
_NAME_WORD = r"(?!(?:Herrn?|Frau|Dr|Prof|Die|Der|Das|Den|Dem|Im|In|Am|Zum|Zur)\b)[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)*"
_PARTICLE = r"(?:van\s+der|van|von\s+der|von|de|zu)\s+"
_PERSON_RE = re.compile(
    rf"{_TITLE}\s+(?:(?:{_ROLE}|Dr\.|Prof\.)\s+)*(?:{_PARTICLE})?{_NAME_WORD}(?:\s+{_NAME_WORD}(?![\w-]))?"
    rf"|(?<!\w){_ROLE}\s+(?:Dr\.\s+)?(?:{_PARTICLE})?{_NAME_WORD}"
    rf"|(?<=\b(?:des|der|dem|die)\s)(?:Landrates|Landrats|Landrat|Landrätin|Bürgermeisters|Bürgermeisterin|"
    rf"Kreisdirektors|Oberbürgermeisters)\b")
_NAME_LINE = re.compile(r"^(?:{p})?[A-ZÄÖÜ][\w'’-]+(?: [A-ZÄÖÜ][\w'’-]+)?, [A-ZÄÖÜ][\w'’-]+(?:[ -][A-ZÄÖÜ][\w'’-]+)?"
                        r"(?:, Dr\.)?".format(p=_PARTICLE))

_ORG_HEAD = (
    r"(?:(?=[A-ZÄÖÜ])[\w-]*(?i:amt|amtes|amts|ämter|ämtern|behörde|behörden|zentrum|zentrums|kammer|vereinigung|verband|"
    r"verbände|verbänden|gesellschaft|ministerium|ministeriums|dienst|dienstes|center|centers|träger|trägern|"
    r"ausschuss|ausschusses|kreistag|kreistages|fraktion|arbeitsgemeinschaft|landesregierung|"
    r"volkshochschule|landschaftsverband|beirat|beirates|jobcenter|jobcenters|krankenhäuser|diakonie|caritas)\b"
    r"|Ausländer-\s+und\s+Einbürgerungsbehörde"
    r"|Deutsche[nm]?\s+Rote[nm]?\s+Kreuz(?:es)?(?:\s+Kreisverband\s+[A-ZÄÖÜ]\w+)?(?:\s+e\.\s?V\.)?"
    r"|Kassenärztliche[rn]?\s+Vereinigung|Kommunale[sn]?\s+Integrationszentrum[s]?"
    r"|[A-ZÄÖÜ]{2,6}(?:[-/][A-ZÄÖÜ]{2,6})?(?![\w-]))")
_NOT_ORG_ACRONYM = {"SGB", "KIM", "VZÄ", "CM", "NRW", "TOP", "II", "III", "IV", "XII", "UKR", "COVID", "GG",
                    "KI", "EBH", "ABH", "PDF", "URL", "SKB", "SRTM", "SB", "RM", "KTM", "StR", "OB", "EU"}
_ORG_RE = re.compile(
    rf"(?:[A-Z]{{1,3}}\s?\d{{1,3}}\s+-\s+)?"  # an office code: "A 46 - "
    rf"(?:(?:[A-ZÄÖÜ][a-zäöü]+(?:es|er|en|e))\s+)?"  # a capitalised adjective: "Kommunales"
    rf"{_ORG_HEAD}"
    rf"(?:\s+e\.\s?V\.)?(?:\s+(?:Region|Kreisverband)\s+[A-ZÄÖÜ]\w+)?(?:\s+e\.\s?V\.)?"
    rf"(?:\s+(?:für|zur|zum)\s+[A-ZÄÖÜ][\w-]*(?:(?:,\s+|\s+und\s+|\s+sowie\s+)[A-ZÄÖÜ][\w-]*)*)?"
    rf"(?:\s+(?:des|der)\s+(?:Kreises|StädteRegion|Stadt|Landes|Städteregion)(?:\s+[A-ZÄÖÜ][\w-]+)?)?"
    rf"(?:\s+\([A-ZÄÖÜ]{{2,8}}\))?"
    rf"(?:\s?/\s?[A-ZÄÖÜ]{{2,6}})?")
_PLACE_HEAD = (r"(?=[A-ZÄÖÜ])[\wÄÖÜäöüß-]*(?i:saal|raum|räume|räumen|raumes|haus|hauses|gebäude|gebäudes|rathaus|"
               r"arkaden|halle|zimmer|kommunen|gemeinden|städten|kreishaus|kreishauses|sitzungssaal|standort|"
               r"standorten)\b")
_PLACE_RE = re.compile(
    rf"(?:\b(?:im|in\s+der|in\s+den|in\s+dem|in|auf\s+dem|am|beim|bei\s+den|bei\s+der|vor)\s+)"
    rf"(?:(?:[a-zäöüß]+(?:e|en|er|es|em)|[A-ZÄÖÜ][a-zäöüß]+(?:e|en|er|es|em)|\d+)\s+){{0,2}}"
    rf"(?:{_PLACE_HEAD}|[A-ZÄÖÜ][a-zäöüß]+(?=\s*[.,;)]|\s*$))"
    rf"(?:\s+(?:des|der)\s+(?:[A-ZÄÖÜ][\w-]+)(?:\s+[A-ZÄÖÜ][\w-]+)?)?"
    rf"|\bStadt\s+[A-ZÄÖÜ][a-zäöüß]+")
_DECISION_LABEL = re.compile(r"Beschluss(?:vorschlag)?\s*:\s*(?:-\s*)?(?P<rest>\S.*)", re.DOTALL)
_TOOK_NOTE = re.compile(r"zur\s+Kenntnis(?:\s+genommen)?")
_DECISION_CUE = re.compile(r"\b(?:beschlossen|beschließt|beauftragt|gebeten|beabsichtigt|entschieden|"
                           r"vereinbart|festgelegt|empfiehlt|empfohlen)\b[,:]?\s+(?:(?:dass|die\s+Verwaltung)\s+)?")
_DECISION_FINAL = re.compile(r"\b(?:zugestimmt|abgelehnt|genehmigt|beschlossen|angenommen|zurückgestellt|"
                             r"vertagt|bestätigt|gewählt)\b")
_AUXILIARY_START = re.compile(r"(?:worden|wurde|wurden|sei|seien|hat|habe|ist|war|werden|wird)\b")
_QUOTED_LIST = re.compile(r"„[^“”„]{1,120}[“”](?:\s*(?:,|und|sowie|oder)\s*„[^“”„]{1,120}[“”])+")
_LIST_CUE = re.compile(r"(?:\bnämlich\b|\bunter\s+anderem\b|\bu\.\s?a\.|\binsbesondere\b|:)\s*")
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>()]+|\b[\w-]+(?:\.[\w-]+)*\.(?:de|com|org|nrw|net|eu)\b(?:/[^\s<>()]*)?")


def _strip_trailing(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in " \t\n.,;:)(*_\"“”„":
        if text[end - 1] == ")" and "(" in text[start:end - 1]:
            break
        if text[end - 1] in "“”\"" and "„" in text[start:end - 1]:
            break
        end -= 1
    while start < end and text[start] in " \t\n-*_•":
        start += 1
    return start, end


def _quantity_spans(text: str, exclude: list[tuple[int, int]]) -> list[Span]:
    spans: list[Span] = []
    for match in _NUMBER.finditer(text):
        start, end = match.start(), match.end()
        if any(a < end and start < b for a, b in exclude):
            continue
        before = text[max(0, start - 40):start]
        if _REFERENCE.search(before):
            continue
        after = text[end:end + 3]
        if re.match(r"\.\s+[A-ZÄÖÜa-zäöü]", after) and match.group()[0].isdigit():
            continue  # an ordinal or list number: "6. Sitzung", "1. Halbjahr"
        digits = match.group()
        if re.fullmatch(r"(?:19|20)\d{2}", digits):
            continue  # a year
        unit_text = ""
        unit = _UNIT_TOKEN.match(text, end)
        if unit:
            end = unit.end()
            unit_text = unit.group().strip()
        else:
            # up to two adjectives, then a noun (capitalised word or acronym)
            pos = end
            for _ in range(3):
                token = re.match(r"\s+([^\s,;:()]+)", text[pos:])
                if not token:
                    break
                word = token.group(1)
                if word[:1].isupper() or word.startswith("„"):
                    noun_end = pos + token.end()
                    # "Case Management-Stellen": a capitalised hyphenated continuation
                    more = re.match(r"\s+([A-ZÄÖÜ][\w]*-[\w-]+)", text[noun_end:])
                    if more:
                        noun_end += more.end()
                    unit_text = text[end:noun_end].strip()  # with its adjectives
                    end = noun_end
                    break
                if _ADJECTIVE.fullmatch(word.rstrip(".")) and word not in ("die", "der", "den", "des",
                                                                           "eine", "einer", "einen"):
                    pos += token.end()
                    continue
                break
        while end > start and text[end - 1] in ".,;:*_“”\"":
            end -= 1
        modifier = _MODIFIER.search(text[max(0, start - 25):start])
        if modifier:
            start = max(0, start - 25) + modifier.start()
        spans.append(Span(start, end, "quantity", unit_text))
    return spans


def _date_spans(text: str) -> list[Span]:
    return [Span(*_strip_trailing(text, m.start(), m.end()), "date") for m in _DATE_RE.finditer(text)]


def _time_spans(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "time") for m in _TIME_RE.finditer(text)]


def _person_spans(text: str) -> list[Span]:
    spans = [Span(m.start(), m.end(), "person") for m in _PERSON_RE.finditer(text)]
    stripped = text.strip()
    line = _NAME_LINE.match(stripped)
    if line and len(stripped) < 60:
        offset = text.index(stripped)
        spans.append(Span(offset, offset + line.end(), "person"))
    return spans


def _organisation_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _ORG_RE.finditer(text):
        value = match.group()
        head = re.fullmatch(r"[A-ZÄÖÜ]{2,6}", value)
        if head and value in _NOT_ORG_ACRONYM:
            continue
        start, end = _strip_trailing(text, match.start(), match.end())
        if end > start:
            spans.append(Span(start, end, "organisation"))
    # coordinated organisations: "Ärztekammer und Kassenärztlicher Vereinigung"
    joined: list[Span] = []
    for left, right in zip(spans, spans[1:]):
        if re.fullmatch(r"\s*(?:und|sowie|/)\s*", text[left.end:right.start]):
            joined.append(Span(left.start, right.end, "organisation"))
    return spans + joined


def _place_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _PLACE_RE.finditer(text):
        start, end = _strip_trailing(text, match.start(), match.end())
        if end <= start:
            continue
        if spans and not text[spans[-1].end:start].strip():  # "in neuen Räumen in den Aachen-Arkaden"
            spans.append(Span(spans[-1].start, end, "place"))
        spans.append(Span(start, end, "place"))
    return spans


def _decision_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    label = _DECISION_LABEL.search(text)
    if label:
        spans.append(Span(*_strip_trailing(text, label.start("rest"), len(text)), "decision"))
    for match in _TOOK_NOTE.finditer(text):
        spans.append(Span(match.start(), match.end(), "decision"))
    for match in _DECISION_CUE.finditer(text):
        rest = text[match.end():]
        if len(rest.split()) < 4 or _AUXILIARY_START.match(rest):
            spans.append(Span(*_strip_trailing(text, 0, len(text)), "decision"))
        else:
            spans.append(Span(*_strip_trailing(text, match.end(), len(text)), "decision"))
    if not spans and _DECISION_FINAL.search(text):
        spans.append(Span(*_strip_trailing(text, 0, len(text)), "decision"))
    return [s for s in spans if s.end > s.start]


def _list_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _QUOTED_LIST.finditer(text):
        spans.append(Span(match.start(), match.end(), "list"))
    for match in _LIST_CUE.finditer(text):
        rest = text[match.end():]
        if ("," in rest or re.search(r"\b(?:und|sowie|oder|bzw\.)\b", rest)) and len(rest.split()) >= 3:
            spans.append(Span(*_strip_trailing(text, match.end(), len(text)), "list"))
    # "A, B, C und D": two commas at least, or one comma and a final "und"/"sowie"
    commas = [m.start() for m in re.finditer(r",\s", text)]
    if commas and (len(commas) >= 2 or re.search(r"\b(?:und|sowie)\b", text[commas[0]:])):
        first = commas[0]
        tokens = list(re.finditer(r"\S+", text[:first]))
        start = first
        for token in reversed(tokens):
            word = token.group().strip("(„“")
            if word[:1].isupper() or word[:1].isdigit() or _ADJECTIVE.fullmatch(word) or word in _NUMBER_WORDS:
                start = token.start()
                continue
            if word in ("der", "des", "die", "den", "dem") and start < first:
                start = token.start()
                continue
            break
        # end: the closing bracket, "usw." or the end of the sentence
        stop = re.search(r"\s+usw\.|\s+etc\.|\)", text[first:])
        end = first + stop.start() if stop else len(text)
        start, end = _strip_trailing(text, start, end)
        if end > start and start < first:
            spans.append(Span(start, end, "list"))
    return spans


def find_spans(text: str, kind: str) -> list[Span]:
    """Spans of one answer type in a sentence, as offsets into ``text``, in text order of
    discovery, without repeats."""
    seen: set[tuple[int, int]] = set()
    unique = []
    for span in _find_spans(text, kind):
        if (span.start, span.end) not in seen:
            seen.add((span.start, span.end))
            unique.append(span)
    return unique


def _find_spans(text: str, kind: str) -> list[Span]:
    if kind == "quantity":
        exclude = [(s.start, s.end) for s in _date_spans(text) + _time_spans(text)]
        exclude += [(m.start(), m.end()) for m in re.finditer(r"\d{1,2}\.\d{1,2}\.\d{2,4}|\d+-\w+|\w+-\d+", text)]
        return _quantity_spans(text, exclude)
    if kind == "date":
        return _date_spans(text)
    if kind == "time":
        return _time_spans(text)
    if kind == "person":
        return _person_spans(text)
    if kind == "organisation":
        return _organisation_spans(text)
    if kind == "place":
        return _place_spans(text)
    if kind == "decision":
        return _decision_spans(text)
    if kind == "list":
        return _list_spans(text)
    return []


# Which span kinds answer which question type (the first kind is preferred).
ACCEPTED_KINDS = {
    "quantity": ("quantity",),
    "date": ("date",),
    "time": ("time",),
    "person": ("person", "organisation"),
    "organisation": ("organisation", "person"),
    "place": ("place", "organisation"),
    "decision": ("decision",),
    "list": ("list",),
}
_SECONDARY_KIND_FACTOR = 0.8


# =========================================================================== extractor


@dataclass
class _Candidate:
    document_id: str
    start: int
    end: int
    passage: Passage
    rank: int
    in_hit: bool
    item_id: str
    window: tuple[int, int] = (0, 0)  # the sentence with its neighbours (for lexical overlap)
    lead: tuple[int, int] | None = None  # the sentence ending in ":" that introduces this list item
    structured: str | None = None  # attendance / signature answers
    forced_span: tuple[int, int] | None = None  # absolute offsets of a structured answer
    features: dict = field(default_factory=dict)
    score: float = 0.0
    span: Span | None = None


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class AnswerExtractor:
    """Extractive answers over a ``SearchIndex``; one instance serves many questions."""

    def __init__(self, index: SearchIndex, threshold: float | None = None,
                 max_sentences: int | None = None, persist_vectors: bool = True) -> None:
        self.index = index
        self.threshold = ANSWER_THRESHOLD if threshold is None else threshold
        self.max_sentences = max_sentences or index.settings.answer_sentences
        self.analyzer = index.analyzer
        self.embedder = index.embedder
        self.sentence_backend = index.settings.sentence_backend or self.embedder.backend_for("passage")
        self._idf = IdfTable(index.bm25)
        self._max_idf = self._idf.max_idf
        self.vocabulary = index.bm25.vocabulary
        self._body_terms = self._bodies()
        self._meeting_terms = _LRU(10_000)
        self._items_by_document: dict[str, list[AgendaItem]] = {}
        for item in index.items.values():
            self._items_by_document.setdefault(item.document_id, []).append(item)
        self._terms_cache = _LRU(200_000)
        self._tokens_cache = _LRU(50_000)
        self._sentences = _LRU(50_000)  # passage id -> (sentence spans, candidate spans)
        self._spans_cache = _LRU(100_000)
        self._item_terms = _LRU(20_000)
        self._vectors = _LRU(50_000)
        self._lock = threading.Lock()
        self._disk_cache = None
        if persist_vectors:
            try:
                self._disk_cache = EmbeddingCache(index.settings.cache_dir / EMBEDDING_CACHE,
                                                  self.embedder.name_for(self.sentence_backend))
            except Exception as exc:  # a read-only cache folder must not break answering
                log.warning("sentence vectors will not be cached on disk: %s", exc)

    # ------------------------------------------------------------------ context

    def _bodies(self) -> frozenset[str]:
        generic = set(self.analyzer.analyze("Kreis Stadt Region Gemeinde Landkreis Städteregion Kommune"))
        generic -= {"stadteregion"}
        terms: set[str] = set()
        for document in self.index.documents.infos():
            if document.meeting.body:
                terms.update(t for t in self.analyzer.analyze(document.meeting.body)
                             if t not in generic and not t[:1].isdigit())
        return frozenset(terms)

    def _meeting_context_of(self, document_id: str) -> frozenset[str]:
        return self._meeting_terms.get_or(
            document_id, lambda: self._meeting_context(self.index.documents.info(document_id)))

    def _meeting_context(self, document: Document | DocumentInfo) -> frozenset[str]:
        meeting = document.meeting
        parts = [meeting.body or "", meeting.committee or "", document.title or ""]
        terms = set(self.analyzer.analyze(" ".join(parts)))
        if meeting.date:
            terms.add(meeting.date.isoformat())
            terms.add(str(meeting.date.year))
        year = meeting.date.year if meeting.date else meeting.year
        if year:
            terms.add(str(year))
        if meeting.number:
            terms.add(str(meeting.number))
        return frozenset(terms)

    def terms(self, text: str) -> frozenset[str]:
        """Analysed terms of a text, with the year of every date added ("2022-05-11" -> "2022")."""
        def make():
            found = set(self.analyzer.analyze(text))
            found |= {t[:4] for t in found if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t)}
            return frozenset(found)
        return self._terms_cache.get_or(text, make)

    def _item_title_terms(self, item_id: str) -> frozenset[str]:
        item = self.index.items.get(item_id)
        return self.terms(item.title) if item is not None and item.title else frozenset()

    def _item_context(self, item_id: str) -> frozenset[str]:
        """Terms of a whole agenda item and its title (cached per item). Items with passages
        take the terms stored in the index (their passages cover the item's sentences):
        analysing a 90-passage debate again would cost more than the rest of the answer."""
        def make():
            item = self.index.items[item_id]
            rows = self.index.passages.rows_of_item(item_id)
            if len(rows):
                found = self.index.passages.stored_terms(rows) | set(self._item_title_terms(item_id))
            else:
                text = self.index.documents[item.document_id].text[item.start:item.end]
                found = set(self.analyzer.analyze(text + " " + (item.title or "")))
            found |= {t[:4] for t in found if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t)}
            return frozenset(found)
        return self._item_terms.get_or(item_id, make)

    # ------------------------------------------------------------------ vectors

    def _query_vector(self, question: str) -> np.ndarray:
        return self.index.query_vector(question)

    def sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """e5 passage vectors of sentences: memory cache, disk cache, then one encoder batch."""
        keys = [_encoder_text(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for key in dict.fromkeys(keys):
            if key in self._vectors:
                found[key] = self._vectors.get_or(key, lambda: None)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing and self._disk_cache is not None:
            try:
                stored = self._disk_cache.get_many(missing)
            except Exception:  # the cache is an optimisation only
                stored = {}
            for key in missing:
                vector = stored.get(self._disk_cache.key(key))
                if vector is not None:
                    found[key] = vector
            missing = [k for k in missing if k not in found]
        if missing:
            encoded = self.embedder.encode(missing, "passage", self.sentence_backend)
            found.update(zip(missing, encoded))
            if self._disk_cache is not None:
                try:
                    self._disk_cache.put_many(missing, encoded)
                except Exception as exc:
                    log.debug("could not store sentence vectors: %s", exc)
        for key, vector in found.items():
            self._vectors.get_or(key, lambda v=vector: v)
        if not keys:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def _passage_sentences(self, passage: Passage) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The sentences of a passage, and the candidate spans: the sentences plus each short
        label line ending in ":" joined with the line after it ("- Uhrzeit:" / "- 16:00")."""
        def make():
            text = self.index.documents[passage.document_id].text
            sentences = split_sentences(text, passage.start, passage.end)
            spans = list(sentences)
            for (s1, e1), (s2, e2) in zip(sentences, sentences[1:]):
                if text[e1 - 1] == ":" and e1 - s1 <= 40 and "\n\n" not in text[e1:s2] and e2 - s2 <= 200:
                    spans.append((s1, e2))
            return sentences, spans
        return self._sentences.get_or(passage.id, make)

    def clear_caches(self, sentences: bool = False) -> None:
        """Forget cached query vectors (and, with ``sentences``, every per-sentence cache:
        vectors in memory, terms, tokens, spans). For timing; the disk cache is kept."""
        self.index.clear_query_cache()
        if sentences:
            for cache in (self._vectors, self._terms_cache, self._tokens_cache, self._spans_cache,
                          self._sentences, self._item_terms):
                cache.clear()

    def warm_up_sentences(self, batch: int = 256) -> int:
        """Encode every candidate sentence of the index once, so that answering never waits
        for the encoder (vectors go to the memory and disk caches); returns the count.
        Costs about 20-25 ms per sentence on a 2-core CPU; run it after indexing."""
        texts: list[str] = []
        for passage in self.index.passages:
            text = self.index.documents[passage.document_id].text
            texts.extend(text[s:e] for s, e in self._passage_sentences(passage)[1])
        texts = list(dict.fromkeys(texts))
        for offset in range(0, len(texts), batch):
            self.sentence_vectors(texts[offset:offset + batch])
        return len(texts)

    # ------------------------------------------------------------------ candidates

    def _candidates(self, hits: list[Hit], analysis: QuestionAnalysis) -> list[_Candidate]:
        found: dict[tuple[str, int, int], _Candidate] = {}

        def add(passage: Passage, rank: int, in_hit: bool) -> None:
            text = self.index.documents[passage.document_id].text
            sentences, spans = self._passage_sentences(passage)
            starts = [a for a, _ in sentences]
            ends = [b for _, b in sentences]
            leads: list[tuple[int, int] | None] = []
            lead = None
            for a, b in sentences:  # list items ("- …") after a lead-in sentence ending in ":"
                if not re.match(r"[-*•–]\s", text[a:b].lstrip("*_ ")):
                    lead = None
                leads.append(lead)
                if text[a:b].rstrip("*_ ").endswith(":") and b - a > 40:
                    lead = (a, b)
            for s, e in spans:
                key = (passage.document_id, s, e)
                old = found.get(key)
                if old is None or (in_hit, -rank) > (old.in_hit, -old.rank):
                    first = max(0, starts.index(s) - 1)
                    last = min(len(ends) - 1, ends.index(e) + 1)
                    found[key] = _Candidate(passage.document_id, s, e, passage, rank, in_hit,
                                            passage.agenda_item_id, window=(starts[first], ends[last]),
                                            lead=leads[starts.index(s)])

        seen_items: list[str] = []
        for rank, hit in enumerate(hits, start=1):
            add(hit.passage, rank, True)
            if hit.passage.agenda_item_id not in seen_items:
                seen_items.append(hit.passage.agenda_item_id)
                for passage in self.index.passages_around(hit.passage, WHOLE_ITEM_MAX_PASSAGES,
                                                          NEIGHBOUR_PASSAGES):
                    if passage.id != hit.passage.id:
                        add(passage, rank, False)
        if analysis.special:
            documents = list(dict.fromkeys(h.passage.document_id for h in hits))
            for rank, document_id in enumerate(documents, start=1):
                for item in self._items_by_document.get(document_id, []):
                    if item.kind != "item" and item.id not in seen_items:
                        for passage in self.index.item_passages(item.id):
                            add(passage, rank, False)
        return list(found.values())

    # ------------------------------------------------------------------ structured answers

    def _structured(self, hits: list[Hit], analysis: QuestionAnalysis) -> list[_Candidate]:
        """Attendance-list and signature answers for the documents of the hits."""
        if not analysis.special:
            return []
        results: list[_Candidate] = []
        documents = list(dict.fromkeys(h.passage.document_id for h in hits))
        for rank, document_id in enumerate(documents, start=1):
            document = self.index.documents[document_id]
            if analysis.special in ("minutes_taker", "chair"):
                spans = _signature_names(document.text, analysis.special)
            else:
                spans = []
                for item in self._items_by_document.get(document_id, []):
                    if item.kind == "attendance":
                        spans += attendance_names(document.text, item.start, item.end,
                                                  analysis.special, analysis.group)
            for start, end, line_start, line_end in spans:
                passage = self._passage_covering(document_id, line_start, line_end)
                if passage is None:
                    continue
                results.append(_Candidate(document_id, line_start, line_end, passage, rank, True,
                                          passage.agenda_item_id, structured=analysis.special,
                                          forced_span=(start, end)))
            if results:
                break
        return results

    def _passage_covering(self, document_id: str, start: int, end: int) -> Passage | None:
        for passage in self.index.document_passages(document_id):
            if passage.start <= start and end <= passage.end:
                return passage
        return None

    # ------------------------------------------------------------------ scoring

    def _lex(self, question_terms: tuple[str, ...], terms: frozenset[str]) -> float:
        if not question_terms:
            return 0.0
        total = sum(self._idf.get(t, self._max_idf) for t in question_terms)
        hit = sum(self._idf.get(t, self._max_idf) for t in question_terms if t in terms)
        return hit / total if total else 0.0

    def _anchor_factor(self, analysis: QuestionAnalysis, candidate: _Candidate,
                       sentence_terms: frozenset[str]) -> tuple[float, list[str]]:
        """Anchors in the sentence (or its neighbours) or the meeting's metadata count fully, anchors found only
        elsewhere in the agenda item count ``ITEM_ANCHOR_FACTOR``, missing ones
        ``MISSING_ANCHOR_FACTOR`` each (a missing body name ``MISSING_BODY_FACTOR`` once)."""
        anchors = list(analysis.anchors)
        anchors += [t for t in analysis.terms if t in self._body_terms and t not in anchors]
        if analysis.lang == "de":
            anchors += [t for t in self.terms(analysis.text) if t in self._body_terms and t not in anchors]
        if not anchors:
            return 1.0, []
        meeting = self._meeting_context_of(candidate.document_id)
        item = self._item_context(candidate.item_id)
        factor = 1.0
        missing = []
        body_missing = False
        for anchor in anchors:
            if anchor in sentence_terms or anchor in meeting:
                continue
            if anchor in item:
                factor *= ITEM_DATE_ANCHOR_FACTOR if re.fullmatch(r"\d{4}-\d\d-\d\d", anchor) else ITEM_ANCHOR_FACTOR
                continue
            missing.append(anchor)
            if anchor in self._body_terms:
                body_missing = True
            else:
                factor *= MISSING_ANCHOR_FACTOR
        if body_missing:
            factor *= MISSING_BODY_FACTOR
        return factor, missing

    def unknown_words(self, analysis: QuestionAnalysis) -> list[str]:
        """Capitalised words of a German question (nouns, names) that occur nowhere in the index:
        "Budget", "Köln", "Ansprechperson". The documents cannot be about them. (English
        questions are not checked: most of their words are not in German minutes.)"""
        if analysis.lang != "de":
            return []
        unknown = []
        words = re.findall(r"[^\W\d_][\w'’]*", analysis.text)  # hyphenated words in pieces
        for position, word in enumerate(words):
            if not word[:1].isupper() or word.casefold() in _UNIT_WORDS:
                continue
            if position == 0 and not word.isupper() and not set(self.terms(word)) & set(analysis.terms):
                continue  # the question word ("Wie", "Welche") or a capitalised sentence start
            found = self.terms(word)
            if found and not any(t in self._idf for t in found):
                unknown.append(word)
        return unknown

    def _score(self, analysis: QuestionAnalysis, candidates: list[_Candidate], query: np.ndarray,
               avoid: frozenset[str] = frozenset()) -> None:
        document_text = {c.document_id: self.index.documents[c.document_id].text for c in candidates}
        unknown_factor = UNKNOWN_WORD_FACTOR ** len(self.unknown_words(analysis))
        objects = self.object_terms(analysis)
        for c in candidates:
            text = document_text[c.document_id][c.start:c.end]
            sentence_terms = self.terms(text)
            window_terms = sentence_terms
            if c.window != (0, 0):
                window_terms = self.terms(document_text[c.document_id][c.window[0]:c.window[1]])
            topic_terms = window_terms | self._item_title_terms(c.item_id)
            lex = 0.5 * self._lex(analysis.terms, sentence_terms) + 0.5 * self._lex(analysis.terms, topic_terms)
            groups = analysis.focus_groups
            focus_terms = sentence_terms
            if c.lead is not None:  # "… aktuell wie folgt besetzt:" governs the list items below it
                focus_terms = sentence_terms | self.terms(document_text[c.document_id][c.lead[0]:c.lead[1]])
            negated = self._negated_terms(text)
            positive = focus_terms - negated if negated else focus_terms
            focus = (sum(_focus_match(g, positive, negated) for g in groups) / len(groups)
                     if groups else 0.5)
            if analysis.answer_type == "person" and set(analysis.target) - _GENERIC_ROLES and not c.structured and \
                    not any(_fuzzy_in(t, sentence_terms) for t in _full_terms(analysis.target)):
                type_factor_extra = MISSING_ROLE_FACTOR  # "Wer ist Geschäftsführer …": the role must be there
            elif objects and not c.structured and not any(_fuzzy_in(t, topic_terms) for t in objects):
                type_factor_extra = MISSING_OBJECT_FACTOR  # "Wer leitet das Jobcenter?": no Jobcenter here
            else:
                type_factor_extra = 1.0
            rank = 1.0 / (1.0 + 0.3 * (c.rank - 1)) * (1.0 if c.in_hit else EXPANDED_RANK_FACTOR)
            span, span_quality = self._best_span(analysis, text, c, avoid)
            typed = analysis.answer_type in TYPED
            if analysis.unit == "url" and not _URL_RE.search(text):
                type_factor = NO_TYPE_FACTOR
            elif typed and span is None:
                type_factor = NO_TYPE_FACTOR
            elif typed and span.kind != ACCEPTED_KINDS[analysis.answer_type][0] and not c.structured:
                type_factor = SECONDARY_KIND_TYPE_FACTOR
            else:
                type_factor = 1.0
            anchor_factor, missing = self._anchor_factor(analysis, c, window_terms)
            if analysis.answer_type == "decision":
                recorded = self._recorded_decision(c)
                if recorded is not None:
                    span, span_quality, type_factor = recorded, 1.0, 1.0
            question_terms = set(analysis.terms) | set(analysis.focus_terms) | set(analysis.anchors)
            content = {t for t in sentence_terms if len(t) > 2 and not t[:1].isdigit()}
            novelty = 1.0 if c.structured or span is not None or len(content) < 2 \
                or len(content - question_terms) > 1 else NOVELTY_FACTOR
            c.span = span
            c.features = {"lex": lex, "focus": focus, "rank": rank, "span": span_quality,
                          "type": type_factor * novelty * type_factor_extra, "anchor": anchor_factor,
                          "missing": missing}
        # cheap pre-ranking, then the embedding for the best ones
        for c in candidates:
            f = c.features
            f["cheap"] = (0.35 * f["lex"] + 0.2 * f["focus"] + 0.25 * f["rank"] + 0.2 * f["span"]) \
                * f["type"] * f["anchor"] + (1.0 if c.structured else 0.0)
        candidates.sort(key=lambda c: (-c.features["cheap"], c.document_id, c.start, c.end))
        del candidates[self.max_sentences:]
        texts = [document_text[c.document_id][c.start:c.end] for c in candidates]
        vectors = self.sentence_vectors(texts)
        sims = vectors @ query if len(texts) else np.zeros(0)
        for c, sim in zip(candidates, sims.tolist()):
            f = c.features
            f["sim_raw"] = sim
            f["sim"] = min(1.0, max(0.0, (sim - SIM_LOW) / (SIM_HIGH - SIM_LOW)))
            base = sum(WEIGHTS[name] * f[name] for name in WEIGHTS)
            c.score = base * f["type"] * f["anchor"]
            if c.structured:
                c.score = max(c.score, (0.6 + 0.4 * f["sim"]) * f["anchor"])
            c.score *= unknown_factor

    def object_terms(self, analysis: QuestionAnalysis) -> tuple[str, ...]:
        """The nouns a German "wer <verb> …" question asks about ("Wer leitet das *Jobcenter*
        im Rhein-Sieg-Kreis?" -> jobcent): person questions without a role noun (target),
        whose answer sentence, its neighbours or its agenda item title must name the thing
        (bodies and places name the meeting)."""
        if analysis.lang != "de" or analysis.answer_type != "person" or analysis.target or analysis.special:
            return ()
        words = re.findall(r"[^\W\d_][\w-]*", analysis.text)
        found: list[str] = []
        for word in words[1:]:
            if word[:1].isupper():
                found += [t for t in self.terms(word) if t not in self._body_terms
                          and t not in _GENERIC_PLACE_TERMS and t not in analysis.anchors and len(t) > 2]
        return tuple(dict.fromkeys(found))

    def _negated_terms(self, text: str) -> frozenset[str]:
        """Terms of a sentence that occur only after a negation ("nicht gesichert", "keine
        Förderung"; a negator at most ``NEGATION_WINDOW`` words before the word)."""
        if not _NEGATOR_RE.search(text):
            return frozenset()

        def make():
            words = _NEGATION_WORDS.findall(text)
            negated: set[str] = set()
            plain: set[str] = set()
            for i, word in enumerate(words):
                before = {w.casefold() for w in words[max(0, i - NEGATION_WINDOW):i]}
                (negated if before & _NEGATORS else plain).update(self.terms(word))
            return frozenset(negated - plain)
        return self._terms_cache.get_or(("negated", text), make)

    def _spans(self, text: str, kind: str) -> list[Span]:
        return self._spans_cache.get_or((text, kind), lambda: find_spans(text, kind))

    def _recorded_decision(self, c: _Candidate) -> Span | None:
        """The Beschluss recorded for the agenda item, when this sentence holds it."""
        item = self.index.items.get(c.item_id)
        if item is None or item.decision_start is None or item.decision_end is None:
            return None
        if c.start <= item.decision_start and item.decision_end <= c.end:
            return Span(item.decision_start - c.start, item.decision_end - c.start, "decision")
        return None

    def _best_span(self, analysis: QuestionAnalysis, text: str, c: _Candidate,
                   avoid: frozenset[str] = frozenset()) -> tuple[Span | None, float]:
        """The best typed span of a sentence; spans in ``avoid`` (normalised answer texts of the
        previous turn of a conversation) are skipped: a follow-up asks something new."""
        if c.forced_span is not None:
            start, end = c.forced_span
            return Span(start - c.start, end - c.start, "person"), 1.0
        kinds = ACCEPTED_KINDS.get(analysis.answer_type)
        if not kinds:
            return None, 0.5
        tokens = None
        best: Span | None = None
        best_quality = -1.0
        for position, kind in enumerate(kinds):
            for span in self._spans(text, kind):
                if avoid and _normal(text[span.start:span.end]) in avoid:
                    continue
                if tokens is None:
                    tokens = self._tokens_cache.get_or(text, lambda: _tokens(text, self.analyzer))
                quality = self._span_quality(analysis, text, span, tokens)
                if quality is None:
                    continue
                if position:
                    quality *= _SECONDARY_KIND_FACTOR
                if quality > best_quality + 1e-9 or (abs(quality - best_quality) <= 1e-9 and best is not None
                                                     and span.end - span.start < best.end - best.start):
                    best, best_quality = span, quality
        if best is None:
            return None, 0.0
        return best, best_quality

    def _apposition(self, analysis: QuestionAnalysis, text: str, span: Span) -> bool:
        """Whether the span stands in apposition to a noun phrase with the target or a focus word."""
        wanted = set(analysis.target) | set(analysis.focus_terms)
        if not wanted:
            return False
        before = text[max(0, span.start - 80):span.start]
        after = text[span.end:span.end + 80]
        if before.rstrip().endswith(","):
            phrase = re.split(r"[,;:]", before.rstrip()[:-1])[-1]
            if any(_fuzzy_in(t, self.terms(phrase)) for t in wanted):
                return True
        if after.startswith(","):
            phrase = re.split(r"[,;:]", after[1:])[0]
            if any(_fuzzy_in(t, self.terms(phrase)) for t in wanted):
                return True
        return False

    def _proximity_weights(self, analysis: QuestionAnalysis) -> list[tuple[float, frozenset[str], frozenset[str]]]:
        """(weight, full terms, part terms) per question word.

        The weight is the idf of the word's head term, doubled for focus words, x1.5 for the
        counted noun, x3 for the target noun. A sentence word matching the head (or a synonym)
        matches fully, one matching only a compound part ("management" of
        "Teilhabemanagement") counts ``PART_MATCH_FACTOR``.
        """
        idf = lambda t: self._idf.get(t, self._max_idf)  # noqa: E731
        focus = set(analysis.focus_terms)
        target = set(analysis.target)
        counted = set(analysis.counted)
        entries = []
        for group in analysis.term_groups:
            head = group[0]
            full = frozenset(_full_terms(group))
            parts = frozenset(group) - full
            factor = 3.0 if target & set(group) else 2.0 if focus & set(group) else \
                1.5 if counted & set(group) else 1.0
            if head in self._body_terms or head in _GENERIC_PLACE_TERMS:
                factor *= BODY_TERM_FACTOR  # "im Kreis Heinsberg" names the meeting, not the fact
            entries.append((factor * idf(head), full, parts))
        return entries

    def _span_quality(self, analysis: QuestionAnalysis, text: str, span: Span, tokens: list) -> float | None:
        """How well a typed span answers the question (0..1), or None when it cannot."""
        span_text = text[span.start:span.end]
        span_terms = self.terms(span_text)
        if analysis.unit and analysis.answer_type == "quantity" and analysis.unit in UNIT_PATTERNS:
            if not UNIT_PATTERNS[analysis.unit].search(span_text):
                return None
        question_terms = set(analysis.terms) | set(analysis.anchors) | set(analysis.focus_terms)
        if span.kind == "quantity":
            informative = {t for t in span_terms if t[:1].isdigit()}
        elif span.kind == "person":
            name = re.sub(rf"\b(?:{_TITLE}|{_ROLE})(?=\s|$)", " ", span_text)
            informative = set(self.terms(name))
        else:
            informative = {t for t in span_terms if not re.fullmatch(r"[a-zäöüß]{1,3}", t)}
        if informative and informative <= question_terms and span.kind not in ("decision", "list") \
                and not (set(analysis.target) & informative and len(informative) > len(set(analysis.target))):
            return None  # the question already names it ("die Vorsitzende", a date it gives)
        if span.kind == "quantity" and analysis.counted and not analysis.unit and span.unit:
            unit_terms = self.terms(span.unit)
            if unit_terms and not any(_fuzzy_in(t, unit_terms) for t in analysis.counted):
                return None  # "308 Termine" does not count interpreters
        weights = self._proximity_weights(analysis)
        in_parenthesis: set[str] = set()
        attach_left = span.kind == "date" and span_text.startswith(("vom ", "von "))
        proximity = _proximity(tokens, span, weights, own_parenthesis=in_parenthesis, attach_left=attach_left)
        quality = 0.5 + 0.5 * proximity
        if analysis.target and span.kind in ("organisation", "person", "place") and span_terms & set(analysis.target):
            quality += 0.15
        elif span.kind in ("person", "organisation") and self._apposition(analysis, text, span):
            quality += 0.15  # "den neuen Leiter …, Herrn Jan Röder," / "Herr Trox, Geschäftsführer …"
        elif analysis.target and _proximity(tokens, span, [(1.0, frozenset(analysis.target), frozenset())],
                                            steep=True) > 0.7:
            quality += 0.1  # "in der Sitzung am 16.11.2022" for "in welcher Sitzung"
        if span.kind == "date" and analysis.target and set(analysis.target) & _DAY_TARGETS \
                and re.search(r"\d{1,2}\.\s?(?:\d{1,2}\.|[A-ZÄÖÜ])", span_text):
            quality += 0.1  # "an welchem Tag", "which date": a day, not a month or year
        if analysis.counted and span.kind == "quantity":
            unit_terms = self.terms(span.unit) if span.unit else frozenset()
            total = sum(self._idf.get(t, self._max_idf) for t in analysis.counted)
            matched = sum(self._idf.get(t, self._max_idf) for t in analysis.counted if _fuzzy_in(t, unit_terms))
            bonus = 0.1 if analysis.unit else 0.25  # the unit family already says most of it
            quality += bonus * matched / total if total else 0.0
        if span.kind == "organisation" and re.search(r"\sund\s", span_text):
            quality += 0.05
        specific = in_parenthesis - self._body_terms - _GENERIC_PLACE_TERMS - set(analysis.counted)
        if _inside_parentheses(text, span) and not specific:
            quality *= PARENTHESIS_FACTOR
        return min(1.0, quality)

    # ------------------------------------------------------------------ answers

    def followup_analysis(self, query: str, context: TurnContext) -> QuestionAnalysis:
        """The analysis of a follow-up: type, focus, anchors, unit and target come from the
        question as asked; the carried topic terms of the resolved ``query`` only add content
        terms (lexical overlap, a mild context signal). A question without an answer type of
        its own ("Wie sieht es im Rhein-Sieg-Kreis aus?") inherits the previous turn's type,
        focus, unit, counted noun and target."""
        own = analyze_question(context.question, self.vocabulary)
        full = analyze_question(query, self.vocabulary)
        terms = tuple(dict.fromkeys(own.terms + full.terms))
        covered = {t for g in own.term_groups for t in g}
        groups = own.term_groups + tuple(g for g in full.term_groups if not covered & set(g))
        analysis = replace(own, terms=terms, term_groups=tuple(dict.fromkeys(groups)))
        previous = context.previous
        if own.answer_type == "other" and not own.special and previous is not None \
                and previous.answer_type != "other":
            analysis = replace(analysis, answer_type=previous.answer_type, focus_terms=previous.focus_terms,
                               focus_groups=previous.focus_groups, unit=previous.unit,
                               counted=previous.counted, target=previous.target,
                               terms=tuple(dict.fromkeys(terms + previous.focus_terms)))
        elif own.answer_type == "quantity" and previous is not None and previous.answer_type == "quantity" \
                and not own.unit and not own.counted:
            analysis = replace(analysis, unit=previous.unit, counted=previous.counted)  # "How many of them"
        return analysis

    def extract(self, question: str, hits: list[Hit], max_answers: int = 3,
                query_vector: np.ndarray | None = None, context: TurnContext | None = None) -> AnswerSet:
        """Answers to ``question`` from ``hits`` (best first), or an abstention.

        ``query_vector``: the e5 query vector of ``question`` if the caller has it (saves one
        encoder call); it is encoded otherwise. ``context``: for a follow-up, the conversation
        (``TurnContext``); ``question`` is then the resolved query.
        """
        started = time.perf_counter()
        if context is not None and context.question.strip():
            analysis = self.followup_analysis(question, context)
        else:
            analysis = analyze_question(question, self.vocabulary)
        if not hits or not any(t in self._idf for t in analysis.terms + analysis.anchors):
            # nothing to answer from, or a question without a single word the minutes use
            return AnswerSet([], True, 0.0, analysis, time.perf_counter() - started)
        with self._lock:
            candidates = self._structured(hits, analysis) + self._candidates(hits, analysis)
            query = self._query_vector(question) if query_vector is None else \
                np.asarray(query_vector, dtype=np.float32).reshape(-1)
            avoid = frozenset(_normal(a.text) for a in context.answers[:1]) if context is not None \
                else frozenset()
            self._score(analysis, candidates, query, avoid)
            if context is not None:
                self._conversation_factors(candidates, context)
        candidates.sort(key=lambda c: (-c.score, c.rank, c.document_id, c.start))
        best = candidates[0].score if candidates else 0.0
        if best < self.threshold:
            return AnswerSet([], True, best, analysis, time.perf_counter() - started)
        answers: list[Answer] = []
        keys: dict[tuple[str, str], int] = {}
        for c in candidates:
            if len(answers) >= max_answers or c.score < self.threshold or c.score < best - OTHER_MEETING_MARGIN:
                break
            answer = self._answer(c)
            if answers and c.score < best - SECOND_ANSWER_MARGIN and \
                    any(self._same_meeting(a, answer) for a in answers):
                continue  # a weaker alternative from a meeting that already answered
            key = (answer.text.casefold(), answer.context.casefold())
            if key in keys:  # the same sentence in a copy of the text: one answer, found in both
                kept = answers[keys[key]]
                extra = tuple(p for p in (answer.passage.id,) + answer.also_in
                              if p != kept.passage.id and p not in kept.also_in)
                answers[keys[key]] = Answer(kept.text, kept.start, kept.end, kept.context, kept.context_start,
                                            kept.context_end, kept.score, kept.passage, kept.also_in + extra)
                continue
            if any(a.text.casefold() == answer.text.casefold() and self._same_meeting(a, answer) for a in answers):
                continue  # the same answer again, from another sentence of the same meeting
            if any(a.passage.document_id == answer.passage.document_id and a.start < answer.end
                   and answer.start < a.end for a in answers):
                continue  # overlapping span in the same document
            keys[key] = len(answers)
            answers.append(answer)
        return AnswerSet(answers, False, best, analysis, time.perf_counter() - started)

    def _conversation_factors(self, candidates: list[_Candidate], context: TurnContext) -> None:
        """Follow-up signals: repeating the previous answer is almost never right; the agenda
        items that answered, the previous answer's neighbourhood and the entity an anaphor
        refers to are mildly preferred."""
        previous = [a for a in context.answers[:1]]
        entity_terms = frozenset()
        if context.entity:
            entity_terms = frozenset(t for t in self.terms(context.entity) if len(t) > 2)
        referent = self.referent_terms(context)
        for c in candidates:
            text = self.index.documents[c.document_id].text
            if c.span is not None:
                answer_text = text[c.start + c.span.start:c.start + c.span.end]
            else:
                answer_text = text[c.start:c.end]
            factor = 1.0
            for a in previous:
                if _normal(answer_text) == _normal(a.text):
                    factor *= REPEAT_FACTOR
                elif a.passage.document_id == c.document_id and c.span is not None \
                        and _in_breakdown(text, a.end, c.start + c.span.start, c.start + c.span.end):
                    factor *= BREAKDOWN_FACTOR  # "1,5 Stellen (1,0 … und 0,5 Stellen …)": a detail of it
                elif a.passage.document_id == c.document_id and \
                        min(abs(c.start - a.context_end), abs(a.context_start - c.end)) <= NEAR_PREVIOUS_CHARS:
                    factor *= NEAR_PREVIOUS_FACTOR
            if c.item_id in context.focus_items:
                factor *= FOCUS_ITEM_FACTOR
            if entity_terms and entity_terms & self.terms(text[c.start:c.end]):
                factor *= ENTITY_FACTOR
            if referent and referent & self.terms(text[c.start:c.end]):
                factor *= REFERENT_FACTOR
            c.features["conversation"] = factor
            c.score *= factor

    def referent_terms(self, context: TurnContext) -> frozenset[str]:
        """The topic a personal anaphor refers to when the previous answer is no person
        ("Wie viele Mitglieder hat der Beirat …?" / "Wer leitet ihn?" -> beirat,
        generationenfrag): the head terms of the previous question's content words, without
        its counted noun, target, focus words, anchors and the names of bodies and places."""
        if context.entity or context.previous is None or not context.anaphor:
            return frozenset()
        previous = context.previous
        left_out = set(previous.counted) | set(previous.target) | set(previous.focus_terms) \
            | set(previous.anchors) | self._body_terms | _GENERIC_PLACE_TERMS
        return frozenset(g[0] for g in previous.term_groups
                         if len(g[0]) > 2 and not g[0][:1].isdigit() and not left_out & set(g))

    def _same_meeting(self, a: Answer, b: Answer) -> bool:
        ma = self.index.documents.info(a.passage.document_id).meeting
        mb = self.index.documents.info(b.passage.document_id).meeting
        return (ma.body, ma.date, ma.year) == (mb.body, mb.date, mb.year)

    def _answer(self, c: _Candidate) -> Answer:
        text = self.index.documents[c.document_id].text
        if c.span is not None:
            start, end = c.start + c.span.start, c.start + c.span.end
        else:
            start, end = c.start, c.end
        return Answer(text=text[start:end], start=start, end=end, context=text[c.start:c.end],
                      context_start=c.start, context_end=c.end, score=round(float(c.score), 6),
                      passage=c.passage, also_in=self._copies(c))

    def _copies(self, c: _Candidate) -> tuple[str, ...]:
        """Passages of other copies (duplicate groups) that hold the same sentence."""
        context = self.index.documents[c.document_id].text[c.start:c.end]
        row = self.index.passage_rows[c.passage.id]
        copies = []
        for other in self.index.group_rows(row):
            passage = self.index.passages[other]
            if passage.id != c.passage.id and context in passage.text:
                copies.append(passage.id)
        return tuple(copies)


# =========================================================================== helpers


_NEGATORS = frozenset("nicht kein keine keinen keinem keiner keines not no".split())
_NEGATOR_RE = re.compile(r"\b(?:nicht|kein(?:e[nmrs]?)?|not|no)\b", re.IGNORECASE)
_NEGATION_WORDS = re.compile(r"[^\W\d_][\w-]*")
_GENERIC_ROLES = frozenset({"mitglied", "person", "member", "kreistagsmitglied", "kreistag"})
_UNIT_WORDS = frozenset({"euro", "prozent", "stunden", "stunde", "tage", "monate", "wochen", "jahre"})
_PREFIX = 7  # shortest shared prefix of two stems of one word family
_DAY_TARGETS = frozenset({"tag", "datum", "dat", "stichtag", "day", "date"})
_GENERIC_PLACE_TERMS = frozenset({"kreis", "stadt", "region", "gemeind", "kommun", "land"})


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w,.%]+", " ", text.casefold()).split())


def _prefix_match(a: str, b: str) -> bool:
    """Two stems of one word family: "sozialplan"/"sozialplanerin". Deliberately strict:
    "besetzt" (filled) must not match "besetzung" (the planned filling)."""
    if a[:1].isdigit() or b[:1].isdigit():
        return a == b
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= _PREFIX and n >= min(len(a), len(b)) - 1


def _full_terms(group) -> tuple[str, ...]:
    """The terms of a question word without its compound parts (head first, then synonyms)."""
    head = group[0]
    return tuple(t for i, t in enumerate(group) if i == 0 or t not in head)


def _fuzzy_in(term: str, terms) -> bool:
    if term in terms:
        return True
    if len(term) < _PREFIX or term[:1].isdigit():
        return False
    prefix = term[:_PREFIX]
    return any(t.startswith(prefix) and _prefix_match(term, t) for t in terms)


@lru_cache(maxsize=100_000)
def _derivation_stem(term: str) -> str:
    """The stem shared by a participle or verb and its derived noun: "besetzt"/"besetz"
    (Besetzung) -> "besetz", "gefordert"/"forder" (Förderung) -> "forder"."""
    for suffix in ("ungen", "ung", "et", "t", "en", "e"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 5:
            term = term[:-len(suffix)]
            break
    if term.startswith("ge") and len(term) >= 7:
        term = term[2:]
    return term


def _derived_in(term: str, terms) -> bool:
    """A word of the same derivation family in ``terms`` ("besetzt" ~ "Besetzung")."""
    if term[:1].isdigit() or len(term) < 5:
        return False
    stem = _derivation_stem(term)
    return len(stem) >= 5 and any(_derivation_stem(t) == stem for t in terms if not t[:1].isdigit())


def _focus_match(group, positive, negated) -> float:
    """How far a sentence matches one focus word (with its synonyms): 1 for the word or a
    synonym, ``DERIVED_FOCUS_FACTOR`` for a derived word only ("besetzt" ~ "Besetzung"),
    ``NEGATED_FOCUS_FACTOR`` when the word is there only negated ("nicht gesichert")."""
    full = _full_terms(group)
    if any(_fuzzy_in(t, positive) for t in full):
        return 1.0
    if negated and any(_fuzzy_in(t, negated) for t in full):
        return NEGATED_FOCUS_FACTOR
    if any(_derived_in(t, positive) for t in full):
        return DERIVED_FOCUS_FACTOR
    return 0.0


def _encoder_text(text: str) -> str:
    words = text.split()
    if len(words) > MAX_ENCODED_WORDS:
        return " ".join(words[:MAX_ENCODED_WORDS])
    return " ".join(words)


def _tokens(text: str, analyzer) -> list[tuple[int, int, frozenset[str], int, int, int]]:
    """(start, end, terms, outer position, parenthesis id, clause id) of the words of a sentence.

    A parenthesis takes one outer position for all its words; ``parenthesis id`` is 0 outside.
    Clauses end after ";" and ":" outside parentheses, and after "," when a lower-case word
    follows.
    """
    tokens = []
    outer = 0
    paren_id = 0
    current = 0
    clause = 0
    pending_comma = False
    for match in re.finditer(r"\(|\)[,;:]?|[^\s()]+", text):
        token = match.group()
        if token == "(":
            paren_id += 1
            current = paren_id
            outer += 1
            continue
        if token.startswith(")"):
            current = 0
            if len(token) > 1:
                clause += 1
            continue
        if current == 0:
            outer += 1
        if pending_comma and not token[:1].isupper():
            clause += 1  # a comma before a lower-case word ("…, sollen", "…, dass") ends a clause;
        pending_comma = False  # before a capitalised word it is an apposition or enumeration
        tokens.append((match.start(), match.end(), frozenset(analyzer.analyze(token)), outer, current, clause))
        if current == 0 and not re.fullmatch(r"[\d.,]+", token):
            bare = token.rstrip("“”\"'*_»«")
            if bare.endswith((";", ":")):
                clause += 1
            elif bare.endswith(","):
                pending_comma = True
    return tokens


def _proximity(tokens: list, span: Span, weights: list[tuple[float, frozenset[str], frozenset[str]]],
               steep: bool = False, own_parenthesis: set[str] | None = None,
               attach_left: bool = False) -> float:
    """Weighted closeness (0..1) of question terms to the span.

    A parenthesis counts as one word; words inside a parenthesis only count for spans inside
    the same parenthesis; words in another clause count ``OTHER_CLAUSE_FACTOR``. When
    ``own_parenthesis`` is given, the question terms found in the span's own parenthesis
    are added to it. ``attach_left``: the span belongs to the word before it ("Antrag vom
    27.03.2020"), other words count ``ATTACHED_FACTOR``.
    """
    if not weights:
        return 0.0
    inside = [i for i, t in enumerate(tokens) if t[0] < span.end and span.start < t[1]]
    if not inside:
        return 0.0
    span_paren = tokens[inside[0]][4]
    span_clause = tokens[inside[0]][5]
    first, last = inside[0], inside[-1]
    best = [0.0] * len(weights)
    attached = first - 1 if attach_left else None
    for i, (_, _, terms, outer, paren, clause) in enumerate(tokens):
        if first <= i <= last:
            distance = 0  # the span's own words ("Stellen" of "1,5 Stellen")
        elif paren and paren != span_paren:
            continue
        elif paren and paren == span_paren:
            distance = min(abs(i - first), abs(i - last))
        else:
            distance = min(abs(outer - tokens[first][3]), abs(outer - tokens[last][3]))
            if span_paren:
                distance += 1
        closeness = 1.0 / (1.0 + max(0, distance - 1) / (1.0 if steep else 3.0))
        if clause != span_clause and not (paren and paren == span_paren):
            closeness *= OTHER_CLAUSE_FACTOR
        if attached is not None and i != attached and not first <= i <= last:
            closeness *= ATTACHED_FACTOR
        if not terms:
            continue
        for entry, (_, full, parts) in enumerate(weights):
            if terms & full or any(_fuzzy_in(w, terms) for w in full):
                value = closeness
                if own_parenthesis is not None and span_paren and paren == span_paren and not first <= i <= last:
                    own_parenthesis.update(full & terms or full)
            elif terms & parts:
                value = closeness * PART_MATCH_FACTOR
            elif any(_derived_in(w, terms) for w in full):
                value = closeness * PART_MATCH_FACTOR  # "besetzt" ~ "die Besetzung von 6,0 Stellen"
            else:
                continue
            if value > best[entry]:
                best[entry] = value
    total = sum(entry[0] for entry in weights)
    return sum(entry[0] * value for entry, value in zip(weights, best)) / total if total else 0.0


def _in_breakdown(text: str, previous_end: int, start: int, end: int) -> bool:
    """Whether ``start:end`` lies in the parenthesis that directly follows the previous
    answer ending at ``previous_end`` ("1,5 Stellen (1,0 Stellen … und 0,5 Stellen …)")."""
    after = text[previous_end:start]
    stripped = after.lstrip()
    if not stripped.startswith("(") or ")" in stripped:
        return False
    return previous_end <= start < end


def _inside_parentheses(text: str, span: Span) -> bool:
    before = text[:span.start]
    return before.count("(") > before.count(")")


# ------------------------------------------------------------------ attendance lists

_MARKER_LINE = re.compile(r"^\s*\\?([*+#°¹²])\s*([a-zäöüß ]+)\s*$", re.IGNORECASE)
_SECTION = re.compile(r"^\s*#*\s*\**\s*(Anwesend|Abwesend|Entschuldigt|Es fehlten|Nicht anwesend)\b", re.IGNORECASE)
_GROUP = re.compile(r"^\s*#*\s*\**\s*(Kreistagsmitglieder|Sachkundige Bürger(?:innen)?|Beratende Mitglieder|"
                    r"Von der Verwaltung|Verwaltung|Gäste|Ratsmitglieder|Mitglieder)\b", re.IGNORECASE)
_ATTENDEE = re.compile(r"^(\s*)((?:(?:van der|van|von der|von|de) )?[A-ZÄÖÜ][\w'’-]+(?: [A-ZÄÖÜ][\w'’-]+)?, "
                       r"[A-ZÄÖÜ][\w'’-]+(?:[ -][A-ZÄÖÜ][\w'’-]+)?(?:, Dr\.)?)\s*(\\?[*+#°¹²])?\s*$")


def attendance_names(text: str, start: int, end: int, wanted: str,
                     group: str | None) -> list[tuple[int, int, int, int]]:
    """Names in an attendance list that have the wanted status.

    ``wanted``: "absent", "absent_excused", "absent_unexcused" or "present". The legend lines
    ("\\*entschuldigt", "+unentschuldigt") say what each marker means; a name marked "+"
    under "Abwesend" with the legend "+unentschuldigt" is absent without excuse. Returns
    (name start, name end, line start, line end) as absolute offsets.
    """
    legend: dict[str, str] = {}
    entries = []
    section = None
    current_group = None
    offset = start
    for line in text[start:end].split("\n"):
        line_start = offset
        offset += len(line) + 1
        marker = _MARKER_LINE.match(line)
        if marker:
            legend[marker.group(1)] = marker.group(2).strip().casefold()
            if section == "absent":
                section = "present"  # the legend closes the list of absentees
            continue
        heading = _SECTION.match(line)
        if heading:
            section = "present" if heading.group(1).casefold() == "anwesend" else "absent"
            current_group = None
            continue
        group_heading = _GROUP.match(line)
        if group_heading and line.rstrip().endswith(":"):
            current_group = group_heading.group(1).casefold()
            continue
        person = _ATTENDEE.match(line)
        if person and section:
            name_start = line_start + person.start(2)
            entries.append((section, current_group, person.group(3), name_start,
                            name_start + len(person.group(2)), line_start, line_start + len(line.rstrip())))
    results = []
    for section, entry_group, mark, name_start, name_end, line_start, line_end in entries:
        mark = (mark or "").lstrip("\\")
        meaning = legend.get(mark, "")
        status = section
        if section == "absent":
            if meaning.startswith("unentschuldigt"):
                status = "absent_unexcused"
            elif meaning.startswith("entschuldigt"):
                status = "absent_excused"
        if wanted == "absent" and not status.startswith("absent"):
            continue
        if wanted in ("absent_excused", "absent_unexcused", "present") and status != wanted:
            continue
        if group and (entry_group or "") and not entry_group.startswith(group.split()[0][:8]):
            continue
        results.append((name_start, name_end, line_start, line_end))
    return results


_SIGNATURE_ROLE = {
    "minutes_taker": re.compile(r"^\s*\**(?:Schriftführer(?:in)?|Protokollführer(?:in)?)\**\s*$", re.IGNORECASE),
    "chair": re.compile(r"^\s*\**(?:Ausschussvorsitzende[r]?|Vorsitzende[r]?|Sitzungsleitung|Landrat|"
                        r"Bürgermeister(?:in)?)\**\s*$", re.IGNORECASE),
}


def _signature_names(text: str, role: str) -> list[tuple[int, int, int, int]]:
    """The name written above a role line of the signature block ("Louven" / "Schriftführer").

    Returns (name start, name end, context start, context end): the context is the name line
    and the role line.
    """
    pattern = _SIGNATURE_ROLE[role]
    results = []
    lines = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, offset + len(line), line))
        offset += len(line) + 1
    for index, (line_start, line_end, line) in enumerate(lines):
        if not pattern.match(line):
            continue
        for back in range(index - 1, max(-1, index - 4), -1):
            s, e, previous = lines[back]
            if previous.strip():
                name = previous.strip().strip("*")
                if 2 <= len(name) <= 60 and name[:1].isupper():
                    name_start = s + previous.index(name)
                    role_end = line_start + len(line.rstrip())
                    results.append((name_start, name_start + len(name), name_start, role_end))
                break
    return results
