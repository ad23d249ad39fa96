"""Parameter-free "push-pull" hole filling, usable as the first estimate of an inpainting network.

Push: a pyramid of mask-normalised 2x2 averages (each level averages only known pixels and keeps the
known fraction as its weight). Pull: from the coarsest level back up, each pixel is blended with the
bilinearly upsampled coarser level according to its weight. The result equals the input on known
pixels and fills holes with a smooth, large-scale average of the surrounding colours: a global
receptive field for almost no compute. It is a fixed function of ``image * (1 - mask)`` and ``mask``,
so a network that starts from it still sees only the masked input.

A fixed number of levels (not a data-dependent loop) keeps the function traceable for ONNX export with
dynamic image sizes; ``levels=10`` reaches 1/1024 of the input size.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from wavemix_inpaint.parallel import map_threaded


def push_pull_fill(masked: Tensor, mask: Tensor, levels: int = 10, eps: float = 1e-6) -> Tensor:
    """Fill the holes (``mask == 1``) of ``masked`` (``N x C x H x W``) from the known pixels."""
    weight = 1.0 - mask
    values, weights = [masked * weight], [weight]
    for _ in range(levels):
        weight_sum = F.avg_pool2d(weights[-1], 2, ceil_mode=True)
        value_sum = F.avg_pool2d(values[-1] * weights[-1], 2, ceil_mode=True)
        values.append(value_sum / weight_sum.clamp_min(eps))
        weights.append(weight_sum)
    filled = values[-1]
    for value, weight in zip(reversed(values[:-1]), reversed(weights[:-1])):
        up = F.interpolate(filled, size=value.shape[-2:], mode="bilinear", align_corners=False)
        filled = value * weight + up * (1 - weight)
    return filled


def telea_fill(masked: Tensor, mask: Tensor, radius: int = 3) -> Tensor:
    """Fill the holes with OpenCV's Telea method (per image, on CPU threads, through 8-bit images).

    Not differentiable and not traceable (no gradient is needed: the masked input is data). Known
    pixels are returned exactly as given.
    """
    import cv2
    import numpy as np
    import torch

    images = (masked.detach().float().clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy() * 255).round().astype(np.uint8)
    holes = (mask.detach()[:, 0].cpu().numpy() > 0.5).astype(np.uint8)
    filled = np.stack(map_threaded(lambda image, hole: cv2.inpaint(image, hole, radius, cv2.INPAINT_TELEA), images, holes))
    result = torch.from_numpy(filled.astype(np.float32) / 255.0).permute(0, 3, 1, 2).to(masked.device, masked.dtype)
    return torch.where(mask > 0.5, result, masked)


#: prefill name -> function; only the traceable ones can be part of an exported ONNX graph
PREFILLS = {"push-pull": push_pull_fill, "telea": telea_fill}
TRACEABLE_PREFILLS = ("none", "push-pull")
