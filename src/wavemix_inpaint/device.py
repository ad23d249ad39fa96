"""Device selection shared by training, evaluation and inference."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import torch

from wavemix_inpaint.errors import InputError


def select_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then CPU; an explicit name must be available."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"unknown device {name!r} (use auto, cpu, cuda, cuda:N or mps)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' requested but no CUDA GPU is available (use --device cpu or auto)")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise InputError("device 'mps' requested but Apple MPS is not available (use --device cpu or auto)")
    return device


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a ``precision`` setting: ``fp32`` none, ``fp16`` / ``bf16`` themselves, and
    ``auto`` fp16 on CUDA (the paper's AMP) and none elsewhere."""
    if precision == "auto":
        return torch.float16 if device.type == "cuda" else None
    try:
        return {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
    except KeyError:
        raise InputError(f"precision must be auto, fp32, fp16 or bf16, got {precision!r}") from None


def autocast(precision: str, device: torch.device) -> AbstractContextManager:
    """``torch.autocast`` for a ``precision`` setting (a no-op context for fp32): the one precision switch
    of training, evaluation, benchmarks and inference."""
    dtype = autocast_dtype(precision, device)
    return nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work on ``device`` (no-op elsewhere), so wall-clock timings are complete."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_runs(
    fn: Callable[[], object], device: torch.device, warmup: int = 1, runs: int = 3, min_seconds: float = 0.0
) -> list[float]:
    """Wall-clock seconds of each timed ``fn()`` call, synchronised with ``device``.

    ``warmup`` untimed calls first, then at least ``runs`` timed calls, repeated until ``min_seconds``
    have passed. The one timing rule shared by ``benchmark`` and ``evaluate``'s speed columns.
    """
    for _ in range(warmup):
        fn()
    synchronize(device)
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < max(runs, 1) or time.perf_counter() - started < min_seconds:
        begin = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - begin)
    return times
