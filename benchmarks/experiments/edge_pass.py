"""The edge pass's design on BSDS500 val (docs/results.md, "Edge pass").

The bundled model run 2x or 3x finer than the photo on its own fill (never the hole's content), that
fill blended in within a + b pixels of the known region (the native fill beyond), starting from the
network's own Telea prefill or from the native fill, with and without the biharmonic edge blend after;
printed: hole PSNR minus the pipeline as it was before the pass (native fill + edge blend).

    python -c "from wavemix_inpaint.masks import generate_eval_masks as g; g('thin', 96, 100, 3, 'runs/exp/val_masks_thin')"
    OMP_NUM_THREADS=1 python benchmarks/experiments/edge_pass.py ../shared/data/bsds500/val runs/exp/val_masks_thin

(medium: seed 2, thick: seed 1, the validation masks of training.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from wavemix_inpaint.data.folder import ImageFolder
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.inference.pipeline import _blend_edges
from wavemix_inpaint.inpainter import Inpainter


def hole_psnr(output: torch.Tensor, truth: torch.Tensor, mask: torch.Tensor) -> float:
    hole = mask.bool().expand_as(truth)
    return float(10 * np.log10(1 / ((output - truth)[hole] ** 2).mean().item()))


def upscaled(tensor: torch.Tensor, scale: int) -> torch.Tensor:
    size = (tensor.shape[-2] * scale, tensor.shape[-1] * scale)
    return F.interpolate(tensor, size=size, mode="bicubic", align_corners=False).clamp(0, 1)


def variants(run, image: torch.Tensor, mask: torch.Tensor, smooth: torch.Tensor) -> dict[str, float]:
    """Hole PSNR of every variant for one image; ``smooth`` is the native fill without the edge blend."""
    scores = {"before": hole_psnr(_blend_edges(mask, smooth, InpaintOptions()), image, mask)}
    hole = mask[0, 0].numpy() > 0.5
    distance = torch.from_numpy(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5))[None, None]
    for scale in (2, 3):
        finer_mask = F.interpolate(mask, scale_factor=scale, mode="nearest")
        for start, estimate in (("telea", None), ("native fill", upscaled(smooth, scale))):
            finer = F.avg_pool2d(run(upscaled(smooth, scale), finer_mask, estimate), scale)
            for near, ramp in ((2, 4), (4, 4), (6, 4)):
                weight = ((distance - near) / ramp).clamp(0, 1)
                mixed = image * (1 - mask) + (weight * smooth + (1 - weight) * finer) * mask
                name = f"x{scale}, from {start}, {near}+{ramp} px"
                scores[name] = hole_psnr(mixed, image, mask)
                scores[name + ", then edge blend"] = hole_psnr(_blend_edges(mask, mixed, InpaintOptions()), image, mask)
    return scores


def main() -> None:
    data, masks = sys.argv[1], Path(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    torch.set_num_threads(1)
    images = ImageFolder(data, size=96, crop="center")
    inpainter = Inpainter.from_pretrained("default", device="cpu")
    rows: dict[str, list[float]] = {}
    for index in range(count):
        item = images[index]
        image = (item[0] if isinstance(item, (tuple, list)) else item)[None]
        mask = torch.from_numpy(np.array(Image.open(masks / f"mask_{index:05d}.png")) > 127).float()[None, None]
        smooth = inpainter.fill_tensor(image, mask, InpaintOptions(edge_blend=False, edge_scale=1)).image
        for name, value in variants(inpainter._run, image, mask, smooth).items():
            rows.setdefault(name, []).append(value)
    before = np.array(rows["before"])
    print(f"{masks.name}: before {before.mean():.3f} dB")
    for name, values in rows.items():
        gain = np.array(values) - before
        print(f"  {name:40s} {gain.mean():+.3f} dB, better on {100 * (gain > 0).mean():.0f}%")


if __name__ == "__main__":
    main()
