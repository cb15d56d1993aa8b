"""The read-side tables: texts on disk, numbers in arrays, ids derived and checked."""
import shutil
from dataclasses import replace

import numpy as np
import pytest

from index.build import build_index, update_index
from index.config import SEEDS_DIR
from index.records import AgendaItem, Document, Meeting
from index.retrieve import SearchIndex
from index.store import current_generation, load_generation


def test_passages_match_the_stored_generation(seed_index, seed_settings):
    stored, _, _ = load_generation(seed_settings.resolved_index_dir, with_vectors=False)
    assert len(seed_index.passages) == len(stored.passages)
    for row, expected in enumerate(stored.passages):
        passage = seed_index.passages[row]
        assert passage == expected
        assert seed_index.passages.row_of(expected.id) == row
        assert seed_index.documents[passage.document_id].text[passage.start:passage.end] == passage.text
    assert seed_index.passages[-1] == stored.passages[-1]


def test_unknown_passage_ids_are_not_found(seed_index):
    first = seed_index.passages[0]
    item_id = first.agenda_item_id
    count = len(seed_index.passages.rows_of_item(item_id))
    for bad in (f"{item_id}:{count:03d}", f"{item_id}:abc", "nothing:000", "", f"{item_id}:-01"):
        assert seed_index.passages.row_of(bad) is None
        assert bad not in seed_index.passage_rows
    with pytest.raises(KeyError):
        seed_index.passage_by_id("nothing:000")
    with pytest.raises(IndexError):
        seed_index.passages[len(seed_index.passages)]


def test_item_rows_are_contiguous_and_ordered(seed_index):
    for item_id in seed_index.items:
        passages = seed_index.item_passages(item_id)
        assert [p.agenda_item_id for p in passages] == [item_id] * len(passages)
        assert [p.start for p in passages] == sorted(p.start for p in passages)


def test_document_metadata_needs_no_text_and_texts_are_cached(seed_index):
    infos = seed_index.documents.infos()
    assert len(infos) == len(seed_index.documents) == 5
    for info in infos:
        document = seed_index.documents[info.id]
        assert info.length == len(document.text)
        assert info.meeting == document.meeting and info.title == document.title
        assert seed_index.documents[info.id] is document  # served from the LRU cache
    with pytest.raises(KeyError):
        seed_index.documents["no-such-document"]
    assert seed_index.documents.get("no-such-document") is None


def test_duplicate_groups_only_list_shared_rows(seed_index):
    groups = seed_index.groups
    for row in range(len(groups)):
        members = seed_index.group_rows(row)
        assert row in members
        assert all(groups[m] == groups[row] for m in members)
        assert len(members) == int(np.sum(groups == groups[row]))


def test_an_open_index_still_reads_texts_after_a_rebuild_removed_its_generation(
        tmp_path, seed_settings, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS_DIR, corpus)
    settings = replace(seed_settings, index_dir=tmp_path / "index")
    build_index([corpus], settings, embedder=embedder)
    index = SearchIndex(settings, embedder=embedder)
    old_folder = current_generation(settings.resolved_index_dir)
    text = "Der Ausschuss beschließt zwölf Lastenräder. Die Kosten betragen 48.000 €."
    extra = Document(id="extra", text=text, source="test", kind="niederschrift", title="Lastenräder",
                     meeting=Meeting(body="Kreis Heinsberg", year=2024))
    update_index([extra], settings, embedder=embedder,
                 items_for=lambda d: [AgendaItem(id="extra:1", document_id="extra", number="1",
                                                 title="Lastenräder", start=0, end=len(text))])
    assert not old_folder.exists()  # the rebuild removed the generation the index has open
    index.documents._cache.clear()  # so texts must come from the open, deleted file
    hits = index.search("Tagespflege", top_k=3)
    assert hits and hits[0].passage.text == \
        index.documents[hits[0].passage.document_id].text[hits[0].passage.start:hits[0].passage.end]
    fresh = SearchIndex(settings, embedder=embedder)
    assert "extra" in fresh.documents and "extra" not in index.documents
    assert fresh.search("Lastenräder", mode="bm25", top_k=1)[0].passage.document_id == "extra"
