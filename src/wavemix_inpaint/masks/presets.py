"""Named mask presets: LaMa's training / evaluation configs, the WaveMix authors' 96-px config, squares.

LaMa presets default to the *scale-faithful* mode: the mask is drawn on a canvas whose short side is
256 px (LaMa's own resolution, same aspect ratio as the request) and nearest-resized to the requested
size, which keeps LaMa's hole-area statistics at any size (sizes above 256 px are upsampled, so hole
edges get blocky). ``native=True`` draws directly at the requested size with the unscaled 256-px
parameters (holes get relatively larger on small images because the strokes' 10 px length / 5 px
width minimums and the box sizes do not scale).

``wavemix-paper-96`` reproduces the WaveMix-Inpainting authors' training config and is always drawn
natively at the requested size. Its box component allows **zero** boxes, so about 10 % of its masks
(half the samples use boxes, 1 in 5 of those has none) are empty; they are kept on purpose, as that is
what the authors trained on. ``wavemix-paper-96-nonempty`` redraws empty masks instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.masks.base import (
    CanvasResizeGenerator,
    LargeHoleGenerator,
    MaskGenerator,
    NonEmptyMaskGenerator,
    SquareMaskGenerator,
)
from wavemix_inpaint.masks.lama import BoxParams, IrregularParams, MixedMaskGenerator, lama_mixed

LAMA_CANVAS = 256
"""Short side of the canvas used by the scale-faithful mode."""

SQUARE_PRESET = "square:N"
"""The parametric square preset, e.g. ``square:8`` (one 8x8 hole)."""

MIXTURE_PRESET = "W*NAME+W*NAME"
"""A mixture of presets, one picked per mask with probability proportional to its weight W (default 1),
e.g. ``0.75*train+0.25*thin``: LaMa's training masks with a quarter of thin strokes."""

_SQUARE_RE = re.compile(r"square:(\d+)")


@dataclass(frozen=True)
class _Preset:
    description: str
    build: Callable[[], MaskGenerator]
    scale_faithful: bool


def _wavemix_paper() -> MaskGenerator:
    return lama_mixed(
        IrregularParams(max_len=50, max_width=30, min_times=1, max_times=5),
        BoxParams(margin=10, bbox_min_size=15, bbox_max_size=30, min_times=0, max_times=4),
    )


_PRESETS: dict[str, _Preset] = {
    "train": _Preset(
        "LaMa abl-04 training masks: strokes 200/100/1-5 or boxes 30-150 x1-4, 50/50 (mean area ~0.35)",
        lambda: lama_mixed(
            IrregularParams(max_len=200, max_width=100, min_times=1, max_times=5),
            BoxParams(margin=10, bbox_min_size=30, bbox_max_size=150, min_times=1, max_times=4),
            irregular_proba=1.0,
            box_proba=1.0,
        ),
        True,
    ),
    "thick": _Preset(
        "LaMa random_thick_256 eval masks (mean area ~0.40 before the <=0.5 filter)",
        lambda: lama_mixed(
            IrregularParams(max_len=200, max_width=100, min_times=1, max_times=5),
            BoxParams(margin=10, bbox_min_size=30, bbox_max_size=150, min_times=1, max_times=3),
            irregular_proba=1.0,
            box_proba=0.3,
        ),
        True,
    ),
    "medium": _Preset(
        "LaMa random_medium_256 eval masks (mean area ~0.24)",
        lambda: lama_mixed(
            IrregularParams(max_len=100, max_width=50, min_times=4, max_times=5),
            BoxParams(margin=0, bbox_min_size=10, bbox_max_size=50, min_times=1, max_times=5),
            irregular_proba=1.0,
            box_proba=0.3,
        ),
        True,
    ),
    "thin": _Preset(
        "LaMa random_thin_256 eval masks, strokes only (mean area ~0.30)",
        lambda: lama_mixed(IrregularParams(max_len=40, max_width=10, min_times=4, max_times=50), None),
        True,
    ),
    "large": _Preset(
        "a square box of 25-40% of the short side plus 1-3 LaMa thick strokes (full-resolution photos)",
        lambda: LargeHoleGenerator(
            CanvasResizeGenerator(
                lama_mixed(IrregularParams(max_len=200, max_width=100, min_times=1, max_times=3), None), LAMA_CANVAS
            )
        ),
        False,
    ),
    "wavemix-paper-96": _Preset(
        "WaveMix authors' 96-px training masks, drawn natively; ~9% are empty (kept)",
        _wavemix_paper,
        False,
    ),
    "wavemix-paper-96-nonempty": _Preset(
        "wavemix-paper-96 with empty masks redrawn",
        lambda: NonEmptyMaskGenerator(_wavemix_paper()),
        False,
    ),
}


def list_mask_presets() -> list[str]:
    """Names of the fixed presets (the parametric ``square:N`` family is accepted too)."""
    return list(_PRESETS)


def describe_mask_presets() -> dict[str, str]:
    """One-line description per preset name, including ``square:N``."""
    descriptions = {name: preset.description for name, preset in _PRESETS.items()}
    descriptions[SQUARE_PRESET] = "one N x N hole at a uniformly random position inside the image"
    descriptions[MIXTURE_PRESET] = "one of the presets per mask, with probability proportional to W (default 1)"
    return descriptions


def _unknown(preset: object) -> InputError:
    choices = ", ".join(list_mask_presets())
    return InputError(
        f"unknown mask preset {preset!r}; choose one of {choices}, {SQUARE_PRESET} with N a positive integer "
        f"(e.g. square:8), or a mixture {MIXTURE_PRESET} (e.g. 0.75*train+0.25*thin)"
    )


def _mixture_terms(name: str) -> list[tuple[float, str]] | None:
    """``[(weight, preset), ...]`` of a mixture such as ``0.75*train+0.25*thin``; None if ``name`` is not one."""
    if "+" not in name:
        return None
    terms: list[tuple[float, str]] = []
    for term in name.split("+"):
        weight_text, _, preset = term.strip().rpartition("*")
        try:
            weight = float(weight_text) if weight_text else 1.0
        except ValueError:
            raise InputError(f"mask mixture {name!r}: {weight_text!r} is not a number (write e.g. 0.25*thin)") from None
        if not (weight > 0 and math.isfinite(weight)):
            raise InputError(f"mask mixture {name!r}: weights must be positive numbers, got {weight_text}")
        terms.append((weight, preset.strip()))
    return terms


def draws_natively(preset: str, native: bool = False) -> bool:
    """Whether ``get_mask_generator(preset, native)`` draws at the requested size (what a mask set's manifest
    records): LaMa presets only with ``native``, the always-native presets and ``square:N`` always; a
    mixture only if all of its presets do."""
    terms = _mixture_terms(preset.strip().lower()) if isinstance(preset, str) else None
    if terms is not None:
        return all(draws_natively(name, native) for _, name in terms)
    return not isinstance(get_mask_generator(preset, native=native), CanvasResizeGenerator)


def get_mask_generator(preset: str, native: bool = False) -> MaskGenerator:
    """The generator for ``preset``; LaMa presets are scale-faithful unless ``native`` is true.

    ``native`` has no effect on ``wavemix-paper-96*`` (always native) and ``square:N``.
    """
    if not isinstance(preset, str):
        raise _unknown(preset)
    name = preset.strip().lower()
    terms = _mixture_terms(name)
    if terms is not None:
        return MixedMaskGenerator([(weight, get_mask_generator(term, native=native)) for weight, term in terms])
    square = _SQUARE_RE.fullmatch(name)
    if square is not None:
        size = int(square.group(1))
        if size < 1:
            raise _unknown(preset)
        return SquareMaskGenerator(size)
    if name not in _PRESETS:
        raise _unknown(preset)
    spec = _PRESETS[name]
    generator = spec.build()
    if spec.scale_faithful and not native:
        generator = CanvasResizeGenerator(generator, LAMA_CANVAS)
    return generator
