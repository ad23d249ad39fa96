"""Texture experiment: median-filter the copy offsets (source - target) so that copies come in coherent pieces.

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
A 5x5 median of each offset component over the hole; a filtered offset that would copy from the hole or
from outside the photo is not used. Masks: see val_texture.py.

    python benchmarks/experiments/texture_coherent.py src/wavemix_inpaint/weights/default.safetensors
"""

import sys

import cv2
import numpy as np
import torch
from val_texture import val_line

import wavemix_inpaint.texture as texture
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.inference import InpaintOptions

torch.set_num_threads(1)
released = texture._full_resolution_sources


def coherent_sources(hole: np.ndarray, nnf: np.ndarray, factor: int) -> np.ndarray:
    sources = released(hole, nnf, factor)
    ys, xs = np.mgrid[: hole.shape[0], : hole.shape[1]]
    offsets = np.stack([sources[..., 0] - ys, sources[..., 1] - xs], -1).astype(np.float32)
    offsets[~hole] = 0
    median = np.stack([cv2.medianBlur(np.ascontiguousarray(offsets[..., i]), 5) for i in range(2)], -1).round().astype(np.int64)
    new_y, new_x = ys + median[..., 0], xs + median[..., 1]
    usable = hole & (new_y >= 0) & (new_y < hole.shape[0]) & (new_x >= 0) & (new_x < hole.shape[1])
    usable[usable] &= ~hole[new_y[usable], new_x[usable]]
    result = sources.copy()
    result[usable, 0], result[usable, 1] = new_y[usable], new_x[usable]
    return result


texture._full_resolution_sources = coherent_sources
print(val_line(load_model(sys.argv[1]), InpaintOptions(texture=True)))
