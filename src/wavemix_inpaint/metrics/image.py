"""Per-image full-reference metrics (PSNR, L1, MSE, SSIM), optionally restricted to the hole region.

Conventions: images are float ``N x C x H x W`` tensors (range given by ``data_range``, 1.0 for [0,1]);
masks are ``N x 1 x H x W`` (or ``1 x 1 x H x W``) with values > 0.5 marking hole pixels. Every metric returns
one value per image (shape ``N``); dataset scores are per-image values averaged (see :class:`MetricAccumulator`).

Region semantics (``region=``):

* ``"all"``: every pixel (the mask, if given, is ignored).
* ``"hole"``: only hole pixels, e.g. to compare inpainting methods on what they actually filled.
  Images whose mask has no hole pixel get ``NaN``, which :class:`MetricAccumulator` skips.

If ``region`` is left as ``None`` it is ``"hole"`` when a mask is given and ``"all"`` otherwise.

PSNR is capped at :data:`PSNR_CAP_DB` (100 dB): identical images give exactly that cap instead of ``+inf``,
so averages stay finite. Inputs are not clamped; clamp model outputs to the data range before calling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import torch
from torch import Tensor

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.metrics.ssim import check_image_pair, metric_dtype, ssim, ssim_map

Region = Literal["all", "hole"]

PSNR_CAP_DB = 100.0


def _difference(pred: Tensor, target: Tensor) -> Tensor:
    check_image_pair(pred, target)
    dtype = metric_dtype(pred)
    return pred.to(dtype) - target.to(dtype)


def _hole_mask(mask: Tensor | None, like: Tensor, region: Region | None) -> Tensor | None:
    """Return a boolean ``N x 1 x H x W`` hole mask, or ``None`` when the whole image is used."""
    region = region or ("all" if mask is None else "hole")
    if region == "all":
        return None
    if region != "hole":
        raise InputError(f"region must be 'all' or 'hole', got {region!r}")
    if mask is None:
        raise InputError("region='hole' needs a mask (N x 1 x H x W, 1 = hole)")
    if mask.ndim != 4 or mask.shape[1] != 1 or mask.shape[-2:] != like.shape[-2:]:
        raise InputError(f"mask must be N x 1 x {like.shape[-2]} x {like.shape[-1]}, got {tuple(mask.shape)}")
    if mask.shape[0] not in (1, like.shape[0]):
        raise InputError(f"mask batch {mask.shape[0]} does not match image batch {like.shape[0]}")
    return (mask > 0.5).expand(like.shape[0], 1, *like.shape[-2:])


def masked_image_mean(values: Tensor, hole: Tensor | None) -> Tensor:
    """Mean of ``N x C x H x W`` values per image, over all pixels or only where ``hole`` is true (NaN if none)."""
    if hole is None:
        return values.flatten(1).mean(dim=1)
    weight = hole.to(values.dtype)
    total = (values * weight).flatten(1).sum(dim=1)
    count = weight.flatten(1).sum(dim=1) * values.shape[1]
    return total / count  # 0/0 -> NaN for an empty hole


def l1(pred: Tensor, target: Tensor, *, mask: Tensor | None = None, region: Region | None = None) -> Tensor:
    """Per-image mean absolute error."""
    return masked_image_mean(_difference(pred, target).abs(), _hole_mask(mask, pred, region))


def l2(pred: Tensor, target: Tensor, *, mask: Tensor | None = None, region: Region | None = None) -> Tensor:
    """Per-image mean squared error (MSE)."""
    return masked_image_mean(_difference(pred, target).square(), _hole_mask(mask, pred, region))


def _psnr_from_mse(mse: Tensor, data_range: float, max_db: float = PSNR_CAP_DB) -> Tensor:
    floor = data_range**2 * 10.0 ** (-max_db / 10.0)
    return 10.0 * torch.log10(data_range**2 / mse.clamp_min(floor))


def psnr(
    pred: Tensor,
    target: Tensor,
    data_range: float = 1.0,
    *,
    mask: Tensor | None = None,
    region: Region | None = None,
    max_db: float = PSNR_CAP_DB,
) -> Tensor:
    """Per-image PSNR in dB, ``10 log10(data_range^2 / MSE)``, capped at ``max_db`` (identical images)."""
    if not data_range > 0:
        raise InputError(f"data_range must be positive, got {data_range}")
    return _psnr_from_mse(l2(pred, target, mask=mask, region=region), data_range, max_db)


def masked_ssim(
    pred: Tensor,
    target: Tensor,
    data_range: float = 1.0,
    *,
    mask: Tensor | None = None,
    region: Region | None = None,
) -> Tensor:
    """Per-image SSIM with the reflect-padded (same-size) map, averaged over all pixels or only hole pixels."""
    check_image_pair(pred, target)
    hole = _hole_mask(mask, pred, region)
    return masked_image_mean(ssim_map(pred, target, data_range=data_range, padding="reflect"), hole)


@torch.no_grad()
def compute_image_metrics(pred: Tensor, target: Tensor, mask: Tensor | None = None, data_range: float = 1.0) -> dict[str, Tensor]:
    """Per-image metrics as detached tensors of shape ``N``.

    Keys: ``ssim`` (reflect padding, torchmetrics-compatible), ``ssim_valid`` (unpadded, Wang et al.),
    ``psnr``, ``l1``, ``l2`` over the whole image; with a mask also ``ssim_hole``, ``psnr_hole``,
    ``l1_hole`` and ``l2_hole`` over hole pixels only.
    """
    check_image_pair(pred, target)
    full_map = ssim_map(pred, target, data_range=data_range, padding="reflect")
    mse = l2(pred, target, region="all")
    metrics = {
        "ssim": masked_image_mean(full_map, None),
        "ssim_valid": ssim(pred, target, data_range=data_range, padding="valid"),
        "psnr": _psnr_from_mse(mse, data_range),
        "l1": l1(pred, target, region="all"),
        "l2": mse,
    }
    if mask is not None:
        hole = _hole_mask(mask, pred, "hole")
        hole_mse = l2(pred, target, mask=mask, region="hole")
        metrics.update(
            ssim_hole=masked_image_mean(full_map, hole),
            psnr_hole=_psnr_from_mse(hole_mse, data_range),
            l1_hole=l1(pred, target, mask=mask, region="hole"),
            l2_hole=hole_mse,
        )
    return metrics


class MetricAccumulator:
    """Collects per-image metric values over batches; reports per-image-then-averaged mean and std.

    ``NaN`` values (e.g. hole metrics of an image with an empty mask) are skipped and not counted.
    ``std`` is the population standard deviation (``ddof=0``, as LaMa's evaluation reports).
    """

    def __init__(self) -> None:
        self._values: dict[str, list[Tensor]] = {}

    def update(self, metrics: Mapping[str, Tensor]) -> None:
        """Add one batch of per-image values (each a tensor of shape ``N`` or a scalar)."""
        for name, value in metrics.items():
            flat = torch.as_tensor(value).detach().to("cpu", torch.float64).reshape(-1)
            self._values.setdefault(name, []).append(flat)

    def reset(self) -> None:
        self._values.clear()

    def _finite(self, name: str) -> Tensor:
        values = torch.cat(self._values[name])
        return values[~torch.isnan(values)]

    def counts(self) -> dict[str, int]:
        """Number of (non-NaN) images seen per metric."""
        return {name: int(self._finite(name).numel()) for name in self._values}

    def mean(self) -> dict[str, float]:
        """Mean per metric (NaN for a metric with no valid value)."""
        return {name: _mean(self._finite(name)) for name in self._values}

    def std(self) -> dict[str, float]:
        """Population standard deviation per metric (NaN for a metric with no valid value)."""
        return {name: _std(self._finite(name)) for name in self._values}

    def summary(self) -> dict[str, dict[str, float]]:
        """``{metric: {"mean": ..., "std": ..., "count": ...}}``."""
        out: dict[str, dict[str, float]] = {}
        for name in self._values:
            values = self._finite(name)
            out[name] = {"mean": _mean(values), "std": _std(values), "count": float(values.numel())}
        return out


def _mean(values: Tensor) -> float:
    return float(values.mean()) if values.numel() else math.nan


def _std(values: Tensor) -> float:
    return float(values.std(correction=0)) if values.numel() else math.nan
