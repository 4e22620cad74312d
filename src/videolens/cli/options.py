"""Options several commands share, and how an option names the setting it overrides."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from videolens.config import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
LabelOption = Annotated[
    str | None,
    typer.Option(metavar="LABEL", help="Only videos where this was detected (person, car)."),
]


def print_json(document: Any) -> None:
    """What ``--json`` prints: ``document`` as indented JSON (not ASCII-escaped) on stdout."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def setting_default(field: str) -> str:
    """``[default: …; env VIDEOLENS_…]`` for a setting an option overrides (the option itself
    defaults to None so that the environment and ``.env`` still apply)."""
    info = Settings.model_fields[field]
    value = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
    value = getattr(value, "value", value)
    shown = "none" if value is None else value
    return f"  [default: {shown}; env VIDEOLENS_{field.upper()}]"
