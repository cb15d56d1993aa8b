"""Conversations: server-side sessions and deterministic follow-up resolution.

A session (``SessionStore.get``) remembers the turns of one conversation. Before a question is
searched, ``resolve`` decides whether it is a *follow-up* of the previous turn and, if so, builds
a self-contained query and the filters to search with. Nothing here calls a model; the only
linguistic resources are the analyzer's stopword lists (through ``get_analyzer().analyze``: a
word whose analysis is empty is a stopword) and ``index.language.guess_language``.

Rules
=====

**Words.** A question is split into surface tokens (word chains such as
"Case-Management-Stellen", "1.800", "e.V."). Named entities are found first and kept whole:
known bodies with their short forms, known committees with their short forms, and years.
A *content term* is an entity or a token that is neither a stopword, nor a cue word (below),
nor a question filler ("viele", "many", "sieht", "gibt", ...).
A *topic term* is a content term that is worth carrying into a later question:
entities, numbers, hyphenated chains and acronyms always; in German questions also every
capitalised word except the first word (German capitalises nouns, so verbs and adverbs such as
"besetzt" or "derzeit" stay behind: carrying "besetzt" into "Und wie viele fördert das Land?"
would pull the search back to the filled posts); in English questions every content word
(English has no such cue).

**Follow-up detection** (only when the session has a previous turn; the first question of a
session is always standalone). A question is a follow-up when any of these holds:

1. it *starts* elliptically: "Und …", "And …", "What about …", "How about …", "Was ist mit …",
   "Wie sieht/steht es … (aus)", "Wie ist es …", "Gilt das auch …", "Same for …";
2. it contains an anaphor: "davon", "dort", "dazu", "dafür", "darin", "darüber", "hiervon",
   "hierzu", "deren", "dessen", "dies", "diese(r/s/m/n)", "er", "ihm", "ihn", "seine(…)",
   "sie", "ihr(e/…)", "it", "its", "they", "them", "their", "he", "she", "his", "her", "him",
   "this", "these", "those"; "das" and "that" only as pronouns (German "das" is an article
   before a noun, "fördert das Land"; English "that" counts at the end or before an
   auxiliary, "that was"); "there" not next to a form of "be" ("are there" is existential).
   Not counted: a capitalised "Sie"/"Ihr…" inside the sentence (polite "you"); "deren",
   "dessen", "denen" after a comma (relative pronouns); a possessive ("its", "his",
   "seine", "ihre", ...) after two content terms of the same question, which hold its
   antecedent ("When did the advisory council … hold its workshop?"); a "da-" word
   followed by "dass"/"ob" (it points forward: "dazu aufgerufen, dass …"); "this"/"diese"
   before a time noun ("this year", "diese Woche"); "it" with "that"/"whether"/"to" among the
   next three words (a dummy subject: "Is it true that …");
3. it is short: fewer than ``MIN_OWN_TERMS`` (2) content terms ("Wer leitet ihn?");
4. optionally, a caller-supplied ``weak(question) -> bool`` says that the question retrieves
   poorly on its own; consulted only for questions with at most ``WEAK_MAX_TERMS`` content
   terms that name no entity (so a precise new question is never merged into the old topic).

Otherwise the question is *standalone*: ``query == question`` and only the request's filters
apply: the earlier topic does not leak into it.

**Historical query expansion.** A follow-up carries the topic terms of the previous turn,
whose stored topic is its own topic terms followed by what it carried itself: the most recent
turn's terms come first and a chain of follow-ups keeps its anchor. At most ``MAX_CARRIED``
terms are carried, not counting entities (bodies, committees, years: they anchor the topic),
and a turn stores at most ``MAX_TOPIC``. A carried term is dropped when

- the new question already contains it (compared on analyzer terms, so "Stellen"/"Stelle"
  and "Case-Management-Stellen"/"Case Management" count as the same),
- it is replaced: a body name when the question names a body or the effective body filter
  is another one (so "Wie sieht es im Rhein-Sieg-Kreis aus?" loses "Kreis Heinsberg"),
  a committee when a committee is named or filtered, a year when a year is named or the
  effective date range excludes it.

For a personal anaphor ("er", "ihm", "ihn", "seine…", "he", "him", "his", "she", "her") a previous
answer that looks like a name (capitalised, no digits, at most five words, e.g. "Jan Röder")
is carried first (without "Herr"/"Frau"), when the caller recorded answers in the session.
The resolved query stays readable, since users see it: the question as asked, followed by
the carried terms in parentheses: "Und wie viele sollen zunächst besetzt werden?
(Case-Management-Stellen, Kreis Heinsberg)".

**Filters.** For a follow-up the previous turn's effective filters are carried; then what the
new question names replaces its field: a body ("Rhein-Sieg", "Aachen", "Heinsberg", full
names, genitive "-s"/"-es" accepted) sets ``body``; a committee (its full name or
"Ausschuss für <first topic>") sets ``committee``; bare years ("2023", "2021 bis 2022"; not
years inside a full date, which name a day that the minutes talk about more often than the
meeting day) set ``date_from``/``date_to`` to the whole years. A newly named body clears the
carried committee (committees belong to one body) and a newly named committee clears a
carried body unless one is named too; anything newly named clears a carried ``document_id``.
Finally every field the request sets explicitly wins (``include_non_public`` is always the
request's own value: a permission is never inherited from an earlier request).

Body as filter or query term: bodies are document metadata in this corpus (one body per
document), so a filter is exact and cheap. The named body becomes a filter *only in a
follow-up*, where it is contrastive ("Wie sieht es im Rhein-Sieg-Kreis aus?") and the carried
topic terms would otherwise pull the search back to the old body's documents (and, for
"Und wer leitet das Jobcenter im Rhein-Sieg-Kreis?", to the Heinsberg Jobcenter's head).
In a standalone question the body stays a query term: a body named in the text is sometimes
the subject of another body's minutes (a report can mention the neighbouring Kreis), and a
wrong filter cannot be recovered from, while a query term only weighs. The filter is then
carried, so later follow-ups stay in that body until another one is named.

On the seed conversations (``eval/questions/seeds_conversations.jsonl``), every answerable
turn (28 of 29) finds its gold agenda item in the top 5 of a hybrid search with the resolved
query and filters, against 24 of 28 with the bare questions; none of the 169 single questions
of ``seeds_dev.jsonl`` is taken for a follow-up when asked after another question
(``pytest tests/assistant/test_conversation.py``).

Sessions
========

``SessionStore.get(id)`` returns the live session or a new one (uuid4 hex id) for a missing,
unknown or expired id; ``get`` is a session's use (LRU order, TTL since last use). A request
does ``session = store.get(id)``, ``resolution = resolve(session, ...)``, searches and answers,
then records the turn with ``session.record(question, resolution, answers=..., agenda_item_ids=...,
document_ids=...)`` or ``session.add_turn(question=, query=, filters=, answers=[Answer],
hits=[Hit])``. A turn keeps the question, the resolved query and filters, the topic, and what
answered it (answer texts, agenda item and document ids); ``resolve`` never records by itself.
``Resolution.focus_items`` / ``focus_documents`` pass the latter on for follow-ups so that answer
selection can prefer them; they never restrict retrieval.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from index.analyze import get_analyzer
from index.language import guess_language
from index.records import Filters, Hit

MIN_OWN_TERMS = 2  # fewer content terms than this: a follow-up
WEAK_MAX_TERMS = 3  # the ``weak`` check is consulted only up to this many content terms
MAX_CARRIED = 6  # topic terms carried into one follow-up query
MAX_TOPIC = 10  # topic terms stored per turn
MAX_NAME_WORDS = 5  # a carried answer that looks like a name has at most this many words
MAX_FOCUS = 5  # agenda items / documents remembered per turn by ``Session.add_turn``

# ------------------------------------------------------------------------- vocabulary

_ELLIPSIS_START = re.compile(
    r"^\s*(?:und|and|also|auch|"
    r"what\s+about|how\s+about|same\s+for|"
    r"was\s+ist\s+mit|wie\s+ist\s+es|wie\s+sieht(?:\s+es)?|wie\s+steht(?:\s+es)?|"
    r"gilt\s+(?:das|dies)\s+auch)\b",
    re.IGNORECASE,
)
# Always anaphoric (folded forms).
_ANAPHORA = frozenset(
    "davon dazu dafür darin darüber daran damit dort dorthin dortigen hiervon hierzu hierfür "
    "hierüber deren dessen denen dies diese dieser dieses diesem diesen er ihm ihn seine "
    "seiner seinem seinen seines sie ihr ihre ihrer ihrem ihren ihres "
    "it its they them their theirs he she his her hers him this these those".split()
)
_PERSONAL = frozenset("er ihm ihn seine seiner seinem seinen seines he him his she her hers".split())
# Capitalised inside a sentence, these are the polite "Sie"/"Ihr" (you, your), no anaphor.
_POLITE = frozenset("sie ihr ihre ihrer ihrem ihren ihres".split())
# Relative pronouns after a comma ("die Suchtberatung, deren Jahresbericht ...").
_RELATIVE = frozenset("deren dessen denen".split())
# Possessives whose antecedent may stand earlier in the same question
# ("the advisory council ... hold its workshop").
_POSSESSIVE = frozenset(
    "its his her their seine seiner seinem seinen seines ihre ihrer ihrem ihren ihres".split())
# "da-" correlatives that point forward to a "dass"/"ob" clause ("dazu aufgerufen, dass ...").
_CORRELATIVE = frozenset("davon dazu dafür darüber daran damit darauf".split())
_FORWARD = frozenset({"dass", "daß", "ob"})
# Deictic time expressions: "this year", "diese Woche" point at the calendar, not the dialogue.
_TIME_NOUNS = frozenset(
    "jahr jahres monat monats woche quartal quartals year month week quarter".split())
# "it" before a clause is a dummy subject: "Is it true that ...", "was it decided to ...".
_EXTRAPOSED = frozenset({"that", "whether", "to"})
_PRONOUN_IF_ALONE = frozenset({"das", "that"})  # see _is_pronoun
_BE = frozenset("is are was were be been isn't aren't wasn't weren't".split())
_AUXILIARIES = _BE | frozenset("will would does did do has have had can could should may might".split())
# Content-free question words that the stopword lists keep.
_FILLERS = frozenset(
    "viel viele vielen vieler wieviel wieviele many much sieht steht aussehen aus gibt gab "
    "gegeben soll sollen sollte sollten muss müssen kann können lautet lauten genau eigentlich "
    "bitte please tell know mal".split()
)
_GENERIC_BODY_WORDS = frozenset(
    "kreis kreises stadt städteregion staedteregion region gemeinde landkreis bezirk "
    "stadtverwaltung kreisverwaltung verwaltung rat".split()
)
_SALUTATION = re.compile(r"^(?:(?:Herrn?|Frau|Mr|Mrs|Ms)\.?\s+)+")  # "Herrn Jan Röder" -> "Jan Röder"
_TOKEN = re.compile(r"\w+(?:[-'’./]\w+)*")
_YEAR = re.compile(r"(?<![\w.\-/])(19[5-9]\d|20\d\d)(?![\w\-/]|\.\d)")
_MONTHS = (
    "januar|january|jan|februar|february|feb|märz|maerz|march|mar|april|apr|mai|may|juni|june|"
    "jun|juli|july|jul|august|aug|september|sept|sep|oktober|october|okt|oct|november|nov|"
    "dezember|december|dez|dec"
)
_FULL_DATE = re.compile(
    r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
    rf"|\b\d{{1,2}}(?:\.|st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Resolution:
    """What to search for one question of a conversation."""

    query: str
    filters: Filters
    is_followup: bool
    reason: str  # short explanation, for logs and the API
    topic: tuple[str, ...] = ()  # topic terms to remember for the next follow-up
    focus_items: tuple[str, ...] = ()  # agenda items that answered the previous turn (follow-ups)
    focus_documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    question: str
    query: str
    filters: Filters
    is_followup: bool
    topic: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()  # answer texts given
    agenda_item_ids: tuple[str, ...] = ()  # agenda items that answered (best first)
    document_ids: tuple[str, ...] = ()
    at: float = 0.0  # clock value when recorded


class Session:
    """The turns of one conversation; at most ``max_turns`` most recent ones are kept."""

    def __init__(self, session_id: str, max_turns: int, clock: Callable[[], float]) -> None:
        self.id = session_id
        self._clock = clock
        self._lock = threading.Lock()
        self._turns: deque[Turn] = deque(maxlen=max_turns)
        self._resolved: dict[str, Resolution] = {}  # the last few resolve() results, by query
        self.created = clock()
        self.last_used = self.created  # set by SessionStore.get: a request's get() is its use

    @property
    def turns(self) -> tuple[Turn, ...]:
        with self._lock:
            return tuple(self._turns)

    @property
    def last_turn(self) -> Turn | None:
        with self._lock:
            return self._turns[-1] if self._turns else None

    def record(self, question: str, resolution: Resolution, *, answers: Iterable[str] = (),
               agenda_item_ids: Iterable[str] = (), document_ids: Iterable[str] = ()) -> Turn:
        """Remember an answered turn (call after answering, with what answered it)."""
        now = self._clock()
        turn = Turn(
            question=question,
            query=resolution.query,
            filters=resolution.filters,
            is_followup=resolution.is_followup,
            topic=resolution.topic,
            answers=tuple(a for a in answers if a),
            agenda_item_ids=tuple(dict.fromkeys(agenda_item_ids)),
            document_ids=tuple(dict.fromkeys(document_ids)),
            at=now,
        )
        with self._lock:
            self._turns.append(turn)
        return turn

    def add_turn(self, *, question: str, query: str, filters: Filters, answers: Iterable = (),
                 hits: Iterable[Hit] = (), resolution: Resolution | None = None) -> Turn:
        """``record`` for a pipeline that holds ``Answer`` and ``Hit`` records: the agenda items
        and documents of the answers' passages come first, then those of the hits (at most
        ``MAX_FOCUS``). Without ``resolution``, the one that ``resolve`` last produced for this
        query in this session gives the topic."""
        answers = list(answers)
        hits = list(hits)
        if resolution is None or resolution.query != query:
            with self._lock:
                resolution = self._resolved.get(query)
        is_followup = resolution.is_followup if resolution else False
        topic = resolution.topic if resolution else ()
        passages = [a.passage for a in answers if hasattr(a, "passage")] + [h.passage for h in hits]
        texts = [a.text if hasattr(a, "text") else str(a) for a in answers]
        items = list(dict.fromkeys(p.agenda_item_id for p in passages))[:MAX_FOCUS]
        documents = list(dict.fromkeys(p.document_id for p in passages))[:MAX_FOCUS]
        return self.record(question, Resolution(query, filters, is_followup, "", topic), answers=texts,
                           agenda_item_ids=items, document_ids=documents)

    def _remember(self, resolution: Resolution) -> None:
        with self._lock:
            self._resolved.pop(resolution.query, None)
            self._resolved[resolution.query] = resolution
            while len(self._resolved) > 4:
                self._resolved.pop(next(iter(self._resolved)))

    def __len__(self) -> int:
        with self._lock:
            return len(self._turns)

    def __bool__(self) -> bool:  # an empty session is still a session ("session or ...")
        return True


class SessionStore:
    """Thread-safe, bounded sessions: least recently used ones are evicted beyond
    ``max_sessions``, and a session unused for more than ``ttl_seconds`` expires."""

    def __init__(self, max_sessions: int = 1000, ttl_seconds: float = 3600, max_turns: int = 20,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_sessions < 1 or max_turns < 1 or ttl_seconds <= 0:
            raise ValueError("max_sessions, max_turns and ttl_seconds must be positive")
        self.max_sessions = max_sessions
        self.ttl_seconds = ttl_seconds
        self.max_turns = max_turns
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # least recently used first

    def get(self, session_id: str | None = None) -> Session:
        """The live session with this id (now marked as used), or a new one with a fresh id
        when the id is None, unknown or expired; the caller learns the id from ``.id``."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            session = self._sessions.get(session_id) if session_id else None
            if session is None:
                session = Session(uuid.uuid4().hex, self.max_turns, self._clock)
                self._sessions[session.id] = session
                while len(self._sessions) > self.max_sessions:
                    self._sessions.popitem(last=False)
            else:
                self._sessions.move_to_end(session.id)
            session.last_used = now
            return session

    def drop(self, session_id: str) -> bool:
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def __bool__(self) -> bool:  # an empty store is still a store ("sessions or SessionStore()")
        return True

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            self._expire(self._clock())
            return session_id in self._sessions

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._sessions)

    def _expire(self, now: float) -> None:
        # Sessions are ordered by last use (get() moves a session to the end), so the expired
        # ones are at the front.
        while self._sessions:
            sid, session = next(iter(self._sessions.items()))
            if now - session.last_used <= self.ttl_seconds:
                break
            del self._sessions[sid]


# ------------------------------------------------------------------------- entities


@dataclass(frozen=True)
class _Entity:
    kind: str  # "body", "committee" or "year"
    value: str  # canonical body/committee name, or the year
    start: int
    end: int


def _body_aliases(bodies: tuple[str, ...]) -> list[tuple[str, str]]:
    """(alias, body) pairs, longest alias first; short forms shared by two bodies are left out."""
    found: dict[str, set[str]] = {}
    for body in bodies:
        found.setdefault(body.casefold(), set()).add(body)
        words = body.split()
        rest = [w for w in words if w.casefold() not in _GENERIC_BODY_WORDS]
        if rest and len(rest) < len(words):
            found.setdefault(" ".join(rest).casefold(), set()).add(body)
        hyphenated = re.sub(r"-(?:kreis|stadt|region)$", "", body, flags=re.IGNORECASE)
        if hyphenated != body:
            found.setdefault(hyphenated.casefold(), set()).add(body)
    pairs = [(alias, next(iter(owners))) for alias, owners in found.items()
             if len(owners) == 1 and len(alias) >= 4]
    return sorted(pairs, key=lambda p: (-len(p[0]), p[0]))


def _committee_aliases(committees: tuple[str, ...]) -> list[tuple[str, str]]:
    """The full names and "Ausschuss für <first topic>" ("Ausschuss für Soziales")."""
    found: dict[str, set[str]] = {}
    for committee in committees:
        found.setdefault(committee.casefold(), set()).add(committee)
        short = re.match(r"(\w*ausschuss\w*\s+(?:für|fuer|for)\s+[^,]+?)(?:,|\s+und\s|$)",
                         committee, re.IGNORECASE)
        if short:
            found.setdefault(short.group(1).casefold(), set()).add(committee)
    pairs = [(alias, next(iter(owners))) for alias, owners in found.items() if len(owners) == 1]
    return sorted(pairs, key=lambda p: (-len(p[0]), p[0]))


@lru_cache(maxsize=64)
def _entity_patterns(bodies: tuple[str, ...], committees: tuple[str, ...]
                     ) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(kind, pattern, canonical name): committees first, then bodies, longest alias first.
    A genitive "-s"/"-es" may follow ("des Rhein-Sieg-Kreises")."""
    patterns = []
    for kind, pairs in (("committee", _committee_aliases(committees)), ("body", _body_aliases(bodies))):
        for alias, name in pairs:
            patterns.append((kind, re.compile(r"(?<!\w)" + re.escape(alias) + r"(?:e?s)?(?!\w)"), name))
    return tuple(patterns)


def _find_entities(text: str, bodies: Sequence[str], committees: Sequence[str]) -> list[_Entity]:
    """Non-overlapping committee, body and year mentions, in text order."""
    folded = text.casefold()  # same length as the text, except for a few letters ("ß")
    if len(folded) != len(text):
        folded = "".join(c.casefold() if len(c.casefold()) == 1 else c for c in text)
    taken: list[_Entity] = []

    def free(start: int, end: int) -> bool:
        return all(end <= e.start or start >= e.end for e in taken)

    for kind, pattern, name in _entity_patterns(tuple(bodies), tuple(committees)):
        for match in pattern.finditer(folded):
            if free(match.start(), match.end()):
                taken.append(_Entity(kind, name, match.start(), match.end()))
    dates = [m.span() for m in _FULL_DATE.finditer(text)]
    for match in _YEAR.finditer(text):
        inside_date = any(s <= match.start() < e for s, e in dates)
        if not inside_date and free(match.start(), match.end()):
            taken.append(_Entity("year", match.group(1), match.start(), match.end()))
    return sorted(taken, key=lambda e: e.start)


# ------------------------------------------------------------------------ analysis


@dataclass(frozen=True)
class _Parsed:
    lang: str
    entities: tuple[_Entity, ...]
    content: tuple[str, ...]  # content terms (surface), entities included, in text order
    topic: tuple[str, ...]  # topic terms (surface), in text order
    cues: tuple[str, ...]  # what marks it as a follow-up ("starts with 'und'", "'davon'")
    personal: bool  # a personal anaphor ("er", "he", ...)
    terms: frozenset[str]  # analyzer terms of the whole question


def _is_content(token: str) -> bool:
    folded = token.casefold()
    if folded in _FILLERS or folded in _ANAPHORA or folded in _PRONOUN_IF_ALONE:
        return False
    return bool(get_analyzer().analyze(token))


def _is_anaphor(question: str, tokens: list[re.Match[str]], i: int) -> bool:
    """Whether the anaphora-list word ``tokens[i]`` points back into the conversation, rather
    than being the polite "Sie"/"Ihr", a relative pronoun, a possessive with an antecedent in
    the question itself, a forward-pointing correlative or a calendar deictic."""
    token = tokens[i].group()
    folded = token.casefold()
    following = [t.group().casefold() for t in tokens[i + 1:]]
    if folded in _POLITE and token[0].isupper() and i > 0:
        return False
    if folded in _RELATIVE and re.search(r",\s*(?:\w+\s+)?$", question[:tokens[i].start()]):
        return False
    if folded in _POSSESSIVE and sum(_is_content(t.group()) for t in tokens[:i]) >= 2:
        return False
    if folded in _CORRELATIVE and _FORWARD & set(following):
        return False
    if following and following[0] in _TIME_NOUNS:
        return False
    if folded == "it" and _EXTRAPOSED & set(following[:3]):
        return False
    return True


def _is_pronoun(word: str, following: list[str]) -> bool:
    """Whether "das"/"that" stands for something said before rather than introducing a noun.

    German "das" is an article when a noun (capitalised) follows, directly or after one
    lower-case content word (an adjective: "das neue Zentrum"). English "that" is a pronoun
    at the end or before an auxiliary ("that was"); otherwise it is a determiner,
    conjunction or relative pronoun, and a short question is caught by the length rule anyway.
    """
    if not following:
        return True
    if word == "das":
        first = following[0]
        if first[0].isupper():
            return False
        if len(following) > 1 and _is_content(first) and following[1][0].isupper():
            return False
        return True
    return following[0].casefold() in _AUXILIARIES


def _is_marked(token: str) -> bool:
    """Numbers, hyphenated chains and acronyms: always topic terms."""
    return (any(c.isdigit() for c in token) or "-" in token.strip("-")
            or (len(token) >= 2 and token.isupper()))


def _parse(question: str, bodies: Sequence[str], committees: Sequence[str]) -> _Parsed:
    lang = guess_language(question)
    entities = _find_entities(question, bodies, committees)
    tokens = list(_TOKEN.finditer(question))
    # A body is remembered by its canonical name ("Rhein-Sieg" -> "Rhein-Sieg-Kreis"); a
    # committee as written, as its full name is long and holds commas.
    content: list[tuple[int, str]] = [(e.start, e.value if e.kind == "body" else question[e.start:e.end])
                                      for e in entities]
    topic: list[tuple[int, str]] = list(content)
    cues: list[str] = []
    personal = False
    start = _ELLIPSIS_START.match(question)
    if start:
        cues.append(f"starts with '{' '.join(start.group(0).split())}'")
    for i, match in enumerate(tokens):
        token = match.group()
        folded = token.casefold()
        in_entity = any(e.start <= match.start() < e.end for e in entities)
        if in_entity:
            continue
        if folded in _ANAPHORA:
            if _is_anaphor(question, tokens, i):
                cues.append(f"'{token}'")
                personal |= folded in _PERSONAL
        elif folded in _PRONOUN_IF_ALONE:
            if _is_pronoun(folded, [t.group() for t in tokens[i + 1:i + 3]]):
                cues.append(f"'{token}'")
        elif folded == "there":
            previous = tokens[i - 1].group().casefold() if i > 0 else ""
            following = tokens[i + 1].group().casefold() if i + 1 < len(tokens) else ""
            if previous not in _BE and following not in _BE:
                cues.append(f"'{token}'")
        if not _is_content(token):
            continue
        content.append((match.start(), token))
        if _is_marked(token):
            topic.append((match.start(), token))
        elif lang == "de":
            if token[0].isupper() and i > 0:
                topic.append((match.start(), token))
        else:
            topic.append((match.start(), token))
    content.sort()
    topic.sort()
    return _Parsed(
        lang=lang,
        entities=tuple(entities),
        content=tuple(t for _, t in content),
        topic=tuple(dict.fromkeys(t for _, t in topic)),
        cues=tuple(dict.fromkeys(cues)),
        personal=personal,
        terms=frozenset(get_analyzer().analyze(question)),
    )


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return (0 < len(words) <= MAX_NAME_WORDS and not any(c.isdigit() for c in text)
            and any(w[0].isupper() for w in words))


# -------------------------------------------------------------------------- resolve


def resolve(session: Session, question: str, filters: Filters | None, known_bodies: Sequence[str],
            known_committees: Sequence[str], weak: Callable[[str], bool] | None = None) -> Resolution:
    """The query and filters to search with for ``question`` in ``session`` (see the module
    docstring for the rules). Does not record the turn: call ``session.record`` after answering."""
    question = question.strip()
    if not question:
        raise ValueError("the question is empty")
    request = filters or Filters()
    parsed = _parse(question, known_bodies, known_committees)
    resolution = _resolve(session.last_turn, question, parsed, request, known_bodies, known_committees,
                          weak)
    session._remember(resolution)
    return resolution


def _resolve(previous: Turn | None, question: str, parsed: _Parsed, request: Filters,
             known_bodies: Sequence[str], known_committees: Sequence[str],
             weak: Callable[[str], bool] | None) -> Resolution:
    if previous is None:
        return Resolution(question, request, False, "first question of the session", parsed.topic)

    reason = _followup_reason(parsed, question, weak)
    if reason is None:
        return Resolution(question, request, False,
                          f"standalone: {len(parsed.content)} own content terms, no follow-up cue",
                          parsed.topic)

    effective, changes = _merge_filters(previous.filters, parsed, request)
    carried = _carried_terms(previous, parsed, effective, known_bodies, known_committees)
    query = f"{question} ({', '.join(carried)})" if carried else question
    topic = tuple(dict.fromkeys(parsed.topic + tuple(carried)))[:MAX_TOPIC]
    details = [reason]
    if carried:
        details.append(f"carried {', '.join(carried)}")
    details.extend(changes)
    return Resolution(query, effective, True, "follow-up: " + "; ".join(details), topic,
                      previous.agenda_item_ids, previous.document_ids)


def _followup_reason(parsed: _Parsed, question: str, weak: Callable[[str], bool] | None) -> str | None:
    if parsed.cues:
        return parsed.cues[0]
    if len(parsed.content) < MIN_OWN_TERMS:
        return f"short ({len(parsed.content)} content term{'s' if len(parsed.content) != 1 else ''})"
    if (weak is not None and len(parsed.content) <= WEAK_MAX_TERMS and not parsed.entities
            and weak(question)):
        return "retrieves poorly on its own"
    return None


def _merge_filters(carried: Filters, parsed: _Parsed, request: Filters) -> tuple[Filters, list[str]]:
    """Carried filters, replaced by what the question names, overridden by the request."""
    changes: list[str] = []
    bodies = [e.value for e in parsed.entities if e.kind == "body"]
    committees = [e.value for e in parsed.entities if e.kind == "committee"]
    years = sorted(int(e.value) for e in parsed.entities if e.kind == "year")
    merged = carried
    if bodies or committees or years:
        merged = replace(merged, document_id=None)
    if bodies:
        merged = replace(merged, body=bodies[0], committee=None if not committees else merged.committee)
        changes.append(f"body → {bodies[0]}")
    if committees:
        merged = replace(merged, committee=committees[0], body=merged.body if bodies else None)
        changes.append(f"committee → {committees[0]}")
    if years:
        merged = replace(merged, date_from=dt.date(years[0], 1, 1), date_to=dt.date(years[-1], 12, 31))
        changes.append(f"dates → {years[0]}" + (f"–{years[-1]}" if years[-1] != years[0] else ""))
    overrides = {name: getattr(request, name)
                 for name in ("body", "committee", "date_from", "date_to", "document_id")
                 if getattr(request, name) is not None}
    merged = replace(merged, include_non_public=request.include_non_public, **overrides)
    if overrides:
        changes.append("request filters: " + ", ".join(sorted(overrides)))
    return merged, changes


def _carried_terms(previous: Turn, parsed: _Parsed, effective: Filters,
                   bodies: Sequence[str], committees: Sequence[str]) -> list[str]:
    names_body = any(e.kind == "body" for e in parsed.entities)
    names_committee = any(e.kind == "committee" for e in parsed.entities)
    names_year = any(e.kind == "year" for e in parsed.entities)
    candidates: list[str] = []
    if parsed.personal:
        names = [_SALUTATION.sub("", a) for a in previous.answers]
        candidates += [name for name in names if _looks_like_name(name)][:1]
    candidates += previous.topic
    carried: list[str] = []
    entities = 0
    analyzer = get_analyzer()
    seen = set(parsed.terms)
    for term in candidates:
        terms = set(analyzer.analyze(term))
        # pieces of a chain count one by one: "Case Management Stellen" asks for
        # "Case-Management-Stellen" although it lacks the joined term
        if not terms or set(analyzer.analyze(term.replace("-", " "))) <= seen:
            continue
        found = _find_entities(term, bodies, committees)
        whole = found[0] if len(found) == 1 and (found[0].start, found[0].end) == (0, len(term)) else None
        if whole is not None:
            if whole.kind == "body" and (names_body or _differs(whole.value, effective.body)):
                continue
            if whole.kind == "committee" and (names_committee or (
                    effective.committee and effective.committee.casefold() not in whole.value.casefold())):
                continue
            if whole.kind == "year" and (names_year or not _year_within(int(whole.value), effective)):
                continue
        elif len(carried) - entities >= MAX_CARRIED:
            continue  # entities are carried beyond the limit: they anchor the topic
        carried.append(term)
        entities += whole is not None
        seen |= terms
    return carried


def _differs(name: str, wanted: str | None) -> bool:
    return wanted is not None and name.casefold() != wanted.casefold()


def _year_within(year: int, filters: Filters) -> bool:
    if filters.date_from and year < filters.date_from.year:
        return False
    if filters.date_to and year > filters.date_to.year:
        return False
    return True


def known_entities(documents: Iterable) -> tuple[list[str], list[str]]:
    """Sorted distinct bodies and committees of documents (``SearchIndex.documents.infos()``)."""
    documents = list(documents)
    return (sorted({d.meeting.body for d in documents if d.meeting.body}),
            sorted({d.meeting.committee for d in documents if d.meeting.committee}))
