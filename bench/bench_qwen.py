"""Qwen2.5-VL throughput on one GPU: random weights of the real 7B architecture, 448 px frames.

Runs the ``qwen`` backend's own path (JPEG → image-only processor → left-padded batched
``generate`` → decode) at batch sizes 1-32, in bf16 and in bitsandbytes 4-bit NF4, and prints
frames/s and peak GPU memory per row, with the ratio to the baseline (batch size 1, bf16) of the
same run. Random weights never stop early, so every frame generates exactly ``--new-tokens``
tokens (about what a real JSON reply takes); the tokenizer is a byte-level stand-in (no weights or
tokenizer are downloaded), so the prompt is set to roughly the token count of the real one.

    python bench/bench_qwen.py                  # on a CUDA GPU: the 7B benchmark
    python bench/bench_qwen.py --tiny           # anywhere: a tiny model on the CPU, a smoke run

Without a CUDA GPU (and without ``--tiny``) it says why and exits 0. The 4-bit rows need
bitsandbytes; the model is saved to ``--work-dir`` (~16 GB) and loaded back quantized through
``load_model``, the backend's real loading path.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from videolens.backends.base import BackendUnavailableError, FrameInput
from videolens.backends.qwen import GpuOutOfMemoryError, QwenBackend
from videolens.backends.qwen.loading import (
    LoadedModel,
    attention_implementation,
    bound_frame_size,
    load_model,
)
from videolens.backends.qwen.synthetic import Size
from videolens.config import Settings

# ~200 tokens with the byte-level stand-in, about what Qwen's BPE makes of the default prompt.
BENCH_PROMPT = (
    'Describe this video frame. Reply with JSON only: {"frames": [{"frame": 1, '
    '"description": "...", "objects": [], "people": [], "text": [], "actions": []}]}. '
    "Use [] for empty fields; never guess unreadable text."
)


@dataclass
class Row:
    mode: str
    batch_size: int
    frames: int
    seconds: float | None = None
    frames_per_s: float | None = None
    vs_baseline: float | None = None
    peak_gib: float | None = None
    note: str = ""


def main() -> int:
    args = _parse_args()
    import torch

    cuda = torch.cuda.is_available()
    if not cuda and not args.tiny:
        print("no CUDA GPU here: the 7B benchmark needs one (use --tiny for a CPU smoke run)")
        return 0
    import transformers

    size: Size = "tiny" if args.tiny else "7b"
    device = "cuda" if cuda else "cpu"
    gpu = torch.cuda.get_device_name(0) if cuda else "CPU"
    print(
        f"Qwen2.5-VL {size} (random weights) on {gpu}; torch {torch.__version__}, "
        f"transformers {transformers.__version__}; {args.side} px frames, "
        f"{args.new_tokens} new tokens per frame"
    )
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="bench-qwen-"))
    frames = _write_frames(work / "frames", max(args.batch_sizes) * 2, args.side)
    settings = Settings(
        _env_file=None,
        data_dir=work / "data",
        qwen_model=str(work / "model"),
        qwen_max_pixels=args.side * args.side,
        qwen_max_new_tokens=args.new_tokens,
        vision_prompt=BENCH_PROMPT,
    )
    rows: list[Row] = []
    for mode in args.modes:
        rows.extend(_bench_mode(mode, size, device, settings, frames, args))
    _print_rows(rows)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(row) for row in rows], indent=2))
    return 0


def _bench_mode(
    mode: str,
    size: Size,
    device: str,
    settings: Settings,
    frames: list[FrameInput],
    args: argparse.Namespace,
) -> list[Row]:
    try:
        loaded = _load(mode, size, device, settings)
    except BackendUnavailableError as err:
        return [Row(mode, 0, 0, note=f"skipped: {err}")]
    loaded.model.generation_config.min_new_tokens = args.new_tokens  # never stop early
    print(f"{mode}: {loaded.dtype}, {loaded.attention} attention")
    rows = [_bench_batch(mode, batch, loaded, settings, frames) for batch in args.batch_sizes]
    del loaded
    _free_memory()
    return rows


def _load(mode: str, size: Size, device: str, settings: Settings) -> LoadedModel:
    """bf16: built in memory. 4bit: saved once, then loaded quantized by ``load_model``."""
    import torch

    from videolens.backends.qwen.synthetic import byte_tokenizer, random_model, random_processor

    tokenizer = byte_tokenizer()
    if mode == "bf16":
        processor = random_processor(tokenizer)
        processor.tokenizer.padding_side = "left"
        bound_frame_size(
            processor.image_processor, settings.qwen_min_pixels, settings.qwen_max_pixels
        )
        model = random_model(size, tokenizer, dtype=torch.bfloat16, device=device)
        attention = attention_implementation(cuda=device == "cuda", dtype="bfloat16")
        if attention != "sdpa":
            model.set_attn_implementation(attention)
        return LoadedModel(model, processor, torch.device(device), "bfloat16", attention, "none")
    directory = Path(settings.qwen_model)
    if not (directory / "config.json").is_file():
        started = time.perf_counter()
        model = random_model(size, tokenizer, dtype=torch.bfloat16, device=device)
        model.save_pretrained(directory)
        random_processor(tokenizer).save_pretrained(directory)
        del model
        _free_memory()
        print(f"saved the random model for {mode} in {time.perf_counter() - started:.0f} s")
    return load_model(settings.model_copy(update={"qwen_quantization": mode}))


def _bench_batch(
    mode: str, batch: int, loaded: LoadedModel, settings: Settings, frames: list[FrameInput]
) -> Row:
    import torch

    backend = QwenBackend(settings, batch_size=batch, model_loader=lambda _: loaded)
    count = batch * 2
    try:
        backend.describe(frames[:batch])  # warm-up: kernels, allocator
        if loaded.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        backend.describe(frames[:count])
        if loaded.device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
    except GpuOutOfMemoryError:
        return Row(mode, batch, count, note="out of memory at 1 frame")
    peak = torch.cuda.max_memory_allocated() / 1024**3 if loaded.device.type == "cuda" else None
    final = backend.preferred_batch_size
    note = f"halved to {final} on OOM" if final is not None and final < batch else ""
    row = Row(mode, batch, count, round(seconds, 2), round(count / seconds, 2), None, peak, note)
    if row.peak_gib is not None:
        row.peak_gib = round(row.peak_gib, 1)
    peak_text = f", peak {row.peak_gib} GiB" if row.peak_gib is not None else ""
    print(f"  batch {batch:>2}: {row.frames_per_s} frames/s{peak_text} {note}")
    return row


def _print_rows(rows: list[Row]) -> None:
    baseline = next((r.frames_per_s for r in rows if r.mode == "bf16" and r.batch_size == 1), None)
    print()
    print(
        f"{'mode':<6}{'batch':>6}{'frames':>8}{'s':>8}{'frames/s':>10}{'x base':>8}{'peak GiB':>10}"
    )
    for row in rows:
        if baseline and row.frames_per_s:
            row.vs_baseline = round(row.frames_per_s / baseline, 2)
        print(
            f"{row.mode:<6}{row.batch_size or '-':>6}{row.frames:>8}{_cell(row.seconds):>8}"
            f"{_cell(row.frames_per_s):>10}{_cell(row.vs_baseline):>8}{_cell(row.peak_gib):>10}"
            f"  {row.note}"
        )
    print("baseline: batch size 1, bf16, this run")


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _write_frames(directory: Path, count: int, side: int) -> list[FrameInput]:
    """Noisy frames with a moving block, saved as JPEGs like the sampler's."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    frames = []
    for index in range(count):
        pixels = rng.integers(0, 64, (side, side, 3), dtype=np.uint8)
        start = (index * 17) % (side // 2)
        pixels[start : start + side // 4, start : start + side // 4] = (220, 120, 30)
        path = directory / f"frame-{index:04d}.jpg"
        Image.fromarray(pixels).save(path, quality=85)
        frames.append(FrameInput(index=index, timestamp_s=index * 0.5, path=str(path)))
    return frames


def _free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tiny", action="store_true", help="a tiny model; runs on a CPU")
    parser.add_argument("--batch-sizes", default=None, help="comma-separated (1,2,4,8,16,32)")
    parser.add_argument("--modes", default="bf16,4bit", help="comma-separated: bf16, 4bit")
    parser.add_argument("--side", type=int, default=None, help="frame side in px (448)")
    parser.add_argument("--new-tokens", type=int, default=None, help="tokens per frame (128)")
    parser.add_argument("--work-dir", default=None, help="frames and the saved 4-bit source")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    sizes = args.batch_sizes or ("1,2,4" if args.tiny else "1,2,4,8,16,32")
    args.batch_sizes = [int(value) for value in sizes.split(",")]
    args.modes = [value.strip() for value in args.modes.split(",")]
    args.side = args.side or (112 if args.tiny else 448)
    args.new_tokens = args.new_tokens or (4 if args.tiny else 128)
    return args


if __name__ == "__main__":
    sys.exit(main())
