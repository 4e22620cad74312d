"""The ``videolens`` command line."""

import gc


def main() -> None:
    """Run the ``videolens`` command (the app is imported here: ``videolens.cli.*`` modules
    stay cheap to import on their own)."""
    from videolens.cli.app import app

    try:
        app()
    finally:
        # Free what cycles hold (an exception chain's frames holding the Temporal SDK's objects)
        # while the SDK's runtime threads still run. Left to the interpreter's shutdown, a
        # `worker` whose repeated connects to an absent Temporal failed aborted at exit in about
        # half the runs (PyGILState_Release, or a segfault: 5 of 10 here); with this, 0 of 10.
        gc.collect()


__all__ = ["main"]
