"""Resumable training state, saved atomically in one file.

Everything needed to continue a run exactly (model, optimizer, grad scaler, RNG states and loop
counters) goes into ``last.pt``, written to a temporary file and renamed, so a crash or ``kill -9``
never leaves a half-written checkpoint. It is read back with ``torch.load(weights_only=True)``:
only tensors and plain containers, no arbitrary unpickling.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from wavemix_inpaint.errors import CheckpointError
from wavemix_inpaint.fileio import atomic_write


@dataclass
class LoopState:
    """Counters of the training loop."""

    epoch: int = 0
    batch_in_epoch: int = 0
    step: int = 0
    phase: str = "adamw"
    best_metric: float = math.inf
    best_epoch: int = -1
    epoch_loss_sum: float = 0.0
    epoch_loss_count: int = 0
    images_seen: int = 0  # training crops seen by all ranks, over the whole run (resumes included)
    cpu_seconds: float = 0.0  # CPU time of the main training process, over the whole run


def save_training_state(path: Path, loop: LoopState, payload: dict[str, Any]) -> None:
    """Atomically write the loop counters plus ``payload`` (state dicts, RNG states)."""
    state = {"loop": dataclasses.asdict(loop), **payload}
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_training_state(path: Path) -> tuple[LoopState, dict[str, Any]]:
    """Read a state written by :func:`save_training_state` (safe loader only)."""
    if not path.is_file():
        raise CheckpointError(f"no training state to resume from: {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unpickling/IO failure means a bad file
        raise CheckpointError(f"cannot read training state {path}: {error}") from None
    if not isinstance(state, dict) or "loop" not in state:
        raise CheckpointError(f"{path} is not a wavemix-inpaint training state")
    loop = LoopState(**state.pop("loop"))
    return loop, state
