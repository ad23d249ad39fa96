"""Fixed, seeded evaluation mask sets (LaMa ``gen_mask_dataset.py`` selection rule).

For each mask, ``candidates`` masks are drawn, those with a hole fraction above ``max_hole_fraction``
are dropped and one of the rest is kept at random. Deviation from LaMa: when every candidate is
dropped, LaMa skips the image; here a fresh set of candidates is drawn so the set always has ``count``
masks (after ``MAX_ROUNDS`` fruitless rounds an :class:`InputError` is raised). LaMa's square crop of
non-square images does not apply: masks are drawn at the requested size directly.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.fileio import atomic_write_bytes, atomic_write_text
from wavemix_inpaint.masks.base import MaskGenerator
from wavemix_inpaint.masks.io import hole_fraction, mask_to_png_bytes, parse_size
from wavemix_inpaint.masks.presets import draws_natively, get_mask_generator

MANIFEST_NAME = "masks.json"
MAX_ROUNDS = 100
_MASK_FILE_RE = re.compile(r"mask_\d+\.png")


def select_mask(
    generator: MaskGenerator,
    rng: np.random.Generator,
    height: int,
    width: int,
    candidates: int = 5,
    max_hole_fraction: float = 0.5,
) -> np.ndarray:
    """Draw ``candidates`` masks, drop those with too large holes and return a random survivor."""
    for _ in range(MAX_ROUNDS):
        drawn = [generator(rng, height, width) for _ in range(candidates)]
        kept = [mask for mask in drawn if hole_fraction(mask) <= max_hole_fraction]
        if kept:
            return kept[int(rng.integers(len(kept)))]
    raise InputError(
        f"{MAX_ROUNDS * candidates} masks in a row had a hole fraction above {max_hole_fraction}; "
        "raise the maximum hole fraction or choose another preset"
    )


def _existing_mask_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _MASK_FILE_RE.fullmatch(p.name))


def _check_arguments(count: int, candidates: int, seed: int, max_hole_fraction: float) -> None:
    for name, value, minimum in (("count", count, 1), ("candidates", candidates, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if not 0 < max_hole_fraction <= 1:
        raise InputError(f"max_hole_fraction must be in (0, 1], got {max_hole_fraction!r}")


def generate_eval_masks(
    preset: str,
    size: int | str | tuple[int, int],
    count: int,
    seed: int,
    output_dir: str | os.PathLike,
    candidates: int = 5,
    max_hole_fraction: float = 0.5,
    overwrite: bool = False,
    native: bool = False,
) -> list[Path]:
    """Write ``count`` masks ``mask_00000.png``... (L-mode, 255 = hole) and a ``masks.json`` manifest.

    ``size`` is ``N``, ``"WxH"`` or ``(height, width)``. The same arguments always give byte-identical
    files. A directory that already holds ``mask_*.png`` files is refused unless ``overwrite`` is true,
    in which case mask files that are not part of the new set are removed. Returns the mask paths.
    """
    _check_arguments(count, candidates, seed, max_hole_fraction)
    height, width = parse_size(size)
    generator = get_mask_generator(preset, native=native)
    output = Path(output_dir)
    if output.exists() and not output.is_dir():
        raise InputError(f"output path {output} exists and is not a directory")
    existing = _existing_mask_files(output)
    if existing and not overwrite:
        raise InputError(f"{output} already contains {len(existing)} mask files (use overwrite to replace them)")

    rng = np.random.default_rng(seed)
    digits = max(5, len(str(count - 1)))
    paths: list[Path] = []
    fractions: list[float] = []
    for index in range(count):
        mask = select_mask(generator, rng, height, width, candidates, max_hole_fraction)
        path = atomic_write_bytes(output / f"mask_{index:0{digits}d}.png", mask_to_png_bytes(mask))
        paths.append(path)
        fractions.append(hole_fraction(mask))
    for stale in set(existing) - set(paths):
        stale.unlink()

    manifest = {
        "preset": preset.strip().lower(),
        "native": draws_natively(preset, native),  # what was drawn, whatever was asked
        "size": f"{width}x{height}",
        "height": height,
        "width": width,
        "seed": int(seed),
        "count": int(count),
        "candidates": int(candidates),
        "max_hole_fraction": float(max_hole_fraction),
        "encoding": "8-bit greyscale PNG, 255 = hole, 0 = known",
        "mean_hole_fraction": float(np.mean(fractions)),
        "empty_masks": sum(fraction == 0 for fraction in fractions),
        "files": [{"file": p.name, "hole_fraction": f} for p, f in zip(paths, fractions)],
    }
    atomic_write_text(output / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
    return paths
