"""Shared by the texture experiments: the BSDS500 val mask sets and one line of texture metrics per setting.

Masks: `wavemix-inpaint masks --preset large --size 481x321 --count 100 --seed 504 --output runs/exp/val_large481`
and `wavemix-inpaint masks --preset thick --size 96 --count 100 --seed 501 --output runs/exp/val_thick96_b`.
"""

from functools import cache

import torch

from wavemix_inpaint.evaluation import SpeedConfig, build_eval_dataset, evaluate_model
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions

#: name: (mask folder, number of val photos); large holes at 481x321, thick masks on 96 px crops
VAL_MASKS = {"large": ("runs/exp/val_large481", 40), "thick": ("runs/exp/val_thick96_b", 100)}


@cache
def _dataset(masks: str, limit: int):  # noqa: ANN202
    return build_eval_dataset("../shared/data/bsds500/val", masks, limit=limit)


def val_line(model: torch.nn.Module, options: InpaintOptions, sets: tuple[str, ...] = tuple(VAL_MASKS)) -> str:
    """Hole PSNR, texture distance, detail ratio and HaarPSI of ``model`` through the pipeline, per set."""
    parts = []
    for name in sets:
        masks, limit = VAL_MASKS[name]
        report = evaluate_model(
            PipelineModel(model, options),
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
