"""Edge pass: the hole's pixels next to the known region refilled by the network at 3x the resolution.

The network reads its input through a stride-2 stem, so a hole a few pixels wide is one or two of its
pixels wide: on thin strokes it was barely better than OpenCV Telea, and the pixels next to the photo
were its weakest (the biharmonic edge blend, edge_blend.py, was added for them). Run one level *finer*
than the photo, the same network fills them far better: the window's smooth fill is upscaled (bicubic;
the hole's own content is never read: the input is the fill, composited), the network refines it
there as it refines every finer level of the pyramid (models/pyramid.py), and the result is averaged
back down. Only the pixels near the known region take it: at ``d`` pixels from the nearest known pixel
the native fill's weight is ``clamp((d - NEAR) / RAMP, 0, 1)``; deeper in a hole the native fill, which
saw the most context, stays. Measured on BSDS500 val, where it replaced the biharmonic blend (which it
beats on thin, medium and thick masks): docs/results.md, "Edge pass".

The upscaled window costs ``scale**2`` times its pixels, so the pass uses the largest scale (at most
the option's) whose upscaled hole windows fit in what is left of :data:`MAX_UPSCALED_PIXELS` for the
image (all of its crop windows together), and is skipped (the biharmonic blend then, if on) where none
does: small holes and strokes anywhere, not a large hole in a large photo, where it adds least and would
cost seconds; in a photo with hundreds of specks, the windows after the budget is spent.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from wavemix_inpaint.inference.edge_blend import distance_to_known
from wavemix_inpaint.inference.windows import Box, refine_boxes

#: pixels this close to the known region take the upscaled fill only
NEAR = 4.0
#: then the native fill's weight rises to 1 over this many pixels
RAMP = 4.0
#: the most pixels the upscaled hole windows may have together: about 0.6 s of network time on 2 CPU cores.
#: A 400 x 400 hole (a 20% hole of a 1024 x 768 photo) would need 750,000 even at 2x: it keeps the
#: biharmonic blend, and the photo its 1-second fill (docs/performance.md)
MAX_UPSCALED_PIXELS = 400_000


def edge_pass_plan(hole: np.ndarray, largest: int, margin: int, budget: int = MAX_UPSCALED_PIXELS) -> tuple[int, list[Box]]:
    """``(scale, windows)`` of the edge pass for a (H, W) window hole: the largest scale from ``largest``
    down to 2 whose windows fit in ``budget`` upscaled pixels, and those windows (in the photo's pixels):
    each hole region plus ``margin`` pixels of the finer level, or the whole window where those would
    cover most of it. Only they are upscaled: a small hole in a large photo never makes a 3x copy of the
    photo. ``(1, [])``: no pass."""
    for scale in range(largest, 1, -1):
        boxes = refine_boxes(hole, -(-margin // scale))  # margin pixels of the finer level, in the photo's
        if upscaled_pixels(boxes, scale) <= budget:
            return scale, boxes
    return 1, []


def upscaled_pixels(boxes: list[Box], scale: int) -> int:
    """Pixels the network sees when ``boxes`` are refined ``scale`` times finer."""
    return sum((bottom - top) * (right - left) for top, bottom, left, right in boxes) * scale * scale


def native_weight(hole: np.ndarray) -> Tensor:
    """``1 x 1 x H x W`` weight of the native fill: 0 within :data:`NEAR` px of the known region, 1 beyond
    ``NEAR + RAMP`` px."""
    distance = distance_to_known(hole, mask_size=5)
    return torch.from_numpy(np.clip((distance - NEAR) / RAMP, 0.0, 1.0))[None, None]


def upscale_window(filled: Tensor, hole: Tensor, scale: int) -> tuple[Tensor, Tensor]:
    """The composited fill upscaled ``scale`` times (bicubic, clamped) and the hole with it (nearest).

    ``1 x 3 x H x W``, ``1 x 1 x H x W`` -> ``1 x 3 x sH x sW``, ``1 x 1 x sH x sW``."""
    size = (filled.shape[-2] * scale, filled.shape[-1] * scale)
    image = F.interpolate(filled, size=size, mode="bicubic", align_corners=False).clamp(0, 1)
    return image, F.interpolate(hole, size=size, mode="nearest")


def blend_finer(filled: Tensor, hole: Tensor, finer: Tensor) -> Tensor:
    """``filled`` with the pixels near the known region taken from ``finer`` (the finer level's fill,
    averaged back down to the photo's size)."""
    weight = native_weight(hole[0, 0].numpy() > 0.5).to(filled.dtype)
    mixed = weight * filled + (1 - weight) * finer
    return torch.where(hole > 0.5, mixed, filled)
