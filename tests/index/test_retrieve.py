import datetime as dt

import numpy as np
import pytest

from index.records import Filters
from index.retrieve import reciprocal_rank_fusion, Ranked


def item_of(index, hit):
    return index.items[hit.passage.agenda_item_id]


def test_every_passage_is_an_exact_slice_of_its_document(seed_index):
    assert len(seed_index.passages) > 40
    for passage in seed_index.passages:
        document = seed_index.documents[passage.document_id]
        assert document.text[passage.start:passage.end] == passage.text
        item = seed_index.items[passage.agenda_item_id]
        assert item.start <= passage.start < passage.end <= item.end


def test_passages_are_sentence_aligned_and_bounded(seed_index):
    for passage in seed_index.passages:
        words = len(passage.text.split())
        assert words <= 260, passage.id  # 200 words, plus a long last sentence at most
        assert passage.text == passage.text.strip()


def test_hybrid_finds_filled_posts_and_lists_the_duplicate_copy(seed_index):
    hits = seed_index.search("Wie viele Case-Management-Stellen sind besetzt?", mode="hybrid", top_k=5)
    top = hits[0]
    assert "1,5 Stellen" in top.passage.text
    copies = {seed_index.passage_by_id(pid).document_id for pid in top.duplicates}
    assert {top.passage.document_id} | copies == {"000_09ed1af06c8c1522", "003_564f44dd3b622e57"}
    shown = [h.passage.id for h in hits]
    assert not set(top.duplicates) & set(shown)  # one copy shown, the others listed


def test_english_question_finds_the_german_passage(seed_index):
    hits = seed_index.search("how many case-management posts are filled?", mode="hybrid", top_k=5)
    assert any("1,5 Stellen" in h.passage.text for h in hits[:3])


def test_bm25_never_returns_zero_score_hits(seed_index):
    hits = seed_index.search("Benetreu", mode="bm25", top_k=10)
    assert hits and all(h.score > 0 for h in hits)
    assert all("Benetreu" in h.passage.text for h in hits)
    assert seed_index.search("Quantenchromodynamik", mode="bm25", top_k=10) == []


def test_modes_report_their_ranks(seed_index):
    hit = seed_index.search("Frauenberatungsstelle Kündigung", mode="hybrid", top_k=1)[0]
    assert set(hit.ranks) == {"bm25", "dense"}
    assert item_of(seed_index, hit).number == "2.2"


def test_filters_restrict_results(seed_index):
    query = "Case Management Stellen"
    rhein_sieg = seed_index.search(query, top_k=5, filters=Filters(body="Rhein-Sieg-Kreis"))
    assert rhein_sieg and {h.passage.document_id for h in rhein_sieg} == {"004_b04a331a870c6ffb"}
    in_2021 = seed_index.search(query, top_k=5, filters=Filters(date_from=dt.date(2021, 1, 1),
                                                                 date_to=dt.date(2021, 12, 31)))
    assert {h.passage.document_id for h in in_2021} == {"002_bf7472c224a09783"}
    only_001 = seed_index.search(query, top_k=5, filters=Filters(document_id="001_ddd2a995c438de34"))
    assert {h.passage.document_id for h in only_001} == {"001_ddd2a995c438de34"}
    committee = seed_index.search(query, top_k=5, filters=Filters(committee="Generationenfragen"))
    assert {h.passage.document_id for h in committee} <= {"000_09ed1af06c8c1522", "003_564f44dd3b622e57"}
    assert seed_index.search(query, top_k=5, filters=Filters(body="Köln")) == []


def test_search_is_deterministic(seed_index):
    first = [(h.passage.id, h.score) for h in seed_index.search("Sprachmittler", top_k=8)]
    second = [(h.passage.id, h.score) for h in seed_index.search("Sprachmittler", top_k=8)]
    assert first == second


def test_bad_search_input_is_rejected(seed_index):
    with pytest.raises(ValueError, match="empty"):
        seed_index.search("   ")
    with pytest.raises(ValueError, match="mode"):
        seed_index.search("KIM", mode="magic")


def test_reciprocal_rank_fusion_ties_and_weights():
    rankings = {"bm25": Ranked(np.array([3, 1]), np.array([2.0, 1.0])),
                "dense": Ranked(np.array([1, 3]), np.array([0.9, 0.8]))}
    fused = reciprocal_rank_fusion(rankings, k=60)
    assert fused[1] == fused[3] == pytest.approx(1 / 61 + 1 / 62)
    weighted = reciprocal_rank_fusion(rankings, k=60, weights={"bm25": 0.0, "dense": 1.0})
    assert weighted[1] > weighted[3]


def test_search_json_has_the_documented_shape(seed_index):
    hit = seed_index.search("Beirat für Generationenfragen Vorsitzender", top_k=1)[0]
    result = seed_index.hit_json(hit)
    assert set(result) >= {"passage_id", "document_id", "text", "start", "end", "score",
                           "agenda_item", "meeting", "duplicates", "references"}
    assert set(result["agenda_item"]) == {"number", "title", "public", "paper_reference", "result",
                                          "resolution_text"}
    assert set(result["meeting"]) >= {"body", "committee", "date", "number"}
    assert result["meeting"]["date"] == "2022-05-11"


def test_auto_faiss_kind_switches_to_hnsw_at_the_threshold():
    from index.config import Settings

    settings = Settings(hnsw_min_passages=1000)
    assert settings.faiss_kind(999) == "flat" and settings.faiss_kind(1000) == "hnsw"
    assert Settings(faiss_index="flat").faiss_kind(10**7) == "flat"
    with pytest.raises(ValueError):
        Settings.from_env(faiss_index="ivf")


def test_hnsw_index_agrees_with_the_exact_one_and_filters_stay_exact(tmp_path, seed_settings, seed_index, embedder):
    from dataclasses import replace

    from index.build import build_index
    from index.retrieve import SearchIndex

    settings = replace(seed_settings, index_dir=tmp_path / "hnsw", hnsw_min_passages=1)
    build_index(None, settings, embedder=embedder)
    hnsw = SearchIndex(settings, embedder=embedder)
    assert hnsw.manifest["faiss_kind"] == "hnsw"
    import faiss
    assert isinstance(hnsw.dense, faiss.IndexHNSW) and isinstance(seed_index.dense, faiss.IndexFlat)
    everything = Filters(include_non_public=True)
    for query in ("Wie viele Case-Management-Stellen sind besetzt?", "Tagespflege Kosten",
                  "who chaired the meeting?"):
        exact = [h.passage.id for h in seed_index.search(query, mode="dense", top_k=5, filters=everything)]
        approximate = [h.passage.id for h in hnsw.search(query, mode="dense", top_k=5, filters=everything)]
        assert approximate[0] == exact[0] and len(set(approximate) & set(exact)) >= 4
    # a narrow filter is scored exactly over its rows: the same ranking as the flat index
    document_id = seed_index.passages[0].document_id
    narrow = Filters(document_id=document_id)
    exact = seed_index.search("Beschluss", mode="dense", top_k=5, filters=narrow)
    approximate = hnsw.search("Beschluss", mode="dense", top_k=5, filters=narrow)
    assert [h.passage.id for h in approximate] == [h.passage.id for h in exact]
    assert {h.passage.document_id for h in approximate} == {document_id}
