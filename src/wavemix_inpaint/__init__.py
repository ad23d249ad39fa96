"""wavemix-inpaint: resource-efficient image inpainting with WaveMix."""

from wavemix_inpaint.models import count_parameters, create_model, list_models

__version__ = "0.1.0"

__all__ = ["__version__", "count_parameters", "create_model", "list_models"]
