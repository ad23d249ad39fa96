"""Texture experiment: copy the sources' next band (detail_sigma..sigma) where the copy agrees with the fill.

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
On top of the released texture stage, every hole pixel t that copied its detail from source s also takes
s's band between blur(detail_sigma) and blur(sigma), in place of its own, weighted by
exp(-(|blur(fill, agree_sigma)[t] - blur(fill, agree_sigma)[s]| / tau)^2) and the activity damping: a whole
patch is copied only where its colours agree with the network's. Masks: see val_texture.py.

    python benchmarks/experiments/texture_agreement.py src/wavemix_inpaint/weights/default.safetensors '{}' '{"tau": 0.1}'
"""

import json
import sys

import numpy as np
import torch
from val_texture import val_line

import wavemix_inpaint.texture as texture
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.inference import InpaintOptions

torch.set_num_threads(1)
released = texture.synthesize_texture
knobs: dict[str, float] = {}


def with_agreeing_band(smooth, hole, seed=0, settings=texture.TextureSettings(), prior=None, activity=None):  # noqa: ANN001, ANN201
    result = released(smooth, hole, seed, settings, prior, activity)
    ys, xs = np.nonzero(hole)
    sy, sx = result.sources[ys, xs, 0], result.sources[ys, xs, 1]
    fill = np.ascontiguousarray(smooth, np.float32)
    band = texture._blur(fill, settings.detail_sigma) - texture._blur(fill, knobs["sigma"])
    reference = texture._blur(fill, knobs["agree_sigma"])
    gate = np.exp(-((np.sqrt(((reference[ys, xs] - reference[sy, sx]) ** 2).sum(1)) / knobs["tau"]) ** 2))
    if activity is not None and activity.shape == hole.shape:
        gate *= np.minimum(1.0, activity[ys, xs] / np.maximum(activity[sy, sx], 1e-6))
    out = result.image.copy()
    out[ys, xs] = np.clip(out[ys, xs] + gate[:, None] * (band[sy, sx] - band[ys, xs]), 0, 1)
    return texture.Synthesis(out, result.sources)


texture.synthesize_texture = with_agreeing_band
model = load_model(sys.argv[1])
for argument in sys.argv[2:]:
    knobs.clear()
    knobs.update({"sigma": 4.0, "agree_sigma": 2.0, "tau": 0.05, **json.loads(argument)})
    print(f"{json.dumps(knobs)} | {val_line(model, InpaintOptions(texture=True))}", flush=True)
