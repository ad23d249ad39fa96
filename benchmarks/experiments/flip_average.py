"""Test-time flip averaging on BSDS500 val: the network's fill averaged with its fill of the mirrored photo.

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
Masks: val_texture.py's thick (96 px) and large (481x321) sets, and edge_blend.py's thin set. Hole PSNR
through the whole pipeline (coarse to fine, edge blend), paired with the plain network call.

    python benchmarks/experiments/flip_average.py [src/wavemix_inpaint/weights/default.safetensors]
"""

import sys

import numpy as np
import torch

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.inference import InpaintOptions, fill
from wavemix_inpaint.inpainter import Inpainter

torch.set_num_threads(1)
inpainter = Inpainter(
    load_model(sys.argv[1] if len(sys.argv) > 1 else "src/wavemix_inpaint/weights/default.safetensors"), device="cpu"
)


def flipped(image, mask, estimate):  # noqa: ANN001, ANN201
    """The network's fill of the mirrored window, mirrored back."""
    mirror = None if estimate is None else estimate.flip(-1)
    return inpainter._run(image.flip(-1), mask.flip(-1), mirror).flip(-1)


def averaged(image, mask, estimate):  # noqa: ANN001, ANN201
    return (inpainter._run(image, mask, estimate) + flipped(image, mask, estimate)) / 2


SETS = {
    "thick 96": ("runs/exp/val_thick96_b", 100),
    "thin 96": ("runs/exp/val_thin96", 100),
    "large 481x321": ("runs/exp/val_large481", 40),
}
for name, (masks, limit) in SETS.items():
    dataset = build_eval_dataset("../shared/data/bsds500/val", masks, limit=limit)
    scores: dict[str, list[float]] = {"plain": [], "mirrored": [], "flip average": []}
    with torch.inference_mode():
        for i in range(len(dataset)):
            image, mask = dataset[i]["image"][None], dataset[i]["mask"][None]
            hole = mask[0, 0] > 0.5
            for label, refine in (("plain", inpainter._run), ("mirrored", flipped), ("flip average", averaged)):
                out = fill(refine, image, mask > 0.5, InpaintOptions(), can_refine=True).image
                scores[label].append(10 * np.log10(1 / ((out[0] - image[0]) ** 2)[:, hole].mean().item()))
    plain = np.array(scores["plain"])
    for label in ("mirrored", "flip average"):
        diff = np.array(scores[label]) - plain
        half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
        print(
            f"{name}: {label} {np.mean(scores[label]):.3f} vs plain {plain.mean():.3f}: {diff.mean():+.3f} ({diff.mean() - half:+.3f} to {diff.mean() + half:+.3f})"
        )
