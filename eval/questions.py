"""Question sets: the JSONL formats described in eval/questions/README.md."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str = "de"
    type: str = "other"
    document_ids: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()  # gold "passage" strings
    answers: tuple[str, ...] = ()
    agenda_items: tuple[str, ...] = ()  # gold agenda item numbers, when given
    unanswerable: bool = False


@dataclass(frozen=True)
class Conversation:
    id: str
    lang: str
    turns: tuple[Question, ...] = field(default_factory=tuple)


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_question(data: dict, default_id: str, lang: str = "de") -> Question:
    if not str(data.get("question", "")).strip():
        raise ValueError(f"{default_id}: 'question' is missing or empty")
    unanswerable = bool(data.get("unanswerable", False))
    question = Question(
        id=str(data.get("id", default_id)),
        question=str(data["question"]),
        lang=str(data.get("lang", lang)),
        type=str(data.get("type", "other")),
        document_ids=_as_tuple(data.get("document_id")),
        evidence=_as_tuple(data.get("passage")),
        answers=_as_tuple(data.get("answer")),
        agenda_items=_as_tuple(data.get("agenda_item")),
        unanswerable=unanswerable,
    )
    if not unanswerable and not (question.evidence or question.document_ids or question.agenda_items
                                 or question.answers):
        raise ValueError(f"{question.id}: no gold given (passage, document_id, agenda_item, "
                         "answer) and not marked unanswerable")
    return question


def load_jsonl(path: Path) -> tuple[list[Question], list[Conversation]]:
    """Single questions and conversations (lines with 'turns') from one JSONL file."""
    questions: list[Question] = []
    conversations: list[Conversation] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            default_id = f"{path.stem}-{number}"
            if "turns" in data:
                lang = str(data.get("lang", "de"))
                turns = tuple(parse_question(t, f"{data.get('id', default_id)}-t{i + 1}", lang)
                              for i, t in enumerate(data["turns"]))
                conversations.append(Conversation(str(data.get("id", default_id)), lang, turns))
            else:
                questions.append(parse_question(data, default_id))
    return questions, conversations
