"""U-Net baseline: the paper's "custom CNN" (Table 1: 12 M parameters).

The paper (appendix A) only says: "a U-net model with five down-scaling convolution layers followed by
five up-scaling transposed-convolution layers", with a parameter count "similar to the proposed model"
(Table 1: 12 M). It gives **no widths, kernel sizes, normalisation or output activation**, so the design
below is ours, chosen to match that description and the parameter budget:

Input: ``concat(image * (1 - mask), mask)`` (4 channels), H and W multiples of 32 (``size_multiple``).

Default widths ``channels = (48, 96, 192, 384, 768)``::

    encoder  e0 = input (4 ch, H)
             e_k = ReLU(BN(Conv3x3 stride 2(e_{k-1})))          k = 1..5, widths 48, 96, 192, 384, 768
                                                                 (H/2, H/4, H/8, H/16, H/32)
    decoder  d5 = e5
             d_k = concat(ReLU(BN(ConvT4x4 stride 2 pad 1(d_{k+1}))), e_k)   k = 4..0
                   (the ConvT outputs the width of e_k, the last one ``channels[0]`` = 48 channels, so
                   d4..d1 have 768, 384, 192, 96 channels and d0 = 48 + 4 = 52 at full resolution)
    head     ReLU(BN(Conv3x3(52 -> 48))) -> Conv3x3(48 -> 3, bias) -> sigmoid

All convolutions before a BatchNorm have no bias. The output activation is a sigmoid by default
(``out_activation="sigmoid"``, prediction in (0, 1) like LaMa); ``"none"`` gives an unbounded linear
output (as WaveMix). The forward pass composites the prediction with the known pixels either way.

Parameter count of the default: **11,444,115** (trainable, BN affine included; BN running statistics
are buffers). The paper's "12 M" is a rounded figure for an unpublished design; this one is within
5 % of it. Widths are configurable (``channels``, any length >= 1 with ``size_multiple = 2**len``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from wavemix_inpaint.models.base import InpaintingModel
from wavemix_inpaint.models.registry import register_model


def _conv_bn_relu(in_ch: int, out_ch: int, kernel: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


def _up_bn_relu(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


@register_model("unet-tiny", "Minimal U-Net for tests: widths 8, 16, 32, 32, 64", channels=(8, 16, 32, 32, 64))
@register_model(
    "unet",
    "The paper's 'custom CNN' baseline: U-Net, 5 stride-2 3x3 convs down (48..768 ch), 5 stride-2 4x4 ConvT up with "
    "skip concatenation, sigmoid output (11.44 M params; design not given by the paper)",
)
class UNetInpainter(InpaintingModel):
    """U-Net with ``len(channels)`` stride-2 3x3 down convolutions and as many stride-2 4x4 transposed
    convolutions, skip concatenations at every scale (see the module docstring for the exact layout)."""

    def __init__(
        self,
        channels: Sequence[int] = (48, 96, 192, 384, 768),
        in_channels: int = 4,
        out_activation: str = "sigmoid",
    ) -> None:
        super().__init__()
        channels = tuple(int(c) for c in channels)
        if not channels or min(channels) < 1:
            raise ValueError(f"channels must be a non-empty sequence of positive widths, got {channels}")
        if out_activation not in ("sigmoid", "none"):
            raise ValueError(f"out_activation must be 'sigmoid' or 'none', got {out_activation!r}")
        if in_channels not in (4, 5):
            raise ValueError(f"in_channels must be 4 (masked image + mask) or 5 (+ ones), got {in_channels}")
        self.in_channels = in_channels
        self.size_multiple = 2 ** len(channels)
        widths = (in_channels, *channels)
        self.down = nn.ModuleList(_conv_bn_relu(widths[k], widths[k + 1], 3, 2) for k in range(len(channels)))
        up = []
        current = channels[-1]
        for k in range(len(channels) - 1, -1, -1):  # skip target e_k has widths[k] channels
            out_ch = widths[k] if k > 0 else channels[0]
            up.append(_up_bn_relu(current, out_ch))
            current = out_ch + widths[k]
        self.up = nn.ModuleList(up)
        self.head = nn.Sequential(
            _conv_bn_relu(current, channels[0], 3, 1),
            nn.Conv2d(channels[0], 3, kernel_size=3, padding=1),
        )
        self.out_activation = nn.Sigmoid() if out_activation == "sigmoid" else nn.Identity()

    def predict(self, masked: Tensor, mask: Tensor) -> Tensor:
        parts = [masked, mask]
        if self.in_channels == 5:
            parts.append(torch.ones_like(mask))
        x = torch.cat(parts, dim=1)
        skips = [x]
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        skips.pop()  # the deepest feature is the decoder input, not a skip
        for layer in self.up:
            x = torch.cat([layer(x), skips.pop()], dim=1)
        return self.out_activation(self.head(x))
