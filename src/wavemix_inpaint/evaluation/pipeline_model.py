"""Evaluate what users get: a network run through the inference pipeline (coarse-to-fine, texture, crop
windows), behind the ``forward(image, mask) -> composited`` interface that :func:`evaluate_model` uses."""

from __future__ import annotations

from torch import Tensor, nn

from wavemix_inpaint.inference import InpaintOptions


class PipelineModel(nn.Module):
    """``model`` inpainted the way :class:`~wavemix_inpaint.inpainter.Inpainter` does it with ``options``
    (per image, on the CPU). Its parameters are the model's; it cannot be trained."""

    trainable = False

    def __init__(self, model: nn.Module, options: InpaintOptions, name: str | None = None) -> None:
        from wavemix_inpaint.inpainter import Inpainter

        super().__init__()
        self.inner = model.eval()
        self.options = options
        self.inpainter = Inpainter(model, device="cpu")
        base = getattr(model, "model_name", None) or type(model).__name__
        self.model_name = name or f"{base} ({describe_options(options)})"
        self.config = {**dict(getattr(model, "config", {}) or {}), "pipeline": options.__dict__}

    def forward(self, image: Tensor, mask: Tensor) -> Tensor:
        return self.inpainter.fill_tensor(image.cpu(), mask.cpu(), self.options).image.to(image.device)


def describe_options(options: InpaintOptions) -> str:
    """A short label such as ``texture, coarse-to-fine``."""
    parts = ["texture" if options.texture else "smooth"]
    if options.coarse_to_fine:
        parts.append("coarse-to-fine")
    return ", ".join(parts)
