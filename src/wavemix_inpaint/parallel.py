"""Run per-image CPU work (OpenCV, NumPy, scikit-image) of a batch on several threads.

These libraries release the GIL inside their kernels, so threads give a real speed-up for the
classical baselines and the Telea prefill, whose work is one call per image. The thread count follows
``torch.get_num_threads()``, the knob users already set (``OMP_NUM_THREADS``, ``--threads``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

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


__all__ = ["map_threaded"]
