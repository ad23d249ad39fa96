"""Paired comparison of two models evaluated on the same images and masks.

Means alone hide whether a difference is consistent. For each metric this reports the mean of the
per-image differences (model minus baseline) with a 95% percentile-bootstrap confidence interval, and
the win rate: the share of images on which the model is strictly better (ties count half).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wavemix_inpaint.evaluation.evaluate import EvalResult

#: metric -> True when higher is better
PAIRED_METRICS: dict[str, bool] = {
    "psnr_hole": True,
    "ssim_hole": True,
    "l1_hole": False,
    "psnr": True,
    "ssim": True,
    "texture_distance": False,
    "haar_psi": True,
    "hole_colour_error": False,
}
LABELS = {
    "psnr_hole": "PSNR hole (dB)",
    "ssim_hole": "SSIM hole",
    "l1_hole": "L1 hole",
    "psnr": "PSNR",
    "ssim": "SSIM",
    "texture_distance": "texture distance",
    "haar_psi": "HaarPSI",
    "hole_colour_error": "hole colour error",
}


def paired_comparison(model: EvalResult, baseline: EvalResult, resamples: int = 10_000, seed: int = 0) -> list[dict[str, Any]]:
    """One row per metric of :data:`PAIRED_METRICS`: means, mean difference, its 95% CI and the win rate."""
    if model.num_images != baseline.num_images:
        raise ValueError(f"paired comparison needs the same images: {model.num_images} vs {baseline.num_images}")
    holes = model.per_image.get("hole_pixels"), baseline.per_image.get("hole_pixels")
    if holes[0] is not None and holes[1] is not None and not np.array_equal(holes[0], holes[1]):
        raise ValueError("paired comparison needs the same masks: the two results' holes differ in size")
    rows = []
    for metric, higher_is_better in PAIRED_METRICS.items():
        if metric not in model.per_image or metric not in baseline.per_image:
            continue
        ours, theirs = model.per_image[metric], baseline.per_image[metric]
        finite = np.isfinite(ours) & np.isfinite(theirs)  # NaN where a metric has nothing to measure (e.g. a tiny hole)
        ours, theirs = ours[finite], theirs[finite]
        diff = ours - theirs
        if diff.size == 0:
            continue
        picks = np.random.default_rng(seed).integers(0, diff.size, size=(resamples, diff.size))
        means = diff[picks].mean(axis=1)
        better = diff if higher_is_better else -diff
        rows.append(
            {
                "metric": metric,
                "higher_is_better": higher_is_better,
                "model_mean": float(np.mean(ours)),
                "baseline_mean": float(np.mean(theirs)),
                "mean_difference": float(np.mean(diff)),
                "ci95": [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))],
                "win_rate": float((np.sum(better > 0) + 0.5 * np.sum(better == 0)) / diff.size),
                "images": int(diff.size),
            }
        )
    return rows


def paired_markdown(rows: list[dict[str, Any]], model: str, baseline: str) -> str:
    """The comparison as a Markdown table."""
    lines = [
        f"| metric | {model} | {baseline} | difference (95% CI) | {model} better on |",
        "|:---|---:|---:|---:|---:|",
    ]
    for row in rows:
        digits = 2 if row["metric"].startswith("psnr") else 4
        low, high = row["ci95"]
        arrow = "↑" if row["higher_is_better"] else "↓"
        lines.append(
            f"| {LABELS[row['metric']]} {arrow} | {row['model_mean']:.{digits}f} | {row['baseline_mean']:.{digits}f} | "
            f"{row['mean_difference']:+.{digits}f} ({low:+.{digits}f} to {high:+.{digits}f}) | "
            f"{100 * row['win_rate']:.0f}% of {row['images']} |"
        )
    return "\n".join(lines)


__all__ = ["PAIRED_METRICS", "paired_comparison", "paired_markdown"]
