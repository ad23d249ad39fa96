"""Texture settings compared on BSDS500 val: large holes at 481x321 (40 photos) and thick 96 px masks (100 crops).

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
Each argument is a JSON dict of TextureSettings fields (plus "_tex": false for the smooth fill).
Masks: `wavemix-inpaint masks --preset large --size 481x321 --count 100 --seed 504 --output runs/exp/val_large481`
and `wavemix-inpaint masks --preset thick --size 96 --count 100 --seed 501 --output runs/exp/val_thick96_b`.

    python benchmarks/experiments/texture_variants.py src/wavemix_inpaint/weights/default.safetensors '{}' '{"detail_sigma": 3.0}'
"""

import json
import sys

import torch

import wavemix_inpaint.texture as texture
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import SpeedConfig, build_eval_dataset, evaluate_model
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions

torch.set_num_threads(1)
Released = texture.TextureSettings
model = load_model(sys.argv[1])
mask_sets = {
    "large": build_eval_dataset("../shared/data/bsds500/val", "runs/exp/val_large481", limit=40),
    "thick": build_eval_dataset("../shared/data/bsds500/val", "runs/exp/val_thick96_b", limit=100),
}
for setting in [json.loads(argument) for argument in sys.argv[2:]]:
    use_texture = setting.pop("_tex", True)
    texture.TextureSettings = lambda setting=setting: Released(**setting)
    line = [json.dumps(setting)]
    for name, dataset in mask_sets.items():
        report = evaluate_model(
            PipelineModel(model, InpaintOptions(texture=use_texture)),
            dataset,
            batch_size=8,
            device="cpu",
            fid=None,
            speed=SpeedConfig(enabled=False),
            grid_samples=0,
        )
        m = report.metrics
        line.append(
            f"{name}: psnr {m['psnr_hole']:.3f} tex {m['texture_distance']:.4f} detail {m['detail_ratio']:.2f} haarpsi {m['haar_psi']:.4f}"
        )
    print(" | ".join(line), flush=True)
