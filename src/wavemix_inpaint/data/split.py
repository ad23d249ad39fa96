"""Seeded, reproducible train/val/test splits and an index-remapping dataset view."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from torch.utils.data import Dataset

from wavemix_inpaint.data.convert import load_uint8

SPLIT_NAMES: tuple[str, ...] = ("train", "val", "test")


def split_sizes(n: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, int]:
    """Sizes of the train/val/test splits: val and test are floored, train gets the remainder."""
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {tuple(fractions)}")
    # the tiny epsilon keeps e.g. 0.1 * 100000 = 10000.000000000002 and 0.29 * 100 = 28.999999999999996 exact
    n_val, n_test = (math.floor(n * f + 1e-9) for f in fractions[1:])
    return {"train": n - n_val - n_test, "val": n_val, "test": n_test}


def split_indices(n: int, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> dict[str, np.ndarray]:
    """Disjoint, covering, sorted ``int64`` index arrays for train/val/test.

    A PCG64 permutation of ``range(n)`` seeded with ``seed`` is cut into consecutive train, val and
    test parts, so the result is identical across runs, processes and platforms.
    """
    sizes = split_sizes(n, fractions)
    permutation = np.random.Generator(np.random.PCG64(seed)).permutation(n).astype(np.int64)
    cuts = np.cumsum([sizes[name] for name in SPLIT_NAMES])[:-1]
    return {name: np.sort(part) for name, part in zip(SPLIT_NAMES, np.split(permutation, cuts))}


class Subset(Dataset):
    """``dataset`` restricted to ``indices`` (like ``torch.utils.data.Subset``, plus ``get_uint8``)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int):
        return self.dataset[int(self.indices[index])]

    def get_uint8(self, index: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """HxWx3 ``uint8`` image of the parent dataset (see :func:`load_uint8`)."""
        return load_uint8(self.dataset, int(self.indices[index]), rng)


__all__ = ["SPLIT_NAMES", "Subset", "split_indices", "split_sizes"]
