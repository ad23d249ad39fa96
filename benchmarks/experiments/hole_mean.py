"""The hole's mean colour on BSDS500 val: the network's own, or a classical fill's (OpenCV Navier-Stokes / Telea).

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
On large holes Navier-Stokes' hole colour was closer to the truth than the default's (held-out, v6). Here the
default's fill is shifted (per channel, inside the hole) so that its mean is a classical fill's, computed on
the coarsest pyramid level the network saw (where coarse to fine fixes the hole's mean colour). Masks as in
val_texture.py and edge_blend.py. Hole PSNR paired with the plain pipeline, hole colour error (max over
R, G, B of the mean's error, in 8-bit levels), its share within 5 levels and its signed mean.

    python benchmarks/experiments/hole_mean.py [src/wavemix_inpaint/weights/default.safetensors]
"""

import sys

import cv2
import numpy as np
import torch
from val_texture import paired

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.inference import InpaintOptions, fill
from wavemix_inpaint.inference.edge_blend import distance_to_known
from wavemix_inpaint.inpainter import Inpainter
from wavemix_inpaint.models.pyramid import downsample_pair, pyramid_levels

torch.set_num_threads(1)
inpainter = Inpainter(
    load_model(sys.argv[1] if len(sys.argv) > 1 else "src/wavemix_inpaint/weights/default.safetensors"), device="cpu"
)
SETS = {
    "large 481x321": ("runs/exp/val_large481", 100),
    "thick 96": ("runs/exp/val_thick96_b", 100),
    "thin 96": ("runs/exp/val_thin96", 100),
}


def classical_mean(image: torch.Tensor, mask: torch.Tensor, flag: int, coarsest: bool = True) -> np.ndarray:
    """Per-channel hole mean of a classical fill at the coarsest level coarse to fine would use (or at
    full resolution)."""
    for _ in range(pyramid_levels(mask[0, 0].numpy()) if coarsest else 0):
        image, mask = downsample_pair(image, mask)
    pixels = (image[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    hole = mask[0, 0].numpy() > 0.5
    return cv2.inpaint(pixels, hole.astype(np.uint8), 3, flag)[hole].mean(0) / 255.0


for name, (masks, limit) in SETS.items():
    dataset = build_eval_dataset("../shared/data/bsds500/val", masks, limit=limit)
    rows: dict[str, list[tuple[float, np.ndarray]]] = {}
    for i in range(len(dataset)):
        image, mask = dataset[i]["image"][None], dataset[i]["mask"][None]
        truth, hole = image[0].permute(1, 2, 0).double().numpy(), mask[0, 0].numpy() > 0.5
        ours = (
            fill(inpainter._run, image, mask > 0.5, InpaintOptions(), can_refine=True).image[0].permute(1, 2, 0).double().numpy()
        )
        outputs = {"network's mean (plain)": ours}
        for label, flag in (("Navier-Stokes", cv2.INPAINT_NS), ("Telea", cv2.INPAINT_TELEA)):
            shifted = ours.copy()
            shifted[hole] += classical_mean(image, mask, flag) - ours[hole].mean(0)
            outputs[f"{label}'s mean"] = np.clip(shifted, 0, 1)
        means = {
            "Navier-Stokes' mean at full resolution": classical_mean(image, mask, cv2.INPAINT_NS, coarsest=False),
            "the mean of the known pixels within 8 px": truth[~hole & (distance_to_known(~hole) <= 8)].mean(0),
        }
        for label, mean in means.items():
            outputs[label] = np.clip(np.where(hole[..., None], ours + mean - ours[hole].mean(0), ours), 0, 1)
        for label, out in outputs.items():
            psnr = 10 * np.log10(1 / ((out - truth) ** 2)[hole].mean())
            rows.setdefault(label, []).append((psnr, (out[hole].mean(0) - truth[hole].mean(0)) * 255))
    plain = np.array([p for p, _ in rows["network's mean (plain)"]])
    for label, values in rows.items():
        psnr, error = np.array([p for p, _ in values]), np.array([e for _, e in values])
        diff, worst = psnr - plain, np.abs(error).max(axis=1)
        print(
            f"{name}, {label}: hole PSNR {psnr.mean():.3f} ({paired(diff)}), colour error {worst.mean():.2f}, within 5 levels {np.mean(worst <= 5):.0%}, "
            f"signed mean error {error.mean():+.2f}"
        )
