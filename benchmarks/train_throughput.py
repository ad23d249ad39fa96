"""Where does training time go? Times each stage of the real training pipeline side by side.

For a training config (model, data, batch size, workers), measures in one run:

* the DataLoader alone (decode, crop, augment, mask, and a CPU prefill such as OpenCV Telea, which
  the trainer has the loader's workers compute), in images/s;
* the model's prefill alone on one batch (on CPU threads), when it has one;
* one optimisation step on a fixed batch already on the device, for channels_last on and off and for
  the config's precision (``auto``: fp16 AMP on CUDA) against fp32;
* the whole pipeline (loader + step), as ``wavemix-inpaint train`` runs it.

The slowest stage bounds the training speed. Usage (from the repository root)::

    python benchmarks/train_throughput.py --config configs/default-model-gpu.yaml --data DIR [--device cuda]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
from collections.abc import Callable

import torch

from wavemix_inpaint.device import time_runs
from wavemix_inpaint.models.prefill import PREFILLS
from wavemix_inpaint.training import Trainer, load_train_config


def rate(run: Callable[[], object], batch: int, device: torch.device, seconds: float) -> float:
    """Images per second of ``run`` (one batch per call): batch / median call time, after a warm-up."""
    return batch / statistics.median(time_runs(run, device, warmup=1, runs=3, min_seconds=seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--data", help="override the config's training data")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--workers", type=int, help="override the config's num_workers")
    parser.add_argument("--seconds", type=float, default=8.0, help="time each measurement this long")
    args = parser.parse_args()
    overrides = {
        "device": args.device,
        "data": args.data,
        "val_data": args.data,
        "num_workers": args.workers,
        "init_from": None,
        "steps_per_epoch": 10**5,
    }
    with tempfile.TemporaryDirectory() as scratch:
        config = load_train_config(args.config, **overrides, output=scratch, val_size=1, progress=False, tensorboard=False)
        trainer = Trainer(config)
        device, batch = trainer.device, config.batch_size
        print(f"device {device}, batch {batch}, workers {config.num_workers}, torch threads {torch.get_num_threads()}")

        batches = trainer._batches(0)
        loader = rate(lambda: next(batches), batch, device, args.seconds)
        print(f"data loader alone:      {loader:8.1f} img/s")

        image, mask, estimate = next(batches)
        prefill = getattr(trainer.model, "prefill", "none")
        if prefill in PREFILLS:
            fill = PREFILLS[prefill]
            prefill_rate = rate(lambda: fill(image * (1 - mask), mask), batch, device, args.seconds)
            print(f"{prefill} prefill alone: {prefill_rate:8.1f} img/s")

        for channels_last in (True, False):
            for precision in ("auto", "fp32"):
                variant = dataclasses.replace(
                    config, channels_last=channels_last, precision=precision, output=f"{scratch}/{channels_last}{precision}"
                )
                trial = Trainer(variant)
                x, m = (t.contiguous(memory_format=trial.memory_format) for t in (image, mask))
                e = None if estimate is None else estimate.contiguous(memory_format=trial.memory_format)
                step = rate(lambda trial=trial, x=x, m=m, e=e: trial._train_step(x, m, e), batch, device, args.seconds)
                print(f"train step, channels_last={channels_last!s:5} precision={precision:4}: {step:8.1f} img/s")

        def pipeline() -> None:
            trainer._train_step(*next(batches))

        print(
            f"whole pipeline:         {rate(pipeline, batch, device, args.seconds):8.1f} img/s "
            f"(channels_last={config.channels_last})"
        )


if __name__ == "__main__":
    main()
