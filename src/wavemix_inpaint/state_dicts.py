"""Comparing a state dict with the one an architecture expects, and loading it strictly.

It sits below :mod:`wavemix_inpaint.checkpoint` and :mod:`wavemix_inpaint.models` (it imports neither),
so both can use it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from wavemix_inpaint.errors import CheckpointError


def describe_mismatch(expected: Mapping[str, Tensor], tensors: Mapping[str, Tensor], shown: int = 5) -> str | None:
    """``None`` when keys and shapes agree, else a message naming missing, unexpected and mis-shaped keys."""
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    mismatched = sorted(
        f"{key} {tuple(tensors[key].shape)} vs {tuple(expected[key].shape)}"
        for key in set(expected) & set(tensors)
        if tensors[key].shape != expected[key].shape
    )
    details = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", mismatched)):
        if keys:
            more = f" (+{len(keys) - shown} more)" if len(keys) > shown else ""
            details.append(f"{label}: {', '.join(keys[:shown])}{more}")
    return "; ".join(details) or None


def load_state_strict(model: torch.nn.Module, tensors: dict[str, torch.Tensor], source: str) -> None:
    """Load ``tensors`` into ``model``, naming missing, unexpected and mis-shaped keys on mismatch."""
    expected = model.state_dict()
    problem = describe_mismatch(expected, tensors)
    if problem:
        raise CheckpointError(f"architecture mismatch loading {source}: {problem}")
    model.load_state_dict({key: value.to(expected[key].dtype) for key, value in tensors.items()})
