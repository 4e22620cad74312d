"""The library tests' indexes: a real SQLite file, and a real PostgreSQL database (a fresh schema
per test on 127.0.0.1:5432; skipped only when no server answers there)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from videolens.config import Settings
from videolens.library import LibraryIndex, connect_index
from videolens.library.indexing import indexed_session_store, indexed_stream_store
from videolens.store import SessionStore
from videolens.streams.store import StreamStore

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The local PostgreSQL's URL (trust auth, database ``test``)."""
    try:
        with psycopg.connect(POSTGRES, connect_timeout=3):
            pass
    except psycopg.OperationalError as err:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({err})")
    return POSTGRES


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL whose tables live in a schema of their own, dropped after the test."""
    schema = f"library_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{postgres_server}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None for the embedded SQLite index, else a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def library_settings(tmp_path: Path, database: str | None) -> Settings:
    """Settings on a fresh data dir, with the library in SQLite there or in PostgreSQL."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database,
    )


@pytest.fixture
def index(library_settings: Settings) -> Iterator[LibraryIndex]:
    """The configured index, migrated (as `videolens db upgrade` does)."""
    with connect_index(library_settings) as opened:
        opened.upgrade()
        yield opened


@pytest.fixture
def sessions(library_settings: Settings, index: LibraryIndex) -> SessionStore:
    """The session store of ``library_settings``, keeping ``index`` up to date."""
    return indexed_session_store(library_settings, index)


@pytest.fixture
def streams(library_settings: Settings, index: LibraryIndex) -> StreamStore:
    """The stream store of ``library_settings``, keeping ``index`` up to date."""
    return indexed_stream_store(library_settings, index)
