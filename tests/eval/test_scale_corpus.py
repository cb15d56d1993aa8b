"""The scale corpus reader: speeches grouped per agenda item, passages counted as the index cuts them."""
import gzip
import json

import pytest

from eval.scale_corpus import dense_texts, read_documents, take_passages
from index.config import Settings

SENTENCE = "Der Bundestag berät heute über den Haushalt des Bundes für das kommende Jahr im Plenum. "


def _write_corpus(path, speeches):
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for speech in speeches:
            out.write(json.dumps(speech, ensure_ascii=False) + "\n")


def _speech(session, top, speaker, party, sentences):
    return {"wp": 20, "session": session, "top": top, "speaker_dir": "x", "speech_id": "y",
            "speaker": speaker, "party": party, "role": None, "text": SENTENCE * sentences}


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "speeches.jsonl.gz"
    _write_corpus(path, [
        _speech(1, "Tagesordnungspunkt_1", "Anna Beispiel", "SPD", 20),
        _speech(1, "Tagesordnungspunkt_1", "Bernd Muster", None, 5),
        _speech(1, "Zusatzpunkt_2", "Clara Probe", "CDU/CSU", 40),
        _speech(2, "Tagesordnungspunkt_1", "Dora Test", "FDP", 3),
        _speech(1, "Tagesordnungspunkt_1", "Anna Beispiel", "SPD", 2),  # the same key again, later
    ])
    return path


def test_speeches_of_one_agenda_item_form_one_document(corpus):
    documents = list(read_documents(corpus))
    ids = [d.id for d, _ in documents]
    assert ids == ["bt-20-001-Tagesordnungspunkt_1", "bt-20-001-Zusatzpunkt_2",
                   "bt-20-002-Tagesordnungspunkt_1", "bt-20-001-Tagesordnungspunkt_1-2"]
    first, item = documents[0]
    assert first.text.startswith("Anna Beispiel (SPD):\n") and "\n\nBernd Muster:\n" in first.text
    assert (item.number, item.title, item.start, item.end) == ("TOP 1", "Tagesordnungspunkt 1", 0, len(first.text))
    assert documents[1][1].number == "ZP 2"
    assert first.meeting.body == "Deutscher Bundestag" and first.meeting.number == "20/1"


def test_take_passages_stops_at_the_target_and_texts_match_the_index_build(corpus):
    settings = Settings()
    chosen = take_passages(3, settings, corpus)
    assert sum(c.passages for c in chosen) >= 3
    assert sum(c.passages for c in chosen[:-1]) < 3
    texts = dense_texts(chosen, settings)
    assert len(texts) == sum(c.passages for c in chosen)
    assert texts[0].startswith("Deutscher Bundestag · Plenum\nTOP 1 Tagesordnungspunkt 1\nAnna Beispiel")
    with pytest.raises(ValueError, match="fewer than"):
        take_passages(10_000, settings, corpus)


def test_a_missing_corpus_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="scale corpus not found"):
        list(read_documents(tmp_path / "nothing.jsonl.gz"))
