"""Inference: the options object, the one pipeline every caller uses, crop windows, graph optimisations."""

from wavemix_inpaint.inference.fuse import fuse_conv_bn
from wavemix_inpaint.inference.options import (
    STRATEGIES,
    TEXTURE_DEFAULT,
    InpaintOptions,
    add_option_arguments,
    options_from_args,
)
from wavemix_inpaint.inference.pipeline import FillResult, fill
from wavemix_inpaint.inference.windows import crop_boxes, crop_windows

__all__ = [
    "STRATEGIES",
    "TEXTURE_DEFAULT",
    "FillResult",
    "InpaintOptions",
    "add_option_arguments",
    "crop_boxes",
    "crop_windows",
    "fill",
    "fuse_conv_bn",
    "options_from_args",
]
