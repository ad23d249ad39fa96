"""Qualitative grids like the paper's Figures 2-3: one row per sample, columns masked input / output(s) /
ground truth (several models side by side when given)."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.fileio import atomic_write_bytes

PAD = 2
LABEL_HEIGHT = 14
BACKGROUND = (255, 255, 255)
HOLE_COLOUR = (255, 255, 255)


def _to_uint8(images: Tensor) -> np.ndarray:
    """``N x 3 x H x W`` float in [0, 1] -> ``N x H x W x 3`` uint8."""
    return images.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def grid_size(rows: int, columns: int, tile: tuple[int, int], labels: bool = True, pad: int = PAD) -> tuple[int, int]:
    """``(width, height)`` in pixels of a grid of ``rows x columns`` tiles of ``tile = (height, width)``."""
    height, width = tile
    return (
        columns * width + (columns + 1) * pad,
        (LABEL_HEIGHT if labels else 0) + rows * height + (rows + 1) * pad,
    )


def qualitative_grid(
    image: Tensor,
    mask: Tensor,
    outputs: Mapping[str, Tensor] | Tensor,
    labels: bool = True,
    hole_colour: Sequence[int] = HOLE_COLOUR,
    pad: int = PAD,
) -> Image.Image:
    """A PIL image: rows = samples; columns = masked input (holes painted ``hole_colour``), each output in
    ``outputs`` (name -> ``N x 3 x H x W``), ground truth. Size: see :func:`grid_size`."""
    if isinstance(outputs, Tensor):
        outputs = {"output": outputs}
    if image.ndim != 4 or image.shape[1] != 3 or image.shape[0] == 0:
        raise InputError(f"grid images must be N x 3 x H x W with N >= 1, got {tuple(image.shape)}")
    rows, height, width = image.shape[0], image.shape[-2], image.shape[-1]
    for name, output in outputs.items():
        if output.shape[0] < rows or output.shape[-2:] != image.shape[-2:]:
            raise InputError(f"output {name!r} has shape {tuple(output.shape)}, expected {tuple(image.shape)}")
    hole = (mask[:rows] > 0.5).float()
    colour = torch.tensor([c / 255 for c in hole_colour], dtype=torch.float32).view(1, 3, 1, 1)
    masked = image.float() * (1 - hole) + colour * hole
    narrow = width < 72  # the default font fits ~width / 6 characters
    columns = [("masked" if narrow else "masked input", masked)] + [(name, out[:rows]) for name, out in outputs.items()]
    columns.append(("truth" if narrow else "ground truth", image))
    canvas_w, canvas_h = grid_size(rows, len(columns), (height, width), labels, pad)
    canvas = Image.new("RGB", (canvas_w, canvas_h), BACKGROUND)
    top = LABEL_HEIGHT if labels else 0
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default() if labels else None
    for col, (label, tensor) in enumerate(columns):
        left = pad + col * (width + pad)
        if labels:
            draw.text((left + 1, 1), label[: max(1, width // 6)], fill=(0, 0, 0), font=font)
        for row, tile in enumerate(_to_uint8(tensor)):
            canvas.paste(Image.fromarray(tile), (left, top + pad + row * (height + pad)))
    return canvas


def save_grid(path: str | os.PathLike, grid: Image.Image) -> Path:
    """Write ``grid`` as PNG atomically."""
    buffer = io.BytesIO()
    grid.save(buffer, format="PNG")
    return atomic_write_bytes(path, buffer.getvalue())


def results_grid(results: Sequence, rows: int | None = None, labels: bool = True) -> Image.Image:
    """Grid of the samples kept by :func:`evaluate_model` for one or several models on the same images."""
    if not results:
        raise InputError("no results to draw")
    first = results[0].samples
    if not first or first["image"].numel() == 0:
        raise InputError("the results hold no samples (evaluate with grid_samples > 0)")
    count = first["image"].shape[0] if rows is None else min(rows, first["image"].shape[0])
    outputs = {}
    for result in results:
        if result.samples["output"].shape[0] < count:
            raise InputError(f"{result.model} kept fewer samples than {results[0].model}")
        name, number = result.model, 2
        while name in outputs:  # keep every column when two results share a name
            name, number = f"{result.model} ({number})", number + 1
        outputs[name] = result.samples["output"][:count]
    return qualitative_grid(first["image"][:count], first["mask"][:count], outputs, labels=labels)
