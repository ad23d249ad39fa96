"""Inpainting networks and their registry."""

from wavemix_inpaint.models.base import InpaintingModel, composite, pad_to_multiple
from wavemix_inpaint.models.registry import (
    ModelSpec,
    count_parameters,
    create_model,
    get_model_spec,
    list_models,
    register_model,
)
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
    "CPU-friendly WaveMix: 2 modules x 4 blocks, C=64, dropout 0.1",
    embed_dim=64,
    blocks_per_module=4,
    num_modules=2,
    dropout=0.1,
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

__all__ = [
    "InpaintingModel",
    "ModelSpec",
    "WaveMixInpainter",
    "composite",
    "count_parameters",
    "create_model",
    "get_model_spec",
    "list_models",
    "pad_to_multiple",
    "register_model",
]
