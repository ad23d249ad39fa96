"""Inference-only graph optimisations that keep a model's outputs (up to float rounding)."""

from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

_CONVS = (nn.Conv2d, nn.ConvTranspose2d)


def fuse_conv_bn(model: nn.Module) -> nn.Module:
    """A copy of ``model`` (in eval mode) where every BatchNorm that directly follows a convolution inside
    an ``nn.Sequential`` is folded into that convolution's weights (the BatchNorm becomes Identity).

    Saves one full pass over the activations per folded BatchNorm; training-mode statistics are gone,
    so use the result for inference only.
    """
    fused = copy.deepcopy(model).eval()
    for module in fused.modules():
        if not isinstance(module, nn.Sequential):
            continue
        for index in range(len(module) - 1):
            conv, norm = module[index], module[index + 1]
            if isinstance(conv, _CONVS) and isinstance(norm, nn.BatchNorm2d) and conv.groups == 1:
                module[index] = fuse_conv_bn_eval(conv, norm, transpose=isinstance(conv, nn.ConvTranspose2d))
                module[index + 1] = nn.Identity()
    return fused
