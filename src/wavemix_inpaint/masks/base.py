"""The mask generator interface and generic wrappers (canvas resize, non-empty resampling, squares).

Masks are float32 arrays of shape (H, W) with 1 = hole to fill and 0 = known pixel. Every generator
draws all of its randomness from the :class:`numpy.random.Generator` it is called with.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from wavemix_inpaint.errors import InputError


class MaskGenerator(ABC):
    """A callable ``gen(rng, height, width) -> float32 (H, W) mask in {0, 1}`` (1 = hole)."""

    @abstractmethod
    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        """Draw one mask of shape (height, width)."""


def check_shape(height: int, width: int) -> None:
    """Raise :class:`InputError` unless both dimensions are positive integers."""
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"mask {name} must be a positive integer, got {value!r}")


def resize_nearest(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize sampling at pixel centres, then binarise with ``> 0.5``."""
    src_h, src_w = mask.shape
    if (src_h, src_w) != (height, width):
        rows = np.minimum(((np.arange(height) + 0.5) * (src_h / height)).astype(np.intp), src_h - 1)
        cols = np.minimum(((np.arange(width) + 0.5) * (src_w / width)).astype(np.intp), src_w - 1)
        mask = mask[np.ix_(rows, cols)]
    return (mask > 0.5).astype(np.float32)


def canvas_shape(height: int, width: int, short_side: int) -> tuple[int, int]:
    """Shape with the same aspect ratio as (height, width) whose short side is ``short_side``."""
    if height <= width:
        return short_side, max(short_side, round(short_side * width / height))
    return max(short_side, round(short_side * height / width)), short_side


class CanvasResizeGenerator(MaskGenerator):
    """Scale-faithful mode: draw on a canvas with short side ``short_side``, nearest-resize to the target.

    This keeps the area statistics of generators whose parameters (and hard-coded minimum stroke
    length / width) were tuned for that canvas size, e.g. LaMa's 256-px configs used at 96 px.
    """

    def __init__(self, base: MaskGenerator, short_side: int = 256) -> None:
        self.base = base
        self.short_side = short_side

    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        check_shape(height, width)
        canvas_h, canvas_w = canvas_shape(height, width, self.short_side)
        return resize_nearest(self.base(rng, canvas_h, canvas_w), height, width)

    def __repr__(self) -> str:
        return f"CanvasResizeGenerator({self.base!r}, short_side={self.short_side})"


class NonEmptyMaskGenerator(MaskGenerator):
    """Redraw from ``base`` until the mask has at least one hole pixel (at most ``max_tries`` draws)."""

    def __init__(self, base: MaskGenerator, max_tries: int = 1000) -> None:
        self.base = base
        self.max_tries = max_tries

    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        for _ in range(self.max_tries):
            mask = self.base(rng, height, width)
            if mask.any():
                return mask
        raise InputError(f"{self.base!r} produced {self.max_tries} empty masks in a row at {width}x{height}")

    def __repr__(self) -> str:
        return f"NonEmptyMaskGenerator({self.base!r})"


class SquareMaskGenerator(MaskGenerator):
    """One ``size`` x ``size`` hole at a uniformly random position fully inside the image."""

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise InputError(f"square mask size must be a positive integer, got {size!r}")
        self.size = int(size)

    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        check_shape(height, width)
        if self.size > min(height, width):
            raise InputError(f"a {self.size}x{self.size} square does not fit in a {width}x{height} image")
        top = int(rng.integers(0, height - self.size + 1))
        left = int(rng.integers(0, width - self.size + 1))
        mask = np.zeros((height, width), np.float32)
        mask[top : top + self.size, left : left + self.size] = 1.0
        return mask

    def __repr__(self) -> str:
        return f"SquareMaskGenerator({self.size})"


class LargeHoleGenerator(MaskGenerator):
    """A square box whose side is ``low``-``high`` of the image's short side (at a uniformly random
    position fully inside), plus whatever ``strokes`` draws: the "large hole in a full photo" case."""

    def __init__(self, strokes: MaskGenerator, low: float = 0.25, high: float = 0.40) -> None:
        if not 0 < low <= high < 1:
            raise InputError(f"box fractions must satisfy 0 < low <= high < 1, got {low}, {high}")
        self.strokes, self.low, self.high = strokes, float(low), float(high)

    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        check_shape(height, width)
        side = max(1, int(round(rng.uniform(self.low, self.high) * min(height, width))))
        top = int(rng.integers(0, height - side + 1))
        left = int(rng.integers(0, width - side + 1))
        mask = np.asarray(self.strokes(rng, height, width), np.float32).copy()
        mask[top : top + side, left : left + side] = 1.0
        return mask

    def __repr__(self) -> str:
        return f"LargeHoleGenerator({self.strokes!r}, {self.low}, {self.high})"
