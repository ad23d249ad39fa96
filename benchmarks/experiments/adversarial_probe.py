"""Issue 14 probe: what a short adversarial fine-tuning on the CPU (configs/texture-adversarial.yaml) does
to the network's own fill, on BSDS500 val, against the network it started from.

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
For each checkpoint: hole PSNR, texture distance, detail ratio and HaarPSI through the pipeline (val_texture.py's
large and thick sets), smooth and with the texture stage; and a picture of the first photos of the large set
(columns: masked input, then each checkpoint's smooth fill, then the first checkpoint's texture mode, truth).

    python benchmarks/experiments/adversarial_probe.py runs/default-v4/best.safetensors runs/texture-adversarial/last.safetensors
"""

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from val_texture import VAL_MASKS, _dataset, val_line

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.inpainter import Inpainter

torch.set_num_threads(2)
OUTPUT = Path("results/adversarial-probe")
PHOTOS = 4
models = {path: load_model(path) for path in sys.argv[1:]}
for path, model in models.items():
    print(f"{path} smooth | {val_line(model, InpaintOptions())}", flush=True)
    print(f"{path} texture | {val_line(model, InpaintOptions(texture=True))}", flush=True)

dataset = _dataset(*VAL_MASKS["large"])
rows = []
for index in range(PHOTOS):
    image, mask = dataset[index]["image"], dataset[index]["mask"]
    columns = [image * (1 - mask)]
    columns += [Inpainter(model, device="cpu")(image, mask) for model in models.values()]
    columns += [Inpainter(next(iter(models.values())), device="cpu")(image, mask, texture=True), image]
    rows.append(torch.cat(columns, dim=-1))
grid = (torch.cat(rows, dim=-2).clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
OUTPUT.mkdir(parents=True, exist_ok=True)
Image.fromarray(grid).save(OUTPUT / "grid.png")
print(f"wrote {OUTPUT / 'grid.png'}")
