"""Writers for evaluation results: a JSON file with every number and a Markdown table shaped like Table 1."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from wavemix_inpaint.evaluation.evaluate import EvalResult, _clean
from wavemix_inpaint.fileio import atomic_write_text

FORMAT = "wavemix-inpaint-eval/1"

TABLE1_COLUMNS = (
    "Model",
    "# params",
    "FID ↓",
    "SSIM ↑",
    "PSNR (dB) ↑",
    "L1 ↓",
    "L2 (MSE) ↓",
    "train s/epoch (b40) ↓",
    "inference img/s ↑",
)


def environment() -> dict[str, Any]:
    """Date, library versions and hardware, for the record."""
    from wavemix_inpaint import __version__

    info: dict[str, Any] = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "wavemix_inpaint": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def results_payload(results: Sequence[EvalResult], config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The JSON document: format tag, environment, the run's config and one entry per result."""
    payload = {
        "format": FORMAT,
        **environment(),
        "device": results[0].device if results else None,
        "config": config,
        "results": [result.to_dict() for result in results],
    }
    payload.update(extra)
    return _clean(payload)


def write_json(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Atomically write ``payload`` (NaN/inf become null)."""
    return atomic_write_text(path, json.dumps(_clean(payload), indent=2, ensure_ascii=False) + "\n")


def write_markdown(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_text(path, text if text.endswith("\n") else text + "\n")


# ----------------------------------------------------------------------------------------- formatting


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def format_params(count: int) -> str:
    if count == 0:
        return "0"
    if count >= 1e6:
        return f"{count / 1e6:.2f} M"
    return f"{count / 1e3:.1f} k"


def fmt(value: Any, spec: str, missing: str = "n/a") -> str:
    return missing if _missing(value) else format(value, spec)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], align_left: int = 1) -> str:
    lines = [_row(header), "|" + "|".join(":---" if i < align_left else "---:" for i in range(len(header))) + "|"]
    lines += [_row(row) for row in rows]
    return "\n".join(lines)


def table1_row(result: EvalResult) -> list[str]:
    metrics = result.metrics
    if result.training is None:
        train = "n/a (not trainable)" if result.parameters == 0 else "not measured"
    else:
        train = f"{result.train_seconds_per_epoch:,.0f}"
    return [
        result.model,
        format_params(result.parameters),
        fmt(result.fid, ".3f"),
        fmt(metrics.get("ssim"), ".4f"),
        fmt(metrics.get("psnr"), ".2f"),
        fmt(metrics.get("l1"), ".4g"),
        fmt(metrics.get("l2"), ".4g"),
        train,
        fmt(result.images_per_second, ",.1f", "not measured"),
    ]


def table1_markdown(results: Sequence[EvalResult]) -> str:
    """Table 1 of the paper: one row per model."""
    return markdown_table(TABLE1_COLUMNS, [table1_row(result) for result in results])


def extra_metrics_markdown(results: Sequence[EvalResult]) -> str:
    """Hole-region metrics, SSIM without padding and the evaluation set's hole statistics."""
    header = ("Model", "SSIM (valid) ↑", "SSIM hole ↑", "PSNR hole (dB) ↑", "L1 hole ↓", "L2 hole ↓", "images", "mean hole")
    rows = []
    for result in results:
        m = result.metrics
        rows.append(
            [
                result.model,
                fmt(m.get("ssim_valid"), ".4f"),
                fmt(m.get("ssim_hole"), ".4f"),
                fmt(m.get("psnr_hole"), ".2f"),
                fmt(m.get("l1_hole"), ".4g"),
                fmt(m.get("l2_hole"), ".4g"),
                str(result.num_images),
                f"{100 * result.mean_hole_fraction:.1f}%",
            ]
        )
    return markdown_table(header, rows)


def realism_markdown(results: Sequence[EvalResult]) -> str:
    """Realism metrics: texture distance, detail ratio, HaarPSI and the hole's colour faithfulness."""
    header = (
        "Model",
        "texture distance ↓",
        "detail ratio (1 = photo)",
        "HaarPSI ↑",
        "hole colour error ↓",
        "colour within 5 levels ↑",
    )
    rows = []
    for result in results:
        m = result.metrics
        within = m.get("hole_colour_within_5")
        rows.append(
            [
                result.model,
                fmt(m.get("texture_distance"), ".4f"),
                fmt(m.get("detail_ratio"), ".2f"),
                fmt(m.get("haar_psi"), ".4f"),
                fmt(m.get("hole_colour_error"), ".2f"),
                "n/a" if _missing(within) else f"{100 * within:.0f}%",
            ]
        )
    return markdown_table(header, rows)


def bins_markdown(result: EvalResult, skip_empty: bool = False) -> str:
    """LaMa-style per-hole-size table for one model."""
    header = ("hole area", "images", "SSIM ↑", "PSNR (dB) ↑", "L1 ↓", "L2 ↓", "SSIM hole ↑", "FID ↓")
    rows = []
    for row in result.bins:
        if skip_empty and not row["count"]:
            continue
        m = row["metrics"]
        rows.append(
            [
                row["bin"],
                str(row["count"]),
                fmt(m.get("ssim"), ".4f", "—"),
                fmt(m.get("psnr"), ".2f", "—"),
                fmt(m.get("l1"), ".4g", "—"),
                fmt(m.get("l2"), ".4g", "—"),
                fmt(m.get("ssim_hole"), ".4f", "—"),
                fmt(row.get("fid"), ".2f", "—"),
            ]
        )
    return markdown_table(header, rows)


def bins_comparison_markdown(results: Sequence[EvalResult], metric: str = "ssim") -> str:
    """One row per hole-size bin, one column per model, showing ``metric``."""
    header = ["hole area", "images"] + [result.model for result in results]
    rows = []
    for index, row in enumerate(results[0].bins):
        cells = [row["bin"], str(row["count"])]
        cells += [fmt(result.bins[index]["metrics"].get(metric), ".4f", "—") for result in results]
        rows.append(cells)
    return markdown_table(header, rows)


def short_reason(reason: str) -> str:
    """First sentence of a (long) reason; for missing FID weights, where to put them."""
    first = reason.split(". ")[0].rstrip(".")
    if "Inception weights" in reason and "not found" in first:
        return (
            f"{first}; pass --fid-weights PATH, set $WAVEMIX_FID_WEIGHTS or copy the file into the torch hub "
            "cache (docs/reproduce.md); full search list in results.json"
        )
    return first


def footnotes(results: Sequence[EvalResult]) -> list[str]:
    """Explanations of the FID and speed cells (reasons for missing values, extrapolation)."""
    notes = []
    reasons = {result.fid_reason for result in results if result.fid is None and result.fid_reason}
    for reason in sorted(reasons):
        notes.append(f"FID n/a: {short_reason(reason)}")
    extractors = {result.fid_feature_extractor for result in results if result.fid is not None}
    for name in sorted(e for e in extractors if e):
        notes.append(f"FID features: {name}.")
    scored = {r.num_images - r.empty_masks for r in results if r.fid is not None}  # the images FID was computed on
    few = sorted(count for count in scored if count < 2048)
    if few:
        notes.append(
            f"FID from {', '.join(map(str, few))} images (fewer than the 2,048 feature dimensions): biased upwards, "
            "the more so the fewer the images; compare only FIDs over the same images (the per-bin FIDs, over "
            "fewer, compare with neither)."
        )
    trained = [result for result in results if result.training]
    if trained:
        t = trained[0].training
        notes.append(
            f"train s/epoch: {t['note']} (per model: "
            + ", ".join(f"{r.model} {r.training['seconds_per_step']:.3g} s/step" for r in trained)
            + ")."
        )
    timed = [result for result in results if result.inference]
    if timed:
        i = timed[0].inference
        notes.append(
            f"inference img/s: batch {i['batch_size']}, {i['image_size'][0]}x{i['image_size'][1]}, "
            f"{i['warmup_batches']} warm-up + median of {i['timed_batches']} timed batch(es), torch.inference_mode, fp32, "
            f"on {i['device']} ({i['threads']} threads)."
        )
    notes.append(
        "SSIM: 11x11 Gaussian (sigma 1.5), reflect padding, whole image, per image then averaged; "
        "PSNR/L1/L2 on the [0, 1] scale over all pixels and channels (L2 = mean squared error); all on the "
        "composited output clamped to [0, 1]. An exact match scores 100 dB of PSNR (not infinity) in the means."
    )
    return notes


def results_markdown(
    results: Sequence[EvalResult], title: str = "Evaluation", details: dict[str, Any] | None = None, bins: bool = True
) -> str:
    """The full Markdown report: Table 1 columns, further metrics, notes, per-bin tables."""
    parts = [f"# {title}", ""]
    if details:
        parts += [f"- {key}: {value}" for key, value in details.items()] + [""]
    parts += [table1_markdown(results), ""]
    parts += [f"- {note}" for note in footnotes(results)] + [""]
    parts += ["## Further metrics", "", extra_metrics_markdown(results), ""]
    parts += [
        "## Realism (no downloaded weights)",
        "",
        realism_markdown(results),
        "",
        "- texture distance: mean 1-D Wasserstein distance between the Haar detail coefficients (LH, HL, HH, "
        "levels 1-3, luminance) inside the hole of the output and of the photo; detail ratio: squared 3x3 "
        "Laplacian energy inside the hole (eroded 5x5), output over photo, summed over images; HaarPSI: "
        "Reisenhofer et al. 2018, whole image; hole colour error: largest per-channel difference of the "
        "hole's mean colour, 8-bit levels.",
        "",
    ]
    if bins:
        parts += ["## By hole size (LaMa bins of hole area)", ""]
        if len(results) > 1:
            parts += ["SSIM per bin:", "", bins_comparison_markdown(results), ""]
        for result in results:
            parts += [f"### {result.model}", "", bins_markdown(result), ""]
    return "\n".join(parts).rstrip() + "\n"
