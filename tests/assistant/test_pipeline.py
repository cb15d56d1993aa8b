"""Every seed conversation through ``Assistant.ask``, one session per conversation."""
from __future__ import annotations

import json
from pathlib import Path

from eval.answers import contains_gold

CONVERSATIONS = Path(__file__).resolve().parents[2] / "eval" / "questions" / "seeds_conversations.jsonl"

# Answerable turns whose top answer contains a gold answer (of 28): all of them. The last four
# fixed: c001 t2 (derived focus word "besetzt" ~ "Besetzung", a bracketed breakdown of the
# previous answer counts less), c005 t2 (negated focus "nicht gesichert"; "gesichert" ~
# "befristet"), c006 t2 ("ihn" -> the previous question's topic, the Beirat; "leitet" ~
# "Vorsitzender"), c010 t1 ("getagt" ~ "Sitzung … stattgefunden").
MIN_CORRECT = 28


def _conversations() -> list[dict]:
    return [json.loads(line) for line in CONVERSATIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_seed_conversations(seed_assistant):
    correct, answerable, wrong = 0, 0, []
    for conversation in _conversations():
        session_id = None  # a fresh session: the fixture's SessionStore is shared
        for number, turn in enumerate(conversation["turns"], start=1):
            result = seed_assistant.ask(turn["question"], session_id=session_id)
            session_id = result.session_id
            if turn.get("unanswerable"):
                assert result.abstained, (conversation["id"], number, [a.text for a in result.answers])
                continue
            answerable += 1
            top = result.answers[0].text if result.answers else None
            if top is not None and contains_gold(top, turn["answer"]):
                correct += 1
            else:
                wrong.append((conversation["id"], number, turn["question"], top))
    assert answerable == 28
    assert correct >= MIN_CORRECT, wrong
