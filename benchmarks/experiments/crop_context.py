"""Crop strategy: how much context a small hole region needs (``windows.CONTEXT_SCALE``, ``MIN_CONTEXT``).

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
With a fixed 128 px margin around every hole region, a photo with hundreds of dust specks gets windows
that merge into most of the frame, and the network runs on nearly all of it. A margin that scales with
the region's size (at most ``--crop-margin``) keeps the windows small. This measures what that costs in
fill quality and what it saves in time:

* quality: BSDS500 val photos at full resolution (481x321, the first 100), cropped as a large photo is
  (``crop_trigger=1``), with three seeded mask kinds: dust (40 discs of radius 1-6 px), the ``thin``
  preset and the ``medium`` preset drawn natively at the photo's size; hole PSNR of each context rule
  paired with the fixed 128 px margin;
* time: one 4000x3000 photo (a val photo resized) with 300 dust specks, each rule once, one thread.

    python benchmarks/experiments/crop_context.py [src/wavemix_inpaint/weights/default.safetensors]
"""

import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from val_texture import hole_psnr, paired

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.imageio import find_images, read_image
from wavemix_inpaint.inference import InpaintOptions, windows
from wavemix_inpaint.masks import get_mask_generator

torch.set_num_threads(1)
model = load_model(sys.argv[1] if len(sys.argv) > 1 else "src/wavemix_inpaint/weights/default.safetensors")
#: label: (CONTEXT_SCALE, MIN_CONTEXT); None: the fixed margin
RULES = {"fixed 128 px": (None, 0), "2x, at least 32 px": (2.0, 32), "1x, at least 16 px": (1.0, 16)}


def dust(height: int, width: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` discs of radius 1-6 px at random places (bool, H x W)."""
    rows, cols = np.mgrid[:height, :width]
    hole = np.zeros((height, width), bool)
    for _ in range(count):
        row, col, radius = rng.integers(0, height), rng.integers(0, width), rng.integers(1, 7)
        hole |= (rows - row) ** 2 + (cols - col) ** 2 <= radius**2
    return hole


def photo(path) -> torch.Tensor:  # noqa: ANN001
    """1 x 3 x H x W float in [0, 1]."""
    return torch.from_numpy(read_image(path).pixels).permute(2, 0, 1)[None].float() / 255


def masks_for(image: torch.Tensor, number: int) -> dict[str, np.ndarray]:
    height, width = image.shape[-2:]
    rng = np.random.default_rng(7000 + number)
    sets = {"dust": dust(height, width, 40, rng)}
    for preset in ("thin", "medium"):
        generator = get_mask_generator(preset, native=True)
        sets[preset] = np.asarray(generator(np.random.default_rng(8000 + number), height, width)) > 0.5
    return sets


def run(rule: tuple[float | None, int], image: torch.Tensor, hole: np.ndarray) -> tuple[torch.Tensor, float]:
    windows.CONTEXT_SCALE, windows.MIN_CONTEXT = rule
    pipeline = PipelineModel(model, InpaintOptions(crop_trigger=1))
    mask = torch.from_numpy(hole)[None, None].float()
    start = time.perf_counter()
    with torch.inference_mode():
        filled = pipeline(image, mask)
    return filled, time.perf_counter() - start


def quality() -> None:
    photos = find_images("../shared/data/bsds500/val")[:100]
    scores: dict[str, dict[str, list[float]]] = {}
    for number, path in enumerate(photos):
        image = photo(path)
        for kind, hole in masks_for(image, number).items():
            mask = torch.from_numpy(hole)[None, None].float()
            for label, rule in RULES.items():
                filled, _ = run(rule, image, hole)
                scores.setdefault(kind, {}).setdefault(label, []).append(hole_psnr(filled, image, mask))
    for kind, by_rule in scores.items():
        fixed = np.array(by_rule["fixed 128 px"])
        print(f"{kind}: fixed 128 px hole PSNR {fixed.mean():.3f} ({len(fixed)} photos)")
        for label, values in by_rule.items():
            if label != "fixed 128 px":
                diff = np.array(values) - fixed
                better, worse = int((diff > 0.001).sum()), int((diff < -0.001).sum())
                print(
                    f"  {label}: {paired(diff)}, best {diff.max():+.3f}, worst {diff.min():+.3f}; "
                    f"{better} better, {worse} worse, {len(diff) - better - worse} within 0.001 dB"
                )


def speed() -> None:
    small = photo(find_images("../shared/data/bsds500/val")[0])
    image = F.interpolate(small, size=(3000, 4000), mode="bicubic", align_corners=False).clamp(0, 1)
    hole = dust(3000, 4000, 300, np.random.default_rng(9000))
    print(f"4000x3000, 300 specks ({hole.mean():.2%} of the photo):")
    for label, rule in RULES.items():
        windows.CONTEXT_SCALE, windows.MIN_CONTEXT = rule
        boxes = windows.crop_windows(hole, InpaintOptions().crop_margin)
        share = sum((b - t) * (r - left) for t, b, left, r in boxes) / hole.size
        _, seconds = run(rule, image, hole)
        print(f"  {label}: {len(boxes)} windows covering {share:.0%} of the photo, {seconds:.1f} s")


if __name__ == "__main__":
    speed()
    quality()
