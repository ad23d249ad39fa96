"""Conversions between HWC ``uint8`` arrays (what decoders and augmentations use) and CHW float tensors."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch import Tensor


def to_tensor(image: np.ndarray) -> Tensor:
    """HxWx3 ``uint8`` array -> 3xHxW ``float32`` tensor in [0, 1]."""
    if image.dtype != np.uint8 or image.ndim != 3:
        raise ValueError(f"expected an HxWxC uint8 array, got {image.dtype} with shape {image.shape}")
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)


def to_uint8_hwc(image: Tensor | np.ndarray | Image.Image) -> np.ndarray:
    """A 3xHxW float tensor in [0, 1], an HxWx3 ``uint8`` array or a PIL image -> HxWx3 ``uint8`` array.

    Float tensors are clamped to [0, 1] and rounded to the nearest 8-bit value.
    """
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    if isinstance(image, Tensor):
        if image.ndim != 3 or image.shape[0] != 3:
            raise ValueError(f"expected a 3xHxW image tensor, got shape {tuple(image.shape)}")
        if image.dtype == torch.uint8:
            return image.permute(1, 2, 0).contiguous().numpy()
        scaled = image.detach().float().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)
        return scaled.permute(1, 2, 0).contiguous().cpu().numpy()
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 array, got {array.dtype} with shape {array.shape}")
    return array


def load_uint8(dataset: object, index: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Item ``index`` of any image dataset as HxWx3 ``uint8``.

    Uses ``dataset.get_uint8(index, rng)`` when available (the datasets of this package: it lets them
    crop with ``rng``), else ``dataset[index]`` (the first element if it is a tuple such as
    ``(image, label)``) converted with :func:`to_uint8_hwc`.
    """
    get_uint8 = getattr(dataset, "get_uint8", None)
    if get_uint8 is not None:
        return get_uint8(index, rng)
    item = dataset[index]  # type: ignore[index]
    if isinstance(item, (tuple, list)):
        item = item[0]
    return to_uint8_hwc(item)
