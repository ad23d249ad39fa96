"""Reading and writing mask images, sizes, and hole statistics."""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.masks.base import check_shape

_SIZE_RE = re.compile(r"\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?")


def parse_size(size: int | str | tuple[int, int]) -> tuple[int, int]:
    """Return ``(height, width)`` from ``96``, ``"96"``, ``"WxH"`` (e.g. ``"128x96"``) or ``(height, width)``."""
    if isinstance(size, str):
        match = _SIZE_RE.fullmatch(size)
        if match is None:
            raise InputError(f"invalid size {size!r}: use N (square) or WxH, e.g. 96 or 128x96")
        width = int(match.group(1))
        height = int(match.group(2)) if match.group(2) else width
    elif isinstance(size, (tuple, list)) and len(size) == 2:
        height, width = size
    elif isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        height = width = int(size)
    else:
        raise InputError(f"invalid size {size!r}: use N (square), 'WxH' or a (height, width) pair")
    check_shape(height, width)
    return int(height), int(width)


def hole_fraction(mask: np.ndarray) -> float:
    """Fraction of pixels that are holes (value > 0.5)."""
    mask = np.asarray(mask)
    if mask.size == 0:
        raise InputError("cannot compute the hole fraction of an empty mask")
    return float(np.count_nonzero(mask > 0.5) / mask.size)


def _mask_channel(image: Image.Image) -> np.ndarray:
    """The channel that carries the mask: alpha if it varies, else the grey level, or for a colour mask
    the brightest channel (a stroke painted pure red or blue is a hole too: its grey level is dark)."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        alpha = np.asarray(image.getchannel("A"))
        if alpha.min() != alpha.max():
            return alpha
    if image.mode in ("LA", "La"):
        return np.asarray(image.convert("L"))
    if image.mode in ("RGB", "RGBA", "RGBa", "PA", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        return np.asarray(image.convert("RGB")).max(axis=2)
    return np.asarray(image)


def binarize_mask(values: np.ndarray, source: str = "mask") -> np.ndarray:
    """A 2-D array of mask values -> float32 (H, W) in {0, 1}, 1 = hole.

    Booleans are used as they are; numbers above half the range are holes, the range being 1 if the
    maximum is <= 1, else 255 if it is <= 255, else 65535. ``source`` names the mask in errors.
    """
    values = np.asarray(values)
    if values.ndim != 2 or values.size == 0:
        raise InputError(f"{source} has unsupported shape {values.shape} (expected a non-empty H x W mask)")
    if values.dtype == np.bool_:
        return values.astype(np.float32)
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise InputError(f"{source} contains NaN or infinite values")
    peak = values.max()
    scale = 1.0 if peak <= 1 else 255.0 if peak <= 255 else 65535.0
    return (values > scale / 2).astype(np.float32)


def mask_from_image(image: Image.Image, source: str = "mask image") -> np.ndarray:
    """A loaded PIL mask image -> float32 (H, W) in {0, 1}, 1 = hole (see :func:`wavemix_inpaint.imageio.read_mask`)."""
    return binarize_mask(_mask_channel(image), source)


def mask_to_png_bytes(mask: np.ndarray) -> bytes:
    """Encode a mask as an 8-bit greyscale PNG with 255 = hole, 0 = known."""
    pixels = np.where(np.asarray(mask) > 0.5, 255, 0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()
