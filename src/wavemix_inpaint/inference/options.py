"""One options object for every way of inpainting: the CLI, the server and the Python API build an
:class:`InpaintOptions` and pass it down to the one pipeline (:mod:`wavemix_inpaint.inference.pipeline`).

The command-line flags are generated from the fields (name, type, default and the ``help`` metadata), so
a new option appears in ``inpaint`` and ``serve`` by adding one field here.
"""

from __future__ import annotations

import argparse
import dataclasses
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wavemix_inpaint.errors import InputError

STRATEGIES: tuple[str, ...] = ("crop", "full", "resize")
#: texture is on by default only if it wins the measurements (docs/results.md, "Texture stage")
TEXTURE_DEFAULT = False
#: the texture stage's seed is a 64-bit signed integer in its numba kernels
MAX_SEED = 2**63 - 1


def _option(default: Any, help: str, **extra: Any) -> Any:  # noqa: A002 - argparse's word
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class InpaintOptions:
    """How to inpaint one image (every field has a ``--flag`` of the same name in ``inpaint``)."""

    invert_mask: bool = _option(False, "the mask marks the pixels to keep, not the holes")
    dilate: int = _option(0, "grow the holes by N pixels", metavar="N", low=0)
    strategy: str = _option(
        "crop",
        "large images: crop = inpaint a window around each hole region, resize = downscale, full = whole image at once",
        choices=STRATEGIES,
    )
    crop_margin: int = _option(
        128,
        "most context around each hole region, in pixels (a smaller region gets twice its size, at least 32 px)",
        metavar="PX",
        low=1,
    )
    crop_trigger: int = _option(800, "crop only images whose long side exceeds this", metavar="PX", low=1)
    resize_limit: int = _option(1280, "resize: the long side to work at", metavar="PX", low=8)
    coarse_to_fine: bool = _option(
        True,
        "fill holes thicker than the network's training scale at a coarser level first, then refine "
        "at every finer level (no effect on ONNX models)",
    )
    refine_margin: int = _option(
        48,
        "coarse to fine: at the finer levels the network sees each hole region plus this much context, "
        "in pixels of that level (the coarser levels already brought in the wider context)",
        metavar="PX",
        low=1,
    )
    edge_blend: bool = _option(
        True,
        "blend the fill within a few pixels of the known region with a smooth (biharmonic) continuation "
        "of the photo, where the network alone is weakest (thin holes, seams)",
    )
    edge_scale: int = _option(
        3,
        "refill the hole's pixels within a few pixels of the known region with the network run at up to N "
        "times the resolution, where its half-resolution input stem is too coarse (small holes and strokes; "
        "skipped where the finer windows would exceed 400,000 pixels, about 0.6 s on 2 cores: e.g. a large hole "
        "in a large photo); 1 = off",
        metavar="N",
        low=1,
        high=4,
    )
    texture: bool = _option(TEXTURE_DEFAULT, "add detail copied from the photo to the network's fill (texture stage)")
    texture_strength: float = _option(
        1.0,
        "texture stage: how much of the copied detail is added (1 = the photo's own amplitude; "
        "0.35 = a light grain that costs about a tenth of a dB, docs/results.md)",
        metavar="S",
        above=0.0,
        high=1.0,
    )
    seed: int = _option(0, "random seed of the texture stage (same seed, same output)", low=0, high=MAX_SEED)

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            value, meta = getattr(self, spec.name), spec.metadata
            number = isinstance(value, numbers.Real) and not isinstance(value, bool)  # numpy numbers too, not bools
            if spec.type == "bool":
                if not isinstance(value, (bool, np.bool_)):  # a flag computed from an array is a numpy bool
                    raise InputError(f"{spec.name} must be true or false, got {value!r}")
                object.__setattr__(self, spec.name, bool(value))
            elif spec.type == "int":
                low, high = meta.get("low", 0), meta.get("high")
                if not (number and isinstance(value, numbers.Integral)) or value < low or (high is not None and value > high):
                    bounds = f">= {low}" if high is None else f"from {low} to {high}"
                    raise InputError(f"{spec.name} must be an integer {bounds}, got {value!r}")
                object.__setattr__(self, spec.name, int(value))  # numpy integers become plain ints
            elif spec.type == "float":
                above, high = meta["above"], meta["high"]
                if not number or not above < value <= high:
                    raise InputError(f"{spec.name} must be a number above {above:g} and at most {high:g}, got {value!r}")
                object.__setattr__(self, spec.name, float(value))
            elif "choices" in meta and value not in meta["choices"]:
                raise InputError(f"unknown {spec.name} {value!r}; use one of {', '.join(meta['choices'])}")

    def replace(self, **changes: Any) -> InpaintOptions:
        """A copy with ``changes``; unknown names raise :class:`InputError` listing the valid ones."""
        unknown = sorted(set(changes) - {spec.name for spec in dataclasses.fields(self)})
        if unknown:
            valid = ", ".join(spec.name for spec in dataclasses.fields(self))
            raise InputError(f"unknown inpainting option(s) {', '.join(unknown)}; valid: {valid}")
        return dataclasses.replace(self, **changes)


def add_option_arguments(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """Add one flag per :class:`InpaintOptions` field (``--no-NAME`` for booleans that default to true)."""
    for spec in dataclasses.fields(InpaintOptions):
        if spec.name in skip:
            continue
        flag = "--" + spec.name.replace("_", "-")
        meta = spec.metadata
        help_text = f"{meta['help']} (default: {spec.default})"
        if spec.type == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            kind = {"int": int, "float": float}.get(spec.type, str)
            parser.add_argument(
                flag, type=kind, default=None, choices=meta.get("choices"), metavar=meta.get("metavar"), help=help_text
            )


def options_from_args(args: argparse.Namespace, base: InpaintOptions | None = None) -> InpaintOptions:
    """The :class:`InpaintOptions` given on the command line (unset flags keep ``base``'s values)."""
    given = {
        spec.name: getattr(args, spec.name)
        for spec in dataclasses.fields(InpaintOptions)
        if getattr(args, spec.name, None) is not None
    }
    return (base or InpaintOptions()).replace(**given)
