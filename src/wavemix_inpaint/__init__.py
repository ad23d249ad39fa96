"""wavemix-inpaint: resource-efficient image inpainting with WaveMix."""

from wavemix_inpaint.models import count_parameters, create_model, list_models

__version__ = "0.1.0"

__all__ = ["__version__", "count_parameters", "create_model", "list_models"]

__all__ += [
    "InpaintNotice",
    "InpaintOptions",
    "Inpainter",
    "list_pretrained",
    "load_model",
    "read_image",
    "read_mask",
    "save_checkpoint",
    "save_image",
]

_LAZY = {
    "Inpainter": "wavemix_inpaint.inpainter",
    "InpaintNotice": "wavemix_inpaint.inpainter",
    "InpaintOptions": "wavemix_inpaint.inference",
    "load_model": "wavemix_inpaint.checkpoint",
    "save_checkpoint": "wavemix_inpaint.checkpoint",
    "list_pretrained": "wavemix_inpaint.pretrained",
    "read_image": "wavemix_inpaint.imageio",
    "read_mask": "wavemix_inpaint.imageio",
    "save_image": "wavemix_inpaint.imageio",
}


def __getattr__(name: str):  # noqa: ANN202 - lazy imports keep "import wavemix_inpaint" light
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'wavemix_inpaint' has no attribute {name!r}")
