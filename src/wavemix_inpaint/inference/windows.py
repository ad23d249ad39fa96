"""Windows around far-apart holes: a large photo is inpainted window by window, each with its context."""

from __future__ import annotations

import math

import numpy as np

Box = tuple[int, int, int, int]
"""``(top, bottom, left, right)``, half-open, in pixels."""

#: the finer levels refine window by window only while the windows cover less than this share of the level
#: (many small far-apart holes: one call on the whole level is cheaper than many calls with margins)
MAX_WINDOW_SHARE = 0.75


def _grow(low: int, high: int, margin: int, size: int) -> tuple[int, int]:
    """Grow ``[low, high)`` by ``margin`` each side, shifting inward at the borders, within ``[0, size)``."""
    low, high = low - margin, high + margin
    if low < 0:
        high, low = high - low, 0
    if high > size:
        low, high = low - (high - size), size
    return max(low, 0), min(high, size)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def _merge_overlapping(boxes: list[Box]) -> list[Box]:
    """Boxes merged until none overlap: passes over the list, each folding a box into the first
    overlapping one kept so far (a few passes, not a restart after every merge: hundreds of specks)."""
    merged = True
    while merged:
        merged, kept = False, []
        for box in boxes:
            for index, other in enumerate(kept):
                if _overlap(box, other):
                    kept[index], merged = _union(box, other), True
                    break
            else:
                kept.append(box)
        boxes = kept
    return boxes


def region_margin(extent: int, margin: int, context_scale: float | None, min_context: int) -> int:
    """Context each side of a hole region whose larger side is ``extent`` px: ``margin``, or with a
    ``context_scale`` that many times the region's size, at least ``min_context`` and at most ``margin``."""
    if context_scale is None:
        return margin
    return min(margin, max(min_context, math.ceil(context_scale * extent)))


def crop_boxes(hole: np.ndarray, margin: int, context_scale: float | None = None, min_context: int = 32) -> list[Box]:
    """Disjoint windows covering every hole pixel of a (H, W) mask: one per connected hole region
    (8-connectivity), grown by its :func:`region_margin` and shifted inward at borders; overlapping
    windows merged."""
    import cv2

    hole = np.asarray(hole) > 0.5
    height, width = hole.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(hole.astype(np.uint8), connectivity=8)
    boxes: list[Box] = []
    for index in range(1, count):
        left, top, box_w, box_h = (int(v) for v in stats[index, :4])
        grow = region_margin(max(box_w, box_h), margin, context_scale, min_context)
        boxes.append((*_grow(top, top + box_h, grow, height), *_grow(left, left + box_w, grow, width)))
    return sorted(_merge_overlapping(boxes))


#: the crop strategy's context each side of a hole region: this many times the region's larger side, at
#: least MIN_CONTEXT px and at most ``--crop-margin`` (a dust speck needs less context than a missing
#: object, and hundreds of specks with full margins merge into one window over the whole photo).
#: Measured: benchmarks/experiments/crop_context.py (docs/results.md, "Crop windows")
CONTEXT_SCALE: float | None = 2.0
MIN_CONTEXT = 32


def crop_windows(hole: np.ndarray, crop_margin: int) -> list[Box]:
    """The crop strategy's windows of a (H, W) mask: :func:`crop_boxes` with the context rule above."""
    return crop_boxes(hole, crop_margin, CONTEXT_SCALE, MIN_CONTEXT)


def refine_boxes(hole: np.ndarray, margin: int) -> list[Box]:
    """Where a finer level is refined: :func:`crop_boxes` with a fixed ``margin``, or the whole (H, W)
    level in one box when those would cover :data:`MAX_WINDOW_SHARE` of it; none without a hole."""
    height, width = np.shape(hole)
    boxes = crop_boxes(hole, margin)
    covered = sum((bottom - top) * (right - left) for top, bottom, left, right in boxes)
    return [(0, height, 0, width)] if boxes and covered >= MAX_WINDOW_SHARE * height * width else boxes
