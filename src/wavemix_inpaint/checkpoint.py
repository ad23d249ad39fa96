"""Model checkpoints: safetensors weights plus a JSON config (never pickles).

A checkpoint ``NAME.safetensors`` stores the tensors and, in its metadata, the JSON config
(``{"format": ..., "model": preset, "config": {...}, ...}``); the same JSON is written next to it as
``NAME.json`` for humans and tools. Loading needs only the ``.safetensors`` file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from wavemix_inpaint.errors import CheckpointError, InputError
from wavemix_inpaint.fileio import atomic_write, atomic_write_text
from wavemix_inpaint.models import InpaintingModel, create_model
from wavemix_inpaint.state_dicts import load_state_strict

FORMAT = "wavemix-inpaint/1"
METADATA_KEY = "wavemix_inpaint"


def checkpoint_config(model: InpaintingModel, **extra: Any) -> dict[str, Any]:
    """The JSON-serialisable description of ``model`` stored with its weights."""
    if getattr(model, "model_name", None) is None:
        raise InputError("model was not built with create_model(); its architecture cannot be recorded")
    return {"format": FORMAT, "model": model.model_name, "config": model.config, **extra}


def save_checkpoint(model: InpaintingModel, path: str | Path, dtype: torch.dtype | None = None, **extra: Any) -> Path:
    """Atomically write ``model``'s weights to ``path`` (``.safetensors``) and its config to ``.json``.

    ``dtype`` (e.g. ``torch.float16``) converts floating-point tensors to shrink the file; ``extra``
    keys (training step, metrics, data description...) are stored in the config.
    """
    path = Path(path)
    if path.suffix != ".safetensors":
        raise InputError(f"checkpoint path must end with .safetensors, got {path}")
    config = checkpoint_config(model, **extra)
    tensors = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        tensors[name] = tensor.contiguous()
    text = json.dumps(config, indent=2, sort_keys=True)
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={METADATA_KEY: text}))
    atomic_write_text(path.with_suffix(".json"), text + "\n")
    return path


def resolve_checkpoint(path: str | Path) -> Path:
    """The ``.safetensors`` file meant by ``path``: the file itself; for a training run folder its
    ``best.safetensors`` (else ``last.safetensors``); for any other folder its only ``.safetensors`` file.
    The one resolver behind every ``--checkpoint`` (inpaint, serve, evaluate, reproduce, export)."""
    path = Path(path).expanduser()
    if not path.is_dir():
        return path
    for name in ("best.safetensors", "last.safetensors"):
        if (path / name).is_file():
            return path / name
    candidates = sorted(path.glob("*.safetensors"))
    if len(candidates) != 1:
        raise CheckpointError(
            f"expected a training run folder (best.safetensors) or exactly one .safetensors file in {path}, "
            f"found {len(candidates)}"
        )
    return candidates[0]


def read_checkpoint(path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read ``(config, tensors)`` from a checkpoint (see :func:`resolve_checkpoint`), with a clear
    :class:`CheckpointError` on failure."""
    path = resolve_checkpoint(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        tensors = load_file(str(path))
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint ({error})") from None
    text = metadata.get(METADATA_KEY)
    sidecar = path.with_suffix(".json")
    if text is None and sidecar.is_file():
        text = sidecar.read_text(encoding="utf-8")
    if text is None:
        raise CheckpointError(f"{path} has no wavemix-inpaint config (metadata or {sidecar.name})")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckpointError(f"config of {path} is not valid JSON ({error})") from None
    if not isinstance(config, dict) or "model" not in config or "config" not in config:
        raise CheckpointError(f"config of {path} lacks the 'model' and 'config' entries")
    return config, tensors


def load_model(path: str | Path, **overrides: Any) -> InpaintingModel:
    """Rebuild the architecture recorded in a checkpoint and load its weights (float32, eval mode)."""
    config, tensors = read_checkpoint(path)
    if not isinstance(config.get("config"), dict):
        raise CheckpointError(f"checkpoint {path} has no architecture settings (its 'config' is not a mapping)")
    try:
        model = create_model(config["model"], **{**config["config"], **overrides})
    except (InputError, ValueError, TypeError) as error:
        raise CheckpointError(f"checkpoint {path} describes an architecture that cannot be built: {error}") from None
    load_state_strict(model, tensors, str(path))
    model.checkpoint_info = {key: value for key, value in config.items() if key not in ("config",)}
    return model.eval()
