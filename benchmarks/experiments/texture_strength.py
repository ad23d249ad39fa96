"""A light texture for the default fill? The texture stage at a fraction of the photo's detail amplitude,
against the smooth fill and scikit-image's biharmonic fill, on BSDS500 val (val_texture.py's sets).

An experiment script (not part of the library), kept so that the numbers in docs/results.md can be re-run.
An uncorrelated detail of amplitude a costs about a^2 of the full texture's squared error, while the
texture distance (a distance between coefficient distributions) falls fastest for the first fraction of
amplitude: a small strength might buy the smooth fill a texture distance below biharmonic's (issue 9)
for a few hundredths of a dB.

    python benchmarks/experiments/texture_strength.py [checkpoint] [strength ...]
"""

import sys

import torch
from val_texture import val_line

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.models import create_model

torch.set_num_threads(2)
model = load_model(sys.argv[1] if len(sys.argv) > 1 else "src/wavemix_inpaint/weights/default.safetensors")
print(f"biharmonic | {val_line(create_model('biharmonic'), None)}", flush=True)
print(f"smooth | {val_line(model, InpaintOptions())}", flush=True)
for strength in [float(value) for value in sys.argv[2:]] or [0.15, 0.25, 0.35, 0.5, 1.0]:
    print(f"strength {strength:g} | {val_line(model, InpaintOptions(texture=True, texture_strength=strength))}", flush=True)
