"""PNG plots of experiment results (matplotlib's Agg canvas: no display, no global pyplot state)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from wavemix_inpaint.fileio import atomic_write_bytes


def _figure(width: float, height: float, columns: int = 1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, columns, squeeze=False)[0]
    return figure, axes


def _save(figure, path: str | os.PathLike) -> Path:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return atomic_write_bytes(path, buffer.getvalue())


def binned_curve(hole_fraction: np.ndarray, values: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Bin centres and mean value of ``values`` in each non-empty hole-fraction bin."""
    index = np.minimum((np.asarray(hole_fraction) * bins).astype(int), bins - 1)
    centres, means = [], []
    for k in range(bins):
        chosen = values[(index == k) & ~np.isnan(values)]
        if chosen.size:
            centres.append((k + 0.5) / bins)
            means.append(float(chosen.mean()))
    return np.array(centres), np.array(means)


def plot_metric_by_hole_size(
    path: str | os.PathLike,
    curves: dict[str, dict[str, np.ndarray]],
    metrics: Sequence[tuple[str, str]] = (("ssim", "SSIM"), ("psnr", "PSNR (dB)")),
    title: str = "Quality versus hole size",
) -> Path:
    """One line per model: mean metric per 10 %-hole-area bin. ``curves[model]`` holds per-image arrays
    ``hole_fraction`` and the metrics."""
    figure, axes = _figure(5.0 * len(metrics), 3.8, len(metrics))
    for axis, (key, label) in zip(axes, metrics):
        for model, values in curves.items():
            x, y = binned_curve(values["hole_fraction"], values[key])
            axis.plot(100 * x, y, marker="o", label=model)
        axis.set_xlabel("hole area (% of the image, bin centre)")
        axis.set_ylabel(label)
        axis.set_xlim(0, 100)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.suptitle(title)
    return _save(figure, path)


def plot_sensitivity(
    path: str | os.PathLike,
    rows: Sequence[dict],
    pooled: dict[str, np.ndarray] | None = None,
    title: str = "Sensitivity to hole size",
) -> Path:
    """SSIM and PSNR versus mean hole fraction: a line through the ``square:N`` sets, labelled markers for
    the LaMa sets, and (``pooled``) the per-bin means of every evaluated image."""
    figure, axes = _figure(10.0, 3.8, 2)
    squares = [row for row in rows if row["preset"].startswith("square:")]
    others = [row for row in rows if not row["preset"].startswith("square:")]
    for axis, (key, label) in zip(axes, (("ssim", "SSIM"), ("psnr", "PSNR (dB)"))):
        if pooled is not None:
            x, y = binned_curve(pooled["hole_fraction"], pooled[key])
            axis.plot(100 * x, y, color="0.7", linestyle="--", marker=".", label="all images, per 10 % bin")
        if squares:
            axis.plot(
                [100 * r["mean_hole_fraction"] for r in squares],
                [r["metrics"][key] for r in squares],
                marker="s",
                label="square N x N holes",
            )
            for r in squares:
                axis.annotate(
                    r["preset"].split(":")[1],
                    (100 * r["mean_hole_fraction"], r["metrics"][key]),
                    textcoords="offset points",
                    xytext=(3, 4),
                    fontsize=7,
                )
        for r in others:
            axis.scatter([100 * r["mean_hole_fraction"]], [r["metrics"][key]], marker="^", zorder=3)
            axis.annotate(
                r["preset"],
                (100 * r["mean_hole_fraction"], r["metrics"][key]),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=8,
            )
        axis.set_xscale("log")
        ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50, 100) if t <= 100]
        axis.set_xticks(ticks, [f"{t:g}" for t in ticks])
        axis.set_xticks([], minor=True)
        axis.set_xlabel("mean hole area (% of the image, log scale)")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.suptitle(title)
    return _save(figure, path)


def plot_ablation(path: str | os.PathLike, rows: Sequence[dict], title: str = "WaveMix ablation") -> Path:
    """Bars of PSNR and SSIM per variant (``rows``: ``{"label", "psnr", "ssim"}``)."""
    figure, axes = _figure(max(6.0, 0.6 * len(rows) + 2), 3.8, 2)
    labels = [row["label"] for row in rows]
    for axis, (key, label) in zip(axes, (("psnr", "PSNR (dB)"), ("ssim", "SSIM"))):
        values = [row[key] if row[key] is not None else np.nan for row in rows]
        axis.bar(range(len(rows)), values, color=["C0" if name.startswith("T2") else "C1" for name in labels])
        axis.set_xticks(range(len(rows)), labels, rotation=60, fontsize=8)
        axis.set_ylabel(label)
        finite = [v for v in values if np.isfinite(v)]
        if finite and key == "ssim":
            axis.set_ylim(max(0.0, min(finite) - 0.02), min(1.0, max(finite) + 0.01))
        axis.grid(alpha=0.3, axis="y")
    figure.suptitle(title + " (blue: 8x8 holes, orange: 12x12 holes)")
    return _save(figure, path)
