"""Where speech is: Silero VAD as shipped in faster-whisper (ONNX, on the CPU, no download)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def speech_stretches(
    samples: NDArray[np.float32], *, min_silence_ms: int = 300, pad_ms: int = 0
) -> list[tuple[int, int]]:
    """``[start, end)`` sample indices of the speech in 16 kHz ``samples``, in order.

    Pauses shorter than ``min_silence_ms`` do not split a stretch; ``pad_ms`` widens each one.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if samples.size == 0:
        return []
    options = VadOptions(speech_pad_ms=pad_ms, min_silence_duration_ms=min_silence_ms)
    return [
        (int(chunk["start"]), int(chunk["end"]))
        for chunk in get_speech_timestamps(np.ascontiguousarray(samples), options)
    ]
