"""The ``videolens`` command line."""

from __future__ import annotations


def main() -> None:
    """Run the ``videolens`` command (the app is imported here: ``videolens.cli.*`` modules
    stay cheap to import on their own)."""
    from videolens.cli.app import app

    app()


__all__ = ["main"]
