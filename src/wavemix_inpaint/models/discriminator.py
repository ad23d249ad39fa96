"""LaMa's PatchGAN discriminator (``pix2pixhd_nlayer``: ``NLayerDiscriminator``, ndf 64, n_layers 4, BN).

Layout and state-dict keys follow advimman/lama ``saicinpainting/training/modules/pix2pixhd.py`` so an
official checkpoint's ``discriminator.*`` weights can be loaded (strip the prefix)::

    model0  Conv 4x4 s2 p2 (in -> 64, bias) + LeakyReLU(0.2)                      (no norm)
    model1  Conv 4x4 s2 p2 (64 -> 128, bias) + BN + LeakyReLU(0.2)
    model2  Conv 4x4 s2 p2 (128 -> 256) + BN + LReLU
    model3  Conv 4x4 s2 p2 (256 -> 512) + BN + LReLU
    model4  Conv 4x4 s1 p2 (512 -> 512) + BN + LReLU
    model5  Conv 4x4 s1 p2 (512 -> 1, bias)                                       (logits)

6,962,369 parameters at 3 input channels. The logit grid is 9 x 9 for 96 x 96 inputs and 19 x 19 for
256 x 256. ``forward`` returns ``(logits, [the outputs of model0 .. model4])``; the five intermediate
activations are used by the feature-matching loss. LaMa feeds it the raw prediction, not the composite.
"""

from __future__ import annotations

from torch import Tensor, nn


class NLayerDiscriminator(nn.Module):
    """PatchGAN: ``n_layers`` stride-2 4x4 convolutions, one stride-1, then a 1-channel 4x4 conv."""

    def __init__(self, in_channels: int = 3, ndf: int = 64, n_layers: int = 4, max_features: int = 512) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        self.n_layers = n_layers
        stages: list[list[nn.Module]] = [[nn.Conv2d(in_channels, ndf, kernel_size=4, stride=2, padding=2), nn.LeakyReLU(0.2)]]
        width = ndf
        for _ in range(1, n_layers):
            previous, width = width, min(width * 2, max_features)
            stages.append([nn.Conv2d(previous, width, 4, 2, 2), nn.BatchNorm2d(width), nn.LeakyReLU(0.2)])
        previous, width = width, min(width * 2, max_features)
        stages.append([nn.Conv2d(previous, width, 4, 1, 2), nn.BatchNorm2d(width), nn.LeakyReLU(0.2)])
        stages.append([nn.Conv2d(width, 1, 4, 1, 2)])
        for index, stage in enumerate(stages):
            setattr(self, f"model{index}", nn.Sequential(*stage))

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """``(logits N x 1 x h x w, [n_layers + 1 intermediate activations])``."""
        features = []
        for index in range(self.n_layers + 1):
            x = getattr(self, f"model{index}")(x)
            features.append(x)
        return getattr(self, f"model{self.n_layers + 1}")(x), features
