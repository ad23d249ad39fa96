"""Comparing a state dict with the one an architecture expects."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor


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
