"""A ``.env`` file in the working directory is read, below the environment and CLI options."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from process_helpers import run_videolens, videolens_env
from videolens.api.security import KeyStore
from videolens.config import Settings


@pytest.fixture
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a ``.env``, and no VIDEOLENS_* in the environment."""
    for key in [k for k in os.environ if k.startswith("VIDEOLENS_")]:
        monkeypatch.delenv(key)
    (tmp_path / ".env").write_text(
        "# read by Settings from the working directory\n"
        f"VIDEOLENS_DATA_DIR={tmp_path / 'from-dotenv'}\n"
        "VIDEOLENS_API_PORT=9123\n"
        "VIDEOLENS_TEMPORAL_API_KEY=tc-from-dotenv\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dotenv_is_read_and_the_environment_then_options_win(
    in_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    assert settings.data_dir == in_project / "from-dotenv"
    assert settings.api_port == 9123
    assert settings.temporal_api_key is not None
    assert settings.temporal_api_key.get_secret_value() == "tc-from-dotenv"
    assert "tc-from-dotenv" not in repr(settings)

    monkeypatch.setenv("VIDEOLENS_API_PORT", "9200")
    assert Settings().api_port == 9200  # the environment beats .env
    assert Settings(api_port=9300).api_port == 9300  # an option (argument) beats both


def test_the_cli_reads_dotenv_from_where_it_runs(in_project: Path) -> None:
    result = run_videolens(
        ["keys", "create", "from-dotenv"], videolens_env(), timeout_s=60, cwd=in_project
    )
    assert result.returncode == 0, result.stderr
    keys = KeyStore(in_project / "from-dotenv" / "keys.json")
    assert keys.verify(result.stdout.strip()) is not None
