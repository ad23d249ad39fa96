"""Common interface of every inpainting network in the registry.

Convention (LaMa / diffusers / OpenCV): ``image`` is ``N x 3 x H x W`` in [0, 1], ``mask`` is
``N x 1 x H x W`` with 1 = hole to fill and 0 = known. The network sees
``concat(image * (1 - mask), mask)``; the returned image is composited, so known pixels are the input
pixels bit for bit.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Replicate-pad the bottom/right of ``x`` so H and W are multiples of ``multiple``."""
    height, width = x.shape[-2:]
    pad_h, pad_w = -height % multiple, -width % multiple
    if pad_h == 0 and pad_w == 0:
        return x
    return F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")


def composite(raw: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    """Take ``raw`` inside the hole and ``image`` elsewhere (exactly, whatever ``raw`` holds there)."""
    return torch.where(mask > 0.5, raw.to(image.dtype), image)


class InpaintingModel(nn.Module):
    """Base class: subclasses implement :meth:`predict` on inputs whose size is a multiple of
    :attr:`size_multiple`; :meth:`forward` handles masking, padding, cropping and compositing."""

    size_multiple: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.model_name: str | None = None
        self.config: dict[str, Any] = {}

    def predict(self, masked: Tensor, mask: Tensor) -> Tensor:
        """Raw prediction (``N x 3 x H x W``) for a masked image and its mask."""
        raise NotImplementedError

    def forward(
        self, image: Tensor, mask: Tensor, return_raw: bool = False, estimate: Tensor | None = None
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Composited inpainting of ``image`` (``return_raw``: also the raw prediction).

        ``estimate`` is a precomputed first estimate for models whose :meth:`predict` accepts one
        (WaveMix: the training data loader computes a CPU prefill in its worker processes, see
        ``MaskedImageDataset(prefill=...)``; coarse-to-fine inference passes the upsampled coarser fill,
        see :mod:`wavemix_inpaint.models.pyramid`).
        """
        if image.ndim != 4 or image.shape[1] != 3:
            raise ValueError(f"image must be N x 3 x H x W, got {tuple(image.shape)}")
        if mask.ndim != 4 or mask.shape[1] != 1 or mask.shape[0] != image.shape[0] or mask.shape[-2:] != image.shape[-2:]:
            raise ValueError(f"mask must be N x 1 x H x W matching the image, got {tuple(mask.shape)}")
        mask = mask.to(image.dtype)
        height, width = image.shape[-2:]
        masked = pad_to_multiple(image * (1 - mask), self.size_multiple)
        padded_mask = pad_to_multiple(mask, self.size_multiple)
        if estimate is None:
            raw = self.predict(masked, padded_mask)
        else:
            raw = self.predict(masked, padded_mask, estimate=pad_to_multiple(estimate.to(image.dtype), self.size_multiple))
        raw = raw[..., :height, :width]
        output = composite(raw, image, mask)
        return (output, raw) if return_raw else output
