"""Training loss of WaveMix inpainting: ``ssim_weight * (1 - SSIM) + l1_weight * L1 (+ l2_weight * MSE)``.

The paper's loss is SSIM and L1 at 3:1 (``l2_weight`` 0). An MSE term pulls the fill towards the mean of the
plausible fills, which is what PSNR rewards (MSE is its error).
"""

from __future__ import annotations

from torch import Tensor, nn

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.metrics.image import l1, l2
from wavemix_inpaint.metrics.ssim import SSIMPadding, ssim


class InpaintingLoss(nn.Module):
    """``loss = ssim_weight * (1 - mean SSIM) + l1_weight * mean |output - target| + l2_weight * MSE`` over the batch.

    Apply it to the *composited* output (known pixels copied from the target) so that gradients reach only
    hole pixels. SSIM uses an 11x11 Gaussian window (sigma 1.5) with the given ``padding`` and ``data_range``.
    Both terms are computed in float32 (float64 stays float64), so the loss is safe under ``torch.autocast``.
    """

    def __init__(
        self,
        ssim_weight: float = 0.75,
        l1_weight: float = 0.25,
        l2_weight: float = 0.0,
        padding: SSIMPadding = "reflect",
        data_range: float = 1.0,
    ) -> None:
        super().__init__()
        if padding not in ("reflect", "valid"):
            raise InputError(f"SSIM padding must be 'reflect' or 'valid', got {padding!r}")
        self.ssim_weight = float(ssim_weight)
        self.l1_weight = float(l1_weight)
        self.l2_weight = float(l2_weight)
        self.padding: SSIMPadding = padding
        self.data_range = float(data_range)

    def components(self, output: Tensor, target: Tensor) -> dict[str, Tensor]:
        """Return scalar tensors ``loss``, ``ssim`` (batch-mean SSIM), ``ssim_loss`` (1 - ssim), ``l1`` and ``l2``."""
        ssim_value = ssim(output, target, data_range=self.data_range, padding=self.padding).mean()
        l1_value = l1(output, target).mean()  # all images have the same size: equals the global mean
        l2_value = l2(output, target).mean()
        ssim_loss = 1.0 - ssim_value
        loss = self.weighted(ssim_value, l1_value, l2_value)
        return {"loss": loss, "ssim": ssim_value, "ssim_loss": ssim_loss, "l1": l1_value, "l2": l2_value}

    def weighted(self, ssim_value: Tensor, l1_value: Tensor, l2_value: Tensor) -> Tensor:
        """The loss from its terms (per batch in training, per image in validation)."""
        return self.ssim_weight * (1.0 - ssim_value) + self.l1_weight * l1_value + self.l2_weight * l2_value

    def forward(self, output: Tensor, target: Tensor) -> Tensor:
        """Scalar loss (a 0-dim tensor)."""
        return self.components(output, target)["loss"]

    def extra_repr(self) -> str:
        weights = f"ssim_weight={self.ssim_weight}, l1_weight={self.l1_weight}, l2_weight={self.l2_weight}"
        return f"{weights}, padding={self.padding!r}, data_range={self.data_range}"
