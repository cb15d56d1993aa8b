"""Guess whether a question is German or English.

Questions are short, so character n-gram identifiers are unreliable on them; function
words are not: "how many … are …" vs "wie viele … sind …". We count words found only in the
Snowball English list against words found only in the Snowball German list (the lists that
the analyzer uses, in ``index/data``). Ties and questions without function words count as
German, the language of the minutes.
"""
from __future__ import annotations

import re
from functools import lru_cache

from index.analyze import read_word_list

_WORD = re.compile(r"[^\W\d_]+")
_ENGLISH_MARKERS = ("how", "what", "which", "who", "when", "where", "why", "the", "of", "is",
                    "are", "was", "were", "did", "does", "many", "much")


@lru_cache(maxsize=1)
def _function_words() -> tuple[frozenset[str], frozenset[str]]:
    german = {w.casefold() for w in read_word_list("stopwords_de.txt")}
    english = {w.casefold() for w in read_word_list("stopwords_en.txt")} | set(_ENGLISH_MARKERS)
    return frozenset(german - english), frozenset(english - german)


def guess_language(text: str) -> str:
    """'en' or 'de'."""
    german, english = _function_words()
    words = [w.casefold() for w in _WORD.findall(text)]
    score = sum(w in english for w in words) - sum(w in german for w in words)
    return "en" if score > 0 else "de"
