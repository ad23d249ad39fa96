"""Edge blend on BSDS500 val: the network's fill, classical fills, and blends of the two near the hole's edge.

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
Masks: `wavemix-inpaint masks --preset thin --size 96 --count 100 --seed 503 --output runs/exp/val_thin96`,
and the thick / large sets of val_texture.py. Hole PSNR, mean over images.

    python benchmarks/experiments/edge_blend.py src/wavemix_inpaint/weights/default.safetensors
"""

import sys

import cv2
import numpy as np
import torch
from skimage.restoration import inpaint_biharmonic

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.evaluation import build_eval_dataset
from wavemix_inpaint.evaluation.pipeline_model import PipelineModel
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.inference.edge_blend import biharmonic_band, distance_to_known

torch.set_num_threads(1)
network = PipelineModel(load_model(sys.argv[1]), InpaintOptions(edge_blend=False))


def blends(fill: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> dict[str, np.ndarray]:
    distance = distance_to_known(hole)
    composite = np.where(hole[..., None], fill, truth)
    band = hole & (distance <= 8)
    as_uint8 = (composite * 255).round().astype(np.uint8)
    edge_fills = {
        "biharmonic": biharmonic_band(composite, band),
        "Telea": cv2.inpaint(as_uint8, band.astype(np.uint8), 3, cv2.INPAINT_TELEA) / 255.0,
        "Navier-Stokes": cv2.inpaint(as_uint8, band.astype(np.uint8), 3, cv2.INPAINT_NS) / 255.0,
    }
    outputs = {"network alone": fill}
    for ramp in (3.0, 4.0, 6.0):
        smooth = edge_fills["biharmonic"] if ramp <= 4 else biharmonic_band(composite, hole & (distance <= 12))
        weight = np.clip(distance / ramp, 0, 1)[..., None]
        outputs[f"biharmonic blend, ramp {ramp:g} px"] = weight * fill + (1 - weight) * smooth
    weight = np.clip(distance / 4, 0, 1)[..., None]
    for name in ("Telea", "Navier-Stokes"):
        outputs[f"{name} blend, ramp 4 px"] = weight * fill + (1 - weight) * edge_fills[name]
    return outputs


for name, masks, limit in (
    ("thin 96", "runs/exp/val_thin96", 100),
    ("thick 96", "runs/exp/val_thick96_b", 100),
    ("large 481x321", "runs/exp/val_large481", 40),
):
    dataset = build_eval_dataset("../shared/data/bsds500/val", masks, limit=limit)
    scores: dict[str, list[float]] = {}
    for i in range(len(dataset)):
        sample = dataset[i]
        image, mask = sample["image"][None], sample["mask"][None]
        fill = network(image, mask)[0].permute(1, 2, 0).double().numpy()
        truth, hole = image[0].permute(1, 2, 0).double().numpy(), mask[0, 0].numpy() > 0.5
        outputs = blends(fill, truth, hole)
        if limit <= 100 and name != "large 481x321":  # the whole-hole solve is slow on large holes
            outputs["biharmonic alone (scikit-image)"] = inpaint_biharmonic(
                np.where(hole[..., None], 0, truth), hole, channel_axis=-1
            )
        for label, output in outputs.items():
            scores.setdefault(label, []).append(10 * np.log10(1 / ((output - truth) ** 2)[hole].mean()))
    print(f"{name}: " + " | ".join(f"{label} {np.mean(values):.2f}" for label, values in scores.items()), flush=True)
