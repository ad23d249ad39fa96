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
    "navier_stokes",
    "register_model",
    "telea",
]
