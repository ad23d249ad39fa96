"""WaveMix inpainting network (Kumar, Jeevan & Sethi, ICLR 2023 Tiny Papers).

Layer-by-layer this follows the authors' March-2023 code as documented in
``shared/research/wavemix.md`` section 8, with the paper's 4-channel input
(masked image + mask; the code's extra all-ones channel is available as ``in_channels=5``).

Structure::

    WaveMixInpainter: e0 = masked image; e_k = Module_k(e_{k-1}, mask) + e_{k-1}; output = composite(e_N)
    WaveMixModule:    stem (3x3 conv, strided 3x3 conv) -> B x [x + WaveMixBlock(x)] -> concat skip
                      -> ConvT up -> ConvT 3x3 -> BN -> concat current estimate -> 5x5 conv to RGB
    WaveMixBlock:     1x1 conv C -> C/4 -> Haar DWT tokens (levels 1..L, parallel) -> shared MLP
                      -> per-level ConvT back to full size -> concat -> depthwise 5x5 -> GELU -> BN

Deviations from the authors' code (documented choices):

* Inputs of any size are replicate-padded to a multiple of ``stem_stride * 2**dwt_levels`` and
  cropped back (the authors' code needs 96x96).
* ``stem_stride`` generalises the "input size reduction" ablation: 1 (none), 2 (paper) or 4.
* Multi-level DWT uses the authors' "parallel" design (shared MLP, one strided ConvT per level);
  when C is not divisible by L the first level gets the remainder channels.
* Extension (off in the paper presets): ``prefill`` starts the module chain from a parameter-free
  fill of the holes (:mod:`wavemix_inpaint.models.prefill`: ``push-pull`` or OpenCV ``telea``) instead
  of zeros, and zero-initialises each module's output conv so the untrained network returns exactly that
  fill; training then learns a correction. This makes small, briefly (CPU-)trained models start from a
  classical method's quality instead of from scratch (the bundled default uses ``telea``).
"""

from __future__ import annotations

import re

import torch
from torch import Tensor, nn

from wavemix_inpaint.models.base import InpaintingModel
from wavemix_inpaint.models.haar import haar_tokens
from wavemix_inpaint.models.prefill import PREFILLS
from wavemix_inpaint.models.registry import register_model
from wavemix_inpaint.pretrained import register_pretrained


class WaveMixBlock(nn.Module):
    """Tiny-paper-era WaveMix block (the caller adds the residual)."""

    def __init__(self, dim: int, ff_channels: int, mult: int = 2, dwt_levels: int = 1, dropout: float = 0.5) -> None:
        super().__init__()
        if dim % 4:
            raise ValueError(f"embed_dim must be divisible by 4, got {dim}")
        self.dwt_levels = dwt_levels
        self.reduction = nn.Conv2d(dim, dim // 4, kernel_size=1)
        self.mlp = nn.Sequential(
            nn.Conv2d(dim, dim * mult, kernel_size=1),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Conv2d(dim * mult, ff_channels, kernel_size=1),
            nn.BatchNorm2d(ff_channels),
        )
        split = [dim // dwt_levels] * dwt_levels
        split[0] += dim - sum(split)
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(ff_channels, channels, kernel_size=2**level + 2, stride=2**level, padding=1)
            for level, channels in enumerate(split, start=1)
        )
        self.mix = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=5, padding=2, groups=dim),
            nn.GELU(),
            nn.BatchNorm2d(dim),
        )

    def forward(self, x: Tensor) -> Tensor:
        tokens = haar_tokens(self.reduction(x), self.dwt_levels)
        mixed = [up(self.mlp(token)) for up, token in zip(self.upsample, tokens)]
        return self.mix(mixed[0] if len(mixed) == 1 else torch.cat(mixed, dim=1))


def _down_conv(in_ch: int, out_ch: int, stride: int) -> nn.Conv2d:
    """Stem conv that divides the resolution by ``stride`` (3x3 for stride <= 2, (s+1)x(s+1) otherwise)."""
    kernel = 3 if stride <= 2 else stride + 1
    return nn.Conv2d(in_ch, out_ch, kernel_size=kernel, stride=stride, padding=kernel // 2)


def _up_conv(in_ch: int, out_ch: int, stride: int) -> nn.ConvTranspose2d:
    """Transposed conv that multiplies the resolution by ``stride`` (4x4/s2/p1 for the paper's stride 2)."""
    if stride == 1:
        return nn.ConvTranspose2d(in_ch, out_ch, kernel_size=3, stride=1, padding=1)
    return nn.ConvTranspose2d(in_ch, out_ch, kernel_size=2 * stride, stride=stride, padding=stride // 2)


class WaveMixModule(nn.Module):
    """One encoder-blocks-decoder stage refining the current estimate (residual added by the caller)."""

    def __init__(
        self,
        in_channels: int,
        dim: int,
        ff_channels: int,
        mult: int,
        blocks: int,
        dwt_levels: int,
        stem_stride: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, dim // 2, kernel_size=3, padding=1),
            _down_conv(dim // 2, dim, stem_stride),
        )
        self.blocks = nn.ModuleList(WaveMixBlock(dim, ff_channels, mult, dwt_levels, dropout) for _ in range(blocks))
        self.decoder = nn.Sequential(
            _up_conv(2 * dim, dim // 2, stem_stride),
            nn.ConvTranspose2d(dim // 2, dim // 2, kernel_size=3, padding=1),
            nn.BatchNorm2d(dim // 2),
        )
        self.head = nn.Conv2d(dim // 2 + 3, 3, kernel_size=5, padding=2)

    def forward(self, estimate: Tensor, mask: Tensor) -> Tensor:
        inputs = [estimate, mask]
        if self.in_channels == 5:
            inputs.insert(1, torch.ones_like(mask))
        skip = self.stem(torch.cat(inputs, dim=1))
        x = skip
        for block in self.blocks:
            x = x + block(x)
        x = self.decoder(torch.cat((x, skip), dim=1))
        return self.head(torch.cat((x, estimate), dim=1))


@register_model(
    "wavemix-tiny",
    "Minimal WaveMix for tests and quick experiments: 1 module x 2 blocks, C=32, dropout 0",
    embed_dim=32,
    blocks_per_module=2,
    num_modules=1,
    dropout=0.0,
)
@register_model(
    "wavemix-small",
    "CPU-friendly WaveMix: 2 modules x 5 blocks, C=32, no dropout, refining an OpenCV Telea prefill (the bundled "
    "default is this grown to 2 x 9 blocks)",
    embed_dim=32,
    blocks_per_module=5,
    num_modules=2,
    dropout=0.0,
    prefill="telea",
)
@register_model(
    "wavemix-14m", "WaveMix with 5 modules x 7 blocks, C=128: a true 13.67 M params (the paper's '14M')", num_modules=5
)
@register_model(
    "wavemix-paper",
    "WaveMix as trained by the authors: 4 modules x 7 blocks, C=128 (10.93 M params; the paper's '14M' is a "
    "torchsummary double count)",
)
class WaveMixInpainter(InpaintingModel):
    """Multi-module WaveMix inpainting network with final compositing.

    Args:
        embed_dim: channels C inside the blocks (divisible by 4).
        ff_channels: MLP output channels F (defaults to ``embed_dim``).
        mult: MLP expansion factor.
        blocks_per_module: WaveMix blocks B in each module.
        num_modules: modules N applied in series, each refining the previous estimate.
        dwt_levels: Haar levels L per block (parallel variant).
        stem_stride: resolution reduction of the stem (1, 2 or 4; 2 in the paper).
        dropout: dropout inside the block MLP (0.5 as in the authors' code).
        in_channels: 4 (masked RGB + mask, the paper) or 5 (adds the authors' all-ones channel).
        prefill: first estimate of the hole: ``none`` (zeros, the paper), ``push-pull`` or ``telea``.
    """

    def __init__(
        self,
        embed_dim: int = 128,
        ff_channels: int | None = None,
        mult: int = 2,
        blocks_per_module: int = 7,
        num_modules: int = 4,
        dwt_levels: int = 1,
        stem_stride: int = 2,
        dropout: float = 0.5,
        in_channels: int = 4,
        prefill: str = "none",
    ) -> None:
        super().__init__()
        if prefill != "none" and prefill not in PREFILLS:
            raise ValueError(f"prefill must be none or one of {sorted(PREFILLS)}, got {prefill!r}")
        self.prefill = prefill
        if in_channels not in (4, 5):
            raise ValueError(f"in_channels must be 4 or 5, got {in_channels}")
        if stem_stride not in (1, 2, 4):
            raise ValueError(f"stem_stride must be 1, 2 or 4, got {stem_stride}")
        if dwt_levels < 1 or num_modules < 1 or blocks_per_module < 0:
            raise ValueError("dwt_levels and num_modules must be >= 1 and blocks_per_module >= 0")
        self.size_multiple = stem_stride * 2**dwt_levels
        self.stages = nn.ModuleList(
            WaveMixModule(
                in_channels,
                embed_dim,
                ff_channels or embed_dim,
                mult,
                blocks_per_module,
                dwt_levels,
                stem_stride,
                dropout,
            )
            for _ in range(num_modules)
        )
        if prefill != "none":  # start exactly at the prefill; training learns the correction
            for stage in self.stages:
                nn.init.zeros_(stage.head.weight)
                nn.init.zeros_(stage.head.bias)

    def grow_from(self, tensors: dict[str, Tensor]) -> list[str]:
        """Load the weights of a *smaller* WaveMix (fewer modules, fewer blocks per module and/or a
        smaller ``embed_dim``) so that this network computes exactly the same function, then train the
        new parts.

        Every new block gets its last BatchNorm zeroed, so it adds nothing to its residual stream, and
        every new module its output convolution (the residual chain then passes its estimate through
        unchanged). New channels (a wider network, see :func:`widen_state`) keep their random start but
        are not read by the old ones until training says so. Returns the names of the parameters with
        new parts (all of them when widened).
        Raises ``ValueError`` if ``tensors`` do not fit (a part this network does not have).
        """
        own = self.state_dict()
        width = "stages.0.stem.1.weight"  # (embed_dim, embed_dim / 2, 3, 3)
        widened = width in tensors and tensors[width].shape[0] != own[width].shape[0]
        if widened:
            tensors = widen_state(tensors, own, tensors[width].shape[0], own[width].shape[0])
        misfits = [key for key, value in tensors.items() if key not in own or own[key].shape != value.shape]
        if misfits:
            raise ValueError(f"cannot grow from these weights: {len(misfits)} do not fit, e.g. {misfits[0]}")
        with torch.no_grad():
            for index, stage in enumerate(self.stages):
                if f"stages.{index}.head.weight" not in tensors:
                    nn.init.zeros_(stage.head.weight)
                    nn.init.zeros_(stage.head.bias)
                for number, block in enumerate(stage.blocks):
                    if f"stages.{index}.blocks.{number}.mix.2.weight" not in tensors:
                        nn.init.zeros_(block.mix[2].weight)
                        nn.init.zeros_(block.mix[2].bias)
        self.load_state_dict({**self.state_dict(), **tensors})
        return sorted(key for key in own if key not in tensors or widened)

    def initial_estimate(self, masked: Tensor, mask: Tensor) -> Tensor:
        """The estimate the first module refines: the masked image, or its prefilled version."""
        return masked if self.prefill == "none" else PREFILLS[self.prefill](masked, mask)

    def refine(self, estimate: Tensor, mask: Tensor) -> Tensor:
        """Run the module chain on an initial estimate."""
        for stage in self.stages:
            estimate = stage(estimate, mask) + estimate
        return estimate

    def predict(self, masked: Tensor, mask: Tensor, estimate: Tensor | None = None) -> Tensor:
        """Refine ``estimate`` (default: :meth:`initial_estimate`, i.e. the prefill computed here)."""
        return self.refine(self.initial_estimate(masked, mask) if estimate is None else estimate, mask)


#: channel layouts (see :func:`_old_positions`) of each layer of a WaveMix module: (output, input,
#: transposed). ``None`` = the same on both sides (the input, RGB and depthwise axes); biases and BatchNorm
#: vectors follow the output. Conv weights are (out, in, ...), transposed convs (in, out, ...).
_LAYOUTS: dict[str, tuple[str | None, str | None, bool]] = {
    "stem.0": ("half", None, False),
    "stem.1": ("full", "half", False),
    "reduction": ("quarter", "full", False),
    "mlp.0": ("hidden", "tokens", False),
    "mlp.3": ("full", "hidden", False),
    "mlp.4": ("full", None, False),  # BatchNorm
    "upsample.0": ("full", "full", True),
    "mix.0": ("full", None, False),  # depthwise: each channel reads only itself
    "mix.2": ("full", None, False),  # BatchNorm
    "decoder.0": ("half", "skip", True),
    "decoder.1": ("half", "half", True),
    "decoder.2": ("half", None, False),  # BatchNorm
    "head": (None, "head", False),
}


def _old_positions(layout: str | None, old: int, new: int, size: int) -> Tensor:
    """Where the channels of an axis of width ``old`` sit on the same axis of width ``new``.

    Concatenations keep their parts in order, so the old channels of a later part move up: the Haar
    tokens are ``[LL (C/4), details (3 C/4, channel-major)]``, the decoder reads ``[blocks (C), stem
    skip (C)]`` and the head ``[decoder (C/2), estimate (3)]``.
    """
    arange = torch.arange
    if layout is None:
        return arange(size)
    parts = {
        "full": [arange(old)],
        "half": [arange(old // 2)],
        "quarter": [arange(old // 4)],
        "hidden": [arange(size * old // new)],  # the MLP's mult x C
        "tokens": [arange(old // 4), new // 4 + arange(3 * old // 4)],
        "skip": [arange(old), new + arange(old)],
        "head": [arange(old // 2), new // 2 + arange(3)],
    }[layout]
    return torch.cat(parts)


def widen_state(tensors: dict[str, Tensor], own: dict[str, Tensor], old: int, new: int) -> dict[str, Tensor]:
    """``tensors`` of a WaveMix with ``embed_dim`` ``old`` written into the wider ``own`` (``new``).

    The old channels compute exactly what they did: they keep their weights, and every weight from a new
    input channel to an old output channel is zero. The new channels keep ``own``'s random start, so they
    carry signal from the first step and the zero weights reading them get gradients (Net2Net's
    function-preserving growth, with zeros instead of copies). Needs one DWT level and ``ff_channels`` =
    ``embed_dim`` (the presets); raises ``ValueError`` otherwise or when ``new < old``.
    """
    if new < old or old % 4 or new % 4:
        raise ValueError(f"cannot widen embed_dim {old} to {new}")
    wide = {}
    for key, value in tensors.items():
        target = own.get(key)
        if target is None or target.dim() != value.dim():
            raise ValueError(f"cannot grow from these weights: {key} does not fit")
        if value.dim() == 0:  # a BatchNorm's step count
            wide[key] = value.clone()
            continue
        layer = re.sub(r"^stages\.\d+\.(blocks\.\d+\.)?", "", key).rsplit(".", 1)[0]
        if layer not in _LAYOUTS or (layer == "upsample.0" and value.dim() > 1 and target.shape[0] != target.shape[1]):
            raise ValueError(f"cannot widen {key}: widening needs ff_channels = embed_dim and one DWT level")
        output, inputs, transposed = _LAYOUTS[layer]
        layouts = ((inputs, output) if transposed else (output, inputs)) if value.dim() > 1 else (output,)
        layouts += (None,) * (value.dim() - len(layouts))
        positions = [_old_positions(layout, old, new, size) for layout, size in zip(layouts, target.shape)]
        if any(len(p) != size for p, size in zip(positions, value.shape)):
            raise ValueError(f"cannot grow from these weights: {key} does not fit")
        result = target.detach().clone()
        result[torch.meshgrid(*positions, indexing="ij")] = value.to(result.dtype)
        if value.dim() > 1:  # no new input channel feeds an old output channel
            out_axis, in_axis = (1, 0) if transposed else (0, 1)
            is_old_output = torch.zeros(target.shape[out_axis], dtype=torch.bool)
            is_old_output[positions[out_axis]] = True
            is_new_input = torch.ones(target.shape[in_axis], dtype=torch.bool)
            is_new_input[positions[in_axis]] = False
            cross = is_old_output[:, None] & is_new_input[None, :]
            result[cross.T if transposed else cross] = 0
        wide[key] = result
    return wide


register_pretrained(
    "default",
    "default.safetensors",
    "wavemix-small grown to 2 x 9 blocks (443,800 params; a WaveMix correction on top of an OpenCV Telea fill), "
    "trained mostly on 2 CPU cores on 96x96 crops of BSDS500 train + a 1,000-photo ImageNet sample with LaMa masks; "
    "see weights/MODEL_CARD.md",
)
