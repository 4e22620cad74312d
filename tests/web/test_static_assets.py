"""The web UI's static files: local assets only, ids the scripts need exist, labelled controls,
and the API app serves them (modules as JavaScript)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from videolens.api.main import create_app
from videolens.config import Settings

STATIC = Path(str(resources.files("videolens.web") / "static"))
ENTRY = "main.js"
MODULES = sorted(path.name for path in STATIC.glob("*.js"))
ASSETS = ("index.html", ENTRY, "style.css")
# Links to the server's own pages (not assets of the UI): each must be served by the app.
SERVER_PAGES = {("a", "/docs")}
IMPORT = re.compile(r"""^import\s[^;]*?\sfrom\s+["']([^"']+)["'];""", re.MULTILINE)


class _Page(HTMLParser):
    """Collects what the checks need from index.html."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()
        self.label_targets: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.html_lang: str | None = None
        self.meta_names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        for name in ("src", "href"):
            if found.get(name):
                self.references.append((tag, str(found[name])))
        if tag == "html":
            self.html_lang = found.get("lang")
        if tag == "meta" and found.get("name"):
            self.meta_names.add(str(found["name"]))
        if tag == "label" and found.get("for"):
            self.label_targets.add(str(found["for"]))
        if tag in {"input", "select", "textarea"}:
            self.controls.append(found)


@pytest.fixture(scope="module")
def page() -> _Page:
    parsed = _Page()
    parsed.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    return parsed


def test_the_package_ships_the_ui() -> None:
    for name in ASSETS:
        assert (STATIC / name).is_file(), name


def test_index_references_only_local_files_that_exist(page: _Page) -> None:
    assets = [
        (tag, url)
        for tag, url in page.references
        if not url.startswith(("#", "data:")) and (tag, url) not in SERVER_PAGES
    ]
    assert ("script", ENTRY) in assets and ("link", "style.css") in assets
    for tag, url in assets:
        assert not re.match(r"^([a-z]+:)?//", url, re.IGNORECASE), f"<{tag}> loads {url} remotely"
        assert not url.startswith("/"), f"<{tag}> {url}: keep asset paths relative"
        assert (STATIC / url.split("?")[0]).is_file(), f"<{tag}> {url} does not exist"


@pytest.mark.parametrize("name", [*MODULES, "style.css"])
def test_scripts_and_styles_load_nothing_remote(name: str) -> None:
    source = (STATIC / name).read_text(encoding="utf-8")
    assert not re.search(r"https?://", source), f"{name} mentions a remote URL"
    assert not re.search(r"@import|url\(\s*['\"]?//", source), f"{name} imports a remote style"
    assert not re.search(r"^\s*import\s.+from\s+['\"](?!\./)", source, re.MULTILINE), (
        f"{name} imports a module that is not a local file"
    )


def test_the_modules_are_small_and_all_reached_from_the_entry() -> None:
    reached, todo = set(), [ENTRY]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        source = (STATIC / name).read_text(encoding="utf-8")
        assert len(source.splitlines()) <= 300, f"{name} is over 300 lines: split it"
        for target in IMPORT.findall(source):
            assert target.startswith("./") and target.endswith(".js"), f"{name} imports {target}"
            assert (STATIC / target[2:]).is_file(), f"{name} imports {target}, which is missing"
            todo.append(target[2:])
    assert reached == set(MODULES), f"modules nothing imports: {set(MODULES) - reached}"
    assert len(MODULES) >= 8


def test_every_element_the_scripts_look_up_exists(page: _Page) -> None:
    source = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in MODULES)
    wanted = set(re.findall(r"""\$\(\s*["']([\w-]+)["']\s*\)""", source))
    wanted |= set(re.findall(r"""getElementById\(\s*["']([\w-]+)["']\s*\)""", source))
    assert len(wanted) > 30
    assert wanted - page.ids == set()


def test_controls_are_labelled_and_the_page_is_accessible(page: _Page) -> None:
    assert page.html_lang == "en"
    assert "viewport" in page.meta_names
    for control in page.controls:
        labelled = control.get("id") in page.label_targets or control.get("aria-label")
        assert labelled, f"unlabelled control {control}"
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert 'role="alert"' in html, "errors must be announced"
    assert html.count('aria-live="polite"') >= 2, "progress and updates must be announced"
    assert 'role="tablist"' in html


def test_the_api_serves_the_ui(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    client = TestClient(create_app(settings))  # no lifespan: static files need no services
    index = client.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert f'<script type="module" src="{ENTRY}">' in index.text
    for name in MODULES:
        script = client.get(f"/{name}")
        assert script.status_code == 200, name
        assert script.headers["content-type"].startswith("text/javascript"), name
    style = client.get("/style.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert client.get("/missing.js").status_code == 404
    for _, url in SERVER_PAGES:
        served = client.get(url)
        assert served.status_code == 200 and "text/html" in served.headers["content-type"], url
