"""One German text analyzer for BM25, used for documents and queries alike.

Pipeline (``GermanAnalyzer.analyze``):

1. **Fold** the whole text: NFKC (PDF ligatures, full-width digits), ``str.casefold``
   (so "ß"/"ẞ" become "ss"), drop soft hyphens and zero-width characters, unify hyphen
   and apostrophe variants, and cut gender suffixes ("Schüler*innen", "Schüler:innen",
   "Schüler/-innen" -> "schüler").
2. **Tokenize** with one regex that knows, in this order:
   ISO dates ("2022-05-11"), written-out dates ("11. Mai 2022", "11 May 2022",
   "May 11, 2022") and otherwise *chains*: runs of letter pieces and number pieces that
   are glued by hyphens or directly adjacent ("Case-Management-Stellen", "18-jährigen",
   "B56", "COVID-19").  Everything else (punctuation, "§", "%", "€") separates tokens.
3. **Numbers and dates** (number pieces) become one canonical term each, never stemmed:
   numeric dates "11.05.2022" / "01.06.22" -> "2022-05-11" / "2022-06-01" (two-digit
   years follow ``strptime("%y")``: 00-68 -> 20xx, 69-99 -> 19xx);
   German thousands dots "1.800" and "624.493,60" -> "1800", "624493.6";
   decimal comma or point "1,5" / "1.5" -> "1.5"; leading zeros of the integer part and
   trailing zeros of the fraction are dropped, so "12,0" == "12" and "06" == "6"
   (chosen so that "12,0 Stellen" is found by "12 Stellen"); dotted outline numbers such as
   "1.2.3" stay whole.  Single digits are terms like any other number.
4. **Stopwords** are removed on the folded surface form (German + English, because users
   ask in both): the Snowball lists, vendored verbatim under ``index/data`` (BSD-3) because
   no PyPI package ships them without a download step (``stop-words`` and ``stopwordsiso``
   do ship lists, but their English lists drop words such as "kind", "top", "case", "ki",
   "ag" and "information" that are content words in German minutes), plus a short, commented
   project list (``stopwords_extra.txt``: "wurde", "dass", question words).  Negations
   ("nicht", "kein") and question words ("wann", "wie") are removed too: BM25 scores each
   term independently, so they only add near-zero-IDF noise.
5. **Stem** every remaining word with Snowball German (PyStemmer).  The Snowball German
   stemmer also maps "ae"/"oe"/"ue" to umlauts and then strips all umlauts, so
   "Gütersloh", "gutersloh" and "Guetersloh" share the stem "gutersloh".
6. **Decompound** closed compounds: emit the stems of the parts after the stem of the
   whole word ("Teilhabemanagementstelle" -> teilhabemanagementstell, teilhab, management,
   stell); parts are stemmed like words, so the part "Stelle" meets the word "Stellen".
   The lexicon is the ~245k noun forms of the maintained ``german-nouns`` data package
   (Wiktionary, CC BY-SA 4.0), read from its CSV lazily once per process (~1.5 s).
   Its own ``Nouns.parse_compound`` is not used: it splits greedily from the right and
   silently drops what it cannot cover ("Kindergarten" -> [Inder, Garten], "Heinsberg" ->
   [Eins, Berg], "Stelle" -> [Elle], "Casemanagementstellen" -> [Ase, Management, Stelle]).
   Instead a small dynamic programme accepts only splits that cover the whole word with
   >= 2 parts of >= 3 letters, preferring the fewest parts, then the longest head:

   - the head (last part) is a noun form; a non-final part is a noun form, possibly with a
     linking element ("Integration|s-", "Tag|es-") or without its final "e" ("Schul-"),
     or an adjective or verb stem that starts >= 5 compound lemmas of the lexicon
     ("Sozial|ausschuss", "Förder|programm"); a bare 3-letter non-final part is refused
     ("Ent|scheidung", "Bur|ger");
   - known nouns are split through their lemma ("Feldern" -> "Feld": no split); unknown
     words that end like adjectives or participles ("folgenden", "soziale") are not split;
   - stopwords, names (Toponym, Vorname, ...), nominalised adjectives ("Vorsitzende") and
     a few suffix-like heads ("Institut|ion", "sond|ern", "gest|alten") never count;
   - without a full cover, an unknown first part is accepted before a compound of >= 2
     long parts ("Case|management|stellen"), never before a single noun ("Heins|berg").

   What is left is mostly harmless ("Eschweiler" -> esch + weiler, "Interesse" -> inter +
   esse).  ``compound-split`` was rejected: GPL-3.0 (this project is MIT), statistical (it
   always proposes a split, e.g. "Heinsberg" -> Heins + Berg with a positive score) and
   slow to import (a 39 MB Python module).
7. **Chains** emit the terms of each piece and, when a piece is a word, also the joined
   form (stemmed): "Case-Management-Stellen" -> case, management, stell,
   casemanagementstell, which is also the stem of "Casemanagementstellen".

Terms come back in text order with duplicates kept (BM25 needs term frequencies).
Results are cached per surface token, so repeated words cost one dict lookup.
"""
from __future__ import annotations

import csv
import logging
import re
import threading
import time
import unicodedata
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import Stemmer

log = logging.getLogger(__name__)

_RULES_VERSION = "1"


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


# The stemmer and the noun lexicon change output too, so their versions are part of it.
ANALYZER_VERSION: str = (
    f"de-{_RULES_VERSION}+pystemmer-{_dist_version('PyStemmer')}"
    f"+german-nouns-{_dist_version('german-nouns')}"
)

_DATA_DIR = Path(__file__).with_name("data")
_STOPWORD_FILES = ("stopwords_de.txt", "stopwords_en.txt", "stopwords_extra.txt")

_MIN_PART = 3  # shortest compound part, in letters ("Amt", "Rat", "Tag")
_MAX_PART = 40  # longest lexicon form considered as one part
_MAX_SPLIT_LEN = 80  # longer "words" are junk (URLs, hashes): not decompounded
_MIN_MODIFIER_EVIDENCE = 5  # fewer lemmas let fragments in ("besch|eid", "verw|endung")
_FUGEN = ("ens", "es", "en", "er", "s", "n")  # linking elements after a non-final part
_MAX_CACHE = 1_000_000  # surface tokens cached before the cache is cleared

# Rows of german-nouns with one of these tags are not common nouns.
_NAME_POS = {
    "Vorname", "Nachname", "Familienname", "Eigenname", "Straßenname", "Toponym",
    "Ortsnamengrundwort",
}
_OTHER_POS = {
    "Buchstabe", "Abkürzung", "Wortverbindung", "Symbol", "Affix", "Suffix",
    "Gebundenes Lexem", "Zahlklassifikator", "Grußformel", "Partikel", "Redewendung",
    "Geflügeltes Wort", "Deklinierte Form",
}
_NOSPLIT_POS = "adjektivische Deklination"  # "Vorsitzende" is not vorsitz + ende
# Nouns that look like suffixes or inflection endings; never accepted as the head of a
# compound ("Institut|ion", "sond|ern", "sozi|ales", "kultur|elle", "gest|alten").
_SUFFIX_HEADS = frozenset(
    "ion ionen ern ale ales alen elle ellen ehe ehen ers eren ren alte alten los lose losen"
    " tein ente enten isch schaft schaften ismus ure lei lein".split()
)
_VOWEL = re.compile("[aeiouy]")
# Unknown words ending like this are adjectives or participles, not compounds.
_ADJECTIVE_ENDING = re.compile(r"(?:end|isch|lich|ig|sam|bar|haft)(?:e[mnrs]?)?$")

# ---------------------------------------------------------------------------- folding

_FOLD_TABLE = {
    0x00AD: None,  # soft hyphen
    0x200B: None, 0x200C: None, 0x200D: None, 0x2060: None, 0xFEFF: None,  # zero width
    0x2010: "-", 0x2011: "-",  # Unicode hyphens (not dashes: "2019–2021" is a range)
    0x2019: "'", 0x02BC: "'",  # typographic apostrophes
}
_UMLAUTS = str.maketrans("äöü", "aou")  # length-preserving, for lexicon look-ups
_GENDER = re.compile(r"(?<=[^\W\d_])(?:[*:_]|/-?)in(?:nen)?\b")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD_TABLE)
    return _GENDER.sub("", folded)


# --------------------------------------------------------------------------- tokenizer

_MONTHS = {
    "januar": 1, "january": 1, "jan": 1, "jänner": 1,
    "februar": 2, "february": 2, "feb": 2,
    "märz": 3, "maerz": 3, "marz": 3, "march": 3, "mär": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "december": 12, "dez": 12, "dec": 12,
}
_MONTH_RE = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"
_PIECE = r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)*"

_TOKEN = re.compile(
    rf"(?P<iso>(?<![\d.,])\d{{4}}-{_MON}-{_DAY}(?!\d))"
    rf"|(?P<dmy>(?<![\d.,]){_DAY}(?:\.\s*|(?:st|nd|rd|th)?\s+)(?:of\s+)?"
    rf"{_MONTH_RE}\.?,?\s+\d{{4}}(?!\d))"
    rf"|(?P<mdy>(?<![^\W\d_]){_MONTH_RE}\.?\s+{_DAY}(?:st|nd|rd|th)?,?\s+\d{{4}}(?!\d))"
    rf"|(?P<chain>(?:{_PIECE})(?:-?(?:{_PIECE}))*)"
)
_PIECES = re.compile(_PIECE)
_NUMERIC_DATE = re.compile(rf"({_DAY})\.({_MON})\.(\d{{4}}|\d{{2}})")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")


def _iso(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date_term(kind: str, text: str) -> str:
    """Canonical ISO term for a date matched by one of the date branches of ``_TOKEN``."""
    if kind == "iso":
        y, m, d = text.split("-")
        return _iso(int(y), int(m), int(d))
    words = re.findall(rf"\d+|{_MONTH_RE}", text)
    if kind == "dmy":
        day, month, year = words
    else:
        month, day, year = words
    return _iso(int(year), _MONTHS[month], int(day))


def _int(digits: str) -> str:
    return digits.lstrip("0") or "0"


def _decimal(whole: str, fraction: str) -> str:
    fraction = fraction.rstrip("0")
    return f"{_int(whole)}.{fraction}" if fraction else _int(whole)


def _is_thousands(groups: list[str]) -> bool:
    """"1", "800" / "624", "493": a head of 1-3 digits without leading zero, then 3-digit groups."""
    head = groups[0]
    return 1 <= len(head) <= 3 and head[0] != "0" and all(len(g) == 3 for g in groups[1:])


def _number_terms(s: str) -> tuple[str, ...]:
    """Canonical term(s) for a number piece such as "1.800", "1,5" or "11.05.2022"."""
    has_dot, has_comma = "." in s, "," in s
    if not (has_dot or has_comma):
        return (_int(s),)
    if has_dot and not has_comma:
        date = _NUMERIC_DATE.fullmatch(s)
        if date:
            day, month, year = (int(g) for g in date.groups())
            if len(date.group(3)) == 2:
                year += 2000 if year < 69 else 1900
            return (_iso(year, month, day),)
    if has_dot and has_comma:
        decimal_sep = "." if s.rfind(".") > s.rfind(",") else ","
        head, _, fraction = s.rpartition(decimal_sep)
        groups = head.split("," if decimal_sep == "." else ".")
        if decimal_sep not in head and _is_thousands(groups):
            return (_decimal("".join(groups), fraction),)
        return tuple(_int(g) for g in re.split(r"[.,]", s))
    sep = "." if has_dot else ","
    groups = s.split(sep)
    if len(groups) == 2:
        if sep == "." and _is_thousands(groups):  # German thousands: "1.800"
            return (_int("".join(groups)),)
        return (_decimal(groups[0], groups[1]),)
    if _is_thousands(groups):  # "1.800.000" (or English "1,800,000")
        return (_int("".join(groups)),)
    if sep == ".":  # outline or version number "1.2.3": keep whole
        return (s,)
    return tuple(_int(g) for g in groups)  # "1,2,3" is an enumeration


# -------------------------------------------------------------------- shared resources

class _Lexicon(NamedTuple):
    """Noun data from german-nouns; every string casefolded with umlauts mapped to a/o/u."""

    parts: frozenset[str]  # noun forms usable as compound parts (no stopwords)
    elided: frozenset[str]  # parts that end in "e", without it ("schul" for "Schule")
    lemma_of: dict[str, str]  # inflected form -> lemma ("feldern" -> "feld")
    nosplit: frozenset[str]  # names and nominalised adjectives ("vorsitzende")
    modifiers: frozenset[str]  # non-noun first parts seen in lemmas ("sozial", "forder")
    stopwords: frozenset[str]  # never a part


_load_lock = threading.Lock()
_stopwords: frozenset[str] | None = None
_lexicon: _Lexicon | None = None


def _spelling_variants(word: str) -> set[str]:
    """The word plus its umlaut-less, transliterated and apostrophe-less spellings."""
    variants = {word, word.translate(_UMLAUTS)}
    variants.add(word.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue"))
    variants |= {v.replace("'", "") for v in variants}
    return variants


def read_word_list(name: str) -> list[str]:
    """Words of a vendored Snowball-format list in ``index/data`` (``|`` starts a comment)."""
    words = []
    for line in (_DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        entry = line.split("|", 1)[0].strip()
        if entry:
            words.append(entry.split()[0])
    return words


def _load_stopwords() -> frozenset[str]:
    """Folded stopwords (with spelling variants) from the vendored lists."""
    global _stopwords
    with _load_lock:
        if _stopwords is None:
            words: set[str] = set()
            for name in _STOPWORD_FILES:
                for word in read_word_list(name):
                    words |= _spelling_variants(_fold(word))
            _stopwords = frozenset(words)
    return _stopwords


def _load_lexicon() -> _Lexicon:
    """Read the CSV of ``german-nouns`` (lemma, pos, genus x5, inflected forms) once.

    ``Nouns()`` would also build row dicts and an index we do not need (250 MB, 1.4 s).
    """
    global _lexicon
    stopwords = _load_stopwords()
    with _load_lock:
        if _lexicon is None:
            from german_nouns.config import CSV_FILE_PATH

            started = time.perf_counter()
            lemma_of: dict[str, str] = {}
            lemmas: set[str] = set()
            names: set[str] = set()
            nosplit: set[str] = set()
            with open(CSV_FILE_PATH, encoding="utf-8", newline="") as f:
                rows = csv.reader(f)
                header = next(rows)
                pos_col, first_form_col = header.index("pos"), header.index("nominativ singular")
                for row in rows:
                    pos = set(row[pos_col].split(","))
                    if pos & _OTHER_POS or not row[0].isalpha():
                        continue
                    lemma = row[0].casefold().translate(_UMLAUTS)
                    forms = {
                        w.casefold().translate(_UMLAUTS)
                        for w in (row[0], *row[first_form_col:])
                        if w.isalpha() and len(w) >= _MIN_PART
                    }
                    if pos & _NAME_POS:
                        names |= forms
                        continue
                    lemmas.add(lemma)
                    for form in forms:
                        lemma_of.setdefault(form, lemma)
                    if _NOSPLIT_POS in pos:
                        nosplit |= forms
            for lemma in lemmas:  # a lemma that is also another word's form stays itself
                lemma_of[lemma] = lemma
            parts = frozenset(form for form in lemma_of if form not in stopwords)
            elided = frozenset(
                p[:-1] for p in parts if p.endswith("e") and len(p) > _MIN_PART + 1
            ) - stopwords
            lexicon = _Lexicon(
                parts, elided, lemma_of, frozenset(nosplit | (names - lemma_of.keys())),
                frozenset(), stopwords,
            )
            _lexicon = lexicon._replace(modifiers=_learn_modifiers(lexicon, lemmas))
            log.info(
                "german-nouns lexicon: %d noun forms, %d modifiers, loaded in %.2f s",
                len(parts), len(_lexicon.modifiers), time.perf_counter() - started,
            )
    return _lexicon


def _learn_modifiers(lex: _Lexicon, lemmas: set[str]) -> frozenset[str]:
    """First parts that are not nouns but start >= 5 compound lemmas of the lexicon.

    Adjectives and verb stems are common first parts ("Sozial|ausschuss",
    "Förder|programm", "Wohn|raum") but german-nouns lists nouns only; without them
    "Sozialausschuss" would come out as "Sozia|laus|schuss".  Prefixes ending in "ge"
    are participle prefixes ("ange|bot"), not words.
    """
    counts: Counter[str] = Counter()
    for lemma in lemmas:
        for i in range(_MIN_PART + 1, len(lemma) - _MIN_PART):
            head = lemma[i:]
            if head in lemmas and head not in _SUFFIX_HEADS:
                counts[lemma[:i]] += 1
    return frozenset(
        prefix
        for prefix, count in counts.items()
        if count >= _MIN_MODIFIER_EVIDENCE
        and _VOWEL.search(prefix)
        and not prefix.endswith("ge")
        and prefix not in lex.stopwords
        and not _core_end(prefix, lex)
    )


def _split_compound(word: str) -> tuple[str, ...]:
    """Parts of a closed compound (umlauts mapped, linking elements dropped), or ().

    Known nouns are split via their lemma ("Feldern" -> "Feld": no split), unknown words
    only if they do not end like an adjective or participle ("folgenden", "demografische").
    If no full cover exists, an unknown first part of >= 4 letters is accepted when the
    rest is itself a compound of >= 2 parts of >= 5 letters ("Case|management|stellen"),
    never before a single noun ("Heins|berg").
    """
    if len(word) < 2 * _MIN_PART or len(word) > _MAX_SPLIT_LEN or not word.isalpha():
        return ()
    lex = _lexicon if _lexicon is not None else _load_lexicon()
    norm = word.translate(_UMLAUTS)
    target = lex.lemma_of.get(norm)
    if target is None:
        if _ADJECTIVE_ENDING.search(norm):
            return ()
        target = norm
    if target in lex.nosplit or norm in lex.nosplit:
        return ()
    cover = _covers(target, lex)
    if cover[0] is not None and cover[0][0] >= 2:
        return _parts(target, 0, cover)
    if target in lex.lemma_of:  # a known noun without a cover is a simple word
        return ()
    for i in range(_MIN_PART + 1, len(target) - 2 * _MIN_PART + 1):
        rest = cover[i]
        if rest is None or rest[0] < 2:
            continue
        prefix, parts = target[:i], _parts(target, i, cover)
        if _VOWEL.search(prefix) and prefix not in lex.stopwords and min(map(len, parts)) > 4:
            return (prefix, *parts)
    return ()


# cover of target[i:]: (number of parts, -length of the head, end of the first part's
# noun, start of the next part); the tuple order makes min() prefer the fewest parts,
# then the longest head.
_Cover = tuple[int, int, int, int]


def _covers(target: str, lex: _Lexicon) -> list[_Cover | None]:
    """Best cover of every suffix ``target[i:]`` by noun parts, computed right to left."""
    n = len(target)
    cover: list[_Cover | None] = [None] * (n + 1)
    for i in range(n - _MIN_PART, -1, -1):
        head = target[i:]  # the whole word (i == 0) is no cover: a split needs two parts
        is_head = i > 0 and head in lex.parts and head not in _SUFFIX_HEADS
        best: _Cover | None = (1, i - n, n, n) if is_head else None
        for j in range(i + _MIN_PART, min(n - _MIN_PART, i + _MAX_PART) + 1):
            rest = cover[j]
            if rest is None or (best is not None and best[0] < rest[0] + 1):
                continue
            core = _core_end(target[i:j], lex)
            if core and (best is None or (rest[0] + 1, rest[1]) < best[:2]):
                best = (rest[0] + 1, rest[1], i + core, j)
        cover[i] = best
    return cover


def _parts(target: str, i: int, cover: list[_Cover | None]) -> tuple[str, ...]:
    parts: list[str] = []
    while i < len(target):
        _, _, core_end, j = cover[i]  # type: ignore[misc]
        parts.append(target[i:core_end])
        i = j
    return tuple(parts)


def _core_end(piece: str, lex: _Lexicon) -> int:
    """Length of the noun at the start of ``piece`` when ``piece`` is a non-final part, else 0.

    The noun may be followed by a linking element ("integration|s") or have lost its
    final "e" ("schul"); a 3-letter noun needs a linking element ("amt|s", "tag|es"), as
    bare 3-letter nouns cover too many non-compounds ("Ent|scheidung", "Bur|ger").
    """
    if len(piece) > _MIN_PART and (
        piece in lex.parts or piece in lex.elided or piece in lex.modifiers
    ):
        return len(piece)
    for fuge in _FUGEN:
        core = len(piece) - len(fuge)
        if core >= _MIN_PART and piece.endswith(fuge) and piece[:core] in lex.parts:
            return core
    return 0


# ---------------------------------------------------------------------------- analyzer


class GermanAnalyzer:
    """Text -> BM25 index terms.  Cheap to create; data is loaded on first use."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()  # PyStemmer objects are not thread-safe
        self._stemmer = Stemmer.Stemmer("german")

    def analyze(self, text: str) -> list[str]:
        """Index terms of ``text`` in text order, duplicates kept."""
        if not text:
            return []
        terms: list[str] = []
        cache = self._cache
        for match in _TOKEN.finditer(_fold(text)):
            kind = match.lastgroup
            token = match.group()
            if kind == "chain":
                found = cache.get(token)
                if found is None:
                    found = self._chain_terms(token)
                terms.extend(found)
            else:
                terms.append(_date_term(kind, token))
        return terms

    def _chain_terms(self, chain: str) -> tuple[str, ...]:
        with self._lock:
            found = self._cache.get(chain)
            if found is None:
                found = self._compute_chain(chain)
                if len(self._cache) >= _MAX_CACHE:
                    self._cache.clear()
                self._cache[chain] = found
        return found

    def _compute_chain(self, chain: str) -> tuple[str, ...]:
        pieces = _PIECES.findall(chain)
        if len(pieces) == 1:
            return self._piece_terms(chain)
        ordinal = _ORDINAL.fullmatch(chain)
        if ordinal:  # "6th" -> "6"
            return (_int(ordinal.group(1)),)
        terms: list[str] = []
        joined: list[str] = []
        for piece in pieces:
            terms.extend(self._piece_terms(piece))
            joined.append("".join(_number_terms(piece)) if piece[0].isdecimal() else piece)
        if not all(p[0].isdecimal() for p in pieces):  # "18-27" is a range, not a word
            terms.append(self._stemmer.stemWord("".join(joined).replace("'", "")))
        return tuple(terms)

    def _piece_terms(self, piece: str) -> tuple[str, ...]:
        if piece[0].isdecimal():  # the class of regex \d
            return _number_terms(piece)
        stopwords = _stopwords if _stopwords is not None else _load_stopwords()
        if piece in stopwords:
            return ()
        word = piece.replace("'", "")
        stem = self._stemmer.stemWord
        return (stem(word), *(stem(part) for part in _split_compound(word)))


_shared: GermanAnalyzer | None = None
_shared_lock = threading.Lock()


def get_analyzer() -> GermanAnalyzer:
    """The process-wide analyzer (its cache is shared by indexing and querying)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = GermanAnalyzer()
    return _shared
