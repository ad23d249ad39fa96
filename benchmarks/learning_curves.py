"""What the CPU learning-curve studies share: one training recipe and one reader of a run's ``metrics.csv``.

``arch_sweep.py`` (WaveMix variants) and ``equal_compute.py`` (WaveMix, LaMa and U-Net at equal CPU time)
compare runs that differ only in the network (and its objective), so both start from :data:`CPU_RECIPE`:
the same data, training masks, validation set and masks, seed, batch size and learning rate.
"""

from __future__ import annotations

import csv
from pathlib import Path

#: data, masks, validation, seed, batch and rate of every learning-curve run (``configs/default-model.yaml``'s
#: recipe, AdamW at a constant 1e-3); each study adds the model and how long to train
CPU_RECIPE = {
    "data": "runs/data",
    "val_data": "../shared/data/bsds500/val",
    "image_size": 96,
    "augment": "distortions",
    "mask_preset": "train",
    "val_mask_preset": "thick",
    "val_size": 100,
    "batch_size": 16,
    "lr": 1e-3,
    "num_workers": 1,
    "seed": 0,
    "progress": False,
    "tensorboard": False,
}


def read_rows(run_dir: Path) -> list[dict[str, str]]:
    """The rows of ``run_dir/metrics.csv`` (one per epoch), or ``[]`` before the first epoch."""
    path = run_dir / "metrics.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
