"""Orthonormal 2D Haar wavelet transform (pywt ``db1``) written with strided slicing.

For a 2x2 cell ``[[a, b], [c, d]]`` one level gives::

    LL = (a + b + c + d) / 2      D1 = (a + b - c - d) / 2
    D2 = (a - b + c - d) / 2      D3 = (a - b - c + d) / 2

which is exactly what ``pytorch_wavelets.DWTForward(J=1, wave="db1", mode="zero")`` (the transform
inside the ``wavemix`` package) returns for even sizes. The transform is orthonormal, so the inverse
uses the same four sums. Autograd provides the backward pass.
"""

from __future__ import annotations

import torch
from torch import Tensor


def haar_dwt2(x: Tensor) -> tuple[Tensor, Tensor]:
    """One Haar level: ``N x C x H x W`` -> ``(LL: N x C x H/2 x W/2, details: N x C x 3 x H/2 x W/2)``.

    H and W must be even. Detail bands are ordered (D1, D2, D3) as in ``pytorch_wavelets``.
    """
    height, width = x.shape[-2:]
    if height % 2 or width % 2:
        raise ValueError(f"haar_dwt2 needs even height and width, got {height}x{width}")
    a = x[..., 0::2, 0::2]
    b = x[..., 0::2, 1::2]
    c = x[..., 1::2, 0::2]
    d = x[..., 1::2, 1::2]
    top, bottom = a + b, c + d
    left_minus_right_top, left_minus_right_bottom = a - b, c - d
    low = (top + bottom) * 0.5
    d1 = (top - bottom) * 0.5
    d2 = (left_minus_right_top + left_minus_right_bottom) * 0.5
    d3 = (left_minus_right_top - left_minus_right_bottom) * 0.5
    return low, torch.stack((d1, d2, d3), dim=2)


def haar_idwt2(low: Tensor, details: Tensor) -> Tensor:
    """Inverse of :func:`haar_dwt2` (exact up to floating-point rounding)."""
    d1, d2, d3 = details.unbind(dim=2)
    a = (low + d1 + d2 + d3) * 0.5
    b = (low + d1 - d2 - d3) * 0.5
    c = (low - d1 + d2 - d3) * 0.5
    d = (low - d1 - d2 + d3) * 0.5
    n, ch, h, w = low.shape
    # interleave rows then columns: out[..., 2i + r, 2j + s]
    top = torch.stack((a, b), dim=-1).reshape(n, ch, h, 2 * w)
    bottom = torch.stack((c, d), dim=-1).reshape(n, ch, h, 2 * w)
    return torch.stack((top, bottom), dim=-2).reshape(n, ch, 2 * h, 2 * w)


def haar_tokens(x: Tensor, levels: int = 1) -> list[Tensor]:
    """WaveMix token tensors for levels ``1..levels`` of ``x`` (``N x C x H x W``).

    Level ``j`` is ``concat[LL_j, details_j]`` with the details flattened channel-major
    (for each input channel: D1, D2, D3), i.e. ``4C`` channels at ``H/2^j x W/2^j``.
    """
    tokens = []
    low = x
    for _ in range(levels):
        low, details = haar_dwt2(low)
        n, ch, _, h, w = details.shape
        tokens.append(torch.cat((low, details.reshape(n, ch * 3, h, w)), dim=1))
    return tokens
