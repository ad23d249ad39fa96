"""Model registry: named presets and ``create_model(name, **overrides)`` (timm style)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from torch import nn

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.models.base import InpaintingModel


@dataclass(frozen=True)
class ModelSpec:
    """A registered preset: a builder (usually the model class) and its default keyword arguments."""

    name: str
    builder: Callable[..., InpaintingModel]
    description: str
    defaults: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, ModelSpec] = {}
Builder = TypeVar("Builder", bound=Callable[..., InpaintingModel])


def register_model(name: str, description: str, **defaults: Any) -> Callable[[Builder], Builder]:
    """Decorator (timm style) registering a preset ``name`` of the decorated class or builder function,
    with its default keyword arguments; stack several on one class for several presets. Names are unique."""

    def register(builder: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = ModelSpec(name, builder, description, dict(defaults))
        return builder

    return register


def list_models() -> list[str]:
    """Names of all registered presets, sorted."""
    return sorted(_REGISTRY)


def get_model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` for ``name``; an unknown name raises :class:`InputError` listing the choices."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"unknown model {name!r}; available: {', '.join(list_models())}") from None


def create_model(name: str, **overrides: Any) -> InpaintingModel:
    """Build preset ``name`` with its defaults updated by ``overrides``.

    The resolved keyword arguments are stored on the model as ``model.config`` (and the preset name as
    ``model.model_name``) so checkpoints can rebuild the exact architecture.
    """
    spec = get_model_spec(name)
    accepted = inspect.signature(spec.builder).parameters
    unknown = sorted(set(overrides) - set(accepted))
    if unknown:
        raise InputError(f"model {name!r} has no option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(accepted))}")
    for key, value in overrides.items():  # "radius=abc" from the command line must not reach the builder
        default = spec.defaults.get(key, accepted[key].default)
        if not _same_kind(value, default):
            raise InputError(f"model {name!r} option {key}={value!r}: expected {type(default).__name__}, like {default!r}")
    config = {**spec.defaults, **overrides}
    try:
        model = spec.builder(**config)
    except (ValueError, RuntimeError, ZeroDivisionError) as error:  # embed_dim=0, dropout=2, a size too large
        given = ", ".join(f"{key}={value!r}" for key, value in overrides.items()) or "its defaults"
        raise InputError(f"invalid options for model {name!r} ({given}): {error}") from None
    model.model_name = name
    model.config = config
    return model


def _same_kind(value: Any, default: Any) -> bool:
    """Whether ``value`` may replace ``default``: booleans, integers (floats take integers too) and strings
    must match; other defaults (None, lists, ...) are not checked here."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    return True


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters, counting tensors that share storage only once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for _, parameter in model.named_parameters(remove_duplicate=False):
        if trainable_only and not parameter.requires_grad:
            continue
        if parameter.is_meta:  # no storage to compare: tied meta parameters are the same object
            key = (id(parameter), -1)
        else:
            key = (parameter.untyped_storage().data_ptr(), parameter.storage_offset())
        if key in seen:
            continue
        seen.add(key)
        total += parameter.numel()
    return total
