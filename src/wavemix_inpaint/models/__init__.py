"""Inpainting networks and their registry."""

from wavemix_inpaint.models.base import InpaintingModel, composite, pad_to_multiple
from wavemix_inpaint.models.classical import (
    BiharmonicInpainter,
    ClassicalInpainter,
    OpenCVInpainter,
    PatchMatchInpainter,
    navier_stokes,
    telea,
)
from wavemix_inpaint.models.discriminator import NLayerDiscriminator
from wavemix_inpaint.models.lama import FFCResNetGenerator, convert_lama_state_dict, load_official_lama
from wavemix_inpaint.models.registry import (
    ModelSpec,
    count_parameters,
    create_model,
    get_model_spec,
    list_models,
    register_model,
)
from wavemix_inpaint.models.unet import UNetInpainter
from wavemix_inpaint.models.wavemix import WaveMixInpainter

register_model(
    "wavemix-paper",
    WaveMixInpainter,
    "WaveMix as trained by the authors: 4 modules x 7 blocks, C=128 (10.93 M params; the paper's '14M' "
    "is a torchsummary double count)",
)
register_model(
    "wavemix-14m",
    WaveMixInpainter,
    "WaveMix with 5 modules x 7 blocks, C=128: a true 13.67 M params (the paper's '14M')",
    num_modules=5,
)
register_model(
    "wavemix-small",
    WaveMixInpainter,
    "CPU-friendly WaveMix: 2 modules x 5 blocks, C=32, no dropout, refining an OpenCV Telea prefill (the bundled default)",
    embed_dim=32,
    blocks_per_module=5,
    num_modules=2,
    dropout=0.0,
    prefill="telea",
)
register_model(
    "wavemix-tiny",
    WaveMixInpainter,
    "Minimal WaveMix for tests and quick experiments: 1 module x 2 blocks, C=32, dropout 0",
    embed_dim=32,
    blocks_per_module=2,
    num_modules=1,
    dropout=0.0,
)

# Baselines (Table 1 of the paper and classical methods).
register_model(
    "unet",
    UNetInpainter,
    "The paper's 'custom CNN' baseline: U-Net, 5 stride-2 3x3 convs down (48..768 ch), 5 stride-2 4x4 "
    "ConvT up with skip concatenation, sigmoid output (11.44 M params; design not given by the paper)",
)
register_model(
    "unet-tiny",
    UNetInpainter,
    "Minimal U-Net for tests: widths 8, 16, 32, 32, 64",
    channels=(8, 16, 32, 32, 64),
)
register_model(
    "lama-fourier",
    FFCResNetGenerator,
    "LaMa generator (FFC ResNet, 9 blocks, ratio 0.75, sigmoid output): 27,048,835 params",
    n_blocks=9,
)
register_model(
    "big-lama",
    FFCResNetGenerator,
    "Big LaMa generator (18 FFC blocks), official-weight compatible (load_official_lama): 50,975,875 params",
    n_blocks=18,
)
register_model(
    "lama-tiny",
    FFCResNetGenerator,
    "Minimal LaMa generator for tests: ngf 8, 1 FFC block",
    n_blocks=1,
    ngf=8,
)
register_model("telea", telea, "OpenCV Telea fast-marching inpainting (no parameters, CPU)", radius=3.0)
register_model("navier-stokes", navier_stokes, "OpenCV Navier-Stokes inpainting (no parameters, CPU)", radius=3.0)
register_model("biharmonic", BiharmonicInpainter, "scikit-image biharmonic inpainting (no parameters, CPU, slow)")
register_model(
    "patchmatch",
    PatchMatchInpainter,
    "PatchMatch texture copying (pypatchmatch, 7x7 patches, seeded; optional: pip install pypatchmatch)",
    patch_size=3,
)

__all__ = [
    "BiharmonicInpainter",
    "ClassicalInpainter",
    "FFCResNetGenerator",
    "InpaintingModel",
    "ModelSpec",
    "NLayerDiscriminator",
    "OpenCVInpainter",
    "PatchMatchInpainter",
    "UNetInpainter",
    "WaveMixInpainter",
    "composite",
    "convert_lama_state_dict",
    "count_parameters",
    "create_model",
    "get_model_spec",
    "list_models",
    "load_official_lama",
    "pad_to_multiple",
    "register_model",
]
