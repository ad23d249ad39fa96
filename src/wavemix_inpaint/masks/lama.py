"""LaMa-style random masks (irregular wide strokes, boxes, and their per-sample mixture).

Written from the behaviour of LaMa's ``saicinpainting/training/data/masks.py`` *as configured through its
wrapper classes*, including the two off-by-one quirks (project research notes, section 4.1):

* irregular: the stroke count is uniform in ``[min_times, max_times + 1]``;
* box: the side lengths are uniform in ``[bbox_min_size, bbox_max_size]`` *inclusive*, after the upper
  bound is clamped to ``H - 2*margin`` / ``W - 2*margin`` (exclusive); the box count is ``[min_times, max_times]``.

Strokes have 1-5 chained segments, angles ``0.01 + randint(max_angle)`` radians (mirrored to ``2*pi - a``
on even stroke index), length ``10 + randint(max_len)`` and brush width ``5 + randint(max_width)``; the 10 / 5
minimums are fixed and do not scale with the image. End points are truncated to int and clipped to
``[0, W]`` x ``[0, H]`` and the segments are drawn with ``cv2.line`` (8-connected, no anti-aliasing).

Random numbers are drawn in vectorised batches per mask, so the *sequence* differs from LaMa's (which
uses the global legacy ``np.random`` state anyway) while every distribution is the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.masks.base import MaskGenerator, check_shape

MAX_SEGMENTS = 5
"""Each stroke has ``1 + randint(MAX_SEGMENTS)`` segments."""


@dataclass(frozen=True)
class IrregularParams:
    """Parameters of LaMa's irregular stroke masks (config names; ``max_times`` as written in the config)."""

    max_len: int
    max_width: int
    min_times: int
    max_times: int
    max_angle: int = 4
    min_len: int = 10
    min_width: int = 5


@dataclass(frozen=True)
class BoxParams:
    """Parameters of LaMa's box masks (config names; ``bbox_max_size`` is inclusive)."""

    margin: int
    bbox_min_size: int
    bbox_max_size: int
    min_times: int
    max_times: int


@dataclass(frozen=True)
class Strokes:
    """The segments of one irregular mask, one entry per segment (``count`` strokes in total)."""

    count: int
    stroke: np.ndarray
    angle: np.ndarray
    length: np.ndarray
    width: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray


def sample_strokes(rng: np.random.Generator, height: int, width: int, params: IrregularParams) -> Strokes:
    """Draw the strokes of one irregular mask (no drawing yet)."""
    count = int(rng.integers(params.min_times, params.max_times + 2))
    pos_x = rng.integers(0, width, size=count)
    pos_y = rng.integers(0, height, size=count)
    n_segments = 1 + rng.integers(0, MAX_SEGMENTS, size=count)
    total = int(n_segments.sum())
    stroke = np.repeat(np.arange(count), n_segments)
    angle = 0.01 + rng.integers(0, params.max_angle, size=total)
    angle = np.where(stroke % 2 == 0, 2.0 * math.pi - angle, angle)
    length = params.min_len + rng.integers(0, params.max_len, size=total)
    brush = params.min_width + rng.integers(0, params.max_width, size=total)

    x0, y0, x1, y1 = (np.empty(total, np.int64) for _ in range(4))
    first = np.cumsum(n_segments) - n_segments
    for j in range(int(n_segments.max(initial=0))):
        active = np.flatnonzero(n_segments > j)
        seg = first[active] + j
        x0[seg], y0[seg] = pos_x[active], pos_y[active]
        step_x = (pos_x[active] + length[seg] * np.sin(angle[seg])).astype(np.int32)
        step_y = (pos_y[active] + length[seg] * np.cos(angle[seg])).astype(np.int32)
        pos_x[active] = x1[seg] = np.clip(step_x, 0, width)
        pos_y[active] = y1[seg] = np.clip(step_y, 0, height)
    return Strokes(count, stroke, angle, length, brush, x0, y0, x1, y1)


def render_strokes(strokes: Strokes, height: int, width: int) -> np.ndarray:
    """Draw the segments with ``cv2.line`` onto a float32 (H, W) mask."""
    canvas = np.zeros((height, width), np.uint8)
    columns = (strokes.x0, strokes.y0, strokes.x1, strokes.y1, strokes.width)
    for x0, y0, x1, y1, thickness in zip(*(c.tolist() for c in columns)):
        cv2.line(canvas, (x0, y0), (x1, y1), 1, thickness=thickness)
    return canvas.astype(np.float32)


def box_size_range(height: int, width: int, params: BoxParams) -> tuple[int, int]:
    """Half-open range ``[low, high)`` of box sides: ``[bmin, min(bmax + 1, H - 2m, W - 2m))``.

    Where the image is too small for ``bbox_min_size`` (LaMa would crash), the minimum is lowered to
    the largest size that still fits; an image with no room inside the margins raises :class:`InputError`.
    """
    high = min(params.bbox_max_size + 1, height - 2 * params.margin, width - 2 * params.margin)
    if high < 2:
        raise InputError(f"a {width}x{height} image is too small for box masks with margin {params.margin}")
    return min(params.bbox_min_size, high - 1), high


def sample_boxes(rng: np.random.Generator, height: int, width: int, params: BoxParams) -> np.ndarray:
    """Draw the boxes of one box mask as an int array of rows ``(x, y, w, h)``."""
    low, high = box_size_range(height, width, params)
    count = int(rng.integers(params.min_times, params.max_times + 1))
    box_w = rng.integers(low, high, size=count)
    box_h = rng.integers(low, high, size=count)
    x = rng.integers(params.margin, width - params.margin - box_w + 1)
    y = rng.integers(params.margin, height - params.margin - box_h + 1)
    return np.stack([x, y, box_w, box_h], axis=1).reshape(count, 4)


def render_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Fill the ``(x, y, w, h)`` boxes on a float32 (H, W) mask."""
    mask = np.zeros((height, width), np.float32)
    for x, y, w, h in boxes.tolist():
        mask[y : y + h, x : x + w] = 1.0
    return mask


class IrregularMaskGenerator(MaskGenerator):
    """LaMa's irregular wide-stroke mask (``RandomIrregularMaskGenerator`` with coef 1)."""

    def __init__(self, params: IrregularParams) -> None:
        self.params = params

    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        check_shape(height, width)
        return render_strokes(sample_strokes(rng, height, width, self.params), height, width)

    def __repr__(self) -> str:
        return f"IrregularMaskGenerator({self.params})"


class BoxMaskGenerator(MaskGenerator):
    """LaMa's random rectangle mask (``RandomRectangleMaskGenerator`` with coef 1)."""

    def __init__(self, params: BoxParams) -> None:
        self.params = params

    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        check_shape(height, width)
        return render_boxes(sample_boxes(rng, height, width, self.params), height, width)

    def __repr__(self) -> str:
        return f"BoxMaskGenerator({self.params})"


class MixedMaskGenerator(MaskGenerator):
    """Pick ONE generator per sample with probabilities proportional to the given weights (never a union)."""

    def __init__(self, choices: Sequence[tuple[float, MaskGenerator]]) -> None:
        kept = [(float(weight), gen) for weight, gen in choices if weight > 0]
        if not kept:
            raise InputError("a mixed mask generator needs at least one generator with positive probability")
        weights = np.array([weight for weight, _ in kept])
        self.probabilities = weights / weights.sum()
        self.generators = [gen for _, gen in kept]

    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        index = int(rng.choice(len(self.generators), p=self.probabilities))
        return self.generators[index](rng, height, width)

    def __repr__(self) -> str:
        parts = ", ".join(f"{p:.3f}: {g!r}" for p, g in zip(self.probabilities, self.generators))
        return f"MixedMaskGenerator({parts})"


def lama_mixed(
    irregular: IrregularParams | None,
    box: BoxParams | None,
    irregular_proba: float = 1.0,
    box_proba: float = 1.0,
) -> MaskGenerator:
    """A LaMa ``MixedMaskGenerator`` with irregular and/or box components (probabilities normalised)."""
    choices: list[tuple[float, MaskGenerator]] = []
    if irregular is not None:
        choices.append((irregular_proba, IrregularMaskGenerator(irregular)))
    if box is not None:
        choices.append((box_proba, BoxMaskGenerator(box)))
    return choices[0][1] if len(choices) == 1 else MixedMaskGenerator(choices)
