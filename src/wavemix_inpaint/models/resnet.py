"""ResNet-50 "dilated" feature extractor: the backbone of LaMa's high-receptive-field perceptual loss.

LaMa's perceptual loss (``ResNetPL``, weight 30) runs the prediction and the target through the encoder of
an ADE20k segmentation network (``resnet50dilated`` of CSAILVision's semantic-segmentation-pytorch) and
compares the four stage outputs with a mean squared error. That encoder is a ResNet-50 with a deep stem
(three 3x3 convolutions, 64-64-128 channels) whose last two stages are dilated instead of strided (output
stride 8). The weights cannot be downloaded here: ``load`` takes a local file when the user has one
(keys as in that repository's ``encoder_epoch_20.pth``; a mismatch is reported), otherwise the network
keeps its random initialisation, which costs exactly the same compute (what ``benchmark`` measures).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride / dilation) -> 1x1 with a projection shortcut when the shape changes."""

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        return self.relu(self.bn3(self.conv3(x)) + shortcut)


def _stage(in_channels: int, width: int, blocks: int, stride: int, dilation: int) -> nn.Sequential:
    layers = [Bottleneck(in_channels, width, stride, max(1, dilation // 2) if dilation > 1 else 1)]
    layers += [Bottleneck(width * Bottleneck.expansion, width, 1, dilation) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class ResNet50Dilated(nn.Module):
    """Deep-stem ResNet-50 with dilated stages 3 and 4 (output stride 8); ``forward`` returns the four
    stage outputs of an image in [0, 1] (ImageNet normalisation is applied inside)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = _stage(128, 64, 3, 1, 1)
        self.layer2 = _stage(256, 128, 4, 2, 1)
        self.layer3 = _stage(512, 256, 6, 1, 2)  # dilated instead of strided
        self.layer4 = _stage(1024, 512, 3, 1, 4)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, image: Tensor) -> list[Tensor]:
        x = (image - self.mean) / self.std
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.maxpool(self.relu(self.bn3(self.conv3(x))))
        features = []
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = stage(x)
            features.append(x)
        return features

    def load(self, path: str | Path) -> None:
        """Load ADE20k encoder weights from a local file (safe loader; nothing is ever downloaded)."""
        from wavemix_inpaint.state_dicts import load_state_strict

        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        load_state_strict(self, {key.removeprefix("module."): value for key, value in state.items()}, str(path))


class PerceptualLoss(nn.Module):
    """LaMa's high-receptive-field perceptual loss: mean squared error between the stage outputs of the
    frozen :class:`ResNet50Dilated` for the prediction and for the target, summed over the stages."""

    def __init__(self, weights: str | Path | None = None) -> None:
        super().__init__()
        self.net = ResNet50Dilated().eval().requires_grad_(False)
        if weights:
            self.net.load(weights)

    def forward(self, prediction: Tensor, target: Tensor) -> Tensor:
        with torch.no_grad():
            targets = self.net(target)
        return sum(torch.mean((a - b) ** 2) for a, b in zip(self.net(prediction), targets))
