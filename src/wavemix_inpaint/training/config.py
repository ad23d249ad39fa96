"""Training configuration: every setting of the paper's recipe in one place.

Load from YAML or TOML (``load_train_config``) and override single fields from the command line.
Defaults are the paper's settings (batch 40, AdamW(1e-3, wd 0.01) then SGD(1e-3, momentum 0.9) at half
of the 100 epochs, 96x96 images, LaMa training masks, SSIM+L1 loss 3:1, AMP on CUDA).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from wavemix_inpaint.errors import InputError

LR_SCHEDULES = ("constant", "cosine")


def _setting(default: Any = None, help: str = "", factory: Any = None) -> Any:  # noqa: A002 - argparse's word
    """A :class:`TrainConfig` field with its command-line help (``train`` flags are generated from these)."""
    if factory is not None:
        return field(default_factory=factory, metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    """All settings of one training run; every field is also a ``wavemix-inpaint train --FIELD-NAME`` flag."""

    model: str = _setting("wavemix-paper", "registered model preset (see `wavemix-inpaint models`)")
    model_options: dict[str, Any] = _setting(help="architecture options (--model-option KEY=VALUE)", factory=dict)
    init_from: str | None = _setting(None, "start from this checkpoint's weights (fine-tuning; same architecture)")
    init_grow: bool = _setting(
        False,
        "with init_from: the checkpoint is a smaller WaveMix (fewer modules / blocks, narrower); its function is kept exactly",
    )
    data: str = _setting("", "training images: a folder (recursive) or stl10:PATH")
    val_data: str | None = _setting(
        None, "validation images (default: STL-10's val split, or a seeded tenth of a --data folder, then not trained on)"
    )
    output: str = _setting("runs/train", "run folder for checkpoints and logs")
    image_size: int = _setting(96, "training crop size in pixels")
    augment: str = _setting("distortions", "none, light or distortions")
    mask_preset: str = _setting(
        "train", "training masks (train, thick, medium, thin, wavemix-paper-96, square:N, or a mixture: 0.75*train+0.25*thin)"
    )
    val_mask_preset: str = _setting("thick", "fixed validation masks preset")
    val_size: int = _setting(400, "number of validation images")
    batch_size: int = _setting(40, "images per optimisation step (per process)")
    epochs: int = _setting(100, "epochs to train")
    steps_per_epoch: int | None = _setting(None, "fixed number of batches per epoch (default: one pass over the data)")
    switch_epoch: int | None = _setting(None, "epoch at which AdamW is replaced by SGD (default: half)")
    lr: float = _setting(1e-3, "AdamW learning rate")
    lr_schedule: str = _setting("constant", "AdamW phase: constant (the paper) or cosine (decays to 0 at the switch)")
    coarse_estimate_prob: float = _setting(
        0.0, "share of samples that refine the model's own half-resolution fill (coarse-to-fine training)"
    )
    finer_level_prob: float = _setting(
        0.0,
        "share of samples shown the way the edge pass shows the network a window: a third of the crop, the "
        "model's own fill of it upscaled 3x as input, the truth upscaled 3x as target (inference/edge_pass.py)",
    )
    weight_decay: float = _setting(0.01, "AdamW weight decay")
    betas: tuple[float, float] = _setting((0.9, 0.999), "AdamW betas, e.g. [0.9, 0.999]")
    eps: float = _setting(1e-8, "AdamW epsilon")
    sgd_lr: float = _setting(1e-3, "learning rate of the SGD phase")
    sgd_momentum: float = _setting(0.9, "momentum of the SGD phase")
    loss: str = _setting("ssim-l1", "ssim-l1 (the paper) or lama (with --adversarial-weight)")
    ssim_weight: float = _setting(0.75, "weight of 1 - SSIM")
    l1_weight: float = _setting(0.25, "weight of L1")
    l2_weight: float = _setting(0.0, "weight of the mean squared error (the paper: 0; PSNR's error)")
    adversarial_weight: float = _setting(0.0, "PatchGAN weight (0: no discriminator; LaMa: 10)")
    feature_matching_weight: float = _setting(100.0, "discriminator feature-matching weight (LaMa: 100)")
    r1_weight: float = _setting(0.001, "R1 gradient penalty weight (LaMa: 0.001)")
    perceptual_weight: float = _setting(0.0, "LaMa's perceptual loss through a dilated ResNet-50 (LaMa: 30)")
    perceptual_weights: str | None = _setting(None, "ADE20k ResNet-50 weights for the perceptual loss (default: random)")
    disc_lr: float = _setting(1e-4, "discriminator Adam learning rate")
    disc_width: int = _setting(64, "channels of the discriminator's first layer (LaMa: 64; smaller is cheaper on a CPU)")
    disc_layers: int = _setting(4, "stride-2 layers of the discriminator (LaMa: 4; 3 sees 70 px patches)")
    precision: str = _setting("auto", "auto (fp16 AMP on CUDA, fp32 on CPU), fp32, fp16 or bf16")
    channels_last: bool = _setting(True, "NHWC memory format (faster convolutions on CPU and GPU)")
    grad_clip: float | None = _setting(None, "clip the gradient norm to this value")
    max_bad_steps: int = _setting(20, "stop after this many consecutive non-finite losses")
    num_workers: int = _setting(2, "data-loading worker processes")
    seed: int = _setting(0, "seed of crops, augmentations, masks and initial weights")
    device: str = _setting("auto", "auto, cpu, cuda, cuda:N or mps")
    checkpoint_every: int = _setting(0, "also save a resumable checkpoint every N steps (0: at epoch ends)")
    time_limit_minutes: float | None = _setting(None, "stop (resumably) after this much wall time")
    cpu_limit_minutes: float | None = _setting(
        None,
        "stop (resumably) once training has used this much CPU time (the main process, and the data loader's "
        "workers as each epoch ends), over the whole run",
    )
    save_dtype: str = _setting("float32", "dtype of the saved weights: float32, float16 or bfloat16")
    tensorboard: bool = _setting(True, "write TensorBoard logs")
    progress: bool = _setting(True, "show progress bars")

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)  # type: ignore[assignment]
        if self.precision not in ("auto", "fp32", "fp16", "bf16"):
            raise InputError(f"precision must be auto, fp32, fp16 or bf16, got {self.precision!r}")
        if self.batch_size < 1 or self.epochs < 1:
            raise InputError("batch_size and epochs must be positive")
        if self.switch_epoch is not None and not 0 <= self.switch_epoch <= self.epochs:
            raise InputError(f"switch_epoch must be between 0 and epochs ({self.epochs})")
        if self.lr_schedule not in LR_SCHEDULES:
            raise InputError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}")
        if not 0.0 <= self.coarse_estimate_prob <= 1.0:
            raise InputError(f"coarse_estimate_prob must be between 0 and 1, got {self.coarse_estimate_prob}")
        if not 0.0 <= self.finer_level_prob <= 1.0:
            raise InputError(f"finer_level_prob must be between 0 and 1, got {self.finer_level_prob}")
        if self.finer_level_prob > 0 and self.image_size % 3:
            raise InputError(
                f"finer_level_prob needs an image_size divisible by 3 (a third of the crop, upscaled 3x), got {self.image_size}"
            )
        if self.disc_width < 1 or self.disc_layers < 1:
            raise InputError(f"disc_width and disc_layers must be positive, got {self.disc_width} and {self.disc_layers}")
        if self.save_dtype not in ("float32", "float16", "bfloat16"):
            raise InputError("save_dtype must be float32, float16 or bfloat16")

    @property
    def sgd_from_epoch(self) -> int:
        """First epoch (0-based) trained with SGD; half of the epochs (rounded up) unless set."""
        return switch_epoch_of(self.epochs, self.switch_epoch)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        return data


def switch_epoch_of(epochs: int, switch_epoch: int | None) -> int:
    """Epochs trained with AdamW before SGD: ``switch_epoch``, or half of ``epochs`` rounded up (the paper's
    "SGD during the final 50 epochs" of 100; a one-epoch run is AdamW, not SGD from its first step)."""
    return (epochs + 1) // 2 if switch_epoch is None else switch_epoch


def _coerce(name: str, value: Any) -> Any:
    """Parse a command-line string value for field ``name``: text fields stay text, the others are read
    with YAML syntax (numbers, lists, dicts, null), as in the config files."""
    if not isinstance(value, str):
        return value
    kind = {spec.name: str(spec.type) for spec in dataclasses.fields(TrainConfig)}.get(name, "")
    if kind.startswith("str"):
        return value
    parsed = yaml.safe_load(value)
    if kind.startswith("float") and isinstance(parsed, str):  # YAML 1.1 reads "1e-08" (no dot) as text
        try:
            return float(parsed)
        except ValueError:
            pass
    return parsed


def make_train_config(values: dict[str, Any]) -> TrainConfig:
    """Build a :class:`TrainConfig`, rejecting unknown keys with the list of valid ones."""
    valid = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - valid)
    if unknown:
        raise InputError(f"unknown training setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
    try:
        return TrainConfig(**{key: _coerce(key, value) for key, value in values.items()})
    except TypeError as error:
        raise InputError(f"invalid training config: {error}") from None


def packaged_configs() -> dict[str, Path]:
    """Configs shipped in the package (``wavemix_inpaint/configs``), by name: ``paper-stl10`` is the paper's run."""
    from importlib import resources

    folder = Path(str(resources.files("wavemix_inpaint") / "configs"))
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``), TOML (``.toml``) or JSON file into a dict; a name without a file
    of that name is looked up among the :func:`packaged_configs`."""
    path = Path(path)
    if not path.is_file() and str(path) in packaged_configs():
        path = packaged_configs()[str(path)]
    if not path.is_file():
        raise InputError(f"config file not found: {path} (packaged configs: {', '.join(packaged_configs())})")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text) or {}
    except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot parse config file {path}: {error}") from None
    if not isinstance(data, dict):
        raise InputError(f"config file {path} must contain a mapping of settings")
    return data


#: fields set by their own flags (``--model-option``, ``--no-progress``) rather than ``--FIELD-NAME VALUE``
_SPECIAL_FLAGS = ("model_options", "progress")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One ``--field-name`` flag per :class:`TrainConfig` field (the value is parsed like the config files;
    booleans get ``--name`` / ``--no-name``); unset flags keep the config file's or the default value."""
    for spec in dataclasses.fields(TrainConfig):
        if spec.name in _SPECIAL_FLAGS:
            continue
        flag = "--" + spec.name.replace("_", "-")
        default = spec.default if spec.default is not dataclasses.MISSING else "{}"
        help_text = f"{spec.metadata['help']} (default: {default})"
        if str(spec.type) == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(flag, default=None, metavar=spec.name.upper(), help=help_text)


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`TrainConfig` values given on the command line by :func:`add_config_arguments` flags."""
    names = (spec.name for spec in dataclasses.fields(TrainConfig) if spec.name not in _SPECIAL_FLAGS)
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def config_flags(values: dict[str, Any]) -> list[str]:
    """The ``train`` flags that reproduce ``values`` (the inverse of :func:`config_overrides`)."""
    flags = []
    for spec in dataclasses.fields(TrainConfig):
        value = values.get(spec.name)
        if spec.name in _SPECIAL_FLAGS or value is None:
            continue
        flag = "--" + spec.name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + spec.name.replace("_", "-"))
        else:
            flags += [flag, value if isinstance(value, str) else json.dumps(value)]
    return flags


def load_train_config(path: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """Settings from ``path`` (optional) updated by non-None ``overrides``."""
    values = read_config_file(path) if path else {}
    values.update({key: value for key, value in overrides.items() if value is not None})
    return make_train_config(values)
