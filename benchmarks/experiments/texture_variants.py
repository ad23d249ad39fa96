"""Texture settings compared on BSDS500 val: large holes at 481x321 (40 photos) and thick 96 px masks (100 crops).

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
Each argument is a JSON dict of TextureSettings fields (plus "_tex": false for the smooth fill).
Masks: see val_texture.py.

    python benchmarks/experiments/texture_variants.py src/wavemix_inpaint/weights/default.safetensors '{}' '{"detail_sigma": 3.0}'
"""

import json
import sys

import torch
from val_texture import val_line

import wavemix_inpaint.texture as texture
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.inference import InpaintOptions

torch.set_num_threads(1)
Released = texture.TextureSettings
model = load_model(sys.argv[1])
for setting in [json.loads(argument) for argument in sys.argv[2:]]:
    use_texture = setting.pop("_tex", True)
    texture.TextureSettings = lambda setting=setting: Released(**setting)
    print(f"{json.dumps(setting)} | {val_line(model, InpaintOptions(texture=use_texture))}", flush=True)
