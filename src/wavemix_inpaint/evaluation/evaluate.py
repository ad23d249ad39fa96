"""Evaluate an inpainting model on a fixed set of (image, mask) pairs, the way Table 1 of the paper reports it.

Every number is computed on the **composited** output (known pixels copied from the input) clamped to
[0, 1], per image, then averaged over images (LaMa convention):

* ``ssim`` (the headline): 11x11 Gaussian window, sigma 1.5, reflect padding, mean over the whole image
  (torchmetrics / the WaveMix authors' code); ``ssim_valid``: the unpadded Wang et al. variant;
* ``psnr`` (dB, capped at 100), ``l1`` (mean absolute error) and ``l2`` (mean squared error), on the
  [0, 1] scale, over all pixels and channels;
* ``*_hole``: the same restricted to hole pixels (images without holes are skipped for those);
* FID between all outputs and all ground-truth images (Inception-v3 pool3, pytorch-fid weights), or
  ``None`` with the reason when the weights are not available locally (nothing is ever downloaded);
* realism, with no downloaded weights (:mod:`wavemix_inpaint.metrics.texture`): ``texture_distance``
  (Haar-subband W1 distance inside the hole, lower is better), ``haar_psi`` (whole image, higher is
  better), ``detail_ratio`` (the hole's fine-detail energy over the truth's, as a data-set ratio; 1 =
  as much detail as the photo), ``hole_colour_error`` (8-bit levels) and ``hole_colour_within_5``
  (share of images whose hole colour is within 5 levels of the truth's);
* LaMa-style hole-size bins: 10 equal bins of hole fraction (0-10 %, ..., 90-100 %) with the image count,
  the mean metrics and (with FID) a per-bin FID for bins of at least two images.

:func:`evaluate_model` also measures inference throughput and extrapolated training time per epoch (see
:mod:`wavemix_inpaint.evaluation.speed`) and counts the parameters.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from wavemix_inpaint.errors import InputError, MissingWeightsError
from wavemix_inpaint.evaluation.speed import SpeedConfig, measure_inference_speed, measure_training_speed
from wavemix_inpaint.metrics import (
    FIDMetric,
    compute_image_metrics,
    feature_statistics,
    frechet_distance,
    load_fid_inception,
)
from wavemix_inpaint.metrics.texture import compute_realism_metrics, detail_ratio
from wavemix_inpaint.models import count_parameters

#: per-image metrics, in report order (the realism metrics of :mod:`wavemix_inpaint.metrics.texture` last)
METRIC_NAMES: tuple[str, ...] = (
    "ssim",
    "ssim_valid",
    "psnr",
    "l1",
    "l2",
    "ssim_hole",
    "psnr_hole",
    "l1_hole",
    "l2_hole",
    "texture_distance",
    "haar_psi",
    "hole_colour_error",
    "detail",
    "detail_truth",
)
#: a fill whose mean colour is within this many 8-bit levels of the truth's counts as colour-faithful
COLOUR_TOLERANCE = 5.0
INCEPTION_NAME = "FIDInceptionV3 (pt_inception-2015-12-05 weights, pool3 2048-d)"


# ------------------------------------------------------------------------------------------------ FID


def load_fid_extractor(
    weights_path: str | os.PathLike | None = None, device: torch.device | str = "cpu"
) -> tuple[nn.Module | None, str | None]:
    """The FID Inception-v3 with pretrained weights, or ``(None, reason)`` when they cannot be found."""
    try:
        return load_fid_inception(weights_path, device=device), None
    except MissingWeightsError as error:
        return None, str(error)


def _resolve_fid(
    fid: Any, weights_path: str | os.PathLike | None, device: torch.device
) -> tuple[nn.Module | None, str | None, str | None]:
    """``(extractor, reason if none, extractor description)`` for the ``fid`` argument of :func:`evaluate_model`."""
    if fid is None or fid is False:
        return None, "FID disabled", None
    if isinstance(fid, FIDMetric):
        extractor = fid.feature_extractor
    elif isinstance(fid, nn.Module):
        extractor = fid
    elif fid is True or fid == "auto":
        extractor, reason = load_fid_extractor(weights_path, device)
        if extractor is None:
            return None, reason, None
    else:
        raise InputError(f"fid must be 'auto', None, an FIDMetric or a feature-extractor module, got {fid!r}")
    name = (
        INCEPTION_NAME
        if type(extractor).__name__ == "FIDInceptionV3"
        else (f"{type(extractor).__name__} (custom feature extractor: not comparable to published FIDs)")
    )
    return extractor.to(device).eval(), None, name


def _fid(real: np.ndarray, fake: np.ndarray) -> float | None:
    if real.shape[0] < 2 or fake.shape[0] < 2:
        return None
    mu_r, sigma_r = feature_statistics(real)
    mu_f, sigma_f = feature_statistics(fake)
    return frechet_distance(mu_r, sigma_r, mu_f, sigma_f)


# ----------------------------------------------------------------------------------------------- bins


def hole_bin_index(hole_pixels: np.ndarray, total_pixels: int, bins: int = 10) -> np.ndarray:
    """Bin of each image's hole fraction: ``[k/bins, (k+1)/bins)``, the last bin including 100 %.

    Integer arithmetic, so a hole of exactly 10 % lands in the 10-20 % bin, never in 0-10 % by round-off.
    """
    hole_pixels = np.asarray(hole_pixels, dtype=np.int64)
    return np.minimum(hole_pixels * bins // int(total_pixels), bins - 1)


def bin_label(index: int, bins: int = 10) -> str:
    low, high = 100 * index / bins, 100 * (index + 1) / bins
    return f"{low:g}-{high:g}%"


# --------------------------------------------------------------------------------------------- result


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy scalars/arrays -> Python, tuples -> lists."""
    if isinstance(value, Mapping):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, torch.device):
        return str(value)
    return value


@dataclass
class EvalResult:
    """Everything measured for one model on one evaluation set (see :meth:`to_dict` for the JSON form)."""

    model: str
    preset: str | None
    parameters: int
    num_images: int
    metrics: dict[str, float]
    metrics_std: dict[str, float]
    fid: float | None
    fid_reason: str | None
    fid_feature_extractor: str | None
    bins: list[dict[str, Any]]
    mean_hole_fraction: float
    inference: dict[str, Any] | None
    training: dict[str, Any] | None
    device: str
    seconds: float
    empty_masks: int = 0  # images whose mask has no hole: left out of every metric (nothing to fill)
    config: dict[str, Any] = field(default_factory=dict)
    per_image: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    samples: dict[str, Tensor] = field(default_factory=dict, repr=False)

    @property
    def images_per_second(self) -> float | None:
        return None if self.inference is None else self.inference.get("images_per_second")

    @property
    def train_seconds_per_epoch(self) -> float | None:
        return None if self.training is None else self.training.get("seconds_per_epoch")

    def to_dict(self, per_image: bool = False) -> dict[str, Any]:
        """JSON-serialisable summary (NaN -> null); ``per_image`` adds the per-image values."""
        data = {
            "model": self.model,
            "preset": self.preset,
            "parameters": self.parameters,
            "num_images": self.num_images,
            "metrics": self.metrics,
            "metrics_std": self.metrics_std,
            "fid": self.fid,
            "fid_reason": self.fid_reason,
            "fid_feature_extractor": self.fid_feature_extractor,
            "mean_hole_fraction": self.mean_hole_fraction,
            "empty_masks": self.empty_masks,
            "hole_bins": self.bins,
            "inference": self.inference,
            "training": self.training,
            "device": self.device,
            "evaluation_seconds": self.seconds,
            "config": self.config,
        }
        if per_image:
            data["per_image"] = {key: value for key, value in self.per_image.items()}
        return _clean(data)


# ------------------------------------------------------------------------------------------- evaluate


def _device(device: torch.device | str) -> torch.device:
    if isinstance(device, torch.device):
        return device
    from wavemix_inpaint.device import select_device

    return select_device(device)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _checked(dataset: Dataset, batch_size: int, bins: int, limit: int | None) -> tuple[Dataset, int]:
    """Validate the evaluation settings; the (possibly shortened) dataset and its size."""
    if batch_size < 1:
        raise InputError(f"batch size must be positive, got {batch_size}")
    if bins < 1:
        raise InputError(f"bins must be positive, got {bins}")
    count = len(dataset) if limit is None else min(limit, len(dataset))
    if count < 1:
        raise InputError("the evaluation set is empty")
    return (torch.utils.data.Subset(dataset, range(count)) if count < len(dataset) else dataset), count


def evaluate_model(
    model: nn.Module,
    dataset: Dataset,
    batch_size: int = 40,
    device: torch.device | str = "auto",
    *,
    fid: Any = "auto",
    fid_weights: str | os.PathLike | None = None,
    fid_cache: dict[str, np.ndarray] | None = None,
    fid_cache_key: str | None = None,
    bins: int = 10,
    limit: int | None = None,
    num_workers: int = 0,
    name: str | None = None,
    grid_samples: int = 8,
    speed: SpeedConfig | None = None,
    progress: bool = False,
) -> EvalResult:
    """Evaluate ``model`` (an ``InpaintingModel``: ``forward(image, mask) -> composited``) on ``dataset``.

    Args:
        dataset: items ``{"image": 3xHxW, "mask": 1xHxW}`` with fixed masks (e.g.
            ``MaskedImageDataset(images, mask_dir=...)``, see :func:`build_eval_dataset`).
        batch_size: evaluation batch, also the batch of the inference-throughput measurement.
        fid: ``"auto"`` (FID Inception if :func:`~wavemix_inpaint.metrics.find_inception_weights` finds the
            weights, else ``fid=None`` with the reason), ``None`` (skip), an :class:`FIDMetric` or any
            module mapping images in [0, 1] to ``N x D`` features (tests inject tiny ones).
        fid_weights: explicit location of the Inception weights (for ``fid="auto"``).
        fid_cache, fid_cache_key: a dict in which the ground-truth features are cached under the key, so
            several models evaluated on the same images extract them only once.
        bins: number of equal hole-fraction bins (LaMa: 10).
        limit: evaluate only the first ``limit`` items.
        grid_samples: keep the first N inputs/outputs in ``result.samples`` for :func:`qualitative_grid`.
        speed: what to time (``None``: :class:`SpeedConfig` defaults, i.e. inference at ``batch_size`` and
            training at batch 40, 96x96, extrapolated to 80,000 images per epoch). ``SpeedConfig(enabled=False)``
            skips both.
    """
    device = _device(device)
    dataset, count = _checked(dataset, batch_size, bins, limit)
    speed = speed or SpeedConfig()
    extractor, fid_reason, extractor_name = _resolve_fid(fid, fid_weights, device)
    cache = fid_cache if extractor is not None and fid_cache is not None and fid_cache_key is not None else None
    cached_real = cache.get(fid_cache_key) if cache is not None else None
    if cached_real is not None and cached_real.shape[0] != count:
        cached_real = None

    model = model.to(device).eval()
    started = time.perf_counter()
    label = f"evaluate {name or getattr(model, 'model_name', '') or ''}".strip()
    collected = _collect(
        model, dataset, batch_size, num_workers, device, extractor, cached_real is None, grid_samples, progress and label
    )
    _sync(device)
    seconds = time.perf_counter() - started
    values = collected.values
    means, stds = summarise(values, slice(None))
    scored = _scored(values)

    fid_value = fake = real = None
    if extractor is not None:
        fake = np.concatenate(collected.fake_features)
        real = cached_real if cached_real is not None else np.concatenate(collected.real_features)
        if cache is not None:
            cache[fid_cache_key] = real
        fid_value = _fid(real[scored], fake[scored])
        fid_reason = fid_reason if fid_value is not None else f"FID needs at least 2 images with a hole, got {int(scored.sum())}"

    inference = training = None
    if speed.enabled and speed.inference:
        inference = measure_inference_speed(model, dataset, batch_size=batch_size, device=device, config=speed)
    if speed.enabled and speed.training:
        training = measure_training_speed(model, device=device, config=speed)
    return EvalResult(
        model=name or getattr(model, "model_name", None) or type(model).__name__,
        preset=getattr(model, "model_name", None),
        parameters=count_parameters(model),
        num_images=count,
        metrics=means,
        metrics_std=stds,
        fid=fid_value,
        fid_reason=None if fid_value is not None else fid_reason,
        fid_feature_extractor=extractor_name,
        bins=_bin_rows(values, collected.total_pixels, bins, means, real, fake),
        mean_hole_fraction=float(values["hole_fraction"][scored].mean()) if scored.any() else 0.0,
        inference=inference,
        training=training,
        device=str(device),
        seconds=seconds,
        empty_masks=int((~scored).sum()),
        config={"batch_size": batch_size, "bins": bins, "model_config": dict(getattr(model, "config", {}) or {})},
        per_image=values,
        samples={key: torch.cat(parts) if parts else torch.empty(0) for key, parts in collected.samples.items()},
    )


@dataclass
class _Collected:
    """What one pass over the evaluation set gathers."""

    values: dict[str, np.ndarray]  # per-image metrics and the hole fraction
    total_pixels: int
    real_features: list[np.ndarray]
    fake_features: list[np.ndarray]
    samples: dict[str, list[Tensor]]


def _collect(
    model: nn.Module,
    dataset: Dataset,
    batch_size: int,
    num_workers: int,
    device: torch.device,
    extractor: nn.Module | None,
    want_real: bool,
    grid_samples: int,
    progress: str | bool,
) -> _Collected:
    """Run ``model`` over ``dataset``: per-image metrics, FID features, the first ``grid_samples`` outputs."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    if progress:
        from tqdm import tqdm

        loader = tqdm(loader, desc=str(progress), leave=False)
    per_image: dict[str, list[np.ndarray]] = {}
    hole_pixels, real, fake = [], [], []
    samples: dict[str, list[Tensor]] = {"image": [], "mask": [], "output": []}
    kept, total_pixels = 0, 1
    with torch.inference_mode():
        for batch in loader:
            image = batch["image"].to(device, torch.float32)
            mask = (batch["mask"].to(device) > 0.5).to(torch.float32)
            output = model(image, mask).float().clamp(0.0, 1.0)
            metrics = {**compute_image_metrics(output, image, mask), **compute_realism_metrics(output, image, mask)}
            for key in METRIC_NAMES:
                if key in metrics:
                    per_image.setdefault(key, []).append(metrics[key].detach().double().cpu().numpy())
            hole_pixels.append((mask > 0.5).flatten(1).sum(dim=1).long().cpu().numpy())
            total_pixels = int(mask.shape[-1] * mask.shape[-2])
            if extractor is not None:
                # float32 storage (10,000 x 2048 features = 82 MB); statistics are computed in float64
                fake.append(extractor(output).reshape(output.shape[0], -1).float().cpu().numpy())
                if want_real:
                    real.append(extractor(image).reshape(image.shape[0], -1).float().cpu().numpy())
            take = min(grid_samples - kept, image.shape[0])
            if take > 0:
                for key, tensor in (("image", image), ("mask", mask), ("output", output)):
                    samples[key].append(tensor[:take].cpu())
                kept += take
    values = {key: np.concatenate(parts) for key, parts in per_image.items()}
    values["hole_pixels"] = np.concatenate(hole_pixels)
    values["hole_fraction"] = values["hole_pixels"] / float(total_pixels)
    empty = ~_scored(values)
    for key in METRIC_NAMES:
        if key in values:
            values[key][empty] = np.nan
    return _Collected(values, total_pixels, real, fake, samples)


def _scored(values: dict[str, np.ndarray]) -> np.ndarray:
    """Images with a hole. An empty mask leaves the output equal to the input: a perfect score that says
    nothing of the model, so those images are left out of every metric, FID and the hole-size bins."""
    return values["hole_pixels"] > 0


def summarise(values: dict[str, np.ndarray], indices: np.ndarray | slice) -> tuple[dict[str, float], dict[str, float]]:
    """Means and standard deviations of the per-image metrics of the images ``indices`` (NaNs skipped), plus
    the data-set ``detail_ratio`` and the share of images whose hole colour is within tolerance."""
    means, stds = {}, {}
    for key in METRIC_NAMES:
        if key not in values:
            continue
        column = values[key][indices]
        column = column[~np.isnan(column)]
        means[key] = float(column.mean()) if column.size else math.nan
        stds[key] = float(column.std()) if column.size else math.nan
    if "detail" in values:  # data-set ratios, not means of per-image ratios (near-flat holes would rule)
        means["detail_ratio"] = detail_ratio(
            torch.from_numpy(values["detail"][indices]), torch.from_numpy(values["detail_truth"][indices])
        )
        colour = values["hole_colour_error"][indices]
        colour = colour[~np.isnan(colour)]
        means["hole_colour_within_5"] = float(np.mean(colour <= COLOUR_TOLERANCE)) if colour.size else math.nan
    return means, stds


def _bin_rows(
    values: dict[str, np.ndarray],
    total_pixels: int,
    bins: int,
    means: dict[str, float],
    real: np.ndarray | None,
    fake: np.ndarray | None,
) -> list[dict[str, Any]]:
    """LaMa-style rows per hole-size bin: count, mean metrics and (with features) a per-bin FID."""
    bin_ids = hole_bin_index(values["hole_pixels"], total_pixels, bins)
    scored = _scored(values)
    rows = []
    for index in range(bins):
        members = np.flatnonzero((bin_ids == index) & scored)
        rows.append(
            {
                "bin": bin_label(index, bins),
                "low": index / bins,
                "high": (index + 1) / bins,
                "count": int(members.size),
                "metrics": summarise(values, members)[0] if members.size else {key: math.nan for key in means},
                "fid": _fid(real[members], fake[members]) if real is not None else None,
            }
        )
    return rows


# ------------------------------------------------------------------------------------------- datasets


def read_mask_size(mask_dir: str | os.PathLike) -> tuple[int, int]:
    """``(height, width)`` of a mask set (from ``masks.json``, else from its first ``mask_*.png``)."""
    from PIL import Image

    from wavemix_inpaint.data import list_mask_files
    from wavemix_inpaint.masks import MANIFEST_NAME

    folder = Path(mask_dir)
    manifest = folder / MANIFEST_NAME
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            return int(data["height"]), int(data["width"])
        except (ValueError, KeyError, TypeError):
            pass
    with Image.open(list_mask_files(folder)[0]) as image:
        return image.height, image.width


def missing_masks_message(mask_dir: str | os.PathLike, preset: str = "thick", size: int = 96) -> str:
    return (
        f"mask folder {mask_dir} does not exist; create a fixed, seeded evaluation mask set first, e.g.\n"
        f"  wavemix-inpaint masks --preset {preset} --size {size} --count 1000 --seed 1 --output {mask_dir}\n"
        "(presets: thick, medium, thin, square:N, ...; see `wavemix-inpaint masks --help`)"
    )


def build_eval_dataset(
    data: str,
    mask_dir: str | os.PathLike,
    split: str = "test",
    limit: int | None = None,
    image_size: int | None = None,
) -> Dataset:
    """Images of ``data`` (folder: centre crops, images smaller than the masks upscaled (bicubic) first;
    ``stl10:PATH``: the split) paired with the fixed masks.

    Image ``i`` gets mask file ``i`` (sorted), so ``min(#images, #masks, limit)`` pairs are evaluated and
    no mask is reused. The image size is the masks' size unless ``image_size`` is given (it must match);
    with non-square masks (e.g. 481x321 for full BSDS500 photos) images of the other orientation are
    turned by 90 degrees.
    """
    from wavemix_inpaint.data import MaskedImageDataset, Subset, build_dataset, list_mask_files

    folder = Path(mask_dir).expanduser()
    if not folder.is_dir():
        raise InputError(missing_masks_message(folder))
    height, width = read_mask_size(folder)
    if image_size is not None and (image_size, image_size) != (height, width):
        raise InputError(f"--image-size {image_size} does not match the {width}x{height} masks in {folder}")
    # a folder is always centre-cropped (``split`` picks STL-10's part only; for a folder it once switched to random crops)
    images = build_dataset(data, split, height if height == width else (height, width), crop="center")
    count = min(len(images), len(list_mask_files(folder)))
    if limit is not None:
        if limit < 1:
            raise InputError(f"limit must be positive, got {limit}")
        count = min(count, limit)
    return MaskedImageDataset(Subset(images, np.arange(count)), mask_dir=folder, seed=0)
