"""Error translation at the CLI edge: one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from videolens.errors import (
    ConfigurationError,
    InvalidVideoError,
    SessionNotFoundError,
    VideoLensError,
)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

stderr = Console(stderr=True, highlight=False)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``.

    The message is plain text, never Rich markup: ``pip install -e ".[gpu]"`` or a path
    with brackets must print as it is.
    """
    stderr.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn videolens errors into ``error: …`` and the matching exit code."""
    try:
        yield
    except (InvalidVideoError, ConfigurationError, SessionNotFoundError) as err:
        fail(str(err), EXIT_BAD_INPUT)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in err.errors()
        )
        fail(f"invalid settings: {problems}", EXIT_BAD_INPUT)
    except VideoLensError as err:
        fail(str(err))
