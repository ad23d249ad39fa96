"""Torchvision-free Inception-v3 as used for FID (the TensorFlow "2015-12-05" graph).

The module's ``state_dict()`` has exactly the keys and shapes of pytorch-fid's
``pt_inception-2015-12-05-6726825d.pth`` (identical to torch-fidelity's
``weights-inception-2015-12-05-6726825d.pth``): the torchvision ``Inception3`` layout without the auxiliary
classifier and with a 1008-way ``fc``. The FID graph differs from torchvision's Inception-v3 in its pooling
branches: every 3x3 average pool ignores the zero padding (``count_include_pad=False``, TensorFlow
semantics) and the pooling branch of the last block (``Mixed_7c``) uses max pooling.

Forward: ``N x 3 x H x W`` images in [0, 1] -> bilinear resize to 299x299 (``align_corners=False``, as
pytorch-fid) -> scale to [-1, 1] -> 2048-d pool3 features (``N x 2048``). The ``fc`` layer is kept only so the
weights load strictly; it is not used.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wavemix_inpaint.errors import InputError

PoolKind = Literal["avg", "max"]

FEATURE_DIM = 2048
NUM_CLASSES = 1008
INPUT_SIZE = 299


class ConvBNReLU(nn.Module):
    """Bias-free convolution, batch norm (eps 1e-3, as in the TF graph) and ReLU; children ``conv``, ``bn``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int], **kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _pool_3x3_same(x: Tensor, kind: PoolKind) -> Tensor:
    """3x3 stride-1 'same' pooling; average pooling ignores the padded zeros (TensorFlow behaviour)."""
    if kind == "max":
        return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def _factorized(in_channels: int, out_channels: int, size: int, vertical: bool) -> ConvBNReLU:
    """A ``size x 1`` (vertical) or ``1 x size`` convolution with 'same' padding."""
    kernel = (size, 1) if vertical else (1, size)
    padding = (size // 2, 0) if vertical else (0, size // 2)
    return ConvBNReLU(in_channels, out_channels, kernel, padding=padding)


class InceptionA(nn.Module):
    """35x35 block (Mixed_5b-d): 1x1, 5x5, double 3x3 and pool branches -> 224 + pool_features channels."""

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = ConvBNReLU(in_channels, 64, 1)
        self.branch5x5_1 = ConvBNReLU(in_channels, 48, 1)
        self.branch5x5_2 = ConvBNReLU(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvBNReLU(in_channels, 64, 1)
        self.branch3x3dbl_2 = ConvBNReLU(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBNReLU(96, 96, 3, padding=1)
        self.branch_pool = ConvBNReLU(in_channels, pool_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch5x5_2(self.branch5x5_1(x)),
                self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                self.branch_pool(_pool_3x3_same(x, "avg")),
            ],
            dim=1,
        )


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17 (Mixed_6a): stride-2 3x3, double 3x3 and max-pool branches."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = ConvBNReLU(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = ConvBNReLU(in_channels, 64, 1)
        self.branch3x3dbl_2 = ConvBNReLU(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBNReLU(96, 96, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat(
            [
                self.branch3x3(x),
                self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                F.max_pool2d(x, kernel_size=3, stride=2),
            ],
            dim=1,
        )


class InceptionC(nn.Module):
    """17x17 block (Mixed_6b-e) with factorised 7x7 convolutions -> 768 channels."""

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = ConvBNReLU(in_channels, 192, 1)
        self.branch7x7_1 = ConvBNReLU(in_channels, c7, 1)
        self.branch7x7_2 = _factorized(c7, c7, 7, vertical=False)
        self.branch7x7_3 = _factorized(c7, 192, 7, vertical=True)
        self.branch7x7dbl_1 = ConvBNReLU(in_channels, c7, 1)
        self.branch7x7dbl_2 = _factorized(c7, c7, 7, vertical=True)
        self.branch7x7dbl_3 = _factorized(c7, c7, 7, vertical=False)
        self.branch7x7dbl_4 = _factorized(c7, c7, 7, vertical=True)
        self.branch7x7dbl_5 = _factorized(c7, 192, 7, vertical=False)
        self.branch_pool = ConvBNReLU(in_channels, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        double = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            double = layer(double)
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x))),
                double,
                self.branch_pool(_pool_3x3_same(x, "avg")),
            ],
            dim=1,
        )


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8 (Mixed_7a): 3x3 stride-2, 7x7-then-3x3 stride-2 and max-pool branches."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = ConvBNReLU(in_channels, 192, 1)
        self.branch3x3_2 = ConvBNReLU(192, 320, 3, stride=2)
        self.branch7x7x3_1 = ConvBNReLU(in_channels, 192, 1)
        self.branch7x7x3_2 = _factorized(192, 192, 7, vertical=False)
        self.branch7x7x3_3 = _factorized(192, 192, 7, vertical=True)
        self.branch7x7x3_4 = ConvBNReLU(192, 192, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        tower = self.branch7x7x3_1(x)
        for layer in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            tower = layer(tower)
        return torch.cat(
            [
                self.branch3x3_2(self.branch3x3_1(x)),
                tower,
                F.max_pool2d(x, kernel_size=3, stride=2),
            ],
            dim=1,
        )


class InceptionE(nn.Module):
    """8x8 block (Mixed_7b/7c) with split 1x3 / 3x1 outputs -> 2048 channels.

    ``pool="avg"`` for Mixed_7b; the FID graph's Mixed_7c uses ``pool="max"``.
    """

    def __init__(self, in_channels: int, pool: PoolKind) -> None:
        super().__init__()
        self.pool: PoolKind = pool
        self.branch1x1 = ConvBNReLU(in_channels, 320, 1)
        self.branch3x3_1 = ConvBNReLU(in_channels, 384, 1)
        self.branch3x3_2a = _factorized(384, 384, 3, vertical=False)
        self.branch3x3_2b = _factorized(384, 384, 3, vertical=True)
        self.branch3x3dbl_1 = ConvBNReLU(in_channels, 448, 1)
        self.branch3x3dbl_2 = ConvBNReLU(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = _factorized(384, 384, 3, vertical=False)
        self.branch3x3dbl_3b = _factorized(384, 384, 3, vertical=True)
        self.branch_pool = ConvBNReLU(in_channels, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        single = self.branch3x3_1(x)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch3x3_2a(single),
                self.branch3x3_2b(single),
                self.branch3x3dbl_3a(double),
                self.branch3x3dbl_3b(double),
                self.branch_pool(_pool_3x3_same(x, self.pool)),
            ],
            dim=1,
        )


class FIDInceptionV3(nn.Module):
    """FID Inception-v3 feature extractor returning 2048-d pool3 features (``N x 2048``).

    Built at random initialisation; load the pretrained weights with
    :func:`wavemix_inpaint.metrics.fid.load_fid_inception`.
    """

    feature_dim = FEATURE_DIM

    def __init__(self, resize_input: bool = True, normalize_input: bool = True) -> None:
        super().__init__()
        self.resize_input = resize_input
        self.normalize_input = normalize_input
        self.Conv2d_1a_3x3 = ConvBNReLU(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = ConvBNReLU(32, 32, 3)
        self.Conv2d_2b_3x3 = ConvBNReLU(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = ConvBNReLU(64, 80, 1)
        self.Conv2d_4a_3x3 = ConvBNReLU(80, 192, 3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool="avg")
        self.Mixed_7c = InceptionE(2048, pool="max")
        self.fc = nn.Linear(FEATURE_DIM, NUM_CLASSES)  # only for strict weight loading; unused

    def forward(self, images: Tensor) -> Tensor:
        if images.ndim != 4 or images.shape[1] != 3:
            raise InputError(f"FID Inception expects N x 3 x H x W images, got shape {tuple(images.shape)}")
        x = images.to(self.fc.weight.dtype)
        if self.resize_input:
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        if self.normalize_input:
            x = 2.0 * x - 1.0
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (
            self.Mixed_5b,
            self.Mixed_5c,
            self.Mixed_5d,
            self.Mixed_6a,
            self.Mixed_6b,
            self.Mixed_6c,
            self.Mixed_6d,
            self.Mixed_6e,
            self.Mixed_7a,
            self.Mixed_7b,
            self.Mixed_7c,
        ):
            x = block(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
