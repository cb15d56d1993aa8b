import json

from index.config import PROJECT_ROOT
from index.language import guess_language


def test_short_questions_in_both_languages():
    assert guess_language("Wie viele Case-Management-Stellen sind besetzt?") == "de"
    assert guess_language("How many case-management posts are filled?") == "en"
    assert guess_language("Wer war unentschuldigt abwesend?") == "de"
    assert guess_language("Who chaired the meeting?") == "en"
    assert guess_language("KIM 2023") == "de"  # no function words: the language of the minutes


def test_every_dev_question_is_recognised():
    path = PROJECT_ROOT / "eval" / "questions" / "seeds_dev.jsonl"
    questions = [json.loads(line) for line in path.open(encoding="utf-8")]
    wrong = [q["id"] for q in questions if guess_language(q["question"]) != q["lang"]]
    assert wrong == []
