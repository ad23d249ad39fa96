"""Windows around far-apart holes: a large photo is inpainted window by window, each with its context."""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int]
"""``(top, bottom, left, right)``, half-open, in pixels."""


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


def crop_boxes(hole: np.ndarray, margin: int) -> list[Box]:
    """Disjoint windows covering every hole pixel of a (H, W) mask: one per connected hole region
    (8-connectivity), grown by ``margin`` and shifted inward at borders; overlapping windows merged."""
    import cv2

    hole = np.asarray(hole) > 0.5
    height, width = hole.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(hole.astype(np.uint8), connectivity=8)
    boxes: list[Box] = []
    for index in range(1, count):
        left, top, box_w, box_h = (int(v) for v in stats[index, :4])
        boxes.append((*_grow(top, top + box_h, margin, height), *_grow(left, left + box_w, margin, width)))
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if _overlap(boxes[i], boxes[j]):
                    a, b = boxes[i], boxes.pop(j)
                    boxes[i] = (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                    merged = True
                    break
            if merged:
                break
    return sorted(boxes)
