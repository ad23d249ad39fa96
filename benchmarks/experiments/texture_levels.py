"""Where the texture distance comes from: per Haar level, the Wasserstein distance to the truth, the mean
|coefficient| relative to the truth's, and the hole MSE (BSDS500 val, 100 thick 96 px masks).

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.

    python benchmarks/experiments/texture_levels.py
"""

import numpy as np
import torch
import torch.nn.functional as F

import wavemix_inpaint.metrics.texture as metrics
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.models import create_model
from wavemix_inpaint.models.haar import haar_dwt2

torch.set_num_threads(1)
dataset = build_eval_dataset("../shared/data/bsds500/val", "runs/exp/val_thick96_b", limit=100)
batch = torch.utils.data.default_collate([dataset[i] for i in range(len(dataset))])
image, mask = batch["image"], batch["mask"]


def per_level(pred: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean over images and the LH/HL/HH bands of W1 and of mean|coef| (output / truth), levels 1-3."""
    distance, count, amplitude = np.zeros(3), np.zeros(3), np.zeros((3, 2))
    ours, truth = metrics._pad_to(metrics.luminance(pred.double()), 8), metrics._pad_to(metrics.luminance(image.double()), 8)
    hole = metrics._pad_to(mask.double(), 8)
    for level in range(1, 4):
        ours, our_bands = haar_dwt2(ours)
        truth, true_bands = haar_dwt2(truth)
        inside = F.avg_pool2d(hole, 2**level) >= 0.5
        for i in range(pred.shape[0]):
            where = inside[i, 0]
            if where.sum() < 4:
                continue
            for band in range(3):
                a, b = our_bands[i, 0, band][where] / 2**level, true_bands[i, 0, band][where] / 2**level
                distance[level - 1] += metrics._wasserstein_1d(a, b).item()
                count[level - 1] += 1
                amplitude[level - 1] += (a.abs().mean().item(), b.abs().mean().item())
    return distance / count, amplitude[:, 0] / amplitude[:, 1]


model = load_model("src/wavemix_inpaint/weights/default.safetensors")
outputs = {
    "plain PatchMatch": create_model("patchmatch")(image, mask),
    "smooth": PipelineModel(model, InpaintOptions())(image, mask),
    "texture": PipelineModel(model, InpaintOptions(texture=True))(image, mask),
}
for name, output in outputs.items():
    distance, ratio = per_level(output)
    mse = (((output - image) ** 2) * mask).sum() / mask.sum() / 3
    print(f"{name:18s} W1 per level {distance.round(4)}  mean|coef| / truth's {ratio.round(2)}  hole MSE {mse:.5f}")
