"""Coarse-to-fine filling: fill a hole where it has the size the network was trained on, then refine.

A network trained on 96 px crops with holes of ~25-35 % has learned to bridge gaps of roughly a dozen
pixels from the nearest known pixel. A large hole in a large photo is much wider than that, and a
single pass at full resolution leaves its centre to the first estimate (a Telea fill smears the
boundary colours into a bright or dark "starburst"). So::

    level k (coarsest): image and mask halved k times -> first estimate (the model's prefill) -> refine
    level k-1 .. 0:     estimate = the coarser fill upsampled 2x (known pixels exact) -> refine
                        -> shift the hole's mean colour back to the estimate's

The finer levels add detail; the hole's mean colour is the coarsest level's, where the hole has the
size the network was trained on. Without that shift every refinement darkened a large hole by a few
levels (the network also learned to correct the bright bias of its Telea prefill, and applied it to the
coarse estimate too): on BSDS500 val large holes, mean brightness error -3.2 levels with 72% of fills
darker than the truth, against -0.5 and 55% with the shift, and +0.04 dB of hole PSNR (docs/results.md).

The number of halvings comes from the hole's *thickness* (the largest distance from a hole pixel to
the nearest known pixel), not from its area: a long thin stroke needs no pyramid at any image size.
Training shows the network the same kind of estimate (``TrainConfig.coarse_estimate_prob``: the
model's own no-gradient fill at half resolution, upsampled with :func:`upsample_fill`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

#: hole thickness (pixels from the nearest known pixel) above which a coarser level is used, and that the
#: coarsest level aims at: about 87% of the training masks' holes at 96 px are at most this thick (median
#: 22, 90th percentile 35; `python benchmarks/experiments/mask_stats.py`); chosen on BSDS500 val
#: (docs/results.md, "Coarse to fine")
DEFAULT_TARGET_THICKNESS = 32.0
#: the coarsest level keeps at least this many pixels on its short side (context for the network)
MIN_COARSE_SIDE = 48
#: a coarser level is used only while it keeps at least this share of the image's known fraction: a
#: coarse pixel is a hole if any of its pixels is, so known strips thinner than it vanish, and a level
#: with (almost) nothing known gives the network nothing to fill from (it filled black)
MIN_KNOWN_SHARE = 0.5

#: ``refine(image, mask, estimate)`` -> composited fill; ``estimate`` None = the model's own prefill
Refiner = Callable[[Tensor, Tensor, "Tensor | None"], Tensor]


def downsample_pair(image: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Half-resolution image (2x2 mean) and mask (a pixel is a hole if any of its four is).

    ``N x C x H x W`` -> ``N x C x ceil(H/2) x ceil(W/2)``; odd sizes are replicate-padded first.
    """
    pad = (0, image.shape[-1] % 2, 0, image.shape[-2] % 2)
    if any(pad):
        image, mask = F.pad(image, pad, mode="replicate"), F.pad(mask, pad, mode="replicate")
    return F.avg_pool2d(image, 2), F.max_pool2d(mask, 2)


def upsample_fill(coarse: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    """The coarse fill upsampled (bilinear) to ``image``'s size inside the hole, ``image`` elsewhere."""
    up = F.interpolate(coarse.float(), scale_factor=2, mode="bilinear", align_corners=False)
    up = up[..., : image.shape[-2], : image.shape[-1]].to(image.dtype)
    return torch.where(mask > 0.5, up, image)


def hole_thickness(hole: np.ndarray) -> float:
    """Largest distance (pixels) from a hole pixel of a (H, W) mask to the nearest known pixel."""
    import cv2

    hole = np.asarray(hole) > 0.5
    if not hole.any():
        return 0.0
    if hole.all():
        return float(max(hole.shape))
    distance = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5)
    return float(distance.max())


def _known_fraction(hole: np.ndarray | Tensor) -> float:
    return 1.0 - float((hole > 0.5).sum()) / math.prod(hole.shape)


def known_survives(hole: np.ndarray | Tensor, smaller: np.ndarray | Tensor) -> bool:
    """Whether a downscaled hole mask ``smaller`` keeps enough of ``hole``'s known pixels to fill from
    (any known pixel, and at least :data:`MIN_KNOWN_SHARE` of the known fraction)."""
    known_smaller = _known_fraction(smaller)
    return known_smaller > 0.0 and known_smaller >= MIN_KNOWN_SHARE * _known_fraction(hole)


def pyramid_levels(hole: np.ndarray, target_thickness: float = DEFAULT_TARGET_THICKNESS, min_side: int = MIN_COARSE_SIDE) -> int:
    """How many times to halve a (H, W) mask's image so that its hole is about ``target_thickness`` thick
    (0 = fill at full resolution), keeping at least ``min_side`` pixels on the short side and enough
    known pixels (:func:`known_survives`)."""
    thickness = hole_thickness(hole)
    if thickness <= target_thickness:
        return 0
    wanted = math.ceil(math.log2(thickness / target_thickness))
    allowed = max(0, math.floor(math.log2(max(min(hole.shape[-2:]), 1) / min_side)))
    smaller = torch.from_numpy(np.asarray(hole) > 0.5).float()[None, None]
    for level in range(min(wanted, allowed)):
        smaller = downsample_pair(smaller, smaller)[1]
        if not known_survives(hole, smaller):
            return level
    return min(wanted, allowed)


def coarse_to_fine(refine: Refiner, image: Tensor, mask: Tensor, levels: int) -> list[tuple[Tensor, Tensor, Tensor]]:
    """Fill ``image`` (``N x 3 x H x W``) at ``levels`` halvings first, then refine at every finer level.

    ``refine`` returns composited fills; with ``levels == 0`` this is one plain call. Returns
    ``(image, mask, fill)`` for every level, coarsest first (the last fill is the full-resolution
    result; the texture stage adds detail level by level).
    """
    pyramid = [(image, mask)]
    for _ in range(levels):
        pyramid.append(downsample_pair(*pyramid[-1]))
    coarse_image, coarse_mask = pyramid[-1]
    filled = refine(coarse_image, coarse_mask, None)
    results = [(coarse_image, coarse_mask, filled)]
    for level_image, level_mask in reversed(pyramid[:-1]):
        estimate = upsample_fill(filled, level_image, level_mask)
        filled = keep_hole_mean(refine(level_image, level_mask, estimate), estimate, level_mask)
        results.append((level_image, level_mask, filled))
    return results


def keep_hole_mean(fill: Tensor, estimate: Tensor, mask: Tensor) -> Tensor:
    """``fill`` with each image's hole shifted so that its mean colour (per channel) is ``estimate``'s.

    ``fill``, ``estimate``: ``N x C x H x W``; ``mask``: ``N x 1 x H x W``. Known pixels are unchanged.
    """
    hole = mask > 0.5
    pixels = hole.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    shift = ((estimate - fill) * hole).sum(dim=(-2, -1), keepdim=True) / pixels
    return torch.where(hole, (fill + shift).clamp(0, 1), fill)
