"""Test-time tricks on BSDS500 val: more network calls per fill, no training. None is adopted.

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
Each variant replaces the pipeline's network call (every pyramid level):

* flip average: the fill averaged with the fill of the mirrored window, mirrored back;
* two passes: the network's fill refined once more with that fill as the estimate (it was trained to
  refine its Telea prefill or its own half-resolution fill upsampled);
* mean of the two passes.

Masks: val_texture.py's thick (96 px) and large (481x321) sets and edge_blend.py's thin set. Hole PSNR
through the whole pipeline (coarse to fine, edge blend), paired with the plain network call.

    python benchmarks/experiments/test_time.py [src/wavemix_inpaint/weights/default.safetensors]
"""

import sys

import torch
from val_texture import paired, pipeline_hole_psnr

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.inpainter import Inpainter

torch.set_num_threads(1)
inpainter = Inpainter(
    load_model(sys.argv[1] if len(sys.argv) > 1 else "src/wavemix_inpaint/weights/default.safetensors"), device="cpu"
)
network = inpainter._run


def flip_average(image, mask, estimate):  # noqa: ANN001, ANN201
    mirror = None if estimate is None else estimate.flip(-1)
    return (network(image, mask, estimate) + network(image.flip(-1), mask.flip(-1), mirror).flip(-1)) / 2


def two_passes(image, mask, estimate):  # noqa: ANN001, ANN201
    return network(image, mask, network(image, mask, estimate))


def mean_of_two_passes(image, mask, estimate):  # noqa: ANN001, ANN201
    first = network(image, mask, estimate)
    return (first + network(image, mask, first)) / 2


VARIANTS = {"plain": network, "flip average": flip_average, "two passes": two_passes, "mean of two passes": mean_of_two_passes}
for name, scores in pipeline_hole_psnr(VARIANTS).items():
    plain = scores["plain"]
    for label in list(VARIANTS)[1:]:
        print(f"{name}: {label} {scores[label].mean():.3f} vs plain {plain.mean():.3f}: {paired(scores[label] - plain)}")
