"""Per-sample random number generators and DataLoader worker seeding.

Scheme: every random choice made for one sample (crop position, augmentation, mask) comes from
generators derived from ``SeedSequence([seed, epoch, index])``, spawned into independent streams
(one per job: image loading/cropping, augmentation, mask). Nothing depends on global random state,
on the DataLoader worker that happens to load the sample, or on the order samples are requested in.
Therefore:

* ``num_workers=0`` and ``num_workers=8`` give identical batches;
* a run resumed at epoch ``e`` sees exactly the samples the original run saw at epoch ``e``;
* changing the augmentation preset does not change the masks (separate streams).

:func:`worker_init_fn` additionally seeds ``torch``, ``numpy`` and ``random`` in each worker from
``torch.initial_seed()`` (which PyTorch already makes distinct per worker) for any third-party code
that still uses global state.
"""

from __future__ import annotations

import random

import numpy as np
import torch

#: Names of the independent per-sample streams, in spawn order (do not reorder: it changes samples).
STREAMS: tuple[str, ...] = ("image", "augment", "mask")


def sample_rngs(seed: int, epoch: int, index: int) -> dict[str, np.random.Generator]:
    """Independent generators for one sample, keyed by the names in :data:`STREAMS`."""
    children = np.random.SeedSequence([int(seed), int(epoch), int(index)]).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}


def worker_init_fn(worker_id: int) -> None:
    """Seed ``torch``, ``numpy`` and ``random`` in a DataLoader worker (pass as ``worker_init_fn``).

    The datasets of this package do not need it (they use :func:`sample_rngs`); it only protects other
    library code that draws from global generators.
    """
    seed = torch.initial_seed() % 2**32  # PyTorch sets this to base_seed + worker_id in each worker
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
