"""The Dockerfile, parsed (no daemon here to build it): its targets, what each installs, a
non-root user, a healthcheck, and a build context that holds only what `pip install .` reads."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

import pytest
from deploy_files import ROOT

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Stage:
    """One ``FROM`` block: its base, its name and its instructions in order."""

    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"stage {self.name} has no {keyword}"
        return found[-1]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """(global ARG defaults, stages): continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1]
            continue
        lines.append(pending + raw)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.strip().partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
            assert match, line
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), match[1])
            stages.append(Stage(base, match[2] or str(len(stages))))
        elif not stages:
            assert keyword == "ARG", f"{keyword} before the first FROM"
            name, _, default = rest.partition("=")
            args[name] = default
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    _, parsed = parse_dockerfile(DOCKERFILE.read_text())
    return {stage.name: stage for stage in parsed}


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not exec form: {args}"
    return [str(part) for part in value]


def _copied_from(stage: Stage) -> set[str]:
    return {m[1] for args in stage.all("COPY") if (m := re.search(r"--from=(\S+)", args))}


def test_targets_and_default(stages: dict[str, Stage]) -> None:
    assert {"cpu", "gpu"} <= set(stages)
    # A plain `docker build .` makes the API/CPU image.
    assert list(stages)[-1] == "cpu"
    assert not stages["cpu"].base.startswith("nvidia/cuda")
    assert stages["gpu"].base.startswith("nvidia/cuda:")


def test_each_target_installs_the_package_with_its_extras(stages: dict[str, Stage]) -> None:
    for target, extra in (("cpu", None), ("gpu", "gpu")):
        (build_name,) = _copied_from(stages[target])
        build = stages[build_name]
        assert build.base == stages[target].base, "the venv must run on the same Python"
        installs = [cmd for cmd in build.all("RUN") if "pip install" in cmd]
        wanted = f'".[{extra}]"' if extra else "install ."
        assert any(wanted in cmd for cmd in installs), f"{build_name}: {installs}"
        copied = " ".join(build.all("COPY"))
        assert "pyproject.toml" in copied and "README.md" in copied and "src" in copied


def test_runtime_images_have_opencv_libraries_and_tini(stages: dict[str, Stage]) -> None:
    for target in ("cpu", "gpu"):
        apt = " ".join(cmd for cmd in stages[target].all("RUN") if "apt-get install" in cmd)
        for package in ("libgl1", "libglib2.0-0", "tini"):
            assert re.search(rf"(?<![\w.-]){re.escape(package)}(?![\w.-])", apt), (
                f"{target} lacks {package}"
            )


def test_runtime_images_run_as_a_non_root_user_with_a_healthcheck(
    stages: dict[str, Stage],
) -> None:
    for target in ("cpu", "gpu"):
        stage = stages[target]
        user = stage.last("USER").split(":")[0]
        assert user.isdigit() and int(user) >= 1000, f"{target} runs as {user!r}"
        keywords = [kw for kw, _ in stage.instructions]
        # Everything after USER runs unprivileged; nothing switches back to root.
        assert keywords.index("USER") > max(i for i, kw in enumerate(keywords) if kw == "RUN")
        healthcheck = stage.last("HEALTHCHECK")
        assert "CMD" in healthcheck and "--interval=" in healthcheck
        entrypoint = _exec_form(stage.last("ENTRYPOINT"))
        assert entrypoint[0] == "tini" and entrypoint[-1] == "videolens"
        env = " ".join(stage.all("ENV"))
        assert "VIDEOLENS_DATA_DIR=/data" in env and "/opt/venv/bin" in env


def test_cpu_image_serves_the_api_its_healthcheck_polls(stages: dict[str, Stage]) -> None:
    cpu = stages["cpu"]
    command = _exec_form(cpu.last("CMD"))
    assert command[:1] == ["serve"] and command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    assert cpu.last("EXPOSE").split() == [port]
    assert f"127.0.0.1:{port}/healthz" in cpu.last("HEALTHCHECK")
    gpu_command = _exec_form(stages["gpu"].last("CMD"))
    assert gpu_command == ["worker", "--queue", "vision"]


def _python_snippets(keyword: str, args: str) -> list[str]:
    if keyword == "HEALTHCHECK":
        words = _exec_form(args.partition("CMD")[2].strip())
    elif keyword == "RUN":
        words = shlex.split(args)
    else:
        return []
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-c"]


def test_inline_python_compiles(stages: dict[str, Stage]) -> None:
    snippets = [
        snippet
        for stage in stages.values()
        for keyword, args in stage.instructions
        for snippet in _python_snippets(keyword, args)
    ]
    # Two build-time model checks in each image, and the API's healthcheck.
    assert len(snippets) == 5
    for snippet in snippets:
        compile(snippet, "<Dockerfile>", "exec")


def test_build_context_is_what_pip_install_reads() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # Everything is excluded, then only the package's sources are let back in: no venv, test
    # media, .git or deploy/.env (with keys) in the context.
    assert patterns[0] == "*"
    included = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    assert included == {"pyproject.toml", "README.md", "src"}
    copied = set()
    for stage in parse_dockerfile(DOCKERFILE.read_text())[1]:
        for args in stage.all("COPY"):
            if "--from=" not in args:
                copied |= {part.rstrip("/") for part in args.split()[:-1]}
    assert copied == included
