"""Realism metrics that need no downloaded weights: does the fill look like the photo, not only match it?

PSNR, SSIM and L1 reward the *mean* of all plausible fills, which is a blur; LPIPS and FID would catch
that but need network weights that cannot be had offline. These metrics compare the fill's texture with
the photo's directly. All take float ``N x 3 x H x W`` images in [0, 1] and ``N x 1 x H x W`` masks
(1 = hole) and return one value per image (``NaN`` where the hole is too small to say anything):

* :func:`wavelet_texture_distance`: for each Haar detail band (LH, HL, HH at levels 1-3) of the
  luminance, the 1-D Wasserstein distance between the coefficients inside the hole in the output and in
  the ground truth, averaged over the nine bands. It compares *distributions*, not positions: a texture
  of the right kind in a slightly different place scores well; a blur (coefficients near zero) or noise
  (wrong scale, wrong shape) scores badly. Coefficients are those of the averaging Haar transform
  (orthonormal coefficients / 2^level), so every level is in the same units (luminance differences).
* :func:`detail_energy`: mean squared 3x3 Laplacian of the luminance inside the hole eroded by an
  ``erode`` x ``erode`` square (default 5 x 5: 2 px off the hole's edge, to skip the seam itself). ``detail ratio = detail_energy(output) / detail_energy(truth)``:
  1 = as much fine detail as the photo, a blur is far below 1. Data-set ratios are taken as a ratio of
  sums (:func:`detail_ratio`), so near-flat holes do not dominate.
* :func:`haar_psi`: the Haar wavelet-based perceptual similarity index (Reisenhofer, Bosse, Kutyniok and
  Wiegand, 2018), full reference, whole image, in (0, 1], 1 = identical. Implemented from the paper
  (C = 30, alpha = 4.2, 3 scales, YIQ colour, 2x2 mean + subsampling pre-processing) because the
  package that ships it (piq) requires torchvision.
* :func:`hole_colour_error`: the largest per-channel difference of the hole's mean colour, in 8-bit
  levels; a "starburst" or a colour cast of a large fill shows up here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from wavemix_inpaint.metrics.ssim import check_image_pair
from wavemix_inpaint.models.haar import haar_dwt2

LUMA_WEIGHTS = (0.299, 0.587, 0.114)
#: minimum number of hole coefficients of a band for it to count in the texture distance
MIN_BAND_COEFFICIENTS = 4


def luminance(image: Tensor) -> Tensor:
    """``N x 3 x H x W`` RGB -> ``N x 1 x H x W`` luma (ITU-R BT.601 weights)."""
    weights = torch.tensor(LUMA_WEIGHTS, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    return (image * weights).sum(dim=1, keepdim=True)


def _pad_to(x: Tensor, multiple: int) -> Tensor:
    pad_h, pad_w = -x.shape[-2] % multiple, -x.shape[-1] % multiple
    return F.pad(x, (0, pad_w, 0, pad_h), mode="replicate") if pad_h or pad_w else x


def _wasserstein_1d(a: Tensor, b: Tensor) -> Tensor:
    """W1 distance between two equally sized 1-D samples: mean gap between their sorted values."""
    return (torch.sort(a).values - torch.sort(b).values).abs().mean()


@torch.no_grad()
def wavelet_texture_distance(pred: Tensor, target: Tensor, mask: Tensor, levels: int = 3) -> Tensor:
    """Per-image mean W1 distance of the hole's Haar detail coefficients (see the module doc); lower is better.

    A level-``l`` coefficient belongs to the hole when at least half of its ``2^l x 2^l`` support does.
    Bands with fewer than :data:`MIN_BAND_COEFFICIENTS` such coefficients are skipped; an image with no
    usable band gets ``NaN``.
    """
    check_image_pair(pred, target)
    multiple = 2**levels
    pred_low = _pad_to(luminance(pred.double()), multiple)
    target_low = _pad_to(luminance(target.double()), multiple)
    hole = _pad_to((mask > 0.5).double().expand(pred.shape[0], 1, *pred.shape[-2:]), multiple)
    totals = torch.zeros(pred.shape[0], dtype=torch.float64)
    counts = torch.zeros(pred.shape[0], dtype=torch.float64)
    for level in range(1, levels + 1):
        pred_low, pred_details = haar_dwt2(pred_low)
        target_low, target_details = haar_dwt2(target_low)
        inside = F.avg_pool2d(hole, 2**level) >= 0.5  # N x 1 x h x w
        scale = 2.0**-level  # orthonormal -> averaging Haar: same units at every level
        for index in range(pred.shape[0]):
            where = inside[index, 0]
            if int(where.sum()) < MIN_BAND_COEFFICIENTS:
                continue
            for band in range(3):
                a = pred_details[index, 0, band][where] * scale
                b = target_details[index, 0, band][where] * scale
                totals[index] += _wasserstein_1d(a, b).cpu()
                counts[index] += 1
    return (totals / counts).float()  # 0 / 0 -> NaN


_LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3)


def _eroded_hole(mask: Tensor, erode: int, like: Tensor) -> Tensor:
    hole = (mask > 0.5).to(like.dtype).expand(like.shape[0], 1, *like.shape[-2:])
    if erode <= 0:
        return hole
    size = 2 * (erode // 2) + 1
    return -F.max_pool2d(-hole, size, stride=1, padding=size // 2)  # min-pool = erosion


@torch.no_grad()
def detail_energy(image: Tensor, mask: Tensor, erode: int = 5) -> Tensor:
    """Per-image mean squared 3x3 Laplacian of the luminance inside the hole eroded by an ``erode`` x
    ``erode`` square, i.e. ``erode // 2`` pixels off its edge (an even ``erode`` is rounded up to odd;
    ``NaN`` when nothing of the hole is left)."""
    luma = luminance(image.double())
    laplacian = F.conv2d(F.pad(luma, (1, 1, 1, 1), mode="replicate"), _LAPLACIAN.to(luma))
    inner = _eroded_hole(mask, erode, luma)
    count = inner.flatten(1).sum(dim=1)
    energy = (laplacian.square() * inner).flatten(1).sum(dim=1) / count
    return energy.float()


def detail_ratio(pred_energy: Tensor, target_energy: Tensor) -> float:
    """Data-set detail ratio: the sum of the outputs' detail energies over the sum of the truths'
    (images with ``NaN`` energies skipped); ``NaN`` if there is nothing to compare."""
    keep = ~(torch.isnan(pred_energy) | torch.isnan(target_energy))
    denominator = float(target_energy[keep].double().sum())
    return float(pred_energy[keep].double().sum()) / denominator if denominator > 0 else math.nan


@torch.no_grad()
def hole_colour_error(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Per-image max over R, G, B of |mean of the output's hole - mean of the truth's hole|, in 8-bit levels."""
    check_image_pair(pred, target)
    hole = (mask > 0.5).to(torch.float64).expand(pred.shape[0], 1, *pred.shape[-2:])
    count = hole.flatten(1).sum(dim=1, keepdim=True)
    mean_pred = (pred.double() * hole).flatten(2).sum(dim=2) / count
    mean_target = (target.double() * hole).flatten(2).sum(dim=2) / count
    return ((mean_pred - mean_target).abs().amax(dim=1) * 255.0).float()


# ------------------------------------------------------------------------------------------ HaarPSI

_HAARPSI_C = 30.0
_HAARPSI_ALPHA = 4.2
_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def _same_conv(x: Tensor, kernel: Tensor) -> Tensor:
    """2-D convolution (flipped kernel, as ``scipy.signal.convolve2d(mode="same")``), zero padding."""
    kh, kw = kernel.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = F.pad(x, (kw - 1 - left, left, kh - 1 - top, top))
    return F.conv2d(padded, kernel.flip(0, 1).view(1, 1, kh, kw).to(x))


def _haar_responses(luma: Tensor, scales: int = 3) -> list[Tensor]:
    """Haar filter responses: horizontal for scales 1..S, then vertical for scales 1..S."""
    horizontal, vertical = [], []
    for scale in range(1, scales + 1):
        size = 2**scale
        kernel = torch.full((size, size), 2.0**-scale, dtype=luma.dtype)
        kernel[: size // 2] *= -1
        horizontal.append(_same_conv(luma, kernel))
        vertical.append(_same_conv(luma, kernel.t().contiguous()))
    return horizontal + vertical


@torch.no_grad()
def haar_psi(pred: Tensor, target: Tensor) -> Tensor:
    """Per-image HaarPSI of ``pred`` against ``target`` (RGB in [0, 1]); 1 = identical, higher is better."""
    check_image_pair(pred, target)
    yiq = _YIQ.to(torch.float64)
    channels = []
    for image in (target, pred):
        x = torch.einsum("ij,njhw->nihw", yiq, image.double() * 255.0)
        x = _same_conv(x.reshape(-1, 1, *x.shape[-2:]), torch.full((2, 2), 0.25, dtype=torch.float64))
        channels.append(x.reshape(image.shape[0], 3, *x.shape[-2:])[..., ::2, ::2])  # 2x2 mean, subsampled
    (ref_y, ref_i, ref_q), (dist_y, dist_i, dist_q) = (c.split(1, dim=1) for c in channels)
    ref_coeffs, dist_coeffs = _haar_responses(ref_y), _haar_responses(dist_y)
    scales = 3
    similarities, weights = [], []
    for orientation in range(2):
        first = orientation * scales
        weights.append(torch.maximum(ref_coeffs[first + 2].abs(), dist_coeffs[first + 2].abs()))
        local = 0.0
        for scale in range(2):
            a, b = ref_coeffs[first + scale].abs(), dist_coeffs[first + scale].abs()
            local = local + (2 * a * b + _HAARPSI_C) / (a.square() + b.square() + _HAARPSI_C)
        similarities.append(local / 2)
    mean_filter = torch.full((2, 2), 0.25, dtype=torch.float64)
    chroma = []
    for ref, dist in ((ref_i, dist_i), (ref_q, dist_q)):
        a, b = _same_conv(ref, mean_filter).abs(), _same_conv(dist, mean_filter).abs()
        chroma.append((2 * a * b + _HAARPSI_C) / (a.square() + b.square() + _HAARPSI_C))
    similarities.append((chroma[0] + chroma[1]) / 2)
    weights.append((weights[0] + weights[1]) / 2)
    similarity = torch.cat(similarities, dim=1)
    weight = torch.cat(weights, dim=1)
    pooled = (torch.sigmoid(_HAARPSI_ALPHA * similarity) * weight).flatten(1).sum(1) / weight.flatten(1).sum(1)
    return (torch.logit(pooled) / _HAARPSI_ALPHA).square().float()


@torch.no_grad()
def compute_realism_metrics(pred: Tensor, target: Tensor, mask: Tensor) -> dict[str, Tensor]:
    """Per-image realism metrics: ``texture_distance``, ``detail`` and ``detail_truth`` (energies; their
    data-set ratio is :func:`detail_ratio`), ``haar_psi`` and ``hole_colour_error``."""
    return {
        "texture_distance": wavelet_texture_distance(pred, target, mask),
        "detail": detail_energy(pred, mask),
        "detail_truth": detail_energy(target, mask),
        "haar_psi": haar_psi(pred, target),
        "hole_colour_error": hole_colour_error(pred, target, mask),
    }
