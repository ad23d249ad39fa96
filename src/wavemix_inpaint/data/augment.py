"""LaMa-style training augmentations on HxWx3 ``uint8`` RGB images, with numpy/OpenCV and an explicit rng.

Presets (see :data:`AUGMENTATIONS`), each step applied independently with probability 0.5, in order:

* ``none``: identity (returns the input array itself).
* ``light``: horizontal flip, brightness/contrast, HSV shift.
* ``distortions``: perspective, affine, then the ``light`` steps. This is LaMa's ``distortions`` variant
  without its resolution-specific parts (pad to 256 + optical distortion + random crop, and CLAHE);
  cropping is done by the image sources, before augmentation. imgaug's shear of +-0.1 *degrees* is
  negligible and omitted.

Parameters follow LaMa / albumentations: perspective corner jitter ~ |N(0, s)| * size with s ~ U(0, 0.06),
replicate border; affine scale U(0.7, 1.3), rotation U(-40, 40) degrees, bilinear, reflect border;
brightness and contrast U(-0.2, 0.2) (``out = img * (1 + c) + 255 * b``); HSV shifts U(-5, 5) hue,
U(-30, 30) saturation, U(-5, 5) value in OpenCV ``uint8`` units (hue wraps modulo 180).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from wavemix_inpaint.errors import InputError

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def perspective(image: np.ndarray, rng: np.random.Generator, scale: tuple[float, float] = (0.0, 0.06)) -> np.ndarray:
    """Move the four corners inwards by random amounts and stretch that quad back to the full size."""
    height, width = image.shape[:2]
    sigma = rng.uniform(*scale)
    jitter = np.minimum(np.abs(rng.normal(0.0, sigma, size=(4, 2))), 0.45) * (width - 1, height - 1)
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float64)
    inwards = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float64)
    source = (corners + inwards * jitter).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def affine(
    image: np.ndarray,
    rng: np.random.Generator,
    scale: tuple[float, float] = (0.7, 1.3),
    rotate: tuple[float, float] = (-40.0, 40.0),
) -> np.ndarray:
    """Random zoom and rotation about the centre; the border is filled by reflection."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), rng.uniform(*rotate), rng.uniform(*scale))
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def hflip(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mirror left-right (``rng`` unused; the step's probability decides)."""
    return np.ascontiguousarray(image[:, ::-1])


def brightness_contrast(
    image: np.ndarray, rng: np.random.Generator, brightness: float = 0.2, contrast: float = 0.2
) -> np.ndarray:
    """``img * (1 + c) + 255 * b`` with ``b ~ U(-brightness, brightness)``, ``c ~ U(-contrast, contrast)``."""
    beta = rng.uniform(-brightness, brightness) * 255.0
    alpha = 1.0 + rng.uniform(-contrast, contrast)
    lut = np.clip(np.rint(np.arange(256) * alpha + beta), 0, 255).astype(np.uint8)
    return lut[image]


def hsv_shift(
    image: np.ndarray, rng: np.random.Generator, hue: float = 5.0, saturation: float = 30.0, value: float = 5.0
) -> np.ndarray:
    """Add random offsets to OpenCV's ``uint8`` HSV channels (hue 0-179 wraps, the others clip)."""
    shifts = rng.uniform(-1.0, 1.0, size=3) * (hue, saturation, value)
    levels = np.arange(256)
    hue_lut = np.mod(np.rint(levels + shifts[0]), 180).astype(np.uint8)
    sat_lut = np.clip(np.rint(levels + shifts[1]), 0, 255).astype(np.uint8)
    val_lut = np.clip(np.rint(levels + shifts[2]), 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2HSV)
    shifted = np.stack([hue_lut[hsv[..., 0]], sat_lut[hsv[..., 1]], val_lut[hsv[..., 2]]], axis=-1)
    return cv2.cvtColor(shifted, cv2.COLOR_HSV2RGB)


@dataclass(frozen=True)
class Augmentation:
    """A sequence of ``(probability, transform)`` steps; call it as ``aug(image_hwc_uint8, rng)``."""

    name: str
    steps: tuple[tuple[float, Transform], ...] = ()

    def __call__(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"augmentations expect an HxWx3 uint8 image, got {image.dtype} {image.shape}")
        for probability, transform in self.steps:
            if rng.random() < probability:
                image = transform(image, rng)
        return image


_COLOUR_STEPS = ((0.5, hflip), (0.5, brightness_contrast), (0.5, hsv_shift))

AUGMENTATIONS: dict[str, Augmentation] = {
    "none": Augmentation("none"),
    "light": Augmentation("light", _COLOUR_STEPS),
    "distortions": Augmentation("distortions", ((0.5, perspective), (0.5, affine)) + _COLOUR_STEPS),
}


def get_augmentation(name: str) -> Augmentation:
    """The augmentation preset called ``name`` (``none``, ``light`` or ``distortions``)."""
    try:
        return AUGMENTATIONS[name]
    except KeyError:
        raise InputError(f"unknown augmentation {name!r}; choose one of {', '.join(AUGMENTATIONS)}") from None


__all__ = [
    "AUGMENTATIONS",
    "Augmentation",
    "affine",
    "brightness_contrast",
    "get_augmentation",
    "hflip",
    "hsv_shift",
    "perspective",
]
