"""The packages of ``src/videolens`` import only what ``docs/architecture.md`` allows them to.

The table below is the one in the document ("Which way imports go"); a new import that crosses
it fails here, naming the file, so the house and the document cannot drift apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "videolens"
DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

# Imported by all, importing nothing of ours.
FOUNDATION = {"config", "errors"}
# Plain libraries: usable without Temporal, HTTP or a terminal.
LIBRARIES = {
    "timeline", "tls", "openai_compat", "video", "tracking", "speech", "backends", "store",
    "streams",
}  # fmt: skip
ALLOWED: dict[str, set[str]] = {
    "timeline": set(),
    "tls": set(),
    "openai_compat": set(),
    "video": set(),
    "speech": {"video", "openai_compat"},
    "tracking": {"video", "timeline"},
    "backends": {"openai_compat", "tracking", "timeline"},
    "store": {"timeline"},
    "streams": {"video", "speech", "backends", "store", "timeline", "tracking"},
    "chat": {"timeline", "store", "streams", "openai_compat"},
    "library": {"timeline", "store", "streams", "chat"},
    "exports": {"timeline", "chat"},
    # The two narrow exceptions the document names: worker counters below the pipeline, the
    # API's Temporal collectors above it.
    "metrics": {"pipeline", "store", "streams", "timeline"},
    "pipeline": LIBRARIES | {"chat", "library", "metrics"},
    "api": LIBRARIES | {"pipeline", "chat", "library", "exports", "metrics"},
    "cli": LIBRARIES | {"api", "pipeline", "chat", "library", "exports", "metrics"},
}


def _package(path: Path) -> str:
    parts = path.relative_to(SOURCE).parts
    return parts[0].removesuffix(".py")


def _imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "videolens" and len(parts) > 1:
                found.add(parts[1])
    return found


def _crossings() -> list[str]:
    crossings = []
    for path in sorted(SOURCE.rglob("*.py")):
        package = _package(path)
        if package not in ALLOWED:
            continue
        allowed = ALLOWED[package] | FOUNDATION | {package}
        for imported in sorted(_imported_packages(path) - allowed):
            crossings.append(f"{path.relative_to(SOURCE)} imports videolens.{imported}")
    return crossings


def test_every_package_imports_only_what_the_architecture_allows() -> None:
    assert _crossings() == []


def test_the_foundation_imports_nothing_of_ours() -> None:
    for name in FOUNDATION:
        assert _imported_packages(SOURCE / f"{name}.py") <= FOUNDATION, name


def test_every_package_is_in_the_table_and_the_document() -> None:
    packages = {p.name for p in SOURCE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    packages -= {"web"}  # static files, no Python
    assert packages <= set(ALLOWED), packages - set(ALLOWED)
    document = DOCUMENT.read_text(encoding="utf-8")
    missing = [name for name in packages if f"`{name}`" not in document]
    assert missing == []


@pytest.mark.parametrize("low", ["timeline", "video", "tracking", "store", "backends", "speech"])
def test_the_plain_libraries_do_not_reach_up(low: str) -> None:
    """The sampler, the backends, the store and the model work without Temporal, HTTP or a
    terminal."""
    upper = {"pipeline", "api", "cli", "chat", "metrics"}
    for path in sorted((SOURCE / low).rglob("*.py")):
        assert not _imported_packages(path) & upper, path
