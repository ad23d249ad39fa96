"""Side-by-side speed and size measurements of inpainting models on this machine.

Every model is measured in its own fresh subprocess (so peak RSS is per model and one model's
allocations do not slow the next), with the same thread count, inputs and timing rules:
warm-up runs first, then repeated runs until ``min_seconds`` have passed; the median run time is used.

Reported per model: parameters, GMACs per 96x96 image (``torch.utils.flop_counter``: convolutions and
matmuls; FFTs are not counted), inference img/s at 96x96 (batch 40 and 1) and 512x512 (batch 1), one
training step's img/s at batch 40 96x96 (SSIM+L1 loss, AdamW), peak RSS, CUDA peak memory on GPU, and
achieved GFLOP/s against a measured fp32 matmul ceiling.
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import resource
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from wavemix_inpaint.device import autocast, select_device, time_runs
from wavemix_inpaint.inference import fuse_conv_bn


@dataclass
class BenchmarkSettings:
    """What to measure and how long to time each measurement."""

    device: str = "cpu"
    threads: int | None = None
    min_seconds: float = 2.0
    min_runs: int = 2
    batch: int = 40
    large_size: int = 512
    precision: str = "fp32"  # fp32, or bf16 / fp16 autocast
    channels_last: bool = False
    fuse_bn: bool = False
    train: bool = True


@dataclass
class ModelBenchmark:
    """Measurements of one model (None where not applicable)."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    parameters: int = 0
    gmacs_96: float | None = None
    img_s_96_b40: float | None = None
    img_s_96_b1: float | None = None
    img_s_large_b1: float | None = None
    train_img_s_96_b40: float | None = None  # every model with the paper's SSIM + L1 objective
    train_own_img_s_96_b40: float | None = None  # each model with its own paper's objective (LaMa: GAN + perceptual)
    peak_rss_mb: float = 0.0
    cuda_peak_mb: float | None = None
    achieved_gflops: float | None = None
    error: str | None = None


def time_call(fn: Callable[[], object], device: torch.device, min_seconds: float, min_runs: int) -> float:
    """Median seconds of ``fn()`` after one warm-up call, repeated for at least ``min_seconds``."""
    return statistics.median(time_runs(fn, device, warmup=1, runs=min_runs, min_seconds=min_seconds))


def matmul_ceiling_gflops(device: torch.device, size: int = 2048, min_seconds: float = 1.0) -> float:
    """Achieved fp32 GFLOP/s of a square matmul: a practical ceiling for dense layers on this device."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    seconds = time_call(lambda: a @ b, device, min_seconds, 3)
    return 2 * size**3 / seconds / 1e9


def _inputs(batch: int, size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(batch, 3, size, size, generator=generator)
    mask = torch.zeros(batch, 1, size, size)
    mask[..., size // 4 : size // 2, size // 4 : 3 * size // 4] = 1
    return image.to(device), mask.to(device)


def count_macs(model: torch.nn.Module, size: int = 96) -> float:
    """Multiply-accumulates per image of one forward pass (half the FLOPs FlopCounterMode counts)."""
    from torch.utils.flop_counter import FlopCounterMode

    image, mask = _inputs(1, size, next(model.parameters()).device)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(image, mask)
    return counter.get_total_flops() / 2


def measure_model(name: str, options: dict[str, Any], settings: BenchmarkSettings) -> ModelBenchmark:
    """Measure one model in the current process (call through :func:`run_benchmarks` for isolation)."""
    from wavemix_inpaint.evaluation.speed import training_step
    from wavemix_inpaint.models import count_parameters, create_model
    from wavemix_inpaint.training.objective import SSIM_L1_OBJECTIVE, paper_objective

    if settings.threads:
        torch.set_num_threads(settings.threads)
    device = select_device(settings.device)
    result = ModelBenchmark(name=name, options=options)
    model = create_model(name, **options).to(device).eval()
    result.parameters = count_parameters(model)
    trainable = result.parameters > 0
    memory_format = torch.channels_last if settings.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    inference_model = fuse_conv_bn(model) if settings.fuse_bn else model

    def infer(batch: int, size: int) -> float:
        image, mask = (t.contiguous(memory_format=memory_format) for t in _inputs(batch, size, device))

        def run() -> None:
            with torch.inference_mode(), autocast(settings.precision, device):
                inference_model(image, mask)

        return batch / time_call(run, device, settings.min_seconds, settings.min_runs)

    if trainable:
        macs = count_macs(model)
        result.gmacs_96 = macs / 1e9
    result.img_s_96_b1 = infer(1, 96)
    result.img_s_96_b40 = infer(settings.batch, 96)
    result.img_s_large_b1 = infer(1, settings.large_size)
    if trainable:
        result.achieved_gflops = 2 * macs * result.img_s_96_b40 / 1e9
    if trainable and settings.train:
        image, mask = (t.contiguous(memory_format=memory_format) for t in _inputs(settings.batch, 96, device))
        step = training_step(model, image, mask, settings.precision)
        own = paper_objective(name)
        if own != SSIM_L1_OBJECTIVE:
            own_step = training_step(model, image, mask, settings.precision, own)
            result.train_own_img_s_96_b40 = settings.batch / time_call(own_step, device, settings.min_seconds, 1)
        result.train_img_s_96_b40 = settings.batch / time_call(step, device, settings.min_seconds, 1)
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if device.type == "cuda":
        result.cuda_peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
    return result


def _measure_in_child(args: tuple[str, dict[str, Any], BenchmarkSettings]) -> dict[str, Any]:
    name, options, settings = args
    try:
        return asdict(measure_model(name, options, settings))
    except Exception as error:  # noqa: BLE001 - one failing model must not abort the comparison
        return asdict(ModelBenchmark(name=name, options=options, error=f"{type(error).__name__}: {error}"))


def run_benchmarks(models: list[tuple[str, dict[str, Any]]], settings: BenchmarkSettings) -> dict[str, Any]:
    """Measure each ``(preset, options)`` in its own spawned process; returns rows plus machine facts."""
    context = multiprocessing.get_context("spawn")
    rows = []
    for name, options in models:
        with context.Pool(1) as pool:
            rows.append(pool.apply(_measure_in_child, ((name, options, settings),)))
    device = select_device(settings.device)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    return {
        "settings": asdict(settings),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "device": str(device),
            "matmul_ceiling_gflops": matmul_ceiling_gflops(device),
        },
        "models": rows,
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown_table(report: dict[str, Any]) -> str:
    """The report as a Markdown table (one row per model) with the machine line underneath."""
    ceiling = report["machine"]["matmul_ceiling_gflops"]
    large = report["settings"]["large_size"]
    on_gpu = any(row["cuda_peak_mb"] is not None for row in report["models"])
    memory = "peak RSS / CUDA MB" if on_gpu else "peak RSS MB"
    lines = [
        f"| model | params | GMACs/img (96) | img/s 96 b{report['settings']['batch']} | img/s 96 b1 | "
        f"img/s {large} b1 | train img/s 96 b{report['settings']['batch']} (SSIM+L1) | train img/s, own paper's "
        f"objective | {memory} | GFLOP/s (% of matmul) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["models"]:
        label = row["name"] + (f" {json.dumps(row['options'])}" if row["options"] else "")
        if row["error"]:
            lines.append(f"| {label} | error: {row['error']} ||||||||")
            continue
        gflops = row["achieved_gflops"]
        share = "-" if gflops is None else f"{gflops:,.1f} ({100 * gflops / ceiling:.0f}%)"
        lines.append(
            f"| {label} | {row['parameters']:,} | {_fmt(row['gmacs_96'], 2)} | {_fmt(row['img_s_96_b40'])} | "
            f"{_fmt(row['img_s_96_b1'])} | {_fmt(row['img_s_large_b1'], 2)} | {_fmt(row['train_img_s_96_b40'])} | "
            f"{_fmt(row['train_own_img_s_96_b40'] or row['train_img_s_96_b40'])} | "
            f"{_fmt(row['peak_rss_mb'], 0)}{'' if row['cuda_peak_mb'] is None else ' / ' + _fmt(row['cuda_peak_mb'], 0)} | "
            f"{share} |"
        )
    machine = report["machine"]
    settings = report["settings"]
    lines.append("")
    lines.append(
        f"Machine: {machine['processor']}, {machine['threads']} threads, {machine['device']}, torch {machine['torch']}; "
        f"fp32 matmul ceiling {ceiling:,.0f} GFLOP/s; precision {settings['precision']}, "
        f"channels_last {settings['channels_last']}, BatchNorm folded at inference {settings['fuse_bn']}."
    )
    return "\n".join(lines)


def ratio_lines(report: dict[str, Any], subject: str, reference: str) -> list[str]:
    """Speed ratios ``subject / reference`` for every throughput column (measured in the same run)."""
    rows = {row["name"]: row for row in report["models"] if not row["error"]}
    if subject not in rows or reference not in rows:
        return []
    lines = []
    for key, label in (
        ("img_s_96_b40", "inference 96x96 batch 40"),
        ("img_s_96_b1", "inference 96x96 batch 1"),
        ("img_s_large_b1", f"inference {report['settings']['large_size']}px batch 1"),
        ("train_img_s_96_b40", "training step 96x96 batch 40, both with SSIM + L1"),
        ("train_own_img_s_96_b40", "training step 96x96 batch 40, each with its own paper's objective"),
    ):
        a = rows[subject].get(key) or rows[subject]["train_img_s_96_b40"]
        b = rows[reference].get(key) or rows[reference]["train_img_s_96_b40"]
        if a and b:
            lines.append(f"- {subject} / {reference}, {label}: {a / b:.2f}x")
    return lines
