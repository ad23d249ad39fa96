"""Training configuration: every setting of the paper's recipe in one place.

Load from YAML or TOML (``load_train_config``) and override single fields from the command line.
Defaults are the paper's settings (batch 40, AdamW(1e-3, wd 0.01) then SGD(1e-3, momentum 0.9) at half
of the 100 epochs, 96x96 images, LaMa training masks, SSIM+L1 loss 3:1, AMP on CUDA).
"""

from __future__ import annotations

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


@dataclass
class TrainConfig:
    """All settings of one training run (field docs in ``docs/training.md``)."""

    model: str = "wavemix-paper"
    model_options: dict[str, Any] = field(default_factory=dict)
    init_from: str | None = None
    data: str = ""
    val_data: str | None = None
    output: str = "runs/train"
    image_size: int = 96
    augment: str = "distortions"
    mask_preset: str = "train"
    val_mask_preset: str = "thick"
    val_size: int = 400
    batch_size: int = 40
    epochs: int = 100
    steps_per_epoch: int | None = None
    switch_epoch: int | None = None
    lr: float = 1e-3
    lr_schedule: str = "constant"  # AdamW phase: constant (the paper) or cosine (decays to 0 at the switch)
    coarse_estimate_prob: float = 0.0  # share of samples refining the model's own half-resolution fill
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    sgd_lr: float = 1e-3
    sgd_momentum: float = 0.9
    loss: str = "ssim-l1"
    ssim_weight: float = 0.75
    l1_weight: float = 0.25
    adversarial_weight: float = 0.0
    feature_matching_weight: float = 100.0
    r1_weight: float = 0.001
    disc_lr: float = 1e-4
    precision: str = "auto"
    channels_last: bool = True
    grad_clip: float | None = None
    max_bad_steps: int = 20
    num_workers: int = 2
    seed: int = 0
    device: str = "auto"
    checkpoint_every: int = 0
    time_limit_minutes: float | None = None
    save_dtype: str = "float32"
    tensorboard: bool = True
    progress: bool = True

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
        if self.save_dtype not in ("float32", "float16", "bfloat16"):
            raise InputError("save_dtype must be float32, float16 or bfloat16")

    @property
    def sgd_from_epoch(self) -> int:
        """First epoch (0-based) trained with SGD; ``epochs // 2`` unless set."""
        return self.epochs // 2 if self.switch_epoch is None else self.switch_epoch

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        return data


def _coerce(name: str, value: Any) -> Any:
    """Parse a command-line string value for field ``name`` (YAML syntax: numbers, lists, dicts, null)."""
    if not isinstance(value, str):
        return value
    if name in ("model", "init_from", "data", "output", "augment", "mask_preset", "val_mask_preset", "device", "precision",
                "loss", "lr_schedule"):
        return value
    return yaml.safe_load(value)


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


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``), TOML (``.toml``) or JSON file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"config file not found: {path}")
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


def load_train_config(path: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """Settings from ``path`` (optional) updated by non-None ``overrides``."""
    values = read_config_file(path) if path else {}
    values.update({key: value for key, value in overrides.items() if value is not None})
    return make_train_config(values)
