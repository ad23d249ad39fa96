"""Averaging the weights of checkpoints from the ends of training stages (SWA-style, no training) on
BSDS500 val. An experiment script (not part of the library), kept so docs/results.md can be re-run.

Each variant is the element-wise mean of the listed checkpoints' tensors (BatchNorm statistics
included, as a probe: a real SWA would re-estimate them); all must share one architecture. Hole PSNR
through the whole pipeline, paired with the first checkpoint alone, on val_texture.py's thick and large
sets and edge_blend.py's thin set.

    python benchmarks/experiments/weight_average.py BASE.safetensors 'A.safetensors,B.safetensors' ...
"""

import sys

import numpy as np
import torch
from val_texture import hole_psnr, paired

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.inference import InpaintOptions, fill
from wavemix_inpaint.inpainter import Inpainter

torch.set_num_threads(1)
SETS = {
    "thick 96": ("runs/exp/val_thick96_b", 100),
    "thin 96": ("runs/exp/val_thin96", 100),
    "large 481x321": ("runs/exp/val_large481", 40),
}


def averaged(paths: list[str]) -> torch.nn.Module:
    """The first checkpoint's model with every floating-point tensor replaced by the mean over ``paths``."""
    models = [load_model(path) for path in paths]
    states = [model.state_dict() for model in models]
    mean = {
        key: torch.stack([state[key].float() for state in states]).mean(0).to(value.dtype) if value.is_floating_point() else value
        for key, value in states[0].items()
    }
    models[0].load_state_dict(mean)
    return models[0].eval()


variants = {spec: Inpainter(averaged(spec.split(",")), device="cpu")._run for spec in sys.argv[1:]}
for name, (masks, limit) in SETS.items():
    dataset = build_eval_dataset("../shared/data/bsds500/val", masks, limit=limit)
    scores: dict[str, list[float]] = {spec: [] for spec in variants}
    with torch.inference_mode():
        for i in range(len(dataset)):
            image, mask = dataset[i]["image"][None], dataset[i]["mask"][None]
            for spec, refine in variants.items():
                out = fill(refine, image, mask > 0.5, InpaintOptions(), can_refine=True).image
                scores[spec].append(hole_psnr(out, image, mask))
    base = np.array(scores[sys.argv[1]])
    print(f"{name}: {sys.argv[1]} {base.mean():.3f}")
    for spec in sys.argv[2:]:
        print(f"  {spec}: {np.mean(scores[spec]):.3f}, minus base {paired(np.array(scores[spec]) - base)}")
