import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from index.build import build_index
from index.config import PROJECT_ROOT, SEEDS_DIR
from index.retrieve import SearchIndex
from index.store import CURRENT_FILE, MANIFEST_FILE, IndexUnavailable, current_generation

NEW_DOCUMENT = ("Beschluss: einstimmig beschlossen\n\nDer Ausschuss beschließt die Anschaffung von "
                "zwölf Lastenrädern für die Kreisverwaltung. Die Kosten betragen 48.000 €. "
                "Die Räder werden im Frühjahr 2024 ausgeliefert.")


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS_DIR, folder)
    return folder


def test_unchanged_corpus_does_no_work_and_new_documents_are_added(tmp_path, corpus, seed_settings, embedder):
    settings = replace(seed_settings, index_dir=tmp_path / "index")
    first = build_index([corpus], settings, embedder=embedder)
    assert first.status == "built" and first.documents == 5
    generation = current_generation(settings.resolved_index_dir)

    again = build_index([corpus], settings, embedder=embedder)
    assert again.status == "up-to-date" and again.encoded == 0
    assert current_generation(settings.resolved_index_dir) == generation

    # a text no earlier run has embedded (the embedding cache outlives test runs)
    (corpus / "005_lastenrad.txt").write_text(f"{NEW_DOCUMENT} Aktenzeichen {uuid.uuid4().hex}.",
                                              encoding="utf-8")
    added = build_index([corpus], settings, embedder=embedder)
    assert added.added == ["005_lastenrad"] and added.changed == []
    assert added.encoded == 1  # only the new passage went to the encoder
    index = SearchIndex(settings, embedder=embedder)
    hit = index.search("Lastenräder Kosten", top_k=1)[0]
    assert hit.passage.document_id == "005_lastenrad"
    assert len(index.documents) == 6


def test_a_changed_document_is_reprocessed(tmp_path, corpus, seed_settings, embedder):
    settings = replace(seed_settings, index_dir=tmp_path / "index")
    (corpus / "005_lastenrad.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
    build_index([corpus], settings, embedder=embedder)
    (corpus / "005_lastenrad.txt").write_text(NEW_DOCUMENT.replace("zwölf", "fünfzehn"), encoding="utf-8")
    report = build_index([corpus], settings, embedder=embedder)
    assert report.changed == ["005_lastenrad"] and report.added == []
    index = SearchIndex(settings, embedder=embedder)
    texts = [p.text for p in index.passages if p.document_id == "005_lastenrad"]
    assert any("fünfzehn" in t for t in texts) and not any("zwölf" in t for t in texts)


def test_incompatible_index_gives_a_clear_message(tmp_path, corpus, seed_settings, embedder):
    settings = replace(seed_settings, index_dir=tmp_path / "index")
    build_index([corpus], settings, embedder=embedder)
    manifest_path = current_generation(settings.resolved_index_dir) / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 999
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable, match="minutes-qa index --rebuild"):
        SearchIndex(settings, embedder=embedder)
    with pytest.raises(IndexUnavailable, match="No index"):
        SearchIndex(replace(settings, index_dir=tmp_path / "nothing"), embedder=embedder)


def _cli_env(settings, cache_dir: Path) -> dict:
    env = dict(os.environ)
    env.update({"MINUTES_QA_CACHE": str(cache_dir), "MINUTES_QA_MODEL_DIR": str(settings.model_dir),
                "PYTHONPATH": str(PROJECT_ROOT)})
    return env


def test_a_build_killed_midway_leaves_the_previous_index_working(tmp_path, corpus, seed_settings, embedder):
    """Kill real `minutes-qa index` processes at increasing moments; the old index must survive."""
    settings = replace(seed_settings, index_dir=tmp_path / "index")
    build_index([corpus], settings, embedder=embedder)
    before = SearchIndex(settings, embedder=embedder)
    expected = [h.passage.id for h in before.search("Frauenberatung", top_k=3)]

    (corpus / "005_lastenrad.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
    command = [sys.executable, "-m", "assistant.cli", "index", str(corpus),
               "--index-dir", str(settings.resolved_index_dir)]
    completed = False
    for attempt, delay in enumerate([0.5, 2.0, 4.0, 6.0, 8.0, 11.0, 15.0]):
        # a fresh embedding cache each time, so the build has real encoding work to be killed in
        env = _cli_env(settings, tmp_path / f"cache-{attempt}")
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is not None:
            completed = True
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        # whatever the moment of the kill, the index is one complete generation: the old one,
        # or (when the kill came after the switch) the new one
        index = SearchIndex(settings, embedder=embedder)
        assert [h.passage.id for h in index.search("Frauenberatung", top_k=3)] == expected
        if "005_lastenrad" in index.documents:
            assert index.search("Lastenräder Kosten", top_k=1)[0].passage.document_id == "005_lastenrad"
            completed = True
            break
        assert len(index.documents) == 5
    if not completed:
        assert subprocess.run(command, env=_cli_env(settings, tmp_path / "cache-final"),
                              cwd=PROJECT_ROOT, capture_output=True).returncode == 0
    after = SearchIndex(settings, embedder=embedder)
    assert "005_lastenrad" in after.documents
    leftovers = [p.name for p in settings.resolved_index_dir.iterdir()
                 if p.name not in (CURRENT_FILE, current_generation(settings.resolved_index_dir).name)]
    assert leftovers == []


def test_parallel_text_analysis_gives_the_sequential_result(monkeypatch):
    import os

    import index.build as build
    from index.build import analyze_documents, read_sources
    from index.config import Settings

    documents = read_sources([SEEDS_DIR], [])
    settings = Settings()
    sequential = analyze_documents(documents, settings, {})
    monkeypatch.setattr(build, "PARALLEL_MIN_CHARACTERS", 0)
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: the analysis never runs in workers")
    parallel = analyze_documents(documents, settings, {})
    assert parallel == sequential
    assert sum(len(p) for _, p, _ in parallel) > 50
