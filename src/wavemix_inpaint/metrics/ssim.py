"""Differentiable SSIM (Wang et al. 2004) with an 11x11 Gaussian window (sigma 1.5), K1=0.01, K2=0.03.

Two border conventions are offered; they give different numbers, so always say which one is reported:

* ``padding="reflect"``: the images are reflect-padded by 5 pixels, so the SSIM map has the input size.
  This matches ``torchmetrics.functional.structural_similarity_index_measure`` (what the WaveMix
  inpainting code reports) when ``data_range`` is given.
* ``padding="valid"``: no padding, the map is ``(H-10) x (W-10)``. This is the Wang et al. reference and
  matches skimage (``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``), pytorch-msssim and piq.

Computation always runs in float32 (float64 inputs stay float64) with autocast disabled, so the functions are
safe to call inside ``torch.autocast`` regions.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from wavemix_inpaint.errors import InputError

SSIMPadding = Literal["reflect", "valid"]

WINDOW_SIZE = 11
WINDOW_SIGMA = 1.5
K1 = 0.01
K2 = 0.03


def gaussian_window(
    size: int = WINDOW_SIZE,
    sigma: float = WINDOW_SIGMA,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Tensor:
    """Return a normalised 1-D Gaussian window of odd length ``size`` (shape ``(size,)``)."""
    if size % 2 != 1 or size < 1:
        raise InputError(f"SSIM window size must be a positive odd number, got {size}")
    coords = torch.arange(size, dtype=torch.float64, device=device) - (size - 1) / 2
    window = torch.exp(-(coords**2) / (2.0 * sigma**2))
    return (window / window.sum()).to(dtype)


def check_image_pair(pred: Tensor, target: Tensor) -> None:
    """Raise :class:`InputError` unless ``pred`` and ``target`` are NCHW tensors of the same shape."""
    if pred.ndim != 4:
        raise InputError(f"expected N x C x H x W image tensors, got shape {tuple(pred.shape)}")
    if pred.shape != target.shape:
        raise InputError(f"prediction and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")


def metric_dtype(x: Tensor) -> torch.dtype:
    """Dtype metrics are computed in: float64 for float64 inputs, float32 for everything else."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _blur(stack: Tensor, window: Tensor) -> Tensor:
    """Separable depthwise Gaussian filtering without padding (valid convolution)."""
    channels = stack.shape[1]
    vertical = window.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
    horizontal = window.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
    out = F.conv2d(stack, vertical, groups=channels)
    return F.conv2d(out, horizontal, groups=channels)


def ssim_map(
    pred: Tensor,
    target: Tensor,
    *,
    data_range: float,
    padding: SSIMPadding = "reflect",
) -> Tensor:
    """Per-pixel SSIM map, shape ``N x C x H x W`` (reflect) or ``N x C x (H-10) x (W-10)`` (valid).

    ``data_range`` is the value range of the images (1.0 for [0,1] floats, 255.0 for [0,255]); it is required
    because inferring it from the data (torchmetrics' default) makes scores depend on image content.
    """
    check_image_pair(pred, target)
    if not data_range > 0:
        raise InputError(f"data_range must be positive, got {data_range}")
    if padding not in ("reflect", "valid"):
        raise InputError(f"SSIM padding must be 'reflect' or 'valid', got {padding!r}")
    half = WINDOW_SIZE // 2
    height, width = pred.shape[-2:]
    min_side = half + 1 if padding == "reflect" else WINDOW_SIZE
    if height < min_side or width < min_side:
        raise InputError(f"images of {height}x{width} are too small for {padding!r} SSIM (need at least {min_side} px a side)")

    dtype = metric_dtype(pred)
    with torch.autocast(device_type=pred.device.type, enabled=False):
        x = pred.to(dtype)
        y = target.to(dtype)
        if padding == "reflect":
            pad = (half, half, half, half)
            x = F.pad(x, pad, mode="reflect")
            y = F.pad(y, pad, mode="reflect")
        window = gaussian_window(dtype=dtype, device=x.device)
        stats = _blur(torch.cat((x, y, x * x, y * y, x * y), dim=1), window)
        mu_x, mu_y, e_xx, e_yy, e_xy = stats.chunk(5, dim=1)

        mu_xx = mu_x * mu_x
        mu_yy = mu_y * mu_y
        mu_xy = mu_x * mu_y
        var_x = (e_xx - mu_xx).clamp_min(0.0)
        var_y = (e_yy - mu_yy).clamp_min(0.0)
        cov_xy = e_xy - mu_xy

        c1 = (K1 * data_range) ** 2
        c2 = (K2 * data_range) ** 2
        numerator = (2.0 * mu_xy + c1) * (2.0 * cov_xy + c2)
        denominator = (mu_xx + mu_yy + c1) * (var_x + var_y + c2)
        return numerator / denominator


def ssim(
    pred: Tensor,
    target: Tensor,
    *,
    data_range: float,
    padding: SSIMPadding = "reflect",
) -> Tensor:
    """Per-image SSIM (shape ``N``): the SSIM map averaged over channels and pixels. Differentiable."""
    return ssim_map(pred, target, data_range=data_range, padding=padding).flatten(1).mean(dim=1)
