"""Shared by the texture experiments: the BSDS500 val mask sets and one line of texture metrics per setting.

Masks: `wavemix-inpaint masks --preset large --size 481x321 --count 100 --seed 504 --output runs/exp/val_large481`
and `wavemix-inpaint masks --preset thick --size 96 --count 100 --seed 501 --output runs/exp/val_thick96_b`.
"""

from functools import cache

import numpy as np
import torch

from wavemix_inpaint.evaluation import SpeedConfig, build_eval_dataset, evaluate_model
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions

#: name: (mask folder, number of val photos); large holes at 481x321, thick masks on 96 px crops
VAL_MASKS = {"large": ("runs/exp/val_large481", 40), "thick": ("runs/exp/val_thick96_b", 100)}


@cache
def _dataset(masks: str, limit: int):  # noqa: ANN202
    return build_eval_dataset("../shared/data/bsds500/val", masks, limit=limit)


def val_line(model: torch.nn.Module, options: InpaintOptions | None, sets: tuple[str, ...] = tuple(VAL_MASKS)) -> str:
    """Hole PSNR, texture distance, detail ratio and HaarPSI of ``model`` through the pipeline (or, with
    ``options=None``, of the model alone: a classical fill), per set."""
    parts = []
    for name in sets:
        masks, limit = VAL_MASKS[name]
        report = evaluate_model(
            model if options is None else PipelineModel(model, options),
            _dataset(masks, limit),
            batch_size=8,
            device="cpu",
            fid=None,
            speed=SpeedConfig(enabled=False),
            grid_samples=0,
        )
        m = report.metrics
        parts.append(
            f"{name}: psnr {m['psnr_hole']:.3f} tex {m['texture_distance']:.4f} detail {m['detail_ratio']:.2f} haarpsi {m['haar_psi']:.4f}"
        )
    return " | ".join(parts)


def hole_psnr(output: torch.Tensor, image: torch.Tensor, mask: torch.Tensor) -> float:
    """PSNR (dB) over the hole pixels of one image: output and image 13HW, mask 11HW with 1 = hole."""
    hole = mask[0, 0] > 0.5
    return 10 * float(np.log10(1 / ((output[0] - image[0]) ** 2)[:, hole].mean().item()))


def paired(diff: np.ndarray) -> str:
    """Mean per-image difference with its normal-approximation 95% interval: '+0.012 (-0.003 to +0.027)'."""
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    return f"{diff.mean():+.3f} ({diff.mean() - half:+.3f} to {diff.mean() + half:+.3f})"


#: the val mask sets of the smooth-fill experiments: name: (mask folder, number of val photos)
SMOOTH_SETS = {
    "thick 96": ("runs/exp/val_thick96_b", 100),
    "thin 96": ("runs/exp/val_thin96", 100),
    "large 481x321": ("runs/exp/val_large481", 40),
}


def pipeline_hole_psnr(variants: dict, sets: dict = SMOOTH_SETS) -> dict[str, dict[str, np.ndarray]]:
    """``{set: {variant: per-image hole PSNR}}`` of each ``refine(image, mask, estimate)`` in ``variants``
    through the whole pipeline (default options: coarse to fine, edge blend) on the same val images."""
    from wavemix_inpaint.inference import fill

    results = {}
    for name, (masks, limit) in sets.items():
        dataset = _dataset(masks, limit)
        scores: dict[str, list[float]] = {label: [] for label in variants}
        with torch.inference_mode():
            for i in range(len(dataset)):
                image, mask = dataset[i]["image"][None], dataset[i]["mask"][None]
                for label, refine in variants.items():
                    out = fill(refine, image, mask > 0.5, InpaintOptions(), can_refine=True).image
                    scores[label].append(hole_psnr(out, image, mask))
        results[name] = {label: np.array(values) for label, values in scores.items()}
    return results
