"""The training loop: one readable class in the spirit of nanoGPT's ``train.py``.

Recipe (paper, appendix A): batch 40, AdamW(1e-3, betas 0.9/0.999, eps 1e-8, wd 0.01) for the first
half of the epochs, then the best-by-validation weights are reloaded and SGD(1e-3, momentum 0.9) trains
the rest; loss 0.75 (1 - SSIM) + 0.25 L1 on the composited output; AMP (fp16 autocast + GradScaler) on
CUDA. Validation runs after every epoch on a fixed, seeded set of masks.

Run folder layout::

    config.yaml        the exact settings of the run
    val_masks/         fixed validation masks (PNG, 255 = hole) + masks.json
    last.pt            full resumable state (model, optimizer, scaler, RNG, counters), atomic
    last.safetensors   latest weights (+ .json config), loadable with ``load_model``
    best.safetensors   best weights by validation loss (+ .json)
    metrics.csv        one row per epoch
    tb/                TensorBoard events (when the ``tensorboard`` package is installed)
"""

from __future__ import annotations

import csv
import inspect
import io
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import nn
from torch.utils.data import DataLoader, Subset

from wavemix_inpaint.checkpoint import read_checkpoint, save_checkpoint
from wavemix_inpaint.data import STL10_PREFIX, MaskedImageDataset, build_dataset, split_indices, worker_init_fn
from wavemix_inpaint.data import Subset as IndexSubset
from wavemix_inpaint.device import autocast, autocast_dtype, select_device
from wavemix_inpaint.errors import InputError, WavemixError
from wavemix_inpaint.fileio import atomic_write_text
from wavemix_inpaint.inference.edge_pass import upscale_window
from wavemix_inpaint.masks import generate_eval_masks, get_mask_generator
from wavemix_inpaint.metrics import MetricAccumulator, compute_image_metrics
from wavemix_inpaint.models import InpaintingModel, count_parameters, create_model
from wavemix_inpaint.models.prefill import TRACEABLE_PREFILLS
from wavemix_inpaint.models.pyramid import downsample_pair, upsample_fill
from wavemix_inpaint.state_dicts import load_state_strict
from wavemix_inpaint.training.config import TrainConfig, make_train_config
from wavemix_inpaint.training.distributed import DistributedContext, all_reduce_mean, barrier, init_distributed
from wavemix_inpaint.training.objective import TrainingObjective
from wavemix_inpaint.training.state import LoopState, load_training_state, save_training_state

CSV_FIELDS = (
    "epoch",
    "step",
    "phase",
    "lr",
    "train_loss",
    "val_loss",
    "val_ssim",
    "val_ssim_valid",
    "val_psnr",
    "val_l1",
    "val_l2",
    "val_ssim_hole",
    "val_psnr_hole",
    "val_l1_hole",
    "val_l2_hole",
    "epoch_seconds",
    "train_images_per_second",
    "is_best",
    "images_seen",
    "cpu_seconds",
)
SAVE_DTYPES = {"float32": None, "float16": torch.float16, "bfloat16": torch.bfloat16}


class TrainingError(WavemixError):
    """Training cannot continue (e.g. the loss stayed NaN/inf)."""


class Trainer:
    """Train one model as described by a :class:`TrainConfig`.

    ``resume=True`` continues the run in ``config.output`` from its ``last.pt`` (use
    :func:`resume_config` to get the settings the run was started with).
    """

    def __init__(self, config: TrainConfig, resume: bool = False) -> None:
        self.run_dir = Path(config.output)
        if not resume and (self.run_dir / "last.pt").exists():
            raise InputError(
                f"{self.run_dir} already holds a training run; pass --resume to continue it or choose another --output"
            )
        self.config = config
        self.device = select_device(config.device)
        self.dist: DistributedContext = init_distributed(self.device.type)
        if self.dist.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.dist.local_rank)
            torch.cuda.set_device(self.device)
        torch.manual_seed(config.seed)
        self.autocast_dtype = autocast_dtype(config.precision, self.device)
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.model: InpaintingModel = create_model(config.model, **config.model_options).to(
            self.device, memory_format=self.memory_format
        )
        if config.init_from and not resume:  # fine-tune: start from a checkpoint's weights
            saved, tensors = read_checkpoint(config.init_from)
            _check_same_function(saved.get("config", {}), self.model, config)
            if config.init_grow:  # a smaller WaveMix: same function, more capacity
                if not hasattr(self.model, "grow_from"):
                    raise InputError(f"init_grow needs a WaveMix model, not {config.model!r}")
                try:
                    self.model.grow_from({key: value.float() for key, value in tensors.items()})
                except ValueError as error:
                    raise InputError(f"{config.init_from}: {error}") from None
            else:
                load_state_strict(self.model, tensors, config.init_from)
        if not getattr(self.model, "trainable", True):
            raise InputError(f"model {config.model!r} is a classical method with nothing to train; evaluate it directly")
        for name in ("coarse_estimate_prob", "finer_level_prob"):
            if getattr(config, name) > 0 and not hasattr(self.model, "refine"):
                raise InputError(f"{name} needs a model that refines an estimate (WaveMix), not {config.model!r}")
        self.net: nn.Module = self._wrap(self.model) if self.dist.enabled else self.model
        self.objective = TrainingObjective(
            config.loss,
            config.ssim_weight,
            config.l1_weight,
            config.adversarial_weight,
            config.feature_matching_weight,
            config.r1_weight,
            config.disc_lr,
            self.device,
            wrap=self._wrap if self.dist.enabled else None,
            perceptual_weight=config.perceptual_weight,
            perceptual_weights=config.perceptual_weights,
            disc_width=config.disc_width,
            disc_layers=config.disc_layers,
            l2_weight=config.l2_weight,
        )
        self.loss_fn = self.objective.pixel_loss
        self.train_set, self.val_set = self._build_datasets()
        self.scaler = torch.amp.GradScaler(
            self.device.type, enabled=self.autocast_dtype == torch.float16 and self.device.type == "cuda"
        )
        self.loop = LoopState()
        self.optimizer = self._make_optimizer("adamw" if config.sgd_from_epoch > 0 else "sgd")
        self.loop.phase = "adamw" if config.sgd_from_epoch > 0 else "sgd"
        self.writer = None
        if resume:
            for stale in self.run_dir.glob(".*.tmp"):  # left by a process killed while writing
                stale.unlink()
            self._restore()
            if self.dist.is_main:
                self._record_changed_settings()
        elif self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.run_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))

    def _record_changed_settings(self) -> None:
        """A resume that changed the run's length (``--epochs``, ``--switch-epoch``, limits) rewrites
        ``config.yaml``, so that the next plain ``--resume`` keeps the new schedule instead of going back
        to the old one mid-run."""
        saved_path = self.run_dir / "config.yaml"
        saved = yaml.safe_load(saved_path.read_text(encoding="utf-8")) if saved_path.is_file() else {}
        current = self.config.to_dict()
        changed = {key: (saved.get(key), value) for key, value in current.items() if saved.get(key) != value}
        for how_it_runs in ("output", "progress"):  # where the run is now; bars shown or not this time
            changed.pop(how_it_runs, None)
        if changed:
            detail = ", ".join(f"{key} {old} -> {new}" for key, (old, new) in changed.items())
            self._log(f"resumed with changed settings ({detail}); recorded in {saved_path}")
            atomic_write_text(saved_path, yaml.safe_dump(current, sort_keys=False))

    # ------------------------------------------------------------------ setup
    def _wrap(self, module: nn.Module) -> nn.Module:
        """DistributedDataParallel around ``module`` on this process's device."""
        return nn.parallel.DistributedDataParallel(module, device_ids=[self.device.index] if self.device.type == "cuda" else None)

    def _build_datasets(self) -> tuple[MaskedImageDataset, MaskedImageDataset]:
        cfg = self.config
        if not cfg.data:
            raise InputError("no training data given: use --data DIR or --data stl10:PATH")
        train_images = build_dataset(cfg.data, "train", cfg.image_size)
        val_images = build_dataset(cfg.val_data or cfg.data, "val", cfg.image_size)
        if not cfg.val_data and not cfg.data.startswith(STL10_PREFIX):  # (STL-10: its seeded val split already)
            # a folder without --val-data: validate on a seeded share of its photos, never trained on
            split = split_indices(len(train_images), HELD_OUT_FRACTIONS, seed=0)
            if not len(split["val"]) or not len(split["train"]):
                raise InputError(f"{cfg.data} has too few photos to hold some out for validation: give --val-data")
            train_images, val_images = IndexSubset(train_images, split["train"]), IndexSubset(val_images, split["val"])
        val_count = min(cfg.val_size, len(val_images))
        mask_dir = self.run_dir / "val_masks"
        if self.dist.is_main and not (mask_dir / "masks.json").exists():
            generate_eval_masks(cfg.val_mask_preset, cfg.image_size, val_count, cfg.seed + 1, mask_dir)
        barrier(self.dist)
        # A prefill that runs on the CPU (OpenCV Telea) is computed by the loader's worker processes: in the
        # training loop it would stall a GPU (docs/performance.md). Traceable prefills stay in the model.
        prefill = getattr(self.model, "prefill", "none")
        loader_prefill = None if prefill in TRACEABLE_PREFILLS else prefill
        train = MaskedImageDataset(
            train_images,
            mask_generator=get_mask_generator(cfg.mask_preset),
            seed=cfg.seed,
            augment=cfg.augment,
            prefill=loader_prefill,
        )
        val = MaskedImageDataset(
            IndexSubset(val_images, np.arange(val_count)), mask_dir=mask_dir, seed=cfg.seed, prefill=loader_prefill
        )
        return train, val

    def _make_optimizer(self, phase: str) -> torch.optim.Optimizer:
        cfg = self.config
        if phase == "adamw":
            return torch.optim.AdamW(
                self.model.parameters(), lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay
            )
        return torch.optim.SGD(self.model.parameters(), lr=cfg.sgd_lr, momentum=cfg.sgd_momentum)

    # ------------------------------------------------------------- checkpoints
    def _payload(self) -> dict[str, Any]:
        payload = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "objective": self.objective.state_dict(),
        }
        if self.device.type == "cuda":
            payload["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return payload

    def _restore(self) -> None:
        self.loop, payload = load_training_state(self.run_dir / "last.pt")
        if self.dist.is_main:
            self._drop_rows_after(self.loop.epoch)
        self.model.load_state_dict(payload["model"])
        self.optimizer = self._make_optimizer(self.loop.phase)
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scaler.load_state_dict(payload["scaler"])
        self.objective.load_state_dict(payload.get("objective", {}))
        torch.set_rng_state(payload["torch_rng"])
        if "cuda_rng" in payload and self.device.type == "cuda":
            torch.cuda.set_rng_state(payload["cuda_rng"], self.device)

    def _save(self, is_best: bool = False, row: dict[str, Any] | None = None) -> None:
        """Weights, then the epoch's ``row``, then ``last.pt`` last: a run killed in between resumes from
        the previous ``last.pt`` and redoes the epoch (its row, if written, is dropped on resume)."""
        if not self.dist.is_main:
            return
        dtype = SAVE_DTYPES[self.config.save_dtype]
        info = {"epoch": self.loop.epoch, "step": self.loop.step, "data": self.config.data}
        save_checkpoint(self.model, self.run_dir / "last.safetensors", dtype=dtype, **info)
        if is_best:
            save_checkpoint(self.model, self.run_dir / "best.safetensors", dtype=dtype, **info)
        if row is not None:
            self._write_row(row)
        save_training_state(self.run_dir / "last.pt", self.loop, self._payload())

    # ------------------------------------------------------------------ data
    def _steps_per_epoch(self) -> int:
        cfg = self.config
        return cfg.steps_per_epoch or max(1, len(self.train_set) // (cfg.batch_size * self.dist.world_size))

    def _epoch_batches(self, epoch: int) -> list[int]:
        """This rank's sample indices for ``epoch``: a seeded permutation, identical on every run."""
        cfg, world = self.config, self.dist.world_size
        global_batch = cfg.batch_size * world
        steps = self._steps_per_epoch()
        rng = np.random.default_rng([cfg.seed, epoch, 0x5EED])
        needed, count = steps * global_batch, len(self.train_set)
        # an epoch longer than the data set passes over it several times: pass k asks for index + k * count,
        # the same photo with its own crop, augmentation and mask (MaskedImageDataset), not an exact repeat
        passes = [rng.permutation(count) + k * count for k in range(-(-needed // count))]
        order = np.concatenate(passes)
        per_rank = order[:needed].reshape(steps, world, cfg.batch_size)[:, self.dist.rank, :]
        return per_rank.reshape(-1).tolist()

    def _loader(self, dataset: torch.utils.data.Dataset, batch_size: int) -> DataLoader:
        # a private generator keeps the DataLoader from drawing on the global RNG (dropout), so a resumed
        # run consumes random numbers exactly like an uninterrupted one
        generator = torch.Generator().manual_seed(self.config.seed)
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=False,
            num_workers=self.config.num_workers,
            worker_init_fn=worker_init_fn,
            generator=generator,
            pin_memory=self.device.type == "cuda",
        )

    def _autocast(self):  # noqa: ANN202
        return autocast(self.config.precision, self.device)

    # --------------------------------------------------------------- training
    def _scheduled_lr(self) -> float:
        """AdamW learning rate for the next step: ``lr``, or its cosine decay over the AdamW phase."""
        cfg = self.config
        if cfg.lr_schedule == "constant":
            return cfg.lr
        progress = min(self.loop.step / max(cfg.sgd_from_epoch * self._steps_per_epoch(), 1), 1.0)
        return 0.5 * cfg.lr * (1.0 + math.cos(math.pi * progress))

    def _train_step(self, image: torch.Tensor, mask: torch.Tensor, estimate: torch.Tensor | None = None) -> float | None:
        """One optimisation step; returns the loss, or None when the step was skipped (non-finite loss).
        ``estimate``: the prefill computed by the data loader (see :meth:`_build_datasets`), if any."""
        if self.loop.phase == "adamw":
            lr = self._scheduled_lr()
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        if self.config.coarse_estimate_prob > 0:
            estimate = self._with_coarse_estimates(image, mask, estimate)
        inputs = image  # what the network is given; ``image`` is the target
        if self.config.finer_level_prob > 0:
            inputs, image, mask, estimate = self._with_finer_levels(image, mask, estimate)
        with self._autocast():
            output, raw = self.net(inputs, mask, return_raw=True, estimate=estimate)
        loss = self.objective.generator_loss(output, raw, image, mask)
        finite = all_reduce_mean(torch.isfinite(loss).float().reshape(1), self.dist).item() == 1.0
        if not finite:
            self.optimizer.zero_grad(set_to_none=True)
            return None
        self.scaler.scale(loss).backward()
        if self.config.grad_clip:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.objective.discriminator_step(raw, image, mask)
        return loss.item()

    @torch.no_grad()
    def _with_coarse_estimates(self, image: torch.Tensor, mask: torch.Tensor, estimate: torch.Tensor | None) -> torch.Tensor:
        """The batch's first estimates, where a random ``coarse_estimate_prob`` share of the samples get
        the model's own fill at half resolution, upsampled: what coarse-to-fine inference feeds the
        finer levels (:mod:`wavemix_inpaint.models.pyramid`)."""
        if estimate is None:
            estimate = self.model.initial_estimate(image * (1 - mask), mask)
        chosen = torch.rand(image.shape[0]) < self.config.coarse_estimate_prob  # the global RNG: resumable
        if not bool(chosen.any()):
            return estimate
        picked = chosen.nonzero()[:, 0].to(image.device)
        small_image, small_mask = downsample_pair(image[picked], mask[picked])
        self.model.eval()
        with self._autocast():
            coarse = self.model(small_image, small_mask)
        self.model.train()
        estimate = estimate.clone()
        estimate[picked] = upsample_fill(coarse, image[picked], mask[picked]).to(estimate.dtype)
        return estimate

    @torch.no_grad()
    def _with_finer_levels(
        self, image: torch.Tensor, mask: torch.Tensor, estimate: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(inputs, targets, masks, estimates)`` where a random ``finer_level_prob`` share of the samples
        are what the edge pass (:mod:`wavemix_inpaint.inference.edge_pass`) gives the network: a window of a
        third of the crop (at a random place, the same for the batch), the model's own fill of the whole
        crop cut to it and upscaled 3x (bicubic) as input and estimate, the hole upscaled (nearest), and the
        truth upscaled the same way as the target. The input never holds the truth's hole pixels (in use:
        the object to remove), as in the pipeline."""
        if estimate is None:
            estimate = self.model.initial_estimate(image * (1 - mask), mask)
        chosen = torch.rand(image.shape[0]) < self.config.finer_level_prob  # the global RNG: resumable
        if not bool(chosen.any()):
            return image, image, mask, estimate
        picked = chosen.nonzero()[:, 0].to(image.device)
        self.model.eval()
        with self._autocast():
            filled = self.model(image[picked], mask[picked], estimate=estimate[picked]).float()
        self.model.train()
        height, width = image.shape[-2:]  # multiples of 3 (TrainConfig checks image_size)
        top, left = (int(torch.randint(0, side - side // 3 + 1, (1,))) for side in (height, width))
        window = (..., slice(top, top + height // 3), slice(left, left + width // 3))
        # N x C x h/3 x w/3 -> N x C x h x w, as the pipeline upscales a window
        finer_input, finer_mask = upscale_window(filled[window], mask[picked][window], 3)
        finer_target, _ = upscale_window(image[picked][window], mask[picked][window], 3)
        inputs, targets, masks, estimates = image.clone(), image.clone(), mask.clone(), estimate.clone()
        inputs[picked], estimates[picked] = finer_input.to(image.dtype), finer_input.to(estimate.dtype)
        targets[picked], masks[picked] = finer_target.to(image.dtype), finer_mask.to(mask.dtype)
        inputs, targets, masks, estimates = (
            t.contiguous(memory_format=self.memory_format) for t in (inputs, targets, masks, estimates)
        )
        return inputs, targets, masks, estimates

    def _batches(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]:
        self.train_set.set_epoch(epoch)
        indices = self._epoch_batches(epoch)[self.loop.batch_in_epoch * self.config.batch_size :]
        for batch in self._loader(Subset(self.train_set, indices), self.config.batch_size):
            yield self._to_device(batch["image"]), self._to_device(batch["mask"]), self._estimate(batch)

    def _estimate(self, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
        return self._to_device(batch["estimate"]) if "estimate" in batch else None

    def _to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        # channels_last (NHWC) makes oneDNN's convolutions, notably their backward passes, >2x faster on CPU
        return tensor.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Loss and image metrics on the fixed validation set (composited outputs, per image then averaged)."""
        self.model.eval()
        accumulator = MetricAccumulator()
        for batch in self._loader(self.val_set, self.config.batch_size):
            image, mask = self._to_device(batch["image"]), self._to_device(batch["mask"])
            with self._autocast():
                output = self.model(image, mask, estimate=self._estimate(batch))
            output = output.float().clamp(0, 1)
            metrics = compute_image_metrics(output, image, mask)
            # per-image loss from the same per-image SSIM (reflect padding), L1 and MSE the training loss uses
            metrics["loss"] = self.loss_fn.weighted(metrics["ssim"], metrics["l1"], metrics["l2"])
            accumulator.update(metrics)
        self.model.train()
        return {f"val_{name}": value for name, value in accumulator.mean().items()}

    def _maybe_switch_to_sgd(self) -> None:
        if self.loop.phase != "adamw" or self.loop.epoch < self.config.sgd_from_epoch:
            return
        best = self.run_dir / "best.safetensors"
        if best.exists():
            _, tensors = read_checkpoint(best)
            load_state_strict(self.model, tensors, str(best))
        self.optimizer = self._make_optimizer("sgd")
        self.loop.phase = "sgd"
        self._log(f"epoch {self.loop.epoch}: switching to SGD (reloaded {'best' if best.exists() else 'current'} weights)")

    def _log(self, message: str) -> None:
        """Print a line on the main process (between progress-bar updates when bars are shown)."""
        if self.dist.is_main:
            from tqdm import tqdm

            tqdm.write(message)

    def _drop_rows_after(self, epochs_done: int) -> None:
        """Remove metrics.csv rows of epochs that ``last.pt`` does not include (a kill after the row was
        written and before ``last.pt`` was): they are trained again, and logged again."""
        path = self.run_dir / "metrics.csv"
        if not path.exists():
            return
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        kept = [rows[0]] + [row for row in rows[1:] if row and int(row[0]) <= epochs_done]
        if len(kept) < len(rows):
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(kept)
            atomic_write_text(path, text.getvalue())

    def _write_row(self, row: dict[str, Any]) -> None:
        path = self.run_dir / "metrics.csv"
        new = not path.exists()
        fields = CSV_FIELDS
        if not new:  # a run started by an older version keeps its columns
            with open(path, newline="", encoding="utf-8") as handle:
                fields = tuple(next(csv.reader(handle), CSV_FIELDS))
        with open(path, "a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            if new:
                writer.writeheader()
            writer.writerow({key: row.get(key, "") for key in fields})
        if self.writer is not None:
            for key, value in row.items():
                if isinstance(value, (int, float)) and key not in ("epoch", "step"):
                    self.writer.add_scalar(key, value, self.loop.epoch)

    def _open_tensorboard(self) -> None:
        if not (self.config.tensorboard and self.dist.is_main):
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            self._log("tensorboard is not installed: logging to metrics.csv only (pip install tensorboard)")
            return
        self.writer = SummaryWriter(str(self.run_dir / "tb"))

    def fit(self, max_steps: int | None = None) -> dict[str, Any]:
        """Train until ``config.epochs``, ``max_steps`` total optimizer steps, ``config.time_limit_minutes``
        of wall time or ``config.cpu_limit_minutes`` of CPU time (the last three save a resumable checkpoint
        where they stop). Returns a summary with the final validation metrics and timings."""
        cfg = self.config
        self._open_tensorboard()
        self.model.train()
        summary: dict[str, Any] = {"parameters": count_parameters(self.model), "epoch_times": []}
        self._bad_steps = 0
        deadline = time.monotonic() + 60 * cfg.time_limit_minutes if cfg.time_limit_minutes else math.inf
        while self.loop.epoch < cfg.epochs:
            self._maybe_switch_to_sgd()
            epoch = self.loop.epoch
            stopped, images_seen, seconds = self._train_epoch(epoch, deadline, max_steps)
            if stopped:
                self._log(f"stopping at step {self.loop.step} ({stopped}); continue with --resume {self.run_dir}")
                self._save()
                summary["stopped_at_step"] = self.loop.step
                return summary
            row = self._end_epoch(epoch, images_seen, seconds)
            summary["epoch_times"].append(seconds)
            summary.update(row)
        if self.writer is not None:
            self.writer.close()
        summary["best_epoch"] = self.loop.best_epoch + 1
        summary["best_val_loss"] = self.loop.best_metric
        return summary

    def _train_epoch(self, epoch: int, deadline: float, max_steps: int | None) -> tuple[str | None, int, float]:
        """The optimisation steps of ``epoch`` (from where a resumed run left it); returns why it stopped
        early (``None`` when the epoch ended), the images seen and the seconds taken."""
        from tqdm import tqdm

        cfg = self.config
        bar = tqdm(
            total=len(self._epoch_batches(epoch)) // cfg.batch_size,
            initial=self.loop.batch_in_epoch,
            desc=f"epoch {epoch + 1}/{cfg.epochs} [{self.loop.phase}]",
            disable=not (cfg.progress and self.dist.is_main),
            dynamic_ncols=True,
        )
        recent: list[float] = []
        images_seen, started = 0, time.perf_counter()
        cpu_mark, workers_mark = time.process_time(), _finished_children_cpu()
        for image, mask, estimate in self._batches(epoch):
            loss = self._train_step(image, mask, estimate)
            self.loop.batch_in_epoch += 1
            self.loop.images_seen += image.shape[0] * self.dist.world_size
            self.loop.cpu_seconds += time.process_time() - cpu_mark  # training only, not validation
            cpu_mark = time.process_time()
            if self._record_step(loss, epoch):
                recent = (recent + [loss])[-20:]
            images_seen += image.shape[0] * self.dist.world_size
            rate = images_seen / max(time.perf_counter() - started, 1e-9)
            bar.set_postfix(loss=f"{np.mean(recent) if recent else float('nan'):.4f}", img_s=f"{rate:.1f}")
            bar.update()
            if cfg.checkpoint_every and self.loop.step % cfg.checkpoint_every == 0:
                self._save()
            stopped = "time limit" if time.monotonic() > deadline else None
            if cfg.cpu_limit_minutes is not None and self.loop.cpu_seconds >= 60 * cfg.cpu_limit_minutes:
                stopped = "CPU-time limit"
            if max_steps is not None and self.loop.step >= max_steps:
                stopped = "max_steps"
            if stopped:
                bar.close()
                return stopped, images_seen, time.perf_counter() - started
        bar.close()
        # the data loader's worker processes (decoding, augmentation, masks, a CPU prefill) are training
        # compute too: counted once the epoch's workers have exited
        self.loop.cpu_seconds += _finished_children_cpu() - workers_mark
        return None, images_seen, time.perf_counter() - started

    def _record_step(self, loss: float | None, epoch: int) -> bool:
        """Count a step (``False`` for a skipped, non-finite one); too many skipped in a row stop the run."""
        if loss is not None:
            self._bad_steps = 0
            self.loop.step += 1
            self.loop.epoch_loss_sum += loss
            self.loop.epoch_loss_count += 1
            return True
        self._bad_steps += 1
        if self._bad_steps >= self.config.max_bad_steps:
            self._save()
            raise TrainingError(
                f"the loss was NaN/inf for {self._bad_steps} consecutive steps (epoch {epoch + 1}, step "
                f"{self.loop.step}); the run stopped and its last good state is in {self.run_dir}. "
                "Try precision fp32, a lower learning rate or grad_clip."
            )
        self._log(f"step {self.loop.step}: non-finite loss, step skipped")
        return False

    def _end_epoch(self, epoch: int, images_seen: int, seconds: float) -> dict[str, Any]:
        """Validate, keep the best weights, save the resumable state and log the epoch's row."""
        mean_loss = self.loop.epoch_loss_sum / self.loop.epoch_loss_count if self.loop.epoch_loss_count else math.nan
        train_loss = all_reduce_mean(torch.tensor(mean_loss), self.dist).item()
        metrics = self.validate()
        is_best = metrics["val_loss"] < self.loop.best_metric
        if is_best:
            self.loop.best_metric, self.loop.best_epoch = metrics["val_loss"], epoch
        self.loop.epoch += 1
        self.loop.batch_in_epoch = 0
        self.loop.epoch_loss_sum, self.loop.epoch_loss_count = 0.0, 0
        row = {
            "epoch": epoch + 1,
            "step": self.loop.step,
            "phase": self.loop.phase,
            "lr": self.optimizer.param_groups[0]["lr"],
            "train_loss": train_loss,
            **metrics,
            "epoch_seconds": seconds,
            "train_images_per_second": images_seen / max(seconds, 1e-9),
            "is_best": int(is_best),
            "images_seen": self.loop.images_seen,
            "cpu_seconds": round(self.loop.cpu_seconds, 1),
        }
        self._save(is_best=is_best, row=row)
        self._log(
            f"epoch {epoch + 1}: train_loss {train_loss:.4f} val_loss {metrics['val_loss']:.4f} "
            f"val_ssim {metrics['val_ssim']:.4f} val_psnr {metrics['val_psnr']:.2f} ({seconds:.1f}s)"
            + (" *best*" if is_best else "")
        )
        return row


def _finished_children_cpu() -> float:
    """CPU seconds of this process's finished child processes (the data loader's workers), 0 where unknown."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: train / val / test shares of a training folder given without ``val_data``
HELD_OUT_FRACTIONS = (0.9, 0.1, 0.0)

#: architecture settings a fine-tuned model may differ in from its ``init_from`` checkpoint: dropout is a
#: training choice; growing (``init_grow``) adds blocks, modules or channels
_MAY_DIFFER = {"dropout"}
_MAY_GROW = {"blocks_per_module", "num_modules", "embed_dim"}


def _check_same_function(saved: dict[str, Any], model: nn.Module, config: TrainConfig) -> None:
    """Refuse an ``init_from`` checkpoint whose settings without weights (e.g. its prefill) differ from
    the model being trained: its weights would load and compute something else."""
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(type(model).__init__).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    saved, model = {**defaults, **saved}, {**defaults, **(getattr(model, "config", None) or {})}
    allowed = _MAY_DIFFER | (_MAY_GROW if config.init_grow else set())
    different = {
        key: (saved[key], model[key]) for key in saved.keys() & model.keys() if key not in allowed and saved[key] != model[key]
    }
    if different:
        detail = ", ".join(f"{key}: {old!r} in the checkpoint, {new!r} here" for key, (old, new) in sorted(different.items()))
        options = " ".join(f"--model-option {key}={old}" for key, (old, _) in sorted(different.items()))
        raise InputError(f"{config.init_from} was trained with other settings ({detail}); to fine-tune it, use {options}")


def resume_config(run_dir: str | Path, **overrides: Any) -> TrainConfig:
    """The settings saved in ``run_dir/config.yaml``, updated by non-None ``overrides`` (e.g. more epochs)."""
    saved = Path(run_dir) / "config.yaml"
    if not saved.is_file():
        raise InputError(f"cannot resume: {saved} not found (is {run_dir} a training run folder?)")
    values = yaml.safe_load(saved.read_text(encoding="utf-8"))
    values.update({key: value for key, value in overrides.items() if value is not None})
    values["output"] = str(run_dir)
    return make_train_config(values)


def train(config: TrainConfig, resume: bool = False, max_steps: int | None = None) -> dict[str, Any]:
    """Convenience wrapper: build a :class:`Trainer` and run it."""
    return Trainer(config, resume=resume).fit(max_steps=max_steps)
