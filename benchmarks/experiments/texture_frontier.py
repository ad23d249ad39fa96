"""Texture: hole PSNR against texture distance for the smooth fill, the texture stage, PatchMatch and wavelet histogram matching (docs/results.md).

An experiment script (not part of the library), kept so that the numbers in the docs can be re-run.
Validation masks (BSDS500 val): `wavemix-inpaint masks --preset thick --size 96 --count 100 --seed 501 --output runs/exp/val_thick96_b` and `wavemix-inpaint masks --preset large --size 481x321 --count 100 --seed 504 --output runs/exp/val_large481`.

    python benchmarks/experiments/texture_frontier.py ../shared/data/bsds500/val runs/exp/val_thick96_b 100 CHECKPOINT
"""

import sys

import torch
import torch.nn.functional as F

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.metrics import psnr
from wavemix_inpaint.metrics.texture import _pad_to, detail_energy, detail_ratio, wavelet_texture_distance
from wavemix_inpaint.models import create_model
from wavemix_inpaint.models.haar import haar_dwt2, haar_idwt2

torch.set_num_threads(1)
ds = build_eval_dataset(sys.argv[1], sys.argv[2], limit=int(sys.argv[3]))
model = load_model(sys.argv[4])
n = len(ds)
b = torch.utils.data.default_collate([ds[i] for i in range(n)])
img, mask = b["image"], b["mask"]


def match(x, m, levels=(2, 3), ring=8, amount=1.0):
    """Histogram-match the hole's Haar detail coefficients at `levels` to those of a ring of known pixels."""
    H, W = x.shape[-2:]
    L = max(levels)
    xp = _pad_to(x.double(), 2**L)
    hp = _pad_to((m > 0.5).double(), 2**L)
    low = xp
    dets = []
    for _ in range(1, L + 1):
        low, d = haar_dwt2(low)
        dets.append(d)
    out_dets = []
    for level, d in enumerate(dets, start=1):
        if level in levels:
            inside = F.avg_pool2d(hp, 2**level) >= 0.5
            any_hole = F.max_pool2d(hp, 2**level) > 0
            r = max(1, ring // 2 ** (level - 1))
            near = F.max_pool2d(any_hole.double(), 2 * r + 1, stride=1, padding=r) > 0
            known = near & ~any_hole
            d = d.clone()
            for i in range(x.shape[0]):
                w, k = inside[i, 0], known[i, 0]
                if w.sum() < 8 or k.sum() < 16:
                    continue
                for c in range(x.shape[1]):
                    for band in range(3):
                        a = d[i, c, band][w]
                        ref = d[i, c, band][k]
                        order = torch.argsort(a)
                        q = torch.quantile(ref, (torch.arange(len(a), dtype=torch.float64) + 0.5) / len(a))
                        new = torch.empty_like(a)
                        new[order] = q
                        d[i, c, band][w] = a + amount * (new - a)
        out_dets.append(d)
    for d in reversed(out_dets):
        low = haar_idwt2(low, d)
    y = low[..., :H, :W].float().clamp(0, 1)
    return torch.where(m > 0.5, y, x)


def report(name, out):
    hole_psnr = psnr(out, img, mask=mask).mean()
    tex = wavelet_texture_distance(out, img, mask).nanmean()
    detail = detail_ratio(detail_energy(out, mask), detail_energy(img, mask))
    print(f"{name}: psnr {hole_psnr:.3f} tex {tex:.4f} detail {detail:.2f}", flush=True)


with torch.no_grad():
    smooth = PipelineModel(model, InpaintOptions())(img, mask)
    tex = PipelineModel(model, InpaintOptions(texture=True))(img, mask)
pm = create_model("patchmatch")(img, mask)
report("smooth", smooth)
report("texture", tex)
report("patchmatch", pm)
for lv in [(2, 3), (1, 2, 3), (3,)]:
    for amt in [0.5, 1.0]:
        report(f"smooth+match{lv} a{amt}", match(smooth, mask, lv, amount=amt))
        report(f"texture+match{lv} a{amt}", match(tex, mask, tuple(level for level in lv if level > 1) or (2,), amount=amt))
