"""Inpainting masks: LaMa-style random generators, presets, fixed evaluation sets and mask I/O.

Masks are float32 arrays of shape (H, W) with 1 = hole to fill and 0 = known pixel. Generators are
callables ``gen(rng, height, width)`` that take all randomness from an explicit
:class:`numpy.random.Generator`.

>>> import numpy as np
>>> gen = get_mask_generator("thick")           # LaMa random_thick_256, scale-faithful
>>> mask = gen(np.random.default_rng(0), 96, 96)
"""

from wavemix_inpaint.masks.base import (
    CanvasResizeGenerator,
    MaskGenerator,
    NonEmptyMaskGenerator,
    SquareMaskGenerator,
    resize_nearest,
)
from wavemix_inpaint.masks.eval_set import MANIFEST_NAME, generate_eval_masks, select_mask
from wavemix_inpaint.masks.io import hole_fraction, mask_to_png_bytes, parse_size
from wavemix_inpaint.masks.lama import (
    BoxMaskGenerator,
    BoxParams,
    IrregularMaskGenerator,
    IrregularParams,
    MixedMaskGenerator,
    lama_mixed,
)
from wavemix_inpaint.masks.presets import describe_mask_presets, draws_natively, get_mask_generator, list_mask_presets

__all__ = [
    "MANIFEST_NAME",
    "BoxMaskGenerator",
    "BoxParams",
    "CanvasResizeGenerator",
    "IrregularMaskGenerator",
    "IrregularParams",
    "MaskGenerator",
    "MixedMaskGenerator",
    "NonEmptyMaskGenerator",
    "SquareMaskGenerator",
    "describe_mask_presets",
    "draws_natively",
    "generate_eval_masks",
    "get_mask_generator",
    "hole_fraction",
    "lama_mixed",
    "list_mask_presets",
    "mask_to_png_bytes",
    "parse_size",
    "resize_nearest",
    "select_mask",
]
