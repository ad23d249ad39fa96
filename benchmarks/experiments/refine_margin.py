"""Coarse to fine: how much context the finer levels' network calls need (``--refine-margin``), BSDS500 val.

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
Large holes at 481x321 (val_texture.py's mask set, 100 photos): hole PSNR per margin, paired with the
whole-image refinement (the behaviour before the option), and the time of the pipeline over the set.

    python benchmarks/experiments/refine_margin.py [src/wavemix_inpaint/weights/default.safetensors]
"""

import sys
import time

import numpy as np
import torch

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions

torch.set_num_threads(1)
model = load_model(sys.argv[1] if len(sys.argv) > 1 else "src/wavemix_inpaint/weights/default.safetensors")
dataset = build_eval_dataset("../shared/data/bsds500/val", "runs/exp/val_large481", limit=100)
samples = [dataset[i] for i in range(len(dataset))]


def hole_psnr(margin: int) -> tuple[np.ndarray, float]:
    pipeline, scores, seconds = PipelineModel(model, InpaintOptions(refine_margin=margin)), [], 0.0
    with torch.inference_mode():
        for sample in samples:
            image, mask = sample["image"][None], sample["mask"][None]
            start = time.perf_counter()
            fill = pipeline(image, mask)
            seconds += time.perf_counter() - start
            hole = mask[0, 0] > 0.5
            mse = ((fill[0] - image[0]) ** 2)[:, hole].mean().item()
            scores.append(10 * np.log10(1 / mse))
    return np.array(scores), seconds


whole, whole_seconds = hole_psnr(100_000)
print(f"whole image: hole PSNR {whole.mean():.3f}, {whole_seconds:.1f} s for {len(samples)} photos")
for margin in (16, 24, 32, 48, 64, 96):
    scores, seconds = hole_psnr(margin)
    diff = scores - whole
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    print(
        f"margin {margin:3d}: hole PSNR {scores.mean():.3f}, vs whole {diff.mean():+.3f} "
        f"({diff.mean() - half:+.3f} to {diff.mean() + half:+.3f}), worst {diff.min():+.3f}, {seconds:.1f} s"
    )
