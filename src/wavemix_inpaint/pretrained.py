"""Pretrained weights bundled with the package (nothing is ever downloaded).

Bundled checkpoints live in the package's ``weights/`` folder, in the format written by
:func:`wavemix_inpaint.checkpoint.save_checkpoint` (``NAME.safetensors`` + ``NAME.json``).
Use your own checkpoint anywhere a name is accepted with ``--checkpoint PATH`` /
:meth:`wavemix_inpaint.Inpainter.from_checkpoint`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from wavemix_inpaint.errors import InputError

DEFAULT_PRETRAINED = "default"

_BUNDLED: dict[str, tuple[str, str]] = {}  # name -> (file, description), filled by the model modules


def register_pretrained(name: str, file: str, description: str) -> None:
    """Describe bundled weights (called by a model module, beside the preset the weights belong to)."""
    if name in _BUNDLED:
        raise ValueError(f"pretrained weights {name!r} are already registered")
    _BUNDLED[name] = (file, description)


def _bundled() -> dict[str, tuple[str, str]]:
    import wavemix_inpaint.models  # noqa: F401 - importing the model modules registers their weights

    return _BUNDLED


@dataclass(frozen=True)
class PretrainedInfo:
    """A bundled checkpoint: its name, file name, description, and whether the file is present."""

    name: str
    file: str
    description: str
    present: bool
    path: Path
    architecture: str | None = None


def weights_dir() -> Path:
    """The folder holding the bundled weights (``wavemix_inpaint/weights``; it may not exist)."""
    return Path(str(resources.files("wavemix_inpaint") / "weights"))


def _architecture(path: Path) -> str | None:
    sidecar = path.with_suffix(".json")
    try:
        return str(json.loads(sidecar.read_text(encoding="utf-8"))["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_pretrained() -> list[PretrainedInfo]:
    """Every bundled checkpoint name, present or not, sorted by name."""
    folder = weights_dir()
    infos = []
    bundled = _bundled()
    for name in sorted(bundled):
        file, description = bundled[name]
        path = folder / file
        present = path.is_file()
        infos.append(PretrainedInfo(name, file, description, present, path, _architecture(path) if present else None))
    return infos


def pretrained_path(name: str = DEFAULT_PRETRAINED) -> Path:
    """Path of the bundled checkpoint ``name``; :class:`InputError` if unknown or missing."""
    bundled = _bundled()
    if name not in bundled:
        from wavemix_inpaint.models import list_models

        hint = (
            f"; {name!r} is an architecture, not trained weights: here it needs a checkpoint of it (--checkpoint "
            "PATH; a classical method has nothing to load or export)"
            if name in list_models()
            else " (use --checkpoint PATH for your own .safetensors checkpoint)"
        )
        raise InputError(f"unknown pretrained model {name!r}; bundled: {', '.join(sorted(bundled))}{hint}")
    path = weights_dir() / bundled[name][0]
    if not path.is_file():
        raise InputError(
            f"the bundled weights {name!r} are missing: expected {path} (this installation of wavemix-inpaint "
            "does not include them); use --checkpoint PATH (or Inpainter.from_checkpoint) with a checkpoint "
            "trained by 'wavemix-inpaint train'"
        )
    return path
