"""`minutes-qa serve` on an index that an older version built: the seed index is rebuilt,
an index with other documents is never dropped silently."""
import json
import shutil
from dataclasses import replace

import pytest

from assistant.cli import _load_assistant
from index.build import build_index
from index.config import SEEDS_DIR
from index.store import MANIFEST_FILE, IndexUnavailable, current_generation


def _age(index_dir) -> None:
    """Mark the live generation as written by an older format."""
    path = current_generation(index_dir) / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["format_version"] = 1
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_an_outdated_seed_index_is_rebuilt_when_serving(tmp_path, seed_settings, embedder, capsys):
    settings = replace(seed_settings, index_dir=tmp_path / "index")
    build_index(None, settings, embedder=embedder)
    _age(settings.resolved_index_dir)
    with pytest.raises(IndexUnavailable):
        _load_assistant(settings, prepare=False)
    assistant = _load_assistant(settings, prepare=True)
    assert "rebuilding it from the seed documents" in capsys.readouterr().err
    assert len(assistant.index.documents) == 5
    assert assistant.ask("Wie viele Case-Management-Stellen sind besetzt?").answers


def test_an_outdated_index_with_other_documents_is_left_to_the_user(tmp_path, seed_settings, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS_DIR, corpus)
    (corpus / "extra.txt").write_text("Der Ausschuss beschließt zwölf Lastenräder für die Verwaltung. "
                                      "Die Kosten betragen 48.000 €.", encoding="utf-8")
    settings = replace(seed_settings, index_dir=tmp_path / "index")
    build_index([corpus], settings, embedder=embedder)
    _age(settings.resolved_index_dir)
    generation = current_generation(settings.resolved_index_dir)
    with pytest.raises(IndexUnavailable, match="minutes-qa index --rebuild"):
        _load_assistant(settings, prepare=True)
    assert current_generation(settings.resolved_index_dir) == generation  # nothing rebuilt
