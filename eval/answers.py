"""Answer metrics: normalisation, exact match, token F1, containment, offset validity, abstention.

Normalisation (``normalize_answer``), SQuAD-style with German rules, in this order:

1. Unicode NFKC (non-breaking spaces, ligatures) and ``casefold`` (ß → ss);
2. a decimal comma between digits becomes a point ("1,5" = "1.5");
3. every Unicode punctuation character (category P*: ``, . ; : - / „ “ ( )`` …) becomes a
   space, except a point between two digits ("1.5", "11.05.2022" stay whole). SQuAD deletes
   punctuation; we replace it so that "Case-Management" = "Case Management" and
   "Diakonie/AWO" = "Diakonie AWO";
4. the articles der/die/das/den/dem/des/ein/eine/einen/einem/einer/eines/the/a/an are dropped
   as whole words;
5. whitespace is collapsed.

``"Die 1,5 Stellen"`` and ``"1.5 Stellen"`` both normalise to ``"1.5 stellen"``.

Top-1 **containment** (``contains_gold``): the answer is right when, for some gold answer,
the normalised gold tokens occur as a contiguous run inside the normalised answer tokens
(the answer contains the gold: "am 27.04.2022" ⊇ "27.04.2022"), or the normalised answer
is at least ``MIN_PART_CHARS`` (3) characters long and its tokens occur as a contiguous run
inside the gold tokens (the answer is a part of a looser gold variant: "Louven" ⊆
"Louven, Andreas"). Tokens, not characters, so "11,5" does not contain "1,5".
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from index.records import Answer

ARTICLES = frozenset("der die das den dem des ein eine einen einem einer eines the a an".split())
MIN_PART_CHARS = 3

_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")


def normalize_answer(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DECIMAL_COMMA.sub(".", text)
    chars: list[str] = []
    last = len(text) - 1
    for i, char in enumerate(text):
        if unicodedata.category(char).startswith("P"):
            if char == "." and 0 < i < last and text[i - 1].isdigit() and text[i + 1].isdigit():
                chars.append(char)
            else:
                chars.append(" ")
        else:
            chars.append(char)
    return " ".join(t for t in "".join(chars).split() if t not in ARTICLES)


def answer_tokens(text: str) -> list[str]:
    return normalize_answer(text).split()


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer."""
    predicted = normalize_answer(prediction)
    return float(any(predicted == normalize_answer(g) for g in golds))


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 over normalised tokens (an empty side scores 1.0 only against empty)."""
    pred, ref = answer_tokens(prediction), answer_tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)


def max_f1(prediction: str, golds: Iterable[str]) -> float:
    return max((token_f1(prediction, g) for g in golds), default=0.0)


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(list(haystack[i:i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def contains_gold(prediction: str, golds: Iterable[str]) -> bool:
    """Top-1 containment, as defined in the module docstring."""
    pred = answer_tokens(prediction)
    if not pred:
        return False
    long_enough = len("".join(pred)) >= MIN_PART_CHARS
    for gold in golds:
        ref = answer_tokens(gold)
        if _contains(pred, ref) or (long_enough and _contains(ref, pred)):
            return True
    return False


@dataclass(frozen=True)
class AnswerScore:
    correct: bool  # containment
    exact: float
    f1: float


def score_answer(prediction: str | None, golds: Sequence[str]) -> AnswerScore:
    """Scores of the top answer; ``None`` (abstained) scores 0 on an answerable question."""
    if prediction is None:
        return AnswerScore(False, 0.0, 0.0)
    return AnswerScore(contains_gold(prediction, golds), exact_match(prediction, golds),
                       max_f1(prediction, golds))


@dataclass(frozen=True)
class OffsetCheck:
    span: bool  # document.text[start:end] == text
    context: bool  # document.text[context_start:context_end] == context
    nested: bool  # context_start <= start <= end <= context_end

    @property
    def valid(self) -> bool:
        return self.span and self.context and self.nested


def check_offsets(answer: Answer, document_text: str) -> OffsetCheck:
    return OffsetCheck(
        span=0 <= answer.start <= answer.end <= len(document_text)
        and document_text[answer.start:answer.end] == answer.text,
        context=0 <= answer.context_start <= answer.context_end <= len(document_text)
        and document_text[answer.context_start:answer.context_end] == answer.context,
        nested=answer.context_start <= answer.start <= answer.end <= answer.context_end,
    )


def abstention_scores(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> dict:
    """Abstention as a detector: positive = abstained, relevant = unanswerable.

    precision = abstained on unanswerable / all abstentions; recall = abstained on
    unanswerable / all unanswerable. ``None`` where a denominator is 0.
    """
    tp = sum(a and u for a, u in zip(abstained, unanswerable))
    fp = sum(a and not u for a, u in zip(abstained, unanswerable))
    fn = sum(u and not a for a, u in zip(abstained, unanswerable))
    tn = sum(not a and not u for a, u in zip(abstained, unanswerable))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1,
            "abstained_unanswerable": tp, "abstained_answerable": fp,
            "answered_unanswerable": fn, "answered_answerable": tn}
