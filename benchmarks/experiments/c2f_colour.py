"""Coarse to fine: what the finer levels may change (hole mean colour kept, low band kept, none; docs/results.md).

An experiment script (not part of the library), kept so that the numbers in the docs can be re-run.
Validation masks (BSDS500 val): `wavemix-inpaint masks --preset thick --size 96 --count 100 --seed 501 --output runs/exp/val_thick96_b` and `wavemix-inpaint masks --preset large --size 481x321 --count 100 --seed 504 --output runs/exp/val_large481`.

    python benchmarks/experiments/c2f_colour.py ../shared/data/bsds500/val runs/exp/val_large481 40 CHECKPOINT
"""

import sys

import torch
import torch.nn.functional as F

import wavemix_inpaint.inference.pipeline as PL
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.metrics import psnr
from wavemix_inpaint.models import create_model
from wavemix_inpaint.models import pyramid as P

torch.set_num_threads(1)
ds = build_eval_dataset(sys.argv[1], sys.argv[2], limit=int(sys.argv[3]))
model = load_model(sys.argv[4]).eval()
orig = P.coarse_to_fine


def low(x):
    d = F.avg_pool2d(F.pad(x, (0, x.shape[-1] % 2, 0, x.shape[-2] % 2), mode="replicate"), 2)
    return F.interpolate(d, scale_factor=2, mode="bilinear", align_corners=False)[..., : x.shape[-2], : x.shape[-1]]


def locked(mode):
    def c2f(refine, image, mask, levels):
        pyr = [(image, mask)]
        for _ in range(levels):
            pyr.append(P.downsample_pair(*pyr[-1]))
        f = refine(*pyr[-1], None)
        results = [(*pyr[-1], f)]
        for li, lm in reversed(pyr[:-1]):
            est = P.upsample_fill(f, li, lm)
            if mode == "up":
                out = est
            else:
                out = refine(li, lm, est)
                if mode == "lock":
                    out = torch.where(lm > 0.5, out - low(out) + low(est), li).clamp(0, 1)
                if mode == "mean":  # keep the estimate's hole mean colour
                    h = lm > 0.5
                    shift = ((est - out) * h).sum((-2, -1), keepdim=True) / h.sum((-2, -1), keepdim=True).clamp(min=1)
                    out = torch.where(h, out + shift, li).clamp(0, 1)
            f = out
            results.append((li, lm, f))
        return results

    return c2f


variants = ["telea", "c2f", "plain", "lock", "up"]
res = {k: ([], []) for k in variants}
tel = create_model("telea")
pm = PipelineModel(model, InpaintOptions())
for i in range(len(ds)):
    s = ds[i]
    img, mask = s["image"][None], s["mask"][None]
    h = mask[0, 0].bool()
    for k in variants:
        if k == "telea":
            out = tel(img, mask)
        else:
            PL.coarse_to_fine = orig if k == "c2f" else locked(k)
            with torch.no_grad():
                out = pm(img, mask)
        res[k][0].append(float(psnr(out, img, mask=mask)[0]))
        res[k][1].append(float((out[0].mean(0)[h].mean() - img[0].mean(0)[h].mean()) * 255))
for k, (p, b) in res.items():
    p, b = torch.tensor(p), torch.tensor(b)
    print(
        f"{k}: psnr {p.mean():.3f}  bias {b.mean():+.2f}  |bias| {b.abs().mean():.2f} darker {(b < 0).float().mean() * 100:.0f}%"
    )
