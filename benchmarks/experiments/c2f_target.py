"""Coarse to fine: hole PSNR / SSIM / colour for several target thicknesses (docs/results.md, "Coarse to fine").

An experiment script (not part of the library), kept so that the numbers in the docs can be re-run.
Validation masks (BSDS500 val): `wavemix-inpaint masks --preset thick --size 96 --count 100 --seed 501 --output runs/exp/val_thick96_b` and `wavemix-inpaint masks --preset large --size 481x321 --count 100 --seed 504 --output runs/exp/val_large481`.

    python benchmarks/experiments/c2f_target.py CHECKPOINT
"""

import sys

import torch

import wavemix_inpaint.inference.pipeline as pipe
import wavemix_inpaint.models.pyramid as pyr
from wavemix_inpaint import Inpainter
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.metrics import compute_image_metrics
from wavemix_inpaint.metrics.texture import hole_colour_error

torch.set_num_threads(1)
inp = Inpainter.from_checkpoint(sys.argv[1], device="cpu")
for masks, n in [("runs/exp/val_thick96_b", 100), ("runs/exp/val_large481", 40)]:
    ds = build_eval_dataset("../shared/data/bsds500/val", masks, limit=n)
    batch = torch.utils.data.default_collate([ds[i] for i in range(n)])
    img, mask = batch["image"], batch["mask"]
    for target in [0, 12, 24, 32, 48]:
        pipe.pyramid_levels = (lambda hole, t=target: pyr.pyramid_levels(hole, t)) if target else (lambda hole: 0)
        out = inp.inpaint_tensor(img, mask)
        m = compute_image_metrics(out, img, mask)
        ce = hole_colour_error(out, img, mask)
        print(
            f"{masks} target {target}: hole psnr {m['psnr_hole'].mean():.3f} ssim {m['ssim_hole'].mean():.4f} colour within5 {(ce <= 5).float().mean():.2f}",
            flush=True,
        )
