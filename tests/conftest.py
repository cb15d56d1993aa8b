"""Shared session fixtures.

The embedding model is exported once into a persistent cache (``$MINUTES_QA_CACHE``, default
``~/.cache/minutes-qa``) and reused across test runs; export takes a few seconds, loading ~2 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_dir() -> Path:
    from index.model_export import default_cache_dir, ensure_model

    return ensure_model(default_cache_dir())


@pytest.fixture(scope="session")
def embedder(model_dir: Path):
    from index.embed import Embedder

    return Embedder(model_dir=model_dir).warm_up()


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory, model_dir: Path):
    from index.config import Settings

    return Settings.from_env(index_dir=tmp_path_factory.mktemp("seed-index"), model_dir=model_dir)


@pytest.fixture(scope="session")
def seed_index(seed_settings, embedder):
    """The seed documents, indexed once per test session (vectors come from the cache)."""
    from index.build import build_index
    from index.retrieve import SearchIndex

    build_index(None, seed_settings, embedder=embedder)
    return SearchIndex(seed_settings, embedder=embedder)


@pytest.fixture(scope="session")
def seed_assistant(seed_index):
    from assistant.pipeline import Assistant

    return Assistant(seed_index)


@pytest.fixture(scope="session")
def api_server(seed_assistant):
    """The API over the seed index, served on loopback."""
    from assistant.api import create_app
    from assistant.live_server import LiveServer

    with LiveServer(create_app(seed_assistant)) as server:
        yield server
