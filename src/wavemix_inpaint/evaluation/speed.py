"""Measured speed, as in Table 1 of the paper: inference images/s and training seconds per epoch (batch 40).

* Inference: ``warmup`` untimed batches, then ``batches`` individually timed forward passes (median used) of the whole model
  (masking, padding, network, compositing) under :func:`torch.inference_mode`, on a batch of real
  evaluation images and masks (repeated to fill the batch when the set is smaller).
* Training: a copy of the model in train mode, AdamW as in the paper, the training loss (0.75 (1 - SSIM)
  + 0.25 L1 on the composited output, the loss :class:`~wavemix_inpaint.training.Trainer` uses for every
  model) with AMP on CUDA like the trainer; ``train_warmup`` untimed optimizer steps then ``train_steps``
  timed ones on random batch-40 96x96 inputs. Seconds per epoch = median seconds per step x (train set size /
  batch size), 80,000 / 40 = 2,000 steps for the paper's STL-10 split: an **extrapolation** from the
  measured steps, without data loading or validation. Models without trainable parameters (classical
  methods) get ``None``.
"""

from __future__ import annotations

import copy
import math
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from wavemix_inpaint.device import autocast, autocast_dtype, time_runs
from wavemix_inpaint.models import count_parameters

PAPER_TRAIN_SET_SIZE = 80_000


@dataclass
class SpeedConfig:
    """What :func:`~wavemix_inpaint.evaluation.evaluate_model` times (``enabled=False`` skips everything)."""

    enabled: bool = True
    inference: bool = True
    training: bool = True
    warmup: int = 1
    batches: int = 3
    train_warmup: int = 1
    train_steps: int = 3
    train_batch_size: int = 40
    train_image_size: int = 96
    train_set_size: int = PAPER_TRAIN_SET_SIZE
    precision: str = "auto"
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _input_batch(dataset: Dataset, batch_size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``batch_size`` items of ``dataset`` (cycled when it is smaller) as image and mask batches."""
    count = min(len(dataset), batch_size)
    items = [dataset[index] for index in range(count)]
    images = torch.stack([item["image"] for item in items])
    masks = torch.stack([item["mask"] for item in items])
    repeats = math.ceil(batch_size / count)
    images = images.repeat(repeats, 1, 1, 1)[:batch_size]
    masks = masks.repeat(repeats, 1, 1, 1)[:batch_size]
    return images.to(device, torch.float32), (masks > 0.5).to(device, torch.float32)


def measure_inference_speed(
    model: nn.Module,
    dataset: Dataset,
    batch_size: int = 40,
    device: torch.device | str = "cpu",
    config: SpeedConfig | None = None,
) -> dict[str, Any]:
    """Images per second of ``model(image, mask)`` at ``batch_size`` (see the module docstring)."""
    config = config or SpeedConfig()
    device = torch.device(device)
    model = model.to(device).eval()
    image, mask = _input_batch(dataset, batch_size, device)
    with torch.inference_mode():
        times = time_runs(lambda: model(image, mask), device, warmup=config.warmup, runs=config.batches)
    median = statistics.median(times)
    return {
        "images_per_second": batch_size / max(median, 1e-12),
        "batch_size": batch_size,
        "image_size": list(image.shape[-2:]),
        "warmup_batches": config.warmup,
        "timed_batches": len(times),
        "seconds_per_batch_median": median,
        "seconds_per_batch": times,
        "precision": "fp32",
        "device": str(device),
        "threads": torch.get_num_threads(),
    }


def _random_masks(generator: torch.Generator, batch: int, size: int) -> torch.Tensor:
    """Blocky random holes covering roughly a third of each image (content is irrelevant for timing)."""
    cells = max(1, size // 8)
    coarse = (torch.rand(batch, 1, cells, cells, generator=generator) < 0.35).float()
    return F.interpolate(coarse, size=(size, size), mode="nearest")


def training_step(
    model: nn.Module, image: torch.Tensor, mask: torch.Tensor, precision: str = "auto", objective: dict[str, Any] | None = None
) -> Callable[[], None]:
    """One timed-training step as a closure, the way the trainer does it: AdamW on a copy of ``model`` (the
    model itself is untouched), the generator loss of ``objective`` (:class:`TrainingObjective` settings;
    default the paper's 0.75 (1 - SSIM) + 0.25 L1) and, when it has one, the discriminator's own step;
    autocast for ``precision`` and a gradient scaler for fp16 on CUDA. The one step that ``evaluate``'s
    s/epoch column and ``benchmark``'s training columns time."""
    from wavemix_inpaint.training.objective import TrainingObjective

    device = image.device
    net = copy.deepcopy(model).to(device).train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses = TrainingObjective(**(objective or {}), device=device)
    use_amp = device.type == "cuda" and autocast_dtype(precision, device) == torch.float16
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)

    def step() -> None:
        with autocast(precision, device):
            output, raw = net(image, mask, return_raw=True)
        loss = losses.generator_loss(output, raw, image, mask)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        losses.discriminator_step(raw, image, mask)

    return step


def measure_training_speed(
    model: nn.Module,
    device: torch.device | str = "cpu",
    config: SpeedConfig | None = None,
) -> dict[str, Any] | None:
    """Measured seconds per optimizer step and extrapolated seconds per epoch, or ``None`` when the model has
    no trainable parameters (see the module docstring)."""
    config = config or SpeedConfig()
    device = torch.device(device)
    if count_parameters(model, trainable_only=True) == 0:
        return None
    dtype = autocast_dtype(config.precision, device)
    generator = torch.Generator().manual_seed(config.seed)
    size, batch = config.train_image_size, config.train_batch_size
    image = torch.rand(batch, 3, size, size, generator=generator).to(device)
    mask = _random_masks(generator, batch, size).to(device)
    step = training_step(model, image, mask, config.precision)

    times = time_runs(step, device, warmup=config.train_warmup, runs=config.train_steps)
    per_step = statistics.median(times)
    steps_per_epoch = config.train_set_size / batch
    return {
        "seconds_per_epoch": per_step * steps_per_epoch,
        "seconds_per_step": per_step,
        "seconds_per_step_all": times,
        "steps_per_epoch": steps_per_epoch,
        "measured_steps": len(times),
        "warmup_steps": config.train_warmup,
        "batch_size": batch,
        "image_size": [size, size],
        "train_set_size": config.train_set_size,
        "precision": {torch.float16: "fp16 autocast", torch.bfloat16: "bf16 autocast"}.get(dtype, "fp32"),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "note": (
            f"extrapolated: median of {len(times)} measured optimizer step(s) (after {config.train_warmup} warm-up) "
            f"at batch {batch}, {size}x{size}, on {device} x {config.train_set_size:,}/{batch} steps per epoch; "
            "excludes data loading and validation"
        ),
    }
