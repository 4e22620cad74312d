"""``videolens schema``: the JSON Schema of the result document (or a stream's, or an answer's)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from videolens.timeline import ChatAnswer, SessionDocument, StreamDocument


def schema(
    stream: Annotated[
        bool, typer.Option("--stream", help="The live stream document's schema instead.")
    ] = False,
    answer: Annotated[
        bool, typer.Option("--answer", help="The chat answer's schema (`ask --json`) instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of the result document.

    The result document is what `analyze --json` and `show --json` print."""
    if stream and answer:
        raise typer.BadParameter("give --stream or --answer, not both")
    model = StreamDocument if stream else ChatAnswer if answer else SessionDocument
    typer.echo(json.dumps(model.model_json_schema(mode="serialization"), indent=2))


def document_json(document: dict[str, Any]) -> dict[str, Any]:
    """A session document as ``--json`` prints it: read through the model, fields unchanged."""
    return SessionDocument.model_validate(document).as_json()
