"""High-level inference: :class:`Inpainter` fills the holes of PIL images, numpy arrays or tensors.

>>> from wavemix_inpaint import Inpainter
>>> inpainter = Inpainter.from_pretrained()              # bundled weights, device="auto"
>>> result = inpainter(image, mask)                      # same type (and dtype) as ``image``

Conventions: masks mark holes with 1 / 255 / ``True`` / white (opaque alpha for RGBA masks);
``invert_mask=True`` accepts masks that mark the pixels to keep. Outputs are composited: pixels
outside the hole are returned exactly as given (bit for bit for integer images).

Large images (``strategy``):

* ``"crop"`` (default): when the long side exceeds ``crop_trigger`` (800 px), each connected hole
  region is inpainted in its own window -- its bounding box grown by ``crop_margin`` (128 px) on
  each side, shifted inward at the image borders to keep the context; windows that overlap are
  merged. Smaller images are processed whole.
* ``"resize"``: when the long side exceeds ``resize_limit`` (1280 px), image and mask are
  downscaled (bicubic with antialiasing; a pixel is a hole if any of its area is), inpainted,
  the result is upscaled (bicubic) and only hole pixels are pasted.
* ``"full"``: the whole image at once (padded to the model's size multiple).
"""

from __future__ import annotations

import inspect
import os
import warnings
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from wavemix_inpaint.device import autocast, select_device
from wavemix_inpaint.errors import InputError, NothingKnownError, SizeMismatchError
from wavemix_inpaint.imageio import DEFAULT_MAX_PIXELS, format_for_path, prepare_mask, read_image, read_mask, save_image
from wavemix_inpaint.inference import FillResult, InpaintOptions, fill, fuse_conv_bn
from wavemix_inpaint.masks.io import binarize_mask, mask_from_image
from wavemix_inpaint.models import count_parameters
from wavemix_inpaint.models.pyramid import pyramid_levels

Strategy = Literal["crop", "full", "resize"]
PRECISIONS = ("fp32", "bf16")

ImageLike = Image.Image | np.ndarray | Tensor
MaskLike = Image.Image | np.ndarray | Tensor | str | os.PathLike
_LUMA = (0.299, 0.587, 0.114)


EMPTY_MASK_NOTICE = "the mask marks no pixel to fill: the image is returned unchanged"
ONNX_COARSE_TO_FINE_NOTICE = (
    "coarse-to-fine filling is not available with this ONNX model (its graph computes its own first estimate "
    "and takes no coarser one): this large hole was filled at full resolution, unlike with the PyTorch model"
)


class InpaintNotice(UserWarning):
    """Something the user should know about how a result was made (it is still a valid result)."""


def _options(options: Any, changes: dict[str, Any]) -> InpaintOptions:
    """``options`` (an InpaintOptions or None) updated by keyword ``changes``; anything else is refused."""
    if options is not None and not isinstance(options, InpaintOptions):
        raise InputError(
            f"options must be an InpaintOptions, got {type(options).__name__} {options!r}; "
            "or give its fields as keywords, e.g. strategy='full'"
        )
    return (options or InpaintOptions()).replace(**changes)


def _size_mismatch(mask_shape: tuple[int, ...], image_shape: tuple[int, ...]) -> SizeMismatchError:
    (mh, mw), (ih, iw) = mask_shape[-2:], image_shape[-2:]
    return SizeMismatchError(f"mask is {mw}x{mh} but the image is {iw}x{ih} (width x height)")


def check_something_known(holes: np.ndarray) -> None:
    """Refuse masks that leave no known pixel in an image: there is nothing to inpaint from."""
    for index, hole in enumerate(holes.reshape(-1, *holes.shape[-2:])):
        if hole.all():
            where = f" (image {index})" if len(holes) > 1 else ""
            raise NothingKnownError(
                f"the mask covers the whole image{where}: nothing is known, so nothing can be inpainted "
                "(white = fill; use --invert-mask / invert_mask=True if your mask marks the pixels to keep)"
            )


class InpaintBackend(Protocol):
    """What :class:`Inpainter` needs from a network: ``backend(image, mask) -> composited image``
    on ``N x 3 x H x W`` float32 CPU tensors in [0, 1] and ``N x 1 x H x W`` {0, 1} masks. A backend
    with ``takes_estimate`` true is also called as ``backend(image, mask, estimate)`` (coarse to fine)."""

    size_multiple: int

    def __call__(self, image: Tensor, mask: Tensor) -> Tensor: ...


# --------------------------------------------------------------------------------------- conversions


#: the float tensor types an image may be given in (float8 types cannot even be checked for NaN)
_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _check_float(values: np.ndarray | Tensor, what: str = "image") -> None:
    finite = torch.isfinite(values).all() if isinstance(values, Tensor) else np.isfinite(values).all()
    if not bool(finite):
        raise InputError(f"{what} contains NaN or infinite values")
    low, high = float(values.min()), float(values.max())
    if low < -1e-3 or high > 1 + 1e-3:
        raise InputError(f"float {what} values must be in [0, 1], got [{low:g}, {high:g}] (divide 8-bit values by 255)")


def _scale_of(dtype: Any) -> float | None:
    """255 / 65535 for integer images, ``None`` for float images."""
    if isinstance(dtype, torch.dtype):
        return 255.0 if dtype == torch.uint8 else None
    return {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(np.dtype(dtype))


def _mask_to_array(mask: MaskLike, count: int) -> np.ndarray:
    """Any accepted mask form -> bool array ``count x H x W`` (or ``1 x H x W`` to broadcast)."""
    if isinstance(mask, (str, os.PathLike)):
        return read_mask(mask)[None] > 0.5
    if isinstance(mask, Image.Image):
        return mask_from_image(mask, source="mask image")[None] > 0.5
    if isinstance(mask, Tensor):
        array = mask.detach().cpu()
        array = (array.float() if array.dtype in (torch.float16, torch.bfloat16) else array).numpy()
    elif isinstance(mask, np.ndarray):
        array = mask
    else:
        raise InputError(f"mask must be a PIL image, numpy array, torch tensor or file path, not {type(mask).__name__}")
    if array.dtype.kind not in "biuf":
        raise InputError(f"mask must hold numbers or booleans, got {array.dtype}")
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    elif array.ndim == 3 and array.shape[-1] == 1 and array.shape[0] != 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[0] not in (1, count):
        raise InputError(f"mask has shape {tuple(mask.shape)}; expected H x W, 1 x H x W or N x 1 x H x W (N = {count})")
    return np.stack([binarize_mask(sample, source="mask") > 0.5 for sample in array])


class _Converted:
    """An input image as a float32 ``N x 3 x H x W`` CPU tensor, and how to give the result back."""

    def __init__(self, image: ImageLike) -> None:
        self.source = image
        if isinstance(image, Image.Image):
            self._init_pil(image)
        elif isinstance(image, np.ndarray):
            self._init_numpy(image)
        elif isinstance(image, Tensor):
            self._init_tensor(image)
        else:
            raise InputError(f"image must be a PIL image, numpy array or torch tensor, not {type(image).__name__}")

    # PIL: RGB, RGBA, L and LA come back in their own mode; other modes come back as RGB / RGBA.
    def _init_pil(self, image: Image.Image) -> None:
        mode = image.mode
        if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
            raise InputError(f"PIL mode {mode} (16/32-bit) is not supported here: use imageio.read_image or a uint16 numpy array")
        if mode == "La":  # premultiplied grey + alpha: Pillow converts it to LA only
            image, mode = image.convert("LA"), "LA"
        has_alpha = mode in ("PA", "RGBa") or "transparency" in image.info  # (a tRNS key colour too)
        if mode not in ("RGB", "RGBA", "L", "LA") or "transparency" in image.info:
            image = image.convert("RGBA" if has_alpha else "RGB")
        self.pil_mode = image.mode
        self._init_numpy(np.asarray(image))
        self.kind = "pil"

    def _init_numpy(self, array: np.ndarray) -> None:
        self.kind = "numpy"
        if not array.dtype.isnative:  # big-endian data (some TIFF / FITS readers); given back as it came
            array = array.astype(array.dtype.newbyteorder("="))
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[..., 0]
        if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (2, 3, 4))):
            raise InputError(f"numpy image must be H x W, H x W x 3 or H x W x 4 (or x 2: grey + alpha), got shape {array.shape}")
        if array.dtype not in (np.uint8, np.uint16) and array.dtype.kind != "f":
            raise InputError(f"numpy image must be uint8, uint16 or float in [0, 1], got {array.dtype}")
        if array.size == 0:
            raise InputError(f"numpy image is empty: shape {array.shape}")
        if array.dtype.kind == "f":
            _check_float(array)
        self.array = array
        self.grey = array.ndim == 2 or array.shape[2] == 2
        self.scale = _scale_of(array.dtype)
        grey = array if array.ndim == 2 else array[..., 0]
        rgb = np.repeat(grey[..., None], 3, axis=2) if self.grey else array[..., :3]
        values = torch.from_numpy(np.ascontiguousarray(rgb).astype(np.float32)).permute(2, 0, 1)[None]
        self.tensor = values / self.scale if self.scale else values.clamp(0, 1)

    def _init_tensor(self, tensor: Tensor) -> None:
        self.kind = "tensor"
        self.batched = tensor.ndim == 4
        if tensor.ndim not in (3, 4) or tensor.shape[-3] not in (1, 3):
            raise InputError(f"tensor image must be 3 x H x W or N x 3 x H x W (or 1 channel), got {tuple(tensor.shape)}")
        if tensor.dtype != torch.uint8 and tensor.dtype not in _FLOATS:
            raise InputError(f"tensor image must be float16/bfloat16/float32/float64 in [0, 1] or uint8, got {tensor.dtype}")
        if tensor.numel() == 0:
            raise InputError(f"tensor image is empty: shape {tuple(tensor.shape)}")
        values = tensor.detach()
        if values.dtype.is_floating_point:
            _check_float(values)
        self.tensor_in = values if self.batched else values[None]
        self.grey = values.shape[-3] == 1
        self.scale = _scale_of(values.dtype)
        rgb = self.tensor_in.to("cpu", torch.float32)
        rgb = rgb / self.scale if self.scale else rgb.clamp(0, 1)
        self.tensor = rgb.expand(-1, 3, -1, -1).contiguous() if self.grey else rgb

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.tensor.shape[-2]), int(self.tensor.shape[-1])

    def copy(self) -> ImageLike:
        source = self.source
        if isinstance(source, Image.Image):  # in the mode a filled result would have
            return source.copy() if source.mode == self.pil_mode else source.convert(self.pil_mode)
        if isinstance(source, np.ndarray):
            return source.copy()
        return source.clone()

    def restore(self, filled: Tensor, hole: np.ndarray) -> ImageLike:
        """``filled`` (N x 3 x H x W float in [0, 1]) inside ``hole`` (N x H x W), the input elsewhere."""
        if self.grey:
            weights = torch.tensor(_LUMA, dtype=filled.dtype).view(1, 3, 1, 1)
            filled = (filled * weights).sum(dim=1, keepdim=True)
        if self.kind == "tensor":
            source = self.tensor_in
            fill = filled.to(source.device)
            fill = (fill * self.scale).round().clamp(0, self.scale).to(source.dtype) if self.scale else fill.to(source.dtype)
            where = torch.from_numpy(hole)[:, None].to(source.device)
            out = torch.where(where, fill, source)
            return out if self.batched else out[0]
        # only the hole's pixels are converted: a 12-megapixel photo with a small hole stays cheap
        fill = filled[0].permute(1, 2, 0).numpy()[hole[0]]  # K x 3 (K x 1 for grey)
        if self.grey:
            fill = fill[..., 0]
        array = self.array
        if self.scale:
            fill = np.clip(np.rint(fill.astype(np.float64) * self.scale), 0, self.scale).astype(array.dtype)
        else:
            fill = fill.astype(array.dtype)
        out = array.copy()
        if array.ndim == 2:
            out[hole[0]] = fill
        elif self.grey:  # grey + alpha
            out[..., 0][hole[0]] = fill
        else:
            out[..., :3][hole[0]] = fill
        if self.kind == "pil":
            result = Image.fromarray(out, self.pil_mode)
            if self.source.mode == self.pil_mode:  # ICC profile, dpi...: still true of these pixels
                result.info.update(self.source.info)
            return result
        return out.reshape(self.source.shape).astype(self.source.dtype, copy=False)  # H x W x 1, byte order


# --------------------------------------------------------------------------------------- the inpainter


class Inpainter:
    """Inpaint images with a WaveMix model (PyTorch) or an exported ONNX model.

    Args:
        model: an :class:`~wavemix_inpaint.models.InpaintingModel` (put in eval mode and moved to
            ``device``), or a backend such as :class:`~wavemix_inpaint.onnx_runtime.OnnxInpainter`.
        device: ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``.
    """

    def __init__(
        self, model: torch.nn.Module | InpaintBackend, device: str | torch.device = "auto", precision: str = "fp32"
    ) -> None:
        if precision not in PRECISIONS:
            raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.precision = precision
        self.model: torch.nn.Module | None
        if isinstance(model, torch.nn.Module):
            try:  # the pipeline calls model(image, mask) and, to refine, model(image, mask, estimate=...)
                inspect.signature(model.forward).bind(None, None)
            except (TypeError, ValueError):
                raise InputError(
                    f"{type(model).__name__} cannot inpaint: its forward must take (image, mask) (N x 3 x H x W, "
                    "N x 1 x H x W; optionally estimate=), as the models of create_model() do"
                ) from None
            self.device = device if isinstance(device, torch.device) else select_device(device)
            self.parameters = count_parameters(model)  # the trained network's, as `models` and the model card give it
            # BatchNorms folded into their convolutions, and channels_last (NHWC) so that oneDNN / cuDNN pick
            # their fastest convolution kernels (docs/performance.md)
            self.model = fuse_conv_bn(model).to(self.device, memory_format=torch.channels_last)
            self.backend: InpaintBackend | None = None
            self.size_multiple = int(getattr(model, "size_multiple", 1))
            self.name = str(getattr(model, "model_name", None) or type(model).__name__)
            self.description = self.name
        elif callable(model):
            self.model, self.backend = None, model
            self.parameters = None
            self.device = torch.device("cpu")
            self.size_multiple = int(getattr(model, "size_multiple", 1))
            self.description = str(getattr(model, "description", type(model).__name__))
            self.name = self.description.split(" (")[0]
        else:
            raise InputError(f"model must be a torch module or an inpainting backend, not {type(model).__name__}")

    def __repr__(self) -> str:
        return f"Inpainter({self.description}, device={self.device})"

    # -- constructors -------------------------------------------------------------------------------

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, device: str | torch.device = "auto", precision: str = "fp32") -> Inpainter:
        """Load a ``.safetensors`` checkpoint written by ``save_checkpoint`` / ``wavemix-inpaint train``."""
        from wavemix_inpaint.checkpoint import load_model

        inpainter = cls(load_model(path), device, precision)
        inpainter.description = f"{inpainter.name} ({Path(path).name})"
        return inpainter

    @classmethod
    def from_pretrained(cls, name: str = "default", device: str | torch.device = "auto", precision: str = "fp32") -> Inpainter:
        """Load bundled weights by name (see :func:`wavemix_inpaint.pretrained.list_pretrained`)."""
        from wavemix_inpaint.pretrained import pretrained_path

        inpainter = cls.from_checkpoint(pretrained_path(name), device, precision)
        inpainter.description = f"{inpainter.name} (pretrained {name!r})"
        return inpainter

    @classmethod
    def from_onnx(cls, path: str | os.PathLike, providers: list[str] | None = None) -> Inpainter:
        """Run an ONNX file written by ``wavemix-inpaint export`` with ONNX Runtime."""
        from wavemix_inpaint.onnx_runtime import OnnxInpainter

        return cls(OnnxInpainter(path, providers=providers))

    # -- inference ----------------------------------------------------------------------------------

    def __call__(self, image: ImageLike, mask: MaskLike, options: InpaintOptions | None = None, **changes: Any) -> ImageLike:
        """Fill the holes of ``image``; returns the same type (numpy: same dtype and shape).

        ``image``: PIL image, numpy ``H x W [x 3|4]`` (uint8, uint16 or float in [0, 1]; a 4th
        channel is passed through as alpha) or tensor ``[N x] 3 x H x W`` (float in [0, 1] or uint8).
        ``mask``: PIL image, numpy ``H x W`` (bool, 0/1, 0/255, float), tensor ``H x W``,
        ``1 x H x W`` or ``N x 1 x H x W``, or a file path; 1 = hole unless ``invert_mask``.
        ``options`` (an :class:`~wavemix_inpaint.inference.InpaintOptions`) and/or its fields as keywords
        (``strategy="crop"``, ``texture=True``, ``dilate=3``, ...). Notices (e.g. a texture that could not
        be made) are issued as :class:`InpaintNotice` warnings; :meth:`run` returns them instead.
        """
        filled, notices = self.run(image, mask, options, **changes)
        for notice in notices:
            warnings.warn(notice, InpaintNotice, stacklevel=2)
        return filled

    def run(
        self, image: ImageLike, mask: MaskLike, options: InpaintOptions | None = None, **changes: Any
    ) -> tuple[ImageLike, list[str]]:
        """Like :meth:`__call__`, but returns ``(result, notices)``."""
        options = _options(options, changes)
        converted = _Converted(image)
        count = int(converted.tensor.shape[0])
        holes = _mask_to_array(mask, count)
        if holes.shape[-2:] != converted.shape:
            raise _size_mismatch(holes.shape, converted.shape)
        holes = np.stack([prepare_mask(h, invert=options.invert_mask, dilate=options.dilate) > 0.5 for h in holes])
        if holes.shape[0] != count:
            holes = np.repeat(holes, count, axis=0)
        if not holes.any():
            return converted.copy(), [EMPTY_MASK_NOTICE]
        check_something_known(holes)
        result = self.fill_tensor(converted.tensor, torch.from_numpy(holes[:, None]), options)
        return converted.restore(result.image, holes), result.notices

    def inpaint_tensor(self, image: Tensor, mask: Tensor, options: InpaintOptions | None = None, **changes: Any) -> Tensor:
        """Low-level call: ``N x 3 x H x W`` float in [0, 1] and ``N x 1 x H x W`` mask (> 0.5 = hole)
        -> composited float32 CPU tensor (known pixels are the input's)."""
        options = _options(options, changes)
        if not isinstance(image, Tensor) or image.ndim != 4 or image.shape[1] != 3 or image.dtype not in _FLOATS:
            described = f"{image.dtype} {tuple(image.shape)}" if isinstance(image, Tensor) else type(image).__name__
            raise InputError(
                f"inpaint_tensor takes an N x 3 x H x W float tensor in [0, 1], got {described} (use the call for other inputs)"
            )
        if not isinstance(mask, Tensor) or mask.ndim != 4 or mask.shape[1] != 1 or mask.shape[0] not in (1, image.shape[0]):
            described = tuple(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__
            raise InputError(f"inpaint_tensor takes an N x 1 x H x W mask tensor (N = 1 or {image.shape[0]}), got {described}")
        if mask.shape[-2:] != image.shape[-2:]:
            raise _size_mismatch(tuple(mask.shape), tuple(image.shape))
        _check_float(image.detach())
        check_something_known((mask.detach().cpu() > 0.5).numpy())
        return self.fill_tensor(image, mask.expand(image.shape[0], -1, -1, -1), options).image

    def fill_tensor(self, image: Tensor, mask: Tensor, options: InpaintOptions) -> FillResult:
        """The pipeline (:func:`wavemix_inpaint.inference.fill`) run with this inpainter's network."""
        image = image.detach().to("cpu", torch.float32)
        hole = mask.detach().to("cpu") > 0.5
        result = fill(self._run, image, hole, options, can_refine=self.can_refine)
        skips = getattr(self.backend, "skips_coarse_to_fine", False)  # an exported graph that takes no estimate
        if skips and options.coarse_to_fine and any(pyramid_levels(h[0].numpy()) for h in hole):
            result.notices.append(ONNX_COARSE_TO_FINE_NOTICE)
        return result

    @property
    def can_refine(self) -> bool:
        """Whether the network was trained to refine a filled first estimate (WaveMix with a prefill) and
        takes one (an ONNX graph may not): coarse-to-fine filling hands it the upsampled coarser fill."""
        if self.model is None:
            return bool(getattr(self.backend, "takes_estimate", False))
        return getattr(self.model, "prefill", "none") != "none"

    def _run(self, image: Tensor, mask: Tensor, estimate: Tensor | None = None) -> Tensor:
        """One network call on a (padded by the model) window; composited, clamped, float32 CPU."""
        try:
            with torch.inference_mode():
                if self.model is not None:
                    # bf16 autocast: ~2-3x faster on CPUs with AMX / AVX512-BF16 and on recent GPUs, at
                    # about 1e-3 mean deviation from fp32 (docs/performance.md); off by default
                    with autocast(self.precision, self.device):
                        given = {} if estimate is None else {"estimate": _nhwc(estimate, self.device)}
                        result = self.model(_nhwc(image, self.device), _nhwc(mask, self.device), **given)
                else:
                    assert self.backend is not None
                    result = self.backend(image, mask) if estimate is None else self.backend(image, mask, estimate)
                return result.float().clamp(0, 1).cpu()
        except torch.OutOfMemoryError:
            height, width = image.shape[-2:]
            raise InputError(
                f"out of memory on {self.device} for a {width}x{height} input: use strategy 'crop' or "
                "'resize' (or a smaller crop margin / resize limit), or device 'cpu'"
            ) from None

    def inpaint_file(
        self,
        image: str | os.PathLike,
        mask: str | os.PathLike | MaskLike,
        output: str | os.PathLike,
        options: InpaintOptions | None = None,
        *,
        resize_mask: bool = False,
        quality: int | str | None = None,
        lossless: bool | None = None,
        overwrite: bool = False,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
        concat: bool = False,
        **changes: Any,
    ) -> Path:
        """Read ``image`` and ``mask`` files, inpaint, and write ``output`` keeping the source's format,
        mode, alpha, metadata and (for JPEG) quantisation (see :mod:`wavemix_inpaint.imageio`).

        ``mask`` may also be an array, tensor or PIL image, as in :meth:`__call__` (1 = hole). Never writes onto ``image`` or ``mask``;
        an existing ``output`` is refused unless ``overwrite``. ``options`` / ``changes`` as in
        :meth:`__call__`. An empty mask gives back the input file's bytes unchanged (no re-encoding)
        when the output has the input's format, with an :class:`InpaintNotice`. ``concat`` writes
        ``input | mask | result`` side by side instead of the result (RGB, for reviewing a batch).
        """
        options = _options(options, changes)
        output = Path(output)
        for source in (image, mask):
            if isinstance(source, (str, os.PathLike)) and _same_file(output, Path(source)):
                raise InputError(f"refusing to write the output onto the input file {source}")
        if output.exists() and not overwrite:
            raise InputError(f"refusing to overwrite existing file {output} (use --overwrite / overwrite=True)")
        format_for_path(output)  # an unsupported output extension fails before the inpainting, not after
        loaded = read_image(image, max_pixels=max_pixels)
        if not isinstance(mask, (str, os.PathLike)):  # an array, tensor or PIL image, as the call takes
            hole = _mask_to_array(mask, 1)[0].astype(np.float32)
            if hole.shape != loaded.size:
                raise _size_mismatch(hole.shape, loaded.size)
            hole = prepare_mask(hole, invert=options.invert_mask, dilate=options.dilate)
        else:
            hole = read_mask(
                mask,
                size=loaded.size,
                invert=options.invert_mask,
                dilate=options.dilate,
                resize=resize_mask,
                max_pixels=max_pixels,
                orientation=loaded.orientation,
            )
        result, notices = self.run(loaded.pixels, hole, options.replace(invert_mask=False, dilate=0))
        for notice in notices:
            warnings.warn(notice, InpaintNotice, stacklevel=2)
        if concat:
            white = np.iinfo(loaded.pixels.dtype).max
            panel = np.concatenate(
                [loaded.pixels, np.repeat((hole > 0.5)[..., None] * white, 3, axis=2).astype(loaded.pixels.dtype), result], axis=1
            )
            return save_image(output, panel, quality=quality, lossless=lossless, overwrite=overwrite)
        original = Path(image).read_bytes() if not hole.any() and isinstance(image, (str, os.PathLike)) else None
        return save_image(
            output, result, loaded, mask=hole, quality=quality, lossless=lossless, overwrite=overwrite, original=original
        )


def _nhwc(tensor: Tensor, device: torch.device) -> Tensor:
    return tensor.to(device).contiguous(memory_format=torch.channels_last)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()
