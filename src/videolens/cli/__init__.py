"""The ``videolens`` command line."""

from __future__ import annotations

from videolens.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
