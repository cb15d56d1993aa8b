"""Question analysis for the answer step: what kind of answer a question wants, and which
words the answer sentence should contain.

``analyze_question(text, vocabulary=None)`` returns a frozen ``QuestionAnalysis``
(``vocabulary``: the index's analysed terms; English questions keep only the terms in it):

* ``answer_type``: one of ``ANSWER_TYPES``, from ordered cue rules (first match wins):

  ========  ======================================================================
  time      "um wie viel Uhr", "Uhrzeit", "wann begann/endete die Sitzung", "what time",
            "at what time", "when did the meeting start/end"
  date      "wann", "bis wann", "seit wann", "ab wann", "an welchem Tag/Datum", "zu welchem
            Datum/Stichtag", "welchen Zeitraum", "in welcher Sitzung"; "when", "until when",
            "since when", "by what date", "on what/which date", "from what date"
  quantity  "wie viele", "wie viel", "wie hoch", "welchen Anteil", "welche (Kündigungs)frist";
            "how many", "how much", "what share/percentage", "what (total) amount",
            "what (minimum) … level"
  decision  "beschlossen", "Beschluss", "beauftragt", "gebeten", "was hat … vor",
            "beabsichtigt"; "decide(d)", "decision", "resolved", "intend"
  list      "welche/zu welchen Themen, Themenfelder, Schwerpunkte, Ziele, Lebenslagen,
            (Bevölkerungs)gruppen, Fachbereiche", "wer soll eingeladen werden"; "which topics,
            fields, groups, goals", "what were the main … topics"
  organisation  "welcher Träger", "welches Amt/Ministerium/Behörde/Stelle/Ausschuss",
            "bei welchem Ministerium"; "which organisation/ministry/authority/office",
            "which organisation's"
  person    "wer", "welches (Kreistags)mitglied", "who", "which member"
  place     "wo", "in welchem Raum", "in welcher Stadt"; "where", "which room"
  other     anything else ("warum", "wie wurde", "what is the name", "which law" …)
  ========  ======================================================================

* ``focus_terms``: analysed terms (``index.analyze.get_analyzer()``) of the words that
  distinguish the answer sentence from its neighbours: in German the lower-case content
  words (verbs, participles, adverbs, relational adjectives: "besetzt", "geplant",
  "aktuell", "zunächst", "nächste"; not topic adjectives before a noun such as
  "medizinischen Versorgung"), in English the key words found in ``FOCUS_WORDS`` ("filled"
  -> besetzt, "planned" -> geplant, "funded" -> gefördert), each with its German synonyms
  from ``GERMAN_SYNONYMS`` ("begann" -> Anfang, "derzeit" -> aktuell); for person,
  organisation, list and other questions also the target noun (below).
  ``focus_groups`` holds the same terms grouped per question word (a word and its synonyms
  count once).
* ``term_groups``: the content terms grouped per question word, head term first (the
  answer step weighs words, not compound parts).
* ``terms``: every content term of the question (German analysed words; for English
  questions the words that occur in German minutes too — names, numbers, "Case Management" —
  plus the German terms of ``FOCUS_WORDS`` and ``TERM_WORDS``). Question words are dropped.
* ``anchors``: terms that name *which* thing is asked about and must be found in the
  answer's sentence or surroundings: numbers, years and dates, acronyms ("KIM", "VHS"), and
  capitalised names of an English question. (Names of bodies — "Aachen", "Rhein-Sieg-Kreis" —
  are recognised by the answer step, which knows the indexed bodies.)
* ``unit``: the unit family a quantity must have when the question names one ("money",
  "percent", "posts", "persons", "hours", "duration"; "url" when it asks for a web
  address), else ``None``.
* ``counted``: analysed terms of the counted noun ("wie viele *Flüchtlinge*").
* ``target``: analysed terms of the noun the question asks for ("welcher *Träger*",
  "bei welchem *Ministerium*", "wer ist der neue *Leiter*", "wie hoch ist der
  *Eigenanteil*", "which *ministry*"), most specific first.
* ``special``: structured questions answered from the attendance list or signatures:
  "absent", "absent_excused", "absent_unexcused", "present", "minutes_taker", "chair"
  (the chair of the meeting itself), or ``None``.
* ``group``: the attendance group asked about ("kreistagsmitglieder", "sachkundige bürger",
  "beratende mitglieder", "verwaltung"), for attendance questions.

The bilingual tables are deliberately small: council vocabulary that English questions use
for German minutes, not a general dictionary. The dense encoder is multilingual and carries
the rest; these tables only let focus words and units line up with the German text.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from index.analyze import get_analyzer
from index.language import guess_language

ANSWER_TYPES = ("quantity", "date", "person", "organisation", "place", "decision", "list",
                "time", "other")

# --------------------------------------------------------------------------- vocabulary

# English key words (verbs, participles, adjectives) -> German words of the minutes. Their
# analysed terms become focus terms.
FOCUS_WORDS: dict[str, str] = {
    "filled": "besetzt", "fill": "besetzt", "occupied": "besetzt", "staffed": "besetzt",
    "held": "besetzt durchgeführt stattgefunden", "hold": "durchgeführt stattgefunden versammelt",
    "about": "befasst befasse Thema",
    "vacant": "vakant unbesetzt", "unfilled": "vakant unbesetzt",
    "planned": "geplant vorgesehen", "plan": "geplant vorgesehen", "scheduled": "terminiert geplant",
    "funded": "gefördert Förderung", "fund": "gefördert Förderung fördern",
    "funds": "gefördert Förderung fördern", "subsidised": "bezuschusst", "subsidized": "bezuschusst",
    "decided": "beschlossen Beschluss zugestimmt genehmigt entschieden",
    "decide": "beschlossen Beschluss zugestimmt genehmigt entschieden",
    "decision": "beschlossen Beschluss zugestimmt genehmigt entschieden",
    "approved": "genehmigt zugestimmt", "approve": "genehmigt zugestimmt",
    "reported": "berichtet Bericht", "report": "berichtet Bericht",
    "chaired": "Vorsitz Vorsitzende", "chairs": "Vorsitz Vorsitzende", "chair": "Vorsitz Vorsitzende",
    "led": "Leitung geleitet", "leads": "Leitung Leiter", "head": "Leiter Leitung",
    "managing": "Geschäftsführer", "director": "Geschäftsführer",
    "started": "Anfang Beginn Uhrzeit", "start": "Anfang Beginn Uhrzeit", "began": "Anfang Beginn Uhrzeit",
    "begin": "Anfang Beginn", "ended": "Ende", "end": "Ende", "finish": "Ende",
    "absent": "abwesend", "present": "anwesend", "excused": "entschuldigt",
    "expected": "erwartet", "expect": "rechnet erwartet",
    "extended": "verlängert", "terminate": "kündigen Kündigung", "terminated": "gekündigt",
    "trained": "geschult", "elected": "gewählt", "appointed": "gewählt benannt",
    "registered": "registriert gemeldet", "apply": "Antrag", "applied": "Antrag",
    "received": "erhalten eingegangen", "receive": "erhalten", "attached": "beigefügt",
    "carried": "durchgeführt", "held_meeting": "versammelt", "moves": "wechseln übergehen",
    "move": "wechseln übergehen", "added": "ergänzt", "translated": "übersetzt",
    "rent": "angemietet", "taught": "Beschulung", "seated": "anwesend", "located": "angesiedelt", "based": "angesiedelt",
    "pay": "bezuschusst gefördert", "pays": "bezuschusst gefördert", "paid": "bezuschusst gefördert",
    "attach": "anzudocken", "attaching": "anzudocken", "considered": "angedacht",
    "presented": "präsentiert", "asked": "bat erkundigte", "pointed": "wies",
    "built": "erstellt", "work": "tätig", "employ": "beschäftigt",
    "intend": "beabsichtigt", "intends": "beabsichtigt", "precaution": "vorsorglich",
    "minimum": "mindestens", "currently": "derzeit aktuell", "initially": "zunächst",
    "first": "erste", "next": "nächste nächsten", "last": "letzten", "new": "neue neuen",
    "total": "insgesamt Gesamtausgaben", "additional": "zusätzlichen",
}

# English nouns -> German words (terms for overlap, and counted nouns of quantities).
TERM_WORDS: dict[str, str] = {
    "posts": "Stellen", "post": "Stelle", "full-time": "Vollzeitäquivalente VZÄ",
    "equivalents": "Vollzeitäquivalente VZÄ", "fte": "Vollzeitäquivalente VZÄ", "positions": "Stellen", "position": "Stelle",
    "staff": "Personal Stellen", "staffing": "Personalumfang Stellen",
    "people": "Personen", "persons": "Personen", "members": "Mitglieder", "member": "Mitglied",
    "women": "Frauen", "refugees": "Geflüchtete Flüchtlinge", "households": "Bedarfsgemeinschaften",
    "interpreters": "Sprachmittler", "consultations": "Beratungen", "counselling": "Beratung Beratungsstelle",
    "evaluations": "Evaluationen", "evaluation": "Evaluation", "languages": "Sprachen",
    "language": "Sprache", "hours": "Stunden", "days": "Tage", "months": "Monate", "weeks": "Wochen",
    "meeting": "Sitzung", "committee": "Ausschuss", "subcommittee": "Unterausschuss",
    "council": "Kreistag", "advisory": "Beirat", "district": "Kreis", "state": "Land", "cross": "Kreuz DRK", "red": "Roten",
    "administration": "Verwaltung", "agreement": "Vereinbarung", "funding": "Förderung",
    "grant": "Zuwendung Zuschuss", "guidelines": "Richtlinien", "application": "Antrag",
    "minutes": "Niederschrift", "item": "Tagesordnungspunkt", "report": "Bericht",
    "steering": "Lenkungsgruppe", "group": "Gruppe", "groups": "Gruppen", "topics": "Themen Schwerpunkte",
    "fields": "Fachbereiche", "goals": "Ziele", "classes": "Klassen",
    "pupils": "Schüler", "school": "Schule", "job": "Jobcenter", "centre": "Zentrum",
    "integration": "Integration", "case": "Case", "managers": "Manager", "management": "Management",
    "participation": "Teilhabemanagement", "overhead": "Overhead", "component": "Baustein",
    "module": "Modul", "law": "Gesetz", "benefits": "Leistungen", "nursing": "Pflege",
    "care": "Pflege Pflegeeinrichtung", "workshop": "Workshop", "term": "Wahlperiode",
    "system": "System", "portal": "Integrationsportal", "office": "Amt", "ministry": "Ministerium",
    "expenditure": "Gesamtausgaben Ausgaben", "costs": "Kosten Personalausgaben",
    "personnel": "Personal", "share": "Anteil", "notice": "Kündigungsfrist",
    "volunteer": "ehrenamtlich", "debt": "Schuldnerberatung", "addiction": "Suchtberatung",
    "error": "Fehler", "room": "Raum", "half": "Halbjahr", "main": "Schwerpunkte", "working": "Arbeitsgemeinschaft", "welfare": "Wohlfahrtspflege",
    "associations": "Verbände", "voluntary": "freien", "municipalities": "Kommunen",
    "site": "vor Ort", "time": "Uhrzeit", "date": "Datum", "day": "Tag", "expansion": "Erweiterung", "document": "Vorlage Vorlageart", "type": "Art", "joint": "gemeinsame",
    "foreigners": "Ausländerbehörde Ausländeramt", "generational": "Generationenfragen",
    "issues": "Fragen", "contact": "Ansprechperson Ansprechpartner", "city": "Stadt", "town": "Stadt", "head": "Leiter",
    "social": "Sozial", "planner": "Sozialplanerin", "planning": "Sozialplanung",
    "election": "Wahl", "elections": "Landtagswahlen", "abbreviation": "Abkürzung",
}

# English role and institution nouns -> German (targets of person/organisation questions).
ROLE_WORDS: dict[str, str] = {
    "head": "Leiter Leiterin Leitung", "chair": "Vorsitzende Vorsitzender Vorsitz",
    "chairman": "Vorsitzender Vorsitz", "chairwoman": "Vorsitzende Vorsitz", "director": "Geschäftsführer",
    "planner": "Sozialplanerin Sozialplaner", "speaker": "Sprecher", "secretary": "Schriftführer",
    "ministry": "Ministerium", "organisation": "Träger Organisation", "organisations": "Träger Organisation",
    "organization": "Träger Organisation", "authority": "Behörde", "office": "Amt", "operator": "Träger",
    "provider": "Träger", "body": "Gremium", "committee": "Ausschuss", "member": "Mitglied",
    "city": "Stadt", "town": "Stadt", "room": "Raum", "law": "Gesetz", "language": "Sprache",
}

# German words -> German synonyms that the minutes use for the same relation.
GERMAN_SYNONYMS: dict[str, str] = {
    "begann": "Anfang Beginn Uhrzeit", "beginnt": "Anfang Beginn Uhrzeit", "begonnen": "Anfang Beginn Uhrzeit",
    "tag": "Datum", "datum": "Tag",
    "endete": "Ende", "geendet": "Ende",
    "geleitet": "Leitung Vorsitz Vorsitzender", "leitete": "Leitung Vorsitz Vorsitzender",
    "leitet": "Leiter Leitung Vorsitz Vorsitzender", "fehlte": "abwesend", "fehlten": "abwesend",
    "gemeldet": "registriert", "unbesetzt": "vakant", "vakant": "unbesetzt",
    "flüchtlinge": "Geflüchtete", "geflüchtete": "Flüchtlinge", "stattfinden": "stattgefunden",
    "derzeit": "aktuell zurzeit", "aktuell": "derzeit zurzeit", "zurzeit": "aktuell derzeit",
    "endet": "Ende ausläuft", "eingegangen": "ging ein", "übermittelt": "zur Verfügung gestellt",
    "tagte": "Sitzung stattgefunden", "getagt": "Sitzung stattgefunden", "zusammen": "versammelt",
    "betreibt": "Träger", "fördert": "gefördert", "besetzen": "Besetzung besetzt",
    "beabsichtigt": "vor", "vor": "beabsichtigt", "vollzeitäquivalente": "VZÄ", "vzä": "Vollzeitäquivalente",
    "einbezogen": "Einbeziehung", "erstmals": "erste", "erstmalig": "erste", "umgesetzt": "nachgekommen kam", "beschlossen": "Beschluss zugestimmt", "untergebracht": "unterzubringen unterbringen",
    # "bis wann ist die Förderung gesichert": the minutes say until when it is "befristet"
    "gesichert": "befristet",
}

# Modal verbs say nothing about the asked relation ("wie viele *sollen* besetzt werden"):
# content terms, never focus words.
_MODAL_VERBS = frozenset("soll sollen sollte sollten kann können konnte konnten muss müssen musste "
                         "mussten darf dürfen durfte will wollen wollte wollten".split())

_QUESTION_WORDS = (
    "wer wen wem wessen was wann wo wohin woher wie warum weshalb wieso welche welcher welches "
    "welchen welchem viele vielen viel hoch womit worum wofür worüber wozu wodurch woran "
    "who whom whose what when where which why how many much did does do is are was were has "
    "have had will would can could should the a an of in on at to for by with from its their "
    "there this that these those it they he she his her into about as than under whole "
    "gibt deren dessen denen beim zum zur im am vom ins mal"
).split()

# Counted nouns and question words that fix the unit family of a quantity.
_UNIT_FAMILIES: dict[str, tuple[str, ...]] = {
    "money": ("euro", "€", "eur", "budget", "kosten", "betrag", "zuschuss", "zuschüsse",
              "landeszuschuss", "zuwendung", "fördersumme", "ausgaben", "gesamtausgaben",
              "haushaltsmittel", "mittel", "money", "amount", "cost", "costs", "funding",
              "grant", "expenditure", "budget", "spend", "spent"),
    "percent": ("anteil", "eigenanteil", "prozent", "%", "quote", "share", "percentage",
                "percent", "proportion"),
    "posts": ("stellen", "stelle", "personalstellen", "vollzeitstellen", "vzä",
              "vollzeitäquivalente", "vollzeitäquivalenten", "planstellen", "posts", "post",
              "positions", "staffing", "case-management-stellen", "teilhabemanagement-stellen",
              "overhead-stellen"),
    "persons": ("personen", "people", "persons", "mitarbeitende", "beschäftigte"),
    "hours": ("stunden", "hours", "std"),
    "duration": ("frist", "kündigungsfrist", "monate", "monaten", "wochen", "tage", "jahre",
                 "months", "weeks", "days", "years", "period"),
}
# What a span's unit must look like for each family (regex on the span text).
UNIT_PATTERNS: dict[str, re.Pattern] = {
    "money": re.compile(r"€|\bEuro\b|\bEUR\b|Mio\.|Tsd\.", re.IGNORECASE),
    "percent": re.compile(r"%|Prozent", re.IGNORECASE),
    "posts": re.compile(r"stelle|VZÄ|Vollzeitäquivalent|Planstelle", re.IGNORECASE),
    "persons": re.compile(r"Person|Mitarbeiter|Beschäftigte|Kräfte", re.IGNORECASE),
    "hours": re.compile(r"Stunde|Std\.", re.IGNORECASE),
    "duration": re.compile(r"Monat|Woche|Tag|Jahr", re.IGNORECASE),
}

_ATTENDANCE_GROUPS = {
    "kreistagsmitglieder": ("kreistagsmitglied", "district council member", "councillor"),
    "sachkundige bürger": ("sachkundige", "sachkundiger", "co-opted", "citizen member"),
    "beratende mitglieder": ("beratende", "beratendes", "advisory member"),
    "von der verwaltung": ("verwaltung", "administration"),
}


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    lang: str
    answer_type: str
    focus_terms: tuple[str, ...] = ()
    focus_groups: tuple[tuple[str, ...], ...] = ()  # focus terms by question word (with synonyms)
    term_groups: tuple[tuple[str, ...], ...] = ()  # content terms by question word, head term first
    terms: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()
    unit: str | None = None
    counted: tuple[str, ...] = ()
    special: str | None = None
    group: str | None = None
    target: tuple[str, ...] = ()


# ------------------------------------------------------------------------ type rules

def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


_TIME = _rx(r"\bum wie ?viel uhr\b|\buhrzeit\b|\bum welche zeit\b|\bwhat time\b|\bat what hour\b"
            r"|\bwie spät\b|\bwann\s+(?:begann|beginnt|endete|endet|startete)\s+(?:die|der)\s+\w*sitzung\b"
            r"|\bwhen did the (?:\w+ )*meeting (?:start|begin|end|finish)\b")
_DATE = _rx(
    r"^\s*(?:und\s+)?(?:bis |seit |ab |für )?wann\b|\b(?:bis|seit|ab|für) wann\b|\bwann\b"
    r"|\ban welchem (?:tag|datum)\b|\bzu welchem (?:datum|stichtag|termin|zeitpunkt)\b"
    r"|\bwelche[nrs]? (?:zeitraum|datum|stichtag|termin|tag)\b|\bin welcher sitzung\b"
    r"|\bin welchem (?:jahr|monat)\b|\bseit welchem\b|\bbis zu welchem\b|\bab welchem\b"
    r"|\bwhen\b|\buntil when\b|\bsince when\b|\bby (?:what|which) date\b"
    r"|\b(?:on|from|at|by|until) (?:what|which) (?:date|day)\b|\bwhat date\b|\bwhich date\b"
    r"|\bwhat period\b|\bwhich period\b|\bin which meeting\b|\bin what year\b|\bwhich year\b")
_QUANTITY = _rx(
    r"\bwie ?viele?n?\b|\bwie hoch\b|\bwie groß\b|\bwelche[nrs]? anteil\b|\bwelche[nrs]? "
    r"(?:kündigungs)?frist\b|\bin welcher höhe\b|\bhow many\b|\bhow much\b|\bhow high\b"
    r"|\bwhat (?:share|percentage|proportion|amount|total|number)\b"
    r"|\bwhat (?:is the )?(?:total )?(?:amount|number|sum)\b|\bwhat (?:minimum |maximum )?"
    r"[\w-]+ level\b|\bwhich (?:notice )?period of notice\b|\bnotice period\b")
_DECISION = _rx(
    r"\bbeschlossen\b|\bbeschluss\b|\bbeschließt\b|\bbeauftragt\b|\bgebeten\b|\bentschieden\b"
    r"|\bvor\s*\?\s*$|\bbeabsichtigt\b|\bvorhaben\b|\bdecid(?:e|ed|es)\b|\bdecision\b"
    r"|\bresolved?\b|\bresolution\b|\bintends?\b|\bagreed\b")
_LIST = _rx(
    r"\b(?:welche|zu welchen|um welche|which|what)\b[\w\s-]*\b(?:themen|themenfelder|"
    r"themenschwerpunkte|schwerpunkte|ziele|lebenslagen|bevölkerungsgruppen|gruppen|"
    r"fachbereiche|bereiche|topics|fields|groups|goals|aims|areas|main counselling topics)\b"
    r"|\bwer soll\b.*\beingeladen\b|\bwho (?:is|are|will be) (?:to be )?invited\b")
_ORGANISATION = _rx(
    r"\bwelche[rsnm]? (?:[a-zäöüß]\w* )?(?:träger|amt|ämter|ministerium|behörde|organisation(?:en)?|stelle|"
    r"ausschuss|ausschusses|gremium|einrichtung|verband|institution(?:en)?|"
    r"(?:ärztlichen )?organisationen)\b|\bbei welche[mr] (?:ministerium|amt|behörde|träger)\b"
    r"|\bwelche ärztlichen\b|\bwhich (?:organisation|organization|ministry|authority|office|"
    r"body|agency|institution|provider|operator|committee|department)s?(?:'s)?\b"
    r"|\bwhat (?:organisation|organization|ministry|authority|office|body|agency)\b"
    r"|\bwer setzt\b|\bwer betreibt\b|\bwer trägt\b|\bwho runs\b|\bwho operates\b")
_PERSON = _rx(r"^\s*(?:und\s+)?wer\b|\bwer\b|\bwho\b|\bwhom\b|\bwelche[sr]? (?:\w+)?mitglied\b"
              r"|\bwhich (?:\w+ )?(?:\w+ )?member\b|\bwhich person\b|\bname of the person\b"
              r"|\bwie heißt die ansprechperson\b|\bansprechpartner\b|\bansprechperson\b")
_PLACE = _rx(r"^\s*(?:und\s+)?wo\b|\bwo\b(?!\w)|\bwhere\b|\bin welche[mr] (?:raum|saal|stadt|"
             r"gemeinde|kommune|gebäude|ort)\b|\ban welchem ort\b|\bwhich (?:room|city|town|"
             r"building|place|venue)\b|\bin what (?:room|city|town|building|place)\b")

_ABSENT = _rx(r"\bfehlte[n]?\b|\babwesend\b|\bnicht anwesend\b|\babsent\b|\bdid not attend\b"
              r"|\bwas not present\b|\bwere not present\b|\bnicht teilgenommen\b|\bmissing\b")
_UNEXCUSED = _rx(r"\bunentschuldigt\b|\bwithout (?:an )?excuse\b|\bunexcused\b")
_EXCUSED = _rx(r"(?<!un)entschuldigt\b|\bexcused\b(?<!unexcused)|\bwith (?:an )?excuse\b")
_PRESENT = _rx(r"\banwesend\b|\bpresent\b|\battended\b|\bteilgenommen\b")
_MINUTES = _rx(r"\bniederschrift geführt\b|\bprotokoll geführt\b|\bschriftführ|\bprotokollführ"
               r"|\btook the minutes\b|\bkept the minutes\b|\bwrote the minutes\b"
               r"|\bminute[- ]?taker\b|\brecording secretary\b")
_CHAIR = _rx(r"\bsitzung\b.*\bgeleitet\b|\bgeleitet\b.*\bsitzung\b|\bvorsitz (?:der|in der) sitzung"
             r"|\bchaired the (?:\w+ )*meeting\b|\bwho led the (?:\w+ )*meeting\b"
             r"|\bwho chaired\b")

# "Who led the first meeting of the subcommittee" asks about another meeting than the one the
# minutes record: no signature-block answer for those.
_OTHER_MEETING = _rx(r"unterausschuss|subcommittee|sub-committee|beirat|advisory|lenkungsgruppe|"
                     r"steering|workshop|arbeitsgruppe|working group|erste[n]? sitzung|first meeting")

# Attributive adjectives that name the topic rather than the asked relation: "medizinischen",
# "ärztlichen", "ehrenamtlichen", "strategische" (but "nächste", "erste", "bestehenden" stay).
_TOPIC_ADJECTIVE = re.compile(r"(?:isch|lich|al|ig|iv)(?:e|en|er|es|em)$")

_HOW_MANY = _rx(r"\b(?:wie ?viele?n?|how many|how much)\s+(?:of (?:the |these |those )?)?"
                r"((?:[\w'’-]+\s+){0,5}[\w'’-]+)")
_EN_HOW_MANY_STOP = {"do", "does", "did", "is", "are", "was", "were", "has", "have", "had",
                     "will", "would", "can", "could", "in", "of", "for", "on", "at", "to", "from",
                     "by", "with", "per", "the", "work", "works", "worked"}
_NOT_ANCHORS = {"mr", "mrs", "ms", "dr", "january", "february", "march", "april", "may", "june",
                "july", "august", "september", "october", "november", "december", "monday",
                "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "i"}
_URL = _rx(r"\bweb ?address\b|\bwebsite\b|\burl\b|\binternetadresse\b|\bwebseite\b|\bhomepage\b"
           r"|\binternetseite\b|\blink\b")

_WORD = re.compile(r"[^\W_][\w'’-]*", re.UNICODE)
_ACRONYM = re.compile(r"^[A-ZÄÖÜ][A-ZÄÖÜ0-9]{1,6}(?:-[A-Za-zÄÖÜäöü0-9]+)?$")


@lru_cache(maxsize=1)
def _question_stop_terms() -> frozenset[str]:
    analyzer = get_analyzer()
    terms: set[str] = set()
    for word in _QUESTION_WORDS:
        terms.update(analyzer.analyze(word))
    return frozenset(terms)


def _analyse_words(words: str) -> list[str]:
    return get_analyzer().analyze(words)


def _detect_type(text: str) -> str:
    if _TIME.search(text):
        return "time"
    if _DATE.search(text):
        return "date"
    if _QUANTITY.search(text):
        return "quantity"
    if _DECISION.search(text) and not re.search(r"\bwer\b|\bwho\b", text, re.IGNORECASE):
        return "decision"
    if _LIST.search(text):
        return "list"
    if _ORGANISATION.search(text):
        return "organisation"
    if _PERSON.search(text):
        return "person"
    if _PLACE.search(text):
        return "place"
    return "other"


_POSTS_WORD = re.compile(r"(?:^|-)(?:stellen?|posts?|positions?)$|^(?:personal|vollzeit|plan)stellen?$"
                         r"|^vzä$|^vollzeitäquivalent", re.IGNORECASE)


def _detect_unit(text: str, counted_words: list[str]) -> str | None:
    """The unit family a quantity answer must have, if the question fixes one."""
    if _URL.search(text):
        return "url"
    words = set(re.findall(r"[\w€%-]+|€|%", text.casefold()))
    # 1. Units named outright ("in Euro", "in Prozent", "hours").
    if words & {"euro", "€", "eur"}:
        return "money"
    if words & {"prozent", "%", "percentage", "percent"}:
        return "percent"
    if words & {"stunden", "hours"}:
        return "hours"
    # 2. The counted noun ("wie viele Personalstellen", "how many people").
    counted = [w.casefold() for w in counted_words]
    if any(_POSTS_WORD.search(w) for w in counted):
        return "posts"
    for family in ("persons", "hours", "duration"):
        if set(counted) & set(_UNIT_FAMILIES[family]):
            return family
    # 3. Other words of the question ("welchen Anteil", "staffing level", "Landeszuschuss").
    for family in ("percent", "posts", "money", "duration"):
        if words & set(_UNIT_FAMILIES[family]):
            return family
    return None


def _counted_words(text: str, lang: str) -> list[str]:
    match = _HOW_MANY.search(text)
    if not match:
        return []
    words = match.group(1).split()
    if lang == "de":
        nouns = []
        for word in words:
            clean = word.strip("?,.;:!()")
            if clean[:1].isupper():
                nouns.append(clean)
            elif nouns:
                break
            elif clean in ("der", "die", "das", "den", "dem", "des") \
                    or not re.search(r"(?:e|en|er|es|em)$", clean):
                break  # a verb or an article first: "wie viele fördert das Land" counts no "Land"
        return nouns[:3]
    nouns = []
    for word in words:
        clean = word.strip("?,.;:!()'’").casefold()
        if clean in _EN_HOW_MANY_STOP or clean in FOCUS_WORDS and nouns:
            break
        if clean not in FOCUS_WORDS:
            nouns.append(clean)
    return nouns[-2:]


_DE_TARGET = re.compile(
    r"\b(?:[Ww]elche[rsnm]?|[Ww]essen)\s+(?:[a-zäöüß][\w-]*(?:e|en|er|es|em)\s+){0,2}([A-ZÄÖÜ][\w-]*)"
    r"|\b[Ww]ie\s+(?:hoch|groß|lang|heißt|heißen|hieß)\s+(?:(?:ist|war|sind|waren)\s+)?(?:der|die|das)\s+"
    r"(?:[a-zäöüß][\w-]*(?:e|en|er|es|em)\s+){0,2}([A-ZÄÖÜ][\w-]*)"
    r"|\b[Ww]er\s+(?:ist|war|sind|waren|hatte\s+den|wurde\s+zu[mr])\s+(?:(?:der|die|das)\s+)?"
    r"(?:[a-zäöüß][\w-]*(?:e|en|er|es|em)\s+){0,2}([A-ZÄÖÜ][\w-]*)")
_EN_TARGET = re.compile(
    r"\b(?:which|what)\s+(?:(?:is|are|was|were)\s+)?(?:the\s+)?(?:main\s+)?(?:kind of\s+|type of\s+)?((?:[\w'’-]+\s+){0,2}?[\w'’-]+)(?=\s+(?:is|are|was|were|do|"
    r"does|did|has|have|had|will|would|can|could|in|of|for|on|at|to|from|by|with|between|run|funds|"
    r"moves|asked|spoke|pointed)\b)"
    r"|\bwho\s+(?:is|was|are|were)\s+(?:the\s+)?((?:[\w'’-]+\s+){0,2}?[\w'’-]+)(?=\s+(?:of|in|for|at|on)\b)",
    re.IGNORECASE)


def _target_terms(text: str, lang: str) -> list[str]:
    """Analysed terms of the asked-for noun, its longest (most specific) term first."""
    terms = _target_terms_unsorted(text, lang)
    return sorted(dict.fromkeys(terms), key=lambda t: -len(t)) if terms else []


def _target_terms_unsorted(text: str, lang: str) -> list[str]:
    if lang == "de":
        match = _DE_TARGET.search(text)
        if not match:
            return []
        noun = match.group(1) or match.group(2) or match.group(3)
        return [t for t in _analyse_words(noun)] + _analyse_words(GERMAN_SYNONYMS.get(noun.casefold(), ""))
    match = _EN_TARGET.search(text)
    if not match:
        return []
    words = (match.group(1) or match.group(2)).casefold().split()
    terms: list[str] = []
    for word in words:
        word = word.strip("'’")
        word = word[:-2] if word.endswith("'s") else word
        mapped = TERM_WORDS.get(word) or FOCUS_WORDS.get(word) or ROLE_WORDS.get(word)
        if mapped:
            terms.extend(_analyse_words(mapped))
    return terms


def _english_terms(text: str, table: dict[str, str]) -> list[str]:
    terms: list[str] = []
    for word in _WORD.findall(text):
        key = word.casefold().strip("'’")
        key = key[:-2] if key.endswith("'s") else key
        if key in table:
            terms.extend(_analyse_words(table[key]))
    return terms


def analyze_question(text: str, vocabulary: Collection[str] | None = None) -> QuestionAnalysis:
    """Type, focus terms, content terms and anchors of a German or English question.

    ``vocabulary``: the analysed terms of the index, if known. English questions keep only
    the terms that occur in it (names, numbers, loan words such as "Case Management"); the
    rest of an English question is English and cannot match German text.
    """
    text = text.strip()
    lang = guess_language(text)
    analyzer = get_analyzer()
    stop = _question_stop_terms()
    answer_type = _detect_type(text)

    words = _WORD.findall(text)
    all_terms = [t for t in analyzer.analyze(text) if t not in stop]
    groups: list[list[str]] = []  # one group per focus word: its terms and its synonyms' terms
    terms: list[str] = []
    anchors: list[str] = []

    word_groups: list[tuple[str, ...]] = []  # one group per question word: head term first

    def add_word(own: list[str], extra: list[str]) -> None:
        own = [t for t in own if t not in stop]
        if own:
            head = max(own, key=len)
            group = [head] + [t for t in own + extra if t != head and t not in stop]
            word_groups.append(tuple(dict.fromkeys(group)))

    if lang == "de":
        terms.extend(all_terms)
        for position, word in enumerate(words):
            folded = word.casefold()
            synonyms = _analyse_words(GERMAN_SYNONYMS.get(folded, ""))
            terms.extend(synonyms)
            add_word(analyzer.analyze(word), synonyms)
            if position == 0 or not word[:1].islower() or len(word) < 3 or folded in _MODAL_VERBS:
                continue
            following = words[position + 1] if position + 1 < len(words) else ""
            if following[:1].isupper() and _TOPIC_ADJECTIVE.search(word):
                continue  # "zur medizinischen Versorgung": an attribute of the topic, not a focus
            groups.append([t for t in analyzer.analyze(word) if t not in stop] + synonyms)
    else:
        for term in all_terms:
            if term[:1].isdigit() or vocabulary is None or term in vocabulary:
                terms.append(term)
        for word in _WORD.findall(text):
            key = word.casefold().strip("'’")
            key = key[:-2] if key.endswith("'s") else key
            if key in FOCUS_WORDS:
                groups.append(_analyse_words(FOCUS_WORDS[key]))
            mapped = " ".join(m for m in (FOCUS_WORDS.get(key), TERM_WORDS.get(key)) if m)
            if mapped:
                add_word(_analyse_words(mapped), [])
            else:
                own = [t for t in analyzer.analyze(word) if vocabulary is None or t in vocabulary]
                add_word(own, [])
        terms.extend(t for g in groups for t in g)
        terms.extend(_english_terms(text, TERM_WORDS))

    # Anchors: numbers, years and dates; acronyms; capitalised names in English questions.
    for term in all_terms:
        if term[:1].isdigit():
            anchors.append(term)
    for position, word in enumerate(words):
        bare = word.strip("'’")
        if bare.endswith(("'s", "’s")):
            bare = bare[:-2]
        if bare.casefold() in _NOT_ANCHORS:
            continue
        if _ACRONYM.match(bare.split("-")[0]) and not bare.isdigit():
            anchors.extend(t for t in analyzer.analyze(bare.split("-")[0]) if not t[:1].isdigit())
        elif lang == "en" and position > 0 and bare[:1].isupper() and bare.casefold() not in TERM_WORDS \
                and bare.casefold() not in FOCUS_WORDS:
            anchors.extend(t for t in analyzer.analyze(bare) if t not in stop and not t[:1].isdigit()
                           and (vocabulary is None or t in vocabulary))

    counted_words = _counted_words(text, lang) if answer_type == "quantity" else []
    if lang == "en":
        counted_terms = []
        for word in counted_words:
            counted_terms.extend(_analyse_words(TERM_WORDS.get(word, word)))
    else:
        counted_terms = [t for w in counted_words for t in analyzer.analyze(w)]
        counted_terms += [t for w in counted_words for t in _analyse_words(GERMAN_SYNONYMS.get(w.casefold(), ""))]
    unit = _detect_unit(text, counted_words + [m for w in counted_words for m in TERM_WORDS.get(w, w).split()]) \
        if answer_type == "quantity" else ("url" if _URL.search(text) else None)

    target = _target_terms(text, lang)
    if target and (answer_type in ("person", "organisation", "other", "list")
                   or (answer_type == "quantity" and not counted_words)):
        groups.append(target)
        terms.extend(target)
    if target:
        add_word(target, [])
    covered = {t for g in word_groups for t in g}
    for term in terms:
        if term not in covered and term not in stop:
            word_groups.append((term,))
            covered.add(term)
    groups = [list(dict.fromkeys(t for t in g if t not in stop)) for g in groups]
    groups = [g for g in groups if g]
    unique_groups: list[tuple[str, ...]] = []
    for group_terms in groups:
        if tuple(group_terms) not in unique_groups:
            unique_groups.append(tuple(group_terms))

    special, group = _detect_special(text)
    if special in ("absent", "absent_excused", "absent_unexcused", "present", "minutes_taker", "chair"):
        answer_type = "person"

    return QuestionAnalysis(
        text=text,
        lang=lang,
        answer_type=answer_type,
        focus_terms=tuple(dict.fromkeys(t for g in unique_groups for t in g)),
        focus_groups=tuple(unique_groups),
        term_groups=tuple(dict.fromkeys(word_groups)),
        terms=tuple(dict.fromkeys(terms)),
        anchors=tuple(dict.fromkeys(anchors)),
        unit=unit,
        counted=tuple(dict.fromkeys(counted_terms)),
        special=special,
        group=group,
        target=tuple(dict.fromkeys(t for t in target if t not in stop)),
    )


def _detect_special(text: str) -> tuple[str | None, str | None]:
    group = None
    lowered = text.casefold()
    for name, cues in _ATTENDANCE_GROUPS.items():
        if any(cue in lowered for cue in cues):
            group = name
            break
    if _MINUTES.search(text):
        return "minutes_taker", None
    if _UNEXCUSED.search(text):
        return "absent_unexcused", group
    if _ABSENT.search(text) or (_EXCUSED.search(text) and not _PRESENT.search(text)):
        if _EXCUSED.search(text):
            return "absent_excused", group
        return "absent", group
    if _PRESENT.search(text) and re.search(r"\bwer war\b|\bwho (?:was|were)\b|\bwelche\b|\bwhich\b",
                                           text, re.IGNORECASE) \
            and re.search(r"\bsitzung\b|\bmeeting\b", text, re.IGNORECASE):
        return "present", group
    if _CHAIR.search(text) and not _OTHER_MEETING.search(text):
        return "chair", None
    return None, None
