"""Training loss of WaveMix inpainting: ``ssim_weight * (1 - SSIM) + l1_weight * L1`` (paper: 3:1)."""

from __future__ import annotations

from torch import Tensor, nn

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.metrics.image import l1
from wavemix_inpaint.metrics.ssim import SSIMPadding, ssim


class InpaintingLoss(nn.Module):
    """``loss = ssim_weight * (1 - mean SSIM) + l1_weight * mean |output - target|`` over the batch.

    Apply it to the *composited* output (known pixels copied from the target) so that gradients reach only
    hole pixels. SSIM uses an 11x11 Gaussian window (sigma 1.5) with the given ``padding`` and ``data_range``.
    Both terms are computed in float32 (float64 stays float64), so the loss is safe under ``torch.autocast``.
    """

    def __init__(
        self,
        ssim_weight: float = 0.75,
        l1_weight: float = 0.25,
        padding: SSIMPadding = "reflect",
        data_range: float = 1.0,
    ) -> None:
        super().__init__()
        if padding not in ("reflect", "valid"):
            raise InputError(f"SSIM padding must be 'reflect' or 'valid', got {padding!r}")
        self.ssim_weight = float(ssim_weight)
        self.l1_weight = float(l1_weight)
        self.padding: SSIMPadding = padding
        self.data_range = float(data_range)

    def components(self, output: Tensor, target: Tensor) -> dict[str, Tensor]:
        """Return scalar tensors ``loss``, ``ssim`` (batch-mean SSIM), ``ssim_loss`` (1 - ssim) and ``l1``."""
        ssim_value = ssim(output, target, data_range=self.data_range, padding=self.padding).mean()
        l1_value = l1(output, target).mean()  # all images have the same size: equals the global mean
        ssim_loss = 1.0 - ssim_value
        loss = self.ssim_weight * ssim_loss + self.l1_weight * l1_value
        return {"loss": loss, "ssim": ssim_value, "ssim_loss": ssim_loss, "l1": l1_value}

    def forward(self, output: Tensor, target: Tensor) -> Tensor:
        """Scalar loss (a 0-dim tensor)."""
        return self.components(output, target)["loss"]

    def extra_repr(self) -> str:
        return (
            f"ssim_weight={self.ssim_weight}, l1_weight={self.l1_weight}, padding={self.padding!r}, data_range={self.data_range}"
        )
