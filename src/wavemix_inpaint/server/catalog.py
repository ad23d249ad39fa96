"""The models a server offers, chosen per request: loaded on first use and kept within a memory budget.

``serve --model default --offer telea --offer patchmatch --offer runs/big/best.safetensors --offer m.onnx``
offers the bundled default first (the one a request without a ``model`` field gets), then the others.
An offer is a bundled pretrained name, a registered classical method, a checkpoint (file or training run
folder) or an ``.onnx`` file. Models are loaded when first asked for; when loading one would exceed the
budget, the least recently used loaded ones are dropped first (they are loaded again when needed).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wavemix_inpaint.errors import InputError, ModelUnavailableError

#: fixed cost of a loaded model besides its parameters (buffers, the fused copy, ONNX session), in bytes
MODEL_OVERHEAD_BYTES = 32 << 20


@dataclass(frozen=True)
class Offer:
    """One model the server offers: the id clients send, what it is, and where it comes from."""

    id: str
    kind: str  # pretrained, classical, checkpoint or onnx
    source: str
    description: str


def load_offer(offer: Offer, device: str = "auto", precision: str = "fp32") -> Any:
    """The :class:`~wavemix_inpaint.inpainter.Inpainter` of an offer (classical methods run on the CPU)."""
    from wavemix_inpaint.inpainter import Inpainter
    from wavemix_inpaint.models import create_model

    if offer.kind == "pretrained":
        return Inpainter.from_pretrained(offer.source, device=device, precision=precision)
    if offer.kind == "classical":
        return Inpainter(create_model(offer.source), device="cpu")
    if offer.kind == "onnx":
        return Inpainter.from_onnx(offer.source)
    return Inpainter.from_checkpoint(offer.source, device=device, precision=precision)


def parse_offer(spec: str) -> Offer:
    """An :class:`Offer` from a command-line value (pretrained name, classical method, checkpoint or .onnx)."""
    from wavemix_inpaint.models import get_model_spec
    from wavemix_inpaint.pretrained import list_pretrained

    pretrained = {info.name: info for info in list_pretrained()}
    if spec in pretrained:
        return Offer(spec, "pretrained", spec, pretrained[spec].description)
    classical = classical_methods()
    if spec in classical:
        return Offer(spec, "classical", spec, get_model_spec(spec).description)
    path = Path(spec).expanduser()
    if path.exists():
        kind = "onnx" if path.suffix == ".onnx" else "checkpoint"
        name = path.stem if path.is_file() else path.name
        return Offer(name, kind, str(path), f"{kind} {path.name}")
    raise InputError(
        f"cannot offer {spec!r}: not a bundled model ({', '.join(pretrained)}), a classical method "
        f"({', '.join(classical)}), a checkpoint or an .onnx file"
    )


def classical_methods() -> list[str]:
    """Registered presets with nothing to train (built on the meta device: no memory, no weights)."""
    import torch

    from wavemix_inpaint.models import create_model, list_models

    with torch.device("meta"):
        return [name for name in list_models() if not getattr(create_model(name), "trainable", True)]


def _model_bytes(inpainter: Any) -> int:
    model = getattr(inpainter, "model", None)
    if model is None:
        return MODEL_OVERHEAD_BYTES
    return MODEL_OVERHEAD_BYTES + 2 * sum(p.numel() * p.element_size() for p in model.parameters())


def _distinct_ids(offers: list[Offer]) -> list[Offer]:
    """Files with the same name (``runs/a/best.safetensors``, ``runs/b/best.safetensors``) are told apart
    by their folder: ``a/best``, ``b/best``."""
    names = [offer.id for offer in offers]
    return [
        replace(offer, id=f"{Path(offer.source).parent.name}/{offer.id}")
        if names.count(offer.id) > 1 and offer.kind in ("checkpoint", "onnx")
        else offer
        for offer in offers
    ]


class ModelCatalog:
    """Offers, the loaded inpainters (least recently used first) and the lock that guards them."""

    def __init__(self, offers: list[Offer], load: Callable[[Offer], Any], budget_bytes: int = 1 << 30) -> None:
        if not offers:
            raise InputError("a server must offer at least one model")
        offers = _distinct_ids(offers)
        ids = [offer.id for offer in offers]
        if len(set(ids)) != len(ids):
            raise InputError(f"two offered models have the same name: {', '.join(sorted(ids))}")
        self.offers = {offer.id: offer for offer in offers}
        self.default = offers[0].id
        self._load = load
        self.budget_bytes = budget_bytes
        self._loaded: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def single(cls, inpainter: Any, name: str | None = None) -> ModelCatalog:
        """A catalog offering one already-loaded inpainter."""
        name = name or str(getattr(inpainter, "name", None) or "model")
        offer = Offer(name, "loaded", name, str(getattr(inpainter, "description", name)))
        catalog = cls([offer], lambda _: inpainter, budget_bytes=1 << 62)
        catalog._loaded[name] = (inpainter, 0)
        return catalog

    def get(self, model_id: str | None = None) -> Any:
        """The inpainter for ``model_id`` (default: the first offer), loading it (and dropping the least
        recently used others when over budget) if needed. Unknown ids raise :class:`KeyError`; a model that
        fails to load raises :class:`ModelUnavailableError` naming it (nothing else is unloaded)."""
        model_id = model_id or self.default
        offer = self.offers[model_id]
        with self._lock:
            if model_id in self._loaded:
                self._loaded.move_to_end(model_id)
                return self._loaded[model_id][0]
            try:
                inpainter = self._load(offer)
            except Exception as error:  # noqa: BLE001 - any failure to load is this one model's problem
                reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                reason = reason.replace(offer.source, Path(offer.source).name) if offer.kind in ("checkpoint", "onnx") else reason
                raise ModelUnavailableError(f"model {model_id!r} could not be loaded: {reason}") from error
            size = _model_bytes(inpainter)
            while self._loaded and sum(cost for _, cost in self._loaded.values()) + size > self.budget_bytes:
                self._loaded.popitem(last=False)  # a request still running keeps its own reference
            self._loaded[model_id] = (inpainter, size)
            return inpainter

    def describe(self) -> list[dict[str, Any]]:
        """What ``GET /api/v1/models`` lists: every offer, whether it is loaded, which one is the default."""
        with self._lock:
            loaded = set(self._loaded)
        return [
            {
                "id": offer.id,
                "kind": offer.kind,
                "description": offer.description,
                "loaded": offer.id in loaded,
                "default": offer.id == self.default,
            }
            for offer in self.offers.values()
        ]
