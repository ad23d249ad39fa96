"""ONNX export and ONNX Runtime inference (optional extra: ``pip install 'wavemix-inpaint[onnx]'``).

What is exported: the network's ``predict`` step, i.e. ``raw = predict(masked, mask)`` with
``masked = image * (1 - mask)``, on inputs whose height and width are multiples of the model's
``size_multiple`` (stored in the file's metadata). Batch, height and width are dynamic axes. The
padding (replicate, bottom/right), cropping and compositing that
:meth:`wavemix_inpaint.models.InpaintingModel.forward` does around ``predict`` are size-dependent
Python code that does not trace into a size-independent graph, so :class:`OnnxInpainter` does them
in numpy; its output matches the PyTorch model (float32) to about 1e-6.

Inputs: ``masked`` float32 ``N x 3 x H x W``, ``mask`` float32 ``N x 1 x H x W`` (1 = hole);
output ``raw`` float32 ``N x 3 x H x W`` (not composited, not clamped).

Export uses PyTorch's TorchScript-based exporter (``dynamo=False``), which needs only the ``onnx``
package (the dynamo exporter would also need ``onnxscript``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from wavemix_inpaint.errors import InputError, WavemixError
from wavemix_inpaint.models.prefill import PREFILLS, TRACEABLE_PREFILLS

FORMAT = "wavemix-inpaint/onnx-predict/1"
DEFAULT_OPSET = 17
INPUT_NAMES = ("masked", "mask")
OUTPUT_NAME = "raw"


class ExportError(WavemixError):
    """The model could not be exported, or the exported file does not reproduce it."""


def _require(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise InputError(f"the '{module}' package is needed for ONNX support: pip install 'wavemix-inpaint[onnx]'") from None


def _outside_prefill(model: torch.nn.Module) -> str:
    """Name of a prefill that cannot be traced (run by :class:`OnnxInpainter` before the graph), or ''."""
    prefill = getattr(model, "prefill", "none")
    return "" if prefill in TRACEABLE_PREFILLS else prefill


class _Predict(torch.nn.Module):
    """``predict(masked, mask)``, or ``refine(prefilled, mask)`` when the prefill is not traceable."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model
        self.outside_prefill = _outside_prefill(model)

    def forward(self, masked: Tensor, mask: Tensor) -> Tensor:
        if self.outside_prefill:
            return self.model.refine(masked, mask)
        return self.model.predict(masked, mask)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Standard output silenced at the file-descriptor level (the exporter's C++ side prints there)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def export_onnx(
    model: torch.nn.Module,
    path: str | os.PathLike,
    *,
    opset: int = DEFAULT_OPSET,
    overwrite: bool = False,
    verify: bool = True,
    description: str | None = None,
) -> Path:
    """Export ``model``'s ``predict`` network to ``path`` (atomic write; see the module doc).

    With ``verify`` the file is checked with ``onnx.checker`` and run with ONNX Runtime on an
    odd-sized input; an output differing from PyTorch by more than 1e-4 raises :class:`ExportError`.
    """
    onnx = _require("onnx")
    from wavemix_inpaint.fileio import atomic_path

    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise InputError(f"ONNX output path must end with .onnx, got {path}")
    if not overwrite and path.exists():
        raise InputError(f"refusing to overwrite existing file {path} (use --overwrite)")
    if not getattr(model, "trainable", True):
        raise InputError(
            f"{getattr(model, 'model_name', None) or type(model).__name__} is a classical method, not a network: nothing to export"
        )
    multiple = int(getattr(model, "size_multiple", 1))
    model = model.eval().to("cpu")
    wrapper = _Predict(model).eval()
    side = 4 * multiple
    masked = torch.rand(1, 3, side, side)
    mask = (torch.rand(1, 1, side, side) > 0.5).float()
    dynamic = {name: {0: "batch", 2: "height", 3: "width"} for name in (*INPUT_NAMES, OUTPUT_NAME)}
    with atomic_path(path, overwrite=overwrite) as tmp:
        try:
            # the exporter prints its whole graph to stdout when an operator is not supported: not for users
            with warnings.catch_warnings(), _quiet_stdout():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    wrapper,
                    (masked * (1 - mask), mask),
                    str(tmp),
                    dynamo=False,
                    opset_version=opset,
                    input_names=list(INPUT_NAMES),
                    output_names=[OUTPUT_NAME],
                    dynamic_axes=dynamic,
                    do_constant_folding=True,
                )
        except Exception as error:  # noqa: BLE001 - exporter failures come in many types
            raise ExportError(f"ONNX export failed (opset {opset}): {error}") from None
        proto = onnx.load(str(tmp))
        if [graph_input.name for graph_input in proto.graph.input] != list(INPUT_NAMES):
            raise ExportError(
                f"the exported graph does not take the inputs {', '.join(INPUT_NAMES)}: this model cannot be exported"
            )
        metadata = {
            "format": FORMAT,
            "size_multiple": str(multiple),
            "model": str(getattr(model, "model_name", None) or type(model).__name__),
            "config": _json(getattr(model, "config", {})),
            "description": description or "",
            "prefill": wrapper.outside_prefill,
            "inputs": "masked = image * (1 - mask), float32 N x 3 x H x W in [0, 1]; mask float32 N x 1 x H x W, 1 = hole; "
            "H and W multiples of size_multiple (replicate-pad bottom/right)",
            "output": "raw prediction N x 3 x H x W; composite: where(mask > 0.5, clamp(raw, 0, 1), image)",
        }
        for key, value in metadata.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.checker.check_model(proto)
        onnx.save(proto, str(tmp))
        if verify:
            try:
                _verify(model, tmp, multiple)
            except ExportError:
                raise
            except Exception as error:  # noqa: BLE001 - ONNX Runtime raises its own exception types
                raise ExportError(f"the exported ONNX model failed its check run in ONNX Runtime: {error}") from None
    return path


def _json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


def _verify(model: torch.nn.Module, path: Path, multiple: int) -> float:
    runner = OnnxInpainter(path)
    generator = torch.Generator().manual_seed(0)
    worst = 0.0
    for height, width in ((3 * multiple + 1, 5 * multiple - 1),):
        image = torch.rand(1, 3, height, width, generator=generator)
        mask = (torch.rand(1, 1, height, width, generator=generator) > 0.6).float()
        with torch.inference_mode():
            expected = model(image, mask)
        worst = max(worst, float((runner(image, mask) - expected).abs().max()))
    if worst > 1e-4:
        raise ExportError(f"the exported ONNX model differs from PyTorch by {worst:.3g} (> 1e-4)")
    return worst


class OnnxInpainter:
    """ONNX Runtime backend for :class:`~wavemix_inpaint.inpainter.Inpainter` (``Inpainter.from_onnx``).

    ``runner(image, mask)`` takes ``N x 3 x H x W`` float images in [0, 1] and ``N x 1 x H x W``
    masks (1 = hole) of any size, as numpy arrays or torch tensors, and returns the composited
    result of the same kind (like ``InpaintingModel.forward``). A model whose prefill runs outside
    the graph (OpenCV Telea, the bundled default's) exports its refinement of a first estimate, so
    it also takes ``estimate`` (``takes_estimate``): the pipeline fills coarse to fine with it.
    """

    def __init__(self, path: str | os.PathLike, providers: list[str] | None = None) -> None:
        ort = _require("onnxruntime")
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"ONNX file not found: {self.path}")
        available = ort.get_available_providers()
        if providers is None:
            providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
        try:
            self.session = ort.InferenceSession(str(self.path), providers=providers)
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise InputError(f"cannot load ONNX model {self.path}: {error}") from None
        metadata = self.session.get_modelmeta().custom_metadata_map
        if metadata.get("format") != FORMAT:
            raise InputError(
                f"{self.path} was not written by 'wavemix-inpaint export' (metadata format "
                f"{metadata.get('format')!r}, expected {FORMAT!r})"
            )
        multiple = metadata.get("size_multiple", "1")
        if not multiple.isdigit() or int(multiple) < 1:
            raise InputError(f"{self.path} has an invalid size_multiple in its metadata ({multiple!r}): re-export it")
        self.size_multiple = int(multiple)
        self.prefill = metadata.get("prefill", "")
        if self.prefill and self.prefill not in PREFILLS:
            raise InputError(f"{self.path} needs the unknown prefill {self.prefill!r} (newer wavemix-inpaint?)")
        self.metadata = dict(metadata)
        #: the graph refines a given first estimate (the prefill runs here, before it): coarse to fine works
        self.takes_estimate = bool(self.prefill)
        #: the network refines estimates but its graph computes its own first one: coarse to fine cannot
        self.skips_coarse_to_fine = not self.takes_estimate and _exported_prefill(metadata) != "none"
        inputs = [graph_input.name for graph_input in self.session.get_inputs()]
        if inputs != list(INPUT_NAMES):
            raise InputError(f"{self.path} takes the inputs {inputs}, not {list(INPUT_NAMES)}: re-export it")
        self.description = f"{metadata.get('model', 'onnx')} (ONNX {self.path.name})"

    def __repr__(self) -> str:
        return f"OnnxInpainter({str(self.path)!r}, size_multiple={self.size_multiple})"

    def __call__(
        self, image: np.ndarray | Tensor, mask: np.ndarray | Tensor, estimate: np.ndarray | Tensor | None = None
    ) -> np.ndarray | Tensor:
        as_tensor = isinstance(image, Tensor)
        device = image.device if isinstance(image, Tensor) else None
        image_np = _to_numpy(image)
        mask_np = _to_numpy(mask)
        if image_np.ndim != 4 or image_np.shape[1] != 3:
            raise InputError(f"image must be N x 3 x H x W, got {image_np.shape}")
        if mask_np.shape != (image_np.shape[0], 1, *image_np.shape[2:]):
            raise InputError(f"mask must be N x 1 x H x W matching the image, got {mask_np.shape}")
        height, width = image_np.shape[-2:]
        pad = ((0, 0), (0, 0), (0, -height % self.size_multiple), (0, -width % self.size_multiple))
        masked = np.pad(image_np * (1 - mask_np), pad, mode="edge")
        padded_mask = np.pad(mask_np, pad, mode="edge")
        if estimate is not None:
            if not self.takes_estimate:
                raise InputError(f"{self.path.name} computes its own first estimate in its graph: it takes no estimate")
            estimate_np = _to_numpy(estimate)
            if estimate_np.shape != image_np.shape:
                raise InputError(f"estimate must be N x 3 x H x W matching the image, got {estimate_np.shape}")
            masked = np.pad(estimate_np, pad, mode="edge")
        elif self.prefill:  # the graph starts after a prefill that could not be exported
            masked = PREFILLS[self.prefill](torch.from_numpy(masked), torch.from_numpy(padded_mask)).numpy()
        try:
            raw = self.session.run([OUTPUT_NAME], {"masked": masked, "mask": padded_mask})[0]
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own exception types
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise InputError(
                f"the ONNX model {self.path.name} failed on a {width}x{height} input (padded to a multiple of "
                f"{self.size_multiple}; is its metadata right? re-export it): {first}"
            ) from None
        output = np.where(mask_np > 0.5, raw[..., :height, :width], image_np).astype(np.float32)
        return torch.from_numpy(output).to(device) if as_tensor else output


def _exported_prefill(metadata: dict[str, str]) -> str:
    """The exported model's ``prefill`` setting (from its config in the metadata), ``none`` if not known."""
    import json

    try:
        config = json.loads(metadata.get("config", "{}"))
    except ValueError:
        return "none"
    prefill = config.get("prefill", "none") if isinstance(config, dict) else "none"
    return prefill if isinstance(prefill, str) else "none"


def _to_numpy(values: np.ndarray | Tensor) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.detach().to("cpu", torch.float32).numpy()
    return np.ascontiguousarray(values, dtype=np.float32)
