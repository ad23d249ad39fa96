"""Texture: time on a 1024x768 photo and quality on large val holes for several TextureSettings (JSON arguments; docs/results.md).

An experiment script (not part of the library), kept so that the numbers in the docs can be re-run.
Validation masks (BSDS500 val): `wavemix-inpaint masks --preset thick --size 96 --count 100 --seed 501 --output runs/exp/val_thick96_b` and `wavemix-inpaint masks --preset large --size 481x321 --count 100 --seed 504 --output runs/exp/val_large481`.

    python benchmarks/experiments/texture_speed.py '{}' '{"max_search_pixels": 20000}'
"""

import json
import sys
import time

import torch
from val_texture import val_line

import wavemix_inpaint.texture as T
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.inference import InpaintOptions

sys.path.insert(0, "benchmarks")
from large_photo import photo_and_mask

from wavemix_inpaint import Inpainter

torch.set_num_threads(2)
Orig = T.TextureSettings
model = load_model("src/wavemix_inpaint/weights/default.safetensors")
image, hole = photo_and_mask(768, 1024, 400)
inp = Inpainter.from_pretrained("default", device="cpu")
for cfg in [json.loads(a) for a in sys.argv[1:]]:
    T.TextureSettings = lambda cfg=cfg: Orig(**cfg)
    inp(image, hole, texture=True)
    t = time.perf_counter()
    inp(image, hole, texture=True)
    inp(image, hole, texture=True)
    sec = (time.perf_counter() - t) / 2
    print(f"{cfg}: 1024x768 {sec:.2f}s | {val_line(model, InpaintOptions(texture=True), sets=('large',))}", flush=True)
