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
from val_texture import hole_psnr, paired

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions

torch.set_num_threads(1)
model = load_model(sys.argv[1] if len(sys.argv) > 1 else "src/wavemix_inpaint/weights/default.safetensors")
dataset = build_eval_dataset("../shared/data/bsds500/val", "runs/exp/val_large481", limit=100)
samples = [dataset[i] for i in range(len(dataset))]


def margin_scores(margin: int) -> tuple[np.ndarray, float]:
    pipeline, scores, seconds = PipelineModel(model, InpaintOptions(refine_margin=margin)), [], 0.0
    with torch.inference_mode():
        for sample in samples:
            image, mask = sample["image"][None], sample["mask"][None]
            start = time.perf_counter()
            fill = pipeline(image, mask)
            seconds += time.perf_counter() - start
            scores.append(hole_psnr(fill, image, mask))
    return np.array(scores), seconds


whole, whole_seconds = margin_scores(100_000)
print(f"whole image: hole PSNR {whole.mean():.3f}, {whole_seconds:.1f} s for {len(samples)} photos")
for margin in (16, 24, 32, 48, 64, 96):
    scores, seconds = margin_scores(margin)
    diff = scores - whole
    print(f"margin {margin:3d}: hole PSNR {scores.mean():.3f}, vs whole {paired(diff)}, worst {diff.min():+.3f}, {seconds:.1f} s")
