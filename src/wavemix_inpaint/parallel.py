"""One CPU thread budget for every kind of parallel work: ``torch.get_num_threads()``, the knob users
already set (``OMP_NUM_THREADS``, ``--threads``).

- :func:`map_threaded`: per-image work of a batch (OpenCV, NumPy, scikit-image release the GIL inside
  their kernels, so threads give a real speed-up for the classical baselines and the Telea prefill).
- :func:`numba_on_torch_threads`: numba's parallel kernels (the texture stage's PatchMatch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import numba
import torch

T = TypeVar("T")


def map_threaded(function: Callable[..., T], *iterables: Iterable) -> list[T]:
    """``list(map(function, *iterables))``, in order, on up to ``torch.get_num_threads()`` threads."""
    items = list(zip(*iterables))
    workers = min(len(items), torch.get_num_threads())
    if workers <= 1:
        return [function(*item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda item: function(*item), items))


@contextmanager
def numba_on_torch_threads() -> Iterator[None]:
    """Run numba's parallel kernels on torch's thread budget, and leave torch's budget as it was.

    Why the second half: numba's OpenMP threading layer shares the OpenMP runtime with torch, and
    starting its thread pool (once per process) sets that runtime's thread count to numba's own (all
    cores). Torch then silently ran on more threads than asked for, and its convolutions, summing in a
    different order, gave the first texture fill of a process slightly different bits from later ones.
    """
    threads = torch.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # starts numba's pool if needed
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


__all__ = ["map_threaded", "numba_on_torch_threads"]
