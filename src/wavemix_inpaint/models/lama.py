"""LaMa's generator (Suvorov et al., WACV 2022): ``FFCResNetGenerator`` with Fast Fourier Convolutions.

Re-implemented from the description in ``shared/research/lama_iopaint.md`` (sections 1.3 and 4.2) with the
**same module layout and state-dict key names as the official generator** (advimman/lama,
``saicinpainting/training/modules/ffc.py`` with ``configs/training/generator/ffc_resnet_075.yaml``), so
official weights load with :func:`load_official_lama`.

Layout (``ngf = 64``, ``n_downsampling = 3``, ``global_ratio = 0.75``), all inside ``self.model``
(an ``nn.Sequential``; the index is the first component of every key)::

    model.0              ReflectionPad2d(3)
    model.1              FFC_BN_ACT 7x7 4 -> 64 (local only)             model.1.ffc.convl2l, model.1.bn_l
    model.2, model.3     FFC_BN_ACT 3x3 stride 2, reflect pad 1: 64 -> 128 -> 256 (local only)
    model.4              FFC_BN_ACT 3x3 stride 2: 256 -> 128 local + 384 global
                         (model.4.ffc.convl2l / convl2g, model.4.bn_l / bn_g)
    model.5 .. 4+n       FFCResnetBlock (conv1, conv2: FFC_BN_ACT 3x3, ratio 0.75 in and out)
                         model.K.convJ.ffc.{convl2l, convl2g, convg2l}.weight (3x3, reflect padding)
                         model.K.convJ.ffc.convg2g.conv1.{0: Conv1x1 384->192, 1: BN}
                         model.K.convJ.ffc.convg2g.fu.{conv_layer: Conv1x1 384->384, bn}
                         model.K.convJ.ffc.convg2g.conv2.weight (Conv1x1 192->384)
                         model.K.convJ.{bn_l, bn_g}
    model.5+n            ConcatTupleLayer (local, global) -> 512 channels
    model.6+n .. 14+n    3 x [ConvTranspose2d 3x3 s2 p1 op1 (bias), BatchNorm2d, ReLU] 512 -> 256 -> 128 -> 64
    model.15+n           ReflectionPad2d(3)
    model.16+n           Conv2d 7x7 64 -> 3 (bias)
    model.17+n           Sigmoid

All FFC convolutions have no bias. ``lama-fourier`` (n = 9) has 27,048,835 parameters and ``big-lama``
(n = 18) 50,975,875.

The Fourier unit runs in float32 even under autocast (cuFFT half precision only supports power-of-two
sizes, and the official model is trained in fp32); its output is float32.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wavemix_inpaint.errors import CheckpointError
from wavemix_inpaint.models.base import InpaintingModel
from wavemix_inpaint.models.registry import create_model, register_model
from wavemix_inpaint.state_dicts import describe_mismatch, load_state_strict

Pair = tuple[Tensor, Tensor | None]


class FourierUnit(nn.Module):
    """Global convolution in the frequency domain.

    ``rfftn`` (ortho) over H, W -> real and imaginary parts **interleaved per channel**
    (re_0, im_0, re_1, im_1, ...) -> 1x1 conv (no bias) + BN + ReLU -> complex -> ``irfftn`` back to H x W.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv_layer = nn.Conv2d(2 * channels, 2 * channels, kernel_size=1, bias=False)
        self.bn = nn.BatchNorm2d(2 * channels)
        self.relu = nn.ReLU(inplace=True)

    @staticmethod
    def spectrum_to_channels(spectrum: Tensor) -> Tensor:
        """``N x C x h x w`` complex -> ``N x 2C x h x w`` real with channels (re_0, im_0, re_1, im_1, ...)."""
        stacked = torch.stack((spectrum.real, spectrum.imag), dim=2)  # N x C x 2 x h x w
        return stacked.flatten(1, 2)

    @staticmethod
    def channels_to_spectrum(x: Tensor) -> Tensor:
        """Inverse of :meth:`spectrum_to_channels`."""
        n, c2, h, w = x.shape
        pairs = x.reshape(n, c2 // 2, 2, h, w)
        return torch.complex(pairs[:, :, 0], pairs[:, :, 1])

    def forward(self, x: Tensor) -> Tensor:
        dtype = x.dtype
        with torch.autocast(device_type=x.device.type, enabled=False):
            size = x.shape[-2:]
            spectrum = torch.fft.rfftn(x.float(), dim=(-2, -1), norm="ortho")
            channels = self.spectrum_to_channels(spectrum).to(self.conv_layer.weight.dtype)
            y = self.relu(self.bn(self.conv_layer(channels)))
            output = torch.fft.irfftn(self.channels_to_spectrum(y.float()), s=size, dim=(-2, -1), norm="ortho")
        return output.to(dtype)


class SpectralTransform(nn.Module):
    """FFC global-to-global path: 1x1 conv (C_in -> C_out/2) + BN + ReLU = y, then 1x1 conv on y + FU(y).

    LaMa disables the local Fourier unit (LFU), so there is none here. ``stride=2`` average-pools first.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        hidden = out_channels // 2
        self.downsample = nn.AvgPool2d(kernel_size=2, stride=2) if stride == 2 else nn.Identity()
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, hidden, kernel_size=1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
        )
        self.fu = FourierUnit(hidden)
        self.conv2 = nn.Conv2d(hidden, out_channels, kernel_size=1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv1(self.downsample(x))
        return self.conv2(y + self.fu(y))


class FFC(nn.Module):
    """Fast Fourier Convolution on a (local, global) pair of tensors.

    ``out_l = convl2l(x_l) + convg2l(x_g)``, ``out_g = convl2g(x_l) + convg2g(x_g)`` (spectral transform).
    A path whose input or output stream is empty is ``None`` (no parameters, like the official
    ``nn.Identity`` placeholders), and an empty stream is passed as ``None``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        ratio_gin: float,
        ratio_gout: float,
        stride: int = 1,
        padding: int = 0,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"FFC stride must be 1 or 2, got {stride}")
        in_cg = int(in_channels * ratio_gin)
        in_cl = in_channels - in_cg
        out_cg = int(out_channels * ratio_gout)
        out_cl = out_channels - out_cg
        self.in_cl, self.in_cg, self.out_cl, self.out_cg = in_cl, in_cg, out_cl, out_cg

        def conv(cin: int, cout: int) -> nn.Conv2d | None:
            if cin == 0 or cout == 0:
                return None
            return nn.Conv2d(cin, cout, kernel_size, stride, padding, bias=False, padding_mode="reflect")

        self.convl2l = conv(in_cl, out_cl)
        self.convl2g = conv(in_cl, out_cg)
        self.convg2l = conv(in_cg, out_cl)
        self.convg2g = SpectralTransform(in_cg, out_cg, stride) if in_cg and out_cg else None

    def forward(self, x: Tensor | Pair) -> tuple[Tensor | None, Tensor | None]:
        x_l, x_g = x if isinstance(x, tuple) else (x, None)
        out_l = out_g = None
        if self.out_cl:
            out_l = _add(
                self.convl2l(x_l) if self.convl2l is not None else None, self.convg2l(x_g) if self.convg2l is not None else None
            )
        if self.out_cg:
            out_g = _add(
                self.convl2g(x_l) if self.convl2g is not None else None, self.convg2g(x_g) if self.convg2g is not None else None
            )
        return out_l, out_g


def _add(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b.to(a.dtype)


class FFC_BN_ACT(nn.Module):  # noqa: N801 - official class name, kept for recognisability
    """:class:`FFC` followed by BatchNorm + ReLU applied separately to the local and global outputs."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        ratio_gin: float,
        ratio_gout: float,
        stride: int = 1,
        padding: int = 0,
    ) -> None:
        super().__init__()
        self.ffc = FFC(in_channels, out_channels, kernel_size, ratio_gin, ratio_gout, stride, padding)
        self.bn_l = nn.BatchNorm2d(self.ffc.out_cl) if self.ffc.out_cl else nn.Identity()
        self.bn_g = nn.BatchNorm2d(self.ffc.out_cg) if self.ffc.out_cg else nn.Identity()
        self.act_l = nn.ReLU(inplace=True)
        self.act_g = nn.ReLU(inplace=True)

    def forward(self, x: Tensor | Pair) -> tuple[Tensor | None, Tensor | None]:
        x_l, x_g = self.ffc(x)
        if x_l is not None:
            x_l = self.act_l(self.bn_l(x_l))
        if x_g is not None:
            x_g = self.act_g(self.bn_g(x_g))
        return x_l, x_g


class FFCResnetBlock(nn.Module):
    """Two 3x3 :class:`FFC_BN_ACT` layers with an identity residual added per stream."""

    def __init__(self, dim: int, ratio: float) -> None:
        super().__init__()
        self.conv1 = FFC_BN_ACT(dim, dim, 3, ratio, ratio, padding=1)
        self.conv2 = FFC_BN_ACT(dim, dim, 3, ratio, ratio, padding=1)

    def forward(self, x: Tensor | Pair) -> tuple[Tensor | None, Tensor | None]:
        x_l, x_g = x if isinstance(x, tuple) else (x, None)
        y_l, y_g = self.conv2(self.conv1((x_l, x_g)))
        return _add(x_l, y_l), _add(x_g, y_g)


class ConcatTupleLayer(nn.Module):
    """(local, global) -> one tensor with the local channels first."""

    def forward(self, x: Tensor | Pair) -> Tensor:
        if not isinstance(x, tuple):
            return x
        x_l, x_g = x
        if x_g is None:
            return x_l
        if x_l is None:
            return x_g
        return torch.cat([x_l, x_g.to(x_l.dtype)], dim=1)


@register_model("lama-tiny", "Minimal LaMa generator for tests: ngf 8, 1 FFC block", n_blocks=1, ngf=8)
@register_model(
    "big-lama",
    "Big LaMa generator (18 FFC blocks), official-weight compatible (load_official_lama): 50,975,875 params",
    n_blocks=18,
)
@register_model(
    "lama-fourier", "LaMa generator (FFC ResNet, 9 blocks, ratio 0.75, sigmoid output): 27,048,835 params", n_blocks=9
)
class FFCResNetGenerator(InpaintingModel):
    """LaMa generator (see the module docstring for the layout and key names).

    Args:
        n_blocks: FFC residual blocks (9 for lama-fourier, 18 for big-lama).
        ngf: width after the 7x7 stem; doubles at each of the ``n_downsampling`` stride-2 convolutions
            (capped at ``max_features``).
        global_ratio: fraction of the bottleneck channels in the global (spectral) stream (0.75).
        in_channels: 4 (masked image + mask), as LaMa's ``input_nc``.
    """

    def __init__(
        self,
        n_blocks: int = 9,
        ngf: int = 64,
        n_downsampling: int = 3,
        max_features: int = 1024,
        global_ratio: float = 0.75,
        in_channels: int = 4,
    ) -> None:
        super().__init__()
        if n_blocks < 0 or n_downsampling < 1:
            raise ValueError(f"need n_blocks >= 0 and n_downsampling >= 1, got {n_blocks}, {n_downsampling}")
        self.size_multiple = 2**n_downsampling
        self.in_channels = in_channels
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), FFC_BN_ACT(in_channels, ngf, 7, 0.0, 0.0)]
        for i in range(n_downsampling):
            ratio_gout = global_ratio if i == n_downsampling - 1 else 0.0
            layers.append(
                FFC_BN_ACT(
                    min(max_features, ngf * 2**i),
                    min(max_features, ngf * 2 ** (i + 1)),
                    3,
                    0.0,
                    ratio_gout,
                    stride=2,
                    padding=1,
                )
            )
        bottleneck = min(max_features, ngf * 2**n_downsampling)
        layers += [FFCResnetBlock(bottleneck, global_ratio) for _ in range(n_blocks)]
        layers.append(ConcatTupleLayer())
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            in_ch, out_ch = min(max_features, ngf * mult), min(max_features, ngf * mult // 2)
            layers += [
                nn.ConvTranspose2d(in_ch, out_ch, kernel_size=3, stride=2, padding=1, output_padding=1),
                nn.BatchNorm2d(out_ch),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, kernel_size=7), nn.Sigmoid()]
        self.model = nn.Sequential(*layers)

    def predict(self, masked: Tensor, mask: Tensor) -> Tensor:
        parts = [masked, mask]
        if self.in_channels == 5:
            parts.append(torch.ones_like(mask))
        x = torch.cat(parts, dim=1)
        # Reflect padding needs a bottleneck of at least 2 x 2: replicate-pad tiny inputs, crop back.
        height, width = x.shape[-2:]
        minimum = 2 * self.size_multiple
        if height < minimum or width < minimum:
            x = F.pad(x, (0, max(0, minimum - width), 0, max(0, minimum - height)), mode="replicate")
        return self.model(x)[..., :height, :width]


# --------------------------------------------------------------------------- official weights

CONVERT_SNIPPET = """\
# Run once, in an environment you trust, with omegaconf and pytorch_lightning installed
# (the official LaMa .ckpt pickles its Hydra config and Lightning objects):
import torch
from safetensors.torch import save_file
ckpt = torch.load("big-lama/models/best.ckpt", map_location="cpu", weights_only=False)  # trusted file only
save_file({k: v.contiguous() for k, v in ckpt["state_dict"].items() if k.startswith("generator.")},
          "big-lama-generator.safetensors")"""

_RESBLOCK_KEY = re.compile(r"^model\.(\d+)\.conv1\.")


def _infer_lama_config(state: Mapping[str, Tensor]) -> dict[str, Any]:
    """Recover ``n_blocks``, ``ngf`` and ``in_channels`` from official generator keys."""
    stem = state.get("model.1.ffc.convl2l.weight")
    if stem is None or stem.ndim != 4:
        raise CheckpointError("not a LaMa FFCResNetGenerator state dict: 'model.1.ffc.convl2l.weight' is missing")
    blocks = {int(match.group(1)) for key in state if (match := _RESBLOCK_KEY.match(key))}
    return {"n_blocks": len(blocks), "ngf": int(stem.shape[0]), "in_channels": int(stem.shape[1])}


def convert_lama_state_dict(state: Mapping[str, Any], name: str | None = None) -> dict[str, Tensor]:
    """Turn an official LaMa checkpoint ``state_dict`` into this module's generator state dict.

    Accepts the Lightning checkpoint's ``state_dict`` (or the whole checkpoint dict holding one): keys
    ``generator.*`` are kept with the prefix stripped; every other key (``discriminator.*``,
    ``loss_resnet_pl.*``, ``val_evaluator.*``, ``test_evaluator.*``...) is dropped. A state dict that is
    already generator-only (keys ``model.*``) is accepted as is.

    The result is validated against the architecture (``name``'s preset, or, when ``name`` is None, a
    generator with the ``n_blocks``/``ngf`` read from the keys): missing, unexpected or mis-shaped keys
    raise :class:`CheckpointError`.
    """
    if "state_dict" in state and isinstance(state["state_dict"], Mapping):
        state = state["state_dict"]
    if any(key.startswith("generator.") for key in state):
        converted = {key[len("generator.") :]: value for key, value in state.items() if key.startswith("generator.")}
    else:
        converted = {key: value for key, value in state.items() if key.startswith("model.")}
    if not converted:
        raise CheckpointError("no LaMa generator weights found (expected keys 'generator.model.*' or 'model.*')")
    bad = sorted(key for key, value in converted.items() if not isinstance(value, Tensor))
    if bad:
        raise CheckpointError(f"LaMa state dict entries are not tensors: {', '.join(bad[:5])}")
    overrides = {} if name is not None else _infer_lama_config(converted)
    with torch.device("meta"):  # shapes only, nothing allocated
        expected = create_model(name or "lama-fourier", **overrides).state_dict()
    problem = describe_mismatch(expected, converted)
    if problem:
        raise CheckpointError(f"LaMa generator state dict does not match the architecture: {problem}")
    return converted


def read_lama_checkpoint(path: str | Path) -> Mapping[str, Any]:
    """Read an official LaMa checkpoint without unpickling arbitrary objects.

    ``.safetensors`` files are read directly; anything else goes through
    ``torch.load(path, map_location="cpu", weights_only=True)``. A file that needs full unpickling (the
    official Lightning ``best.ckpt`` stores its Hydra config) raises :class:`CheckpointError` with the
    conversion snippet (:data:`CONVERT_SNIPPET`).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"LaMa checkpoint not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as error:
            raise CheckpointError(f"{path} is not a readable safetensors file ({error})") from None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, AttributeError, TypeError, ValueError, EOFError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path} cannot be loaded safely with torch.load(weights_only=True) ({first_line}). "
            "The official LaMa checkpoint pickles its training configuration, and this library never "
            "unpickles arbitrary objects. Convert it once to plain tensors:\n" + CONVERT_SNIPPET
        ) from None
    if not isinstance(loaded, Mapping):
        raise CheckpointError(f"{path} does not hold a state dict (got {type(loaded).__name__})")
    return loaded


def load_official_lama(path: str | Path, name: str = "big-lama") -> FFCResNetGenerator:
    """Build preset ``name`` and load official LaMa generator weights into it (eval mode, float32).

    ``path`` is a Lightning checkpoint loadable with ``weights_only=True``, a plain ``{"state_dict": ...}``
    or state-dict file, or a ``.safetensors`` file made with :data:`CONVERT_SNIPPET`. The returned model
    was built with :func:`create_model`, so :func:`wavemix_inpaint.checkpoint.save_checkpoint` can store it
    in this library's format.
    """
    state = convert_lama_state_dict(read_lama_checkpoint(path), name=name)
    model = create_model(name)
    if not isinstance(model, FFCResNetGenerator):
        raise CheckpointError(f"model {name!r} is not a LaMa generator")
    load_state_strict(model, state, str(path))
    return model.eval()
