"""Averaging the weights of checkpoints from the ends of training stages (SWA-style, no training) on
BSDS500 val. An experiment script (not part of the library), kept so docs/results.md can be re-run.

Each variant is the element-wise mean of the listed checkpoints' tensors (BatchNorm statistics
included, as a probe: a real SWA would re-estimate them); all must share one architecture. Hole PSNR
through the whole pipeline, paired with the first checkpoint alone, on val_texture.py's thick and large
sets and edge_blend.py's thin set.

    python benchmarks/experiments/weight_average.py BASE.safetensors 'A.safetensors,B.safetensors' ...
"""

import sys

import torch
from val_texture import paired, pipeline_hole_psnr

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.inpainter import Inpainter

torch.set_num_threads(1)


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
for name, scores in pipeline_hole_psnr(variants).items():
    base = scores[sys.argv[1]]
    print(f"{name}: {sys.argv[1]} {base.mean():.3f}")
    for spec in sys.argv[2:]:
        print(f"  {spec}: {scores[spec].mean():.3f}, minus base {paired(scores[spec] - base)}")
