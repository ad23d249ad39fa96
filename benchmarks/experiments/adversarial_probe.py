"""Issue 14 probe: does a short adversarial fine-tuning on the CPU (configs/texture-adversarial.yaml) teach
the network's own fill any detail? Not adopted (docs/results.md, "Adversarial fine-tuning on the CPU").

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
The detail ratio (squared Laplacian of the luminance inside the hole, eroded by a 3 x 3 square, 1 px, output over truth,
summed) of each checkpoint's network alone, without the pipeline, on the first 32 of val_texture.py's
thick 96 px crops (the validation hole PSNR quoted beside it is the runs' own, from their metrics.csv).

    python benchmarks/experiments/adversarial_probe.py runs/default-v4/best.safetensors \\
        runs/texture-adversarial-w002/last.safetensors runs/texture-adversarial-w03/last.safetensors
"""

import sys

import torch
from val_texture import VAL_MASKS, _dataset

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.metrics.texture import detail_energy

torch.set_num_threads(1)
dataset = _dataset(*VAL_MASKS["thick"])
images = torch.stack([dataset[i]["image"] for i in range(32)])
masks = torch.stack([dataset[i]["mask"] for i in range(32)])
truth = detail_energy(images, masks, erode=2).sum()
for path in sys.argv[1:]:
    with torch.inference_mode():
        fill = load_model(path).eval()(images, masks)
    print(f"{path}: detail ratio {float(detail_energy(fill, masks, erode=2).sum() / truth):.4f}")
