"""Tests for index.analyze: one analyzer for documents and queries, so matching is symmetric."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from index.analyze import ANALYZER_VERSION, GermanAnalyzer, get_analyzer

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))
FIRST_DATES = {  # first numeric date written in each seed document
    "000": "2022-06-30",
    "001": "2020-02-04",
    "002": "2021-06-16",
    "003": "2022-05-11",
    "004": "2023-09-13",
}


@pytest.fixture(scope="module")
def a() -> GermanAnalyzer:
    return get_analyzer()


def common(a: GermanAnalyzer, left: str, right: str) -> set[str]:
    return set(a.analyze(left)) & set(a.analyze(right))


# ------------------------------------------------------------------ interface


def test_version_and_shared_instance() -> None:
    assert isinstance(ANALYZER_VERSION, str) and ANALYZER_VERSION.startswith("de-")
    assert "pystemmer-" in ANALYZER_VERSION and "german-nouns-" in ANALYZER_VERSION
    assert get_analyzer() is get_analyzer()
    assert isinstance(get_analyzer(), GermanAnalyzer)


@pytest.mark.parametrize("text", ["", "   \n\t", "§ % – … „“ ()"])
def test_empty_or_punctuation_only_gives_no_terms(a: GermanAnalyzer, text: str) -> None:
    assert a.analyze(text) == []


def test_text_order_and_duplicates_are_kept(a: GermanAnalyzer) -> None:
    assert a.analyze("Stelle, Bericht, Stelle") == ["stell", "bericht", "stell"]


# ------------------------------------------------------ folding and umlauts


def test_casefold_and_sharp_s(a: GermanAnalyzer) -> None:
    assert a.analyze("Straße") == a.analyze("STRASSE") == a.analyze("strasse") == ["strass"]
    assert a.analyze("GROẞ") == a.analyze("groß") == a.analyze("gross") == ["gross"]


@pytest.mark.parametrize("spelling", ["gutersloh", "Guetersloh", "GÜTERSLOH"])
def test_umlaut_insensitive(a: GermanAnalyzer, spelling: str) -> None:
    assert a.analyze(spelling) == a.analyze("Gütersloh") == ["gutersloh"]


def test_umlaut_insensitive_inside_compound(a: GermanAnalyzer) -> None:
    assert "forder" in common(a, "Förderung", "Foerderung")
    assert common(a, "Sprachförderung", "Sprachforderung") >= {"sprachforder", "sprach"}


def test_unicode_noise_is_folded(a: GermanAnalyzer) -> None:
    assert a.analyze("Beschaﬀung") == a.analyze("Beschaffung")  # PDF ligature
    assert a.analyze("Sozial\u00adausschuss") == a.analyze("Sozialausschuss")  # soft hyphen
    assert a.analyze("Gu\u0308tersloh") == ["gutersloh"]  # combining diaeresis


@pytest.mark.parametrize(
    "spelling", ["Schüler*innen", "Schüler:innen", "Schüler/-innen", "Schüler_innen"]
)
def test_gender_suffix_meets_base_word(a: GermanAnalyzer, spelling: str) -> None:
    assert a.analyze(spelling) == a.analyze("Schüler") == ["schul"]


# ------------------------------------------------------------------ numbers


def test_decimal_comma_equals_decimal_point(a: GermanAnalyzer) -> None:
    assert a.analyze("1,5 Stellen") == a.analyze("1.5 Stellen") == ["1.5", "stell"]
    assert "1.5" in common(a, "1,5 Stellen", "1.5 Stellen")


def test_german_thousands_separator(a: GermanAnalyzer) -> None:
    assert a.analyze("1.800") == a.analyze("1800") == ["1800"]
    assert a.analyze("1.000.000 Euro") == ["1000000", "euro"]
    assert a.analyze("624.493,60 €") == ["624493.6"]
    assert a.analyze("3.000,50") == a.analyze("3000,5") == ["3000.5"]


def test_trailing_and_leading_zeros_are_normalised(a: GermanAnalyzer) -> None:
    # Documented choice: "12,0" is the number 12, so "12 Stellen" finds "12,0 Stellen".
    assert a.analyze("12,0") == a.analyze("12") == ["12"]
    assert "6" in common(a, "6,0 Stellen", "6 Stellen")
    assert a.analyze("0,50") == ["0.5"]
    assert a.analyze("TOP 06") == a.analyze("TOP 6") == ["top", "6"]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("5", ["5"]),
        ("§ 5", ["5"]),
        ("80 %", ["80"]),
        ("80%", ["80"]),
        ("0", ["0"]),
        ("1,5", ["1.5"]),
        ("A 46", ["46"]),
        ("Ö 12", ["o", "12"]),
    ],  # "a" is an English stopword
)
def test_short_numbers_are_kept(a: GermanAnalyzer, text: str, terms: list[str]) -> None:
    assert a.analyze(text) == terms


def test_other_number_shapes(a: GermanAnalyzer) -> None:
    assert a.analyze("1.2.3") == ["1.2.3"]  # outline numbering stays whole
    assert a.analyze("1,2,3") == ["1", "2", "3"]  # enumeration
    assert a.analyze("2.1") == ["2.1"]
    assert a.analyze("the 6th meeting") == ["6", "meeting"]


# -------------------------------------------------------------------- dates


def test_numeric_date_equals_iso_date(a: GermanAnalyzer) -> None:
    assert a.analyze("11.05.2022") == a.analyze("2022-05-11") == ["2022-05-11"]
    assert a.analyze("am 1.5.2022.") == ["2022-05-01"]


def test_two_digit_year(a: GermanAnalyzer) -> None:
    assert a.analyze("01.06.22") == ["2022-06-01"]
    assert a.analyze("5.12.99") == ["1999-12-05"]


@pytest.mark.parametrize(
    "text", ["11. Mai 2022", "11 May 2022", "May 11, 2022", "11th of May 2022", "11.Mai 2022"]
)
def test_written_dates(a: GermanAnalyzer, text: str) -> None:
    assert a.analyze(text) == ["2022-05-11"]


def test_numbers_are_not_dates(a: GermanAnalyzer) -> None:
    assert a.analyze("1.800") == ["1800"]
    assert a.analyze("32.13.2022") == ["32.13.2022"]  # no such day: kept whole, not a date
    assert a.analyze("16.06.") == ["16.06"]  # no year: not a date


def test_date_in_query_matches_date_in_document(a: GermanAnalyzer) -> None:
    doc = "Niederschrift über die 6. Sitzung am 11.05.2022"
    assert "2022-05-11" in common(a, doc, "What happened at the meeting of 11 May 2022?")


# ---------------------------------------------------------------- hyphens


def test_hyphen_compound_is_split_and_joined(a: GermanAnalyzer) -> None:
    assert a.analyze("Case-Management-Stellen") == [
        "cas",
        "management",
        "stell",
        "casemanagementstell",
    ]


@pytest.mark.parametrize(
    "query", ["Case Management Stellen", "Casemanagementstellen", "case-management-stellen"]
)
def test_hyphen_compound_meets_other_spellings(a: GermanAnalyzer, query: str) -> None:
    assert common(a, "Case-Management-Stellen", query)
    assert common(a, "Case Management-Stellen", query)


def test_hyphen_variants(a: GermanAnalyzer) -> None:
    assert common(a, "Case Management Stellen", "Case-Management-Stellen") == {
        "cas",
        "management",
        "stell",
    }
    assert "casemanagementstell" in common(a, "Casemanagementstellen", "Case-Management-Stellen")
    assert a.analyze("Case\u2011Management") == a.analyze("Case-Management")  # non-breaking hyphen


def test_truncated_hyphen_does_not_crash(a: GermanAnalyzer) -> None:
    assert a.analyze("18- bis 27-jährigen") == ["18", "27", "jahrig", "27jahrig"]
    terms = a.analyze("Gesundheits- und Sozialausschusses")
    assert {"gesund", "sozialausschuss", "ausschuss"} <= set(terms)
    assert a.analyze("- -- -x- x-") == ["x", "x"]


def test_number_ranges_and_codes(a: GermanAnalyzer) -> None:
    assert a.analyze("2019-2021") == ["2019", "2021"]  # no joined term for pure numbers
    assert a.analyze("COVID-19") == ["covid", "19", "covid19"]
    assert a.analyze("B56") == ["b", "56", "b56"]


# --------------------------------------------------------------- stemming


def test_stemming_meets_inflections(a: GermanAnalyzer) -> None:
    assert a.analyze("Stelle") == a.analyze("Stellen") == ["stell"]
    assert a.analyze("Kinder") == a.analyze("Kind") == ["kind"]


# ------------------------------------------------------------ decompounding


def test_decompounding_emits_whole_word_and_parts(a: GermanAnalyzer) -> None:
    assert a.analyze("Teilhabemanagementstelle") == [
        "teilhabemanagementstell",
        "teilhab",
        "management",
        "stell",
    ]
    assert common(a, "Teilhabemanagementstelle", "Stellen") == {"stell"}
    assert common(a, "Teilhabemanagementstellen", "Teilhabemanagement") >= {"teilhab", "management"}


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("Integrationszentrum", {"integration", "zentrum"}),  # linking "s"
        ("Kreisausschusses", {"kreis", "ausschuss"}),
        ("Ausschusssitzung", {"ausschuss", "sitzung"}),
        ("Tagesordnungspunkt", {"tagesordn", "punkt"}),  # fewest parts
        ("Jugendamt", {"jugend", "amt"}),  # 3-letter head
        ("Schulsystem", {"schul", "system"}),  # "Schule" without its "e"
        ("Sozialausschuss", {"sozial", "ausschuss"}),  # adjective first part
        ("Kindergarten", {"kind", "gart"}),
    ],
)
def test_decompounding_examples(a: GermanAnalyzer, word: str, parts: set[str]) -> None:
    terms = a.analyze(word)
    assert len(terms) == len(parts) + 1
    assert set(terms[1:]) == parts


@pytest.mark.parametrize(
    "word",
    [
        "Stelle",
        "Bericht",
        "Beratung",  # simple nouns
        "schnell",
        "gemeinsamen",
        "folgenden",
        "soziale",  # adjectives and participles
        "Amt",
        "Rat",  # short words
        "Xyzabcdefgh",  # unknown word
        "Heinsberg",
        "Gütersloh",  # names
        "Feldern",
        "Bürger",
        "Entscheidung",
        "Institutionen",
        "Vorsitzende",  # look-alikes
        "Qwertzberg",  # unknown first part before a single noun ("Heins|berg")
    ],
)
def test_no_false_splits(a: GermanAnalyzer, word: str) -> None:
    assert len(a.analyze(word)) == 1


def test_unknown_first_part_before_a_compound(a: GermanAnalyzer) -> None:
    # "Case" is no German noun, but "Management|stellen" is a compound: the split is real.
    assert a.analyze("Casemanagementstellen") == [
        "casemanagementstell",
        "cas",
        "management",
        "stell",
    ]
    assert common(a, "Casemanagementstellen", "Case Management-Stellen") >= {
        "cas",
        "management",
        "stell",
    }


# --------------------------------------------------------------- stopwords


def test_german_stopwords_removed(a: GermanAnalyzer) -> None:
    assert a.analyze("der die das und oder nicht kein keine wann wie warum wer dass wurde") == []
    assert a.analyze("Die Stelle wurde nicht besetzt") == ["stell", "besetzt"]


def test_english_stopwords_removed(a: GermanAnalyzer) -> None:
    assert a.analyze("What is the name of the committee?") == ["nam", "committe"]
    assert a.analyze("don't") == []


def test_content_words_that_english_lists_would_drop_are_kept(a: GermanAnalyzer) -> None:
    assert a.analyze("Kind TOP Case Information") == ["kind", "top", "cas", "information"]


def test_stopword_spelling_variants_removed(a: GermanAnalyzer) -> None:
    assert a.analyze("für fur fuer über ueber daß dass") == []


# ------------------------------------------------------------ real documents


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_seed_documents(a: GermanAnalyzer, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    terms = a.analyze(text)
    assert len(terms) > len(text.split()) // 3
    assert all(t and not any(c.isspace() for c in t) for t in terms)
    assert FIRST_DATES[path.name[:3]] in terms


def test_seed_document_facts_are_findable(a: GermanAnalyzer) -> None:
    doc = next(p for p in SEEDS if p.name.startswith("003_")).read_text(encoding="utf-8")
    terms = set(a.analyze(doc))
    # "Aktuell sind hiervon 1,5 Stellen", "12,0 Case Management-Stellen"
    assert {"2022-05-11", "1.5", "12", "cas", "management", "stell", "managementstell"} <= terms
    assert common(a, doc, "Wie viele Case-Management-Stellen sind besetzt?") == {
        "cas",
        "management",
        "stell",
        "besetzt",
    }


def test_concurrent_use_matches_serial(a: GermanAnalyzer) -> None:
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    expected = [a.analyze(t) for t in texts]
    fresh = GermanAnalyzer()  # empty cache, so the threads stem and split concurrently
    results: dict[int, list[list[str]]] = {}

    def work(n: int) -> None:
        results[n] = [fresh.analyze(t) for t in texts]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == expected for n in range(4))
