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

_BUNDLED: dict[str, tuple[str, str]] = {
    "default": (
        "default.safetensors",
        "wavemix-small (a WaveMix correction on top of an OpenCV Telea fill) trained on 2 CPU cores on 96x96 "
        "crops of BSDS500 train + a 1,000-photo ImageNet sample with LaMa masks; see weights/MODEL_CARD.md",
    ),
}


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
    for name in sorted(_BUNDLED):
        file, description = _BUNDLED[name]
        path = folder / file
        present = path.is_file()
        infos.append(PretrainedInfo(name, file, description, present, path, _architecture(path) if present else None))
    return infos


def pretrained_path(name: str = DEFAULT_PRETRAINED) -> Path:
    """Path of the bundled checkpoint ``name``; :class:`InputError` if unknown or missing."""
    if name not in _BUNDLED:
        raise InputError(
            f"unknown pretrained model {name!r}; bundled: {', '.join(sorted(_BUNDLED))} "
            "(use --checkpoint PATH for your own .safetensors checkpoint)"
        )
    path = weights_dir() / _BUNDLED[name][0]
    if not path.is_file():
        raise InputError(
            f"the bundled weights {name!r} are missing: expected {path} (this installation of wavemix-inpaint "
            "does not include them); use --checkpoint PATH (or Inpainter.from_checkpoint) with a checkpoint "
            "trained by 'wavemix-inpaint train'"
        )
    return path
