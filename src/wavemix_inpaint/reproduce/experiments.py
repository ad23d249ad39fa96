"""The three experiments of ``wavemix-inpaint reproduce``: Table 1, the ablation (Tables 2-3) and the
sensitivity analysis (Appendix D). Each takes a plan from :mod:`~wavemix_inpaint.reproduce.plans` and a
results folder, and writes ``results.json``, ``results.md``, grids and plots there."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wavemix_inpaint.evaluation.evaluate import EvalResult, _clean
from wavemix_inpaint.evaluation.grid import qualitative_grid, results_grid, save_grid
from wavemix_inpaint.evaluation.report import (
    bins_comparison_markdown,
    environment,
    extra_metrics_markdown,
    fmt,
    footnotes,
    format_params,
    markdown_table,
    table1_markdown,
    write_json,
    write_markdown,
)
from wavemix_inpaint.reproduce import plots
from wavemix_inpaint.reproduce.runner import (
    RESULTS_JSON,
    RESULTS_MD,
    Log,
    evaluate_models,
    measure_full_size,
    prepare_masks,
    prepare_output,
    train_models,
)
from wavemix_inpaint.training.config import switch_epoch_of

FORMAT = "wavemix-inpaint-reproduce/1"

#: The paper's numbers, for side-by-side reference (STL-10, GPU; train s/epoch at batch 40).
PAPER_TABLE1 = (
    ("Custom CNN", "12 M", "86.373", "0.850", "665", "192"),
    ("LaMa", "27 M", "70.294", "0.893", "4,861", "112"),
    ("WaveMix (ours)", "14 M", "64.784", "0.902", "1,387", "137"),
)
#: Tables 2-3 of the paper: (table, row) -> (L1, L2, PSNR, SSIM) in the paper's (undocumented) units.
PAPER_ABLATION = {
    (2, 1): (0.224, 9.455, 41.968, 0.988),
    (2, 2): (0.134, 5.616, 44.154, 0.996),
    (3, 1): (0.733, 78.542, 26.714, 0.825),
    (3, 2): (0.964, 114.122, 18.880, 0.801),
    (3, 3): (0.361, 16.913, 38.423, 0.988),
    (3, 4): (0.344, 15.551, 38.967, 0.989),
    (3, 5): (0.374, 17.807, 37.564, 0.990),
    (3, 6): (0.421, 33.129, 36.995, 0.981),
    (3, 7): (0.410, 20.331, 36.852, 0.987),
    (3, 8): (0.370, 17.672, 38.327, 0.988),
    (3, 9): (0.380, 20.692, 38.030, 0.988),
}


def _device(device: str | torch.device) -> torch.device:
    from wavemix_inpaint.device import select_device

    return device if isinstance(device, torch.device) else select_device(device)


def _payload(
    plan: dict[str, Any], results: dict[str, list[EvalResult]], device: torch.device, seconds: float, **extra: Any
) -> dict[str, Any]:
    return _clean(
        {
            "format": FORMAT,
            **environment(),
            "device": str(device),
            "experiment": plan,
            "results": {name: [r.to_dict() for r in rows] for name, rows in results.items()},
            "mask_sets": [
                {
                    **m,
                    "mean_hole_fraction": rows[0].mean_hole_fraction if rows else None,
                    "images": rows[0].num_images if rows else 0,
                }
                for m, rows in ((m, results.get(m["name"], [])) for m in plan["mask_sets"])
            ],
            "seconds": seconds,
            **extra,
        }
    )


def _pooled(results: dict[str, list[EvalResult]]) -> dict[str, dict[str, np.ndarray]]:
    """Per model: the per-image values of all its evaluations concatenated (for plots over hole size)."""
    curves: dict[str, dict[str, list[np.ndarray]]] = {}
    for rows in results.values():
        for result in rows:
            target = curves.setdefault(result.model, {})
            for key, values in result.per_image.items():
                target.setdefault(key, []).append(values)
    return {model: {k: np.concatenate(v) for k, v in data.items()} for model, data in curves.items()}


def _header(plan: dict[str, Any], device: torch.device, title: str) -> list[str]:
    env = environment()
    data = plan["data"]
    lines = [f"# {title}", ""]
    lines.append(
        f"- scale: **{plan['scale']}**; device: {device} ({env['processor']}, {env['torch_threads']} torch threads"
        + (f", {env['gpu']}" if env.get("gpu") else "")
        + f"); torch {env['torch']}; {env['date']}"
    )
    if data.get("train"):
        lines.append(
            f"- training data: `{data['train']}`; validation: `{data['val'] or 'a seeded held-out split of the training data (never trained on)'}`"
        )
    lines.append(f"- evaluation data: `{data['eval']}` (split {data['eval_split']}), {data['image_size']}x{data['image_size']}")
    if plan.get("budget"):
        b = plan["budget"]
        t = plan["train"]
        switch = switch_epoch_of(t["epochs"], t["switch_epoch"])
        presets = sorted(
            {m.get("train_overrides", {}).get("mask_preset", t["mask_preset"]) for m in plan["models"] if m["train"]}
        )
        steps = (
            f"{b['optimizer_steps_per_model']} optimizer steps ({b['epochs']} epochs)"
            if b["optimizer_steps_per_model"]
            else f"{b['epochs']} epochs (one pass over the training split each)"
        )
        lines.append(
            f"- budget per trained model: {steps} at batch {b['batch_size']}; training masks {', '.join(f'`{p}`' for p in presets)}, augmentation "
            f"`{t['augment']}`, seed {plan['seed']}; AdamW lr {t['lr']}"
            + ("" if switch >= t["epochs"] else f", SGD from epoch {switch}")
        )
    lines.append("- exact configuration: `experiment.yaml`; every number: `results.json`")
    return lines + [""]


def _mask_heading(mask_set: dict[str, Any], rows: list[EvalResult]) -> str:
    mean = f", mean hole {100 * rows[0].mean_hole_fraction:.1f}%" if rows else ""
    return f"## Mask set `{mask_set['name']}` ({mask_set['preset']}, {rows[0].num_images if rows else 0} images, seed {mask_set['seed']}{mean})"


def _training_table(records: dict[str, dict]) -> str:
    header = ("Model", "steps (planned)", "epochs", "wall time", "best epoch", "best val loss", "stopped by time limit")
    rows = [
        [
            name,
            f"{r['steps']} ({r['planned_steps'] or '-'})",
            str(r["epochs_completed"]),
            f"{r['wall_seconds'] / 60:.1f} min",
            str(r["best_epoch"] or "-"),
            fmt(r.get("best_val_loss"), ".4f"),
            "yes" if r["stopped_early"] else "no",
        ]
        for name, r in records.items()
    ]
    return markdown_table(header, rows)


def _speed_cells(inference: dict | None, training: dict | None, parameters: int) -> list[str]:
    train = (
        "n/a (not trainable)"
        if training is None and parameters == 0
        else ("not measured" if training is None else f"{training['seconds_per_epoch']:,.0f}")
    )
    infer = "not measured" if inference is None else f"{inference['images_per_second']:,.1f}"
    return [train, infer]


def _size_table(plan: dict[str, Any], first: list[EvalResult], full: list[dict[str, Any]]) -> str:
    header = (
        "Model",
        "evaluated architecture",
        "# params",
        "train s/epoch (b40)",
        "img/s",
        "full-size preset",
        "# params (full)",
        "train s/epoch (b40, full)",
        "img/s (full)",
    )
    by_name = {row["model"]: row for row in full}
    rows = []
    for plan_model, result in zip(plan["models"], first):
        arch = plan_model["preset"] + (f" {json.dumps(plan_model['options'])}" if plan_model.get("options") else "")
        cells = [
            result.model,
            arch,
            f"{result.parameters:,}",
            *_speed_cells(result.inference, result.training, result.parameters),
        ]
        f = by_name.get(plan_model["name"])
        if f is None:
            cells += ["(same)", "", "", ""]
        else:
            cells += [f["preset"], f"{f['parameters']:,}", *_speed_cells(f["inference"], f["training"], f["parameters"])]
            if f["inference"] is None:
                cells[-2:] = ["not measured", "not measured"]
        rows.append(cells)
    return markdown_table(header, rows, align_left=2)


# ---------------------------------------------------------------------------------------------- table1


def _train_and_evaluate(
    plan: dict[str, Any], output: Path, device: Any, fid_weights: str | None, fid: Any, overwrite: bool, progress: bool, log: Log
) -> tuple[dict[str, dict], dict[str, list], dict[str, Path]]:
    """The common body of every experiment: output folder, fixed masks, training (of the plan's trainable
    models, if any), evaluation; returns the training records, the results per mask set and the mask folders."""
    prepare_output(plan, output, overwrite)
    mask_dirs = prepare_masks(plan, output, log)
    records = train_models(plan, output, str(device), progress, log)
    return records, evaluate_models(plan, output, mask_dirs, device, fid_weights, fid, progress, log), mask_dirs


def run_table1(
    plan: dict[str, Any],
    output: str | Path,
    device: str = "auto",
    fid_weights: str | None = None,
    fid: Any = "auto",
    overwrite: bool = False,
    progress: bool = True,
    log: Log = print,
) -> dict[str, Any]:
    """Train the Table 1 models, evaluate everything, write the reports. Returns the JSON payload."""
    output, started, device = Path(output), time.perf_counter(), _device(device)
    records, results, mask_dirs = _train_and_evaluate(plan, output, device, fid_weights, fid, overwrite, progress, log)
    from wavemix_inpaint.evaluation import build_eval_dataset

    first_set = plan["mask_sets"][0]["name"]
    dataset = build_eval_dataset(plan["data"]["eval"], mask_dirs[first_set], plan["data"]["eval_split"])
    full = measure_full_size(plan, dataset, device, log)
    seconds = time.perf_counter() - started

    written = []
    for name, rows in results.items():
        if rows and rows[0].samples.get("image") is not None and rows[0].samples["image"].numel():
            written.append(save_grid(output / f"grid_{name}.png", results_grid(rows)))
    written.append(
        plots.plot_metric_by_hole_size(
            output / "quality_by_hole_size.png",
            _pooled(results),
            title="Quality versus hole size (all mask sets pooled, 10 % bins)",
        )
    )

    parts = _header(plan, device, f"Table 1 reproduction ({plan['scale']} scale)")
    for mask_set in plan["mask_sets"]:
        rows = results[mask_set["name"]]
        parts += [_mask_heading(mask_set, rows), "", table1_markdown(rows), "", extra_metrics_markdown(rows), ""]
    first_rows = results[first_set]
    parts += ["## Model size and speed: evaluated vs full-size architectures", "", _size_table(plan, first_rows, full), ""]
    if records:
        parts += ["## Training runs", "", _training_table(records), ""]
    parts += ["## Notes", ""] + [f"- {note}" for note in footnotes(first_rows)]
    parts += [
        "- train s/epoch and img/s of the evaluated models are in every mask-set table (measured once per model).",
        "- Paper's Table 1 (STL-10 test set, single 12 GB GPU; not comparable to a CPU or small-scale run):",
        "",
        markdown_table(
            ("Model", "# param", "FID", "SSIM", "Train time (s/epoch, b40)", "Inference (img/s)"),
            [list(row) for row in PAPER_TABLE1],
        ),
        "",
        "## SSIM by hole size (LaMa bins)",
        "",
    ]
    for mask_set in plan["mask_sets"]:
        rows = results[mask_set["name"]]
        parts += [f"### {mask_set['name']}", "", bins_comparison_markdown(rows), ""]
    parts += [
        "Plots: `quality_by_hole_size.png`; grids: " + ", ".join(f"`{p.name}`" for p in written if p.name.startswith("grid"))
    ]
    write_markdown(output / RESULTS_MD, "\n".join(parts))
    payload = _payload(plan, results, device, seconds, training=records, full_size=full)
    write_json(output / RESULTS_JSON, payload)
    log(f"wrote {output / RESULTS_MD}, {output / RESULTS_JSON} and {len(written)} PNG files ({seconds / 60:.1f} min)")
    return payload


# -------------------------------------------------------------------------------------------- ablation


def _ablation_tables(plan: dict[str, Any], by_name: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The Markdown of Tables 2 and 3 (ours beside the paper's numbers) and the rows of the ablation plot."""
    parts: list[str] = []
    header = (
        "Model #",
        "WaveMix blocks per module",
        "Embedding dimension",
        "Modules",
        "DWT levels",
        "Input size reduction",
        "# params",
        "L1 ↓",
        "L2 ↓",
        "PSNR ↑",
        "SSIM ↑",
        "SSIM hole ↑",
        "paper L1",
        "paper L2",
        "paper PSNR",
        "paper SSIM",
    )
    plot_rows = []
    for table, _mask in ((2, "square8"), (3, "square12")):
        rows = []
        for plan_model in plan["models"]:
            info = plan_model["ablation"]
            if info["table"] != table:
                continue
            result = by_name[plan_model["name"]]
            m = result.metrics
            paper = PAPER_ABLATION[(table, info["row"])]
            dim = plan_model["options"]["embed_dim"]
            rows.append(
                [
                    str(info["row"]),
                    str(info["blocks"]),
                    f"{dim}" + (f" (paper {info['embed_dim_paper']})" if dim != info["embed_dim_paper"] else ""),
                    str(info["modules"]),
                    str(info["dwt_levels"]),
                    "Done" if info["input_size_reduction"] else "Not done",
                    format_params(result.parameters),
                    fmt(m.get("l1"), ".4g"),
                    fmt(m.get("l2"), ".4g"),
                    fmt(m.get("psnr"), ".2f"),
                    fmt(m.get("ssim"), ".4f"),
                    fmt(m.get("ssim_hole"), ".4f"),
                    *(f"{value:g}" for value in paper),
                ]
            )
            plot_rows.append({"label": plan_model["name"], "psnr": m.get("psnr"), "ssim": m.get("ssim")})
        size = 8 if table == 2 else 12
        parts += [f"## Table {table}: {size}x{size} square holes", "", markdown_table(header, rows), ""]
    return parts, plot_rows


def run_ablation(
    plan: dict[str, Any],
    output: str | Path,
    device: str = "auto",
    fid_weights: str | None = None,
    fid: Any = None,
    overwrite: bool = False,
    progress: bool = True,
    log: Log = print,
) -> dict[str, Any]:
    """Train and evaluate the WaveMix variants of Tables 2-3; FID is off by default (not in those tables)."""
    output, started, device = Path(output), time.perf_counter(), _device(device)
    records, results, mask_dirs = _train_and_evaluate(plan, output, device, fid_weights, fid, overwrite, progress, log)
    seconds = time.perf_counter() - started
    by_name = {result.model: result for rows in results.values() for result in rows}

    parts = _header(plan, device, f"Ablation: Tables 2 and 3 ({plan['scale']} scale)")
    tables, plot_rows = _ablation_tables(plan, by_name)
    parts += tables
    if records:
        parts += ["## Training runs", "", _training_table(records), ""]
    parts += [
        "## Notes",
        "",
        "- Our L1 is the mean absolute error and L2 the mean squared error over all pixels and channels of the "
        "composited output on the [0, 1] scale (per image, then averaged); PSNR in dB from the per-image MSE; "
        "SSIM with reflect padding over the whole image. The paper does not state its L1/L2 units (its values "
        "are consistent with neither [0, 1] nor [0, 255] means), so compare rankings, not magnitudes.",
        "- Input size reduction = `stem_stride` 2 (the paper's 2x downsampling stem) vs 1 (none).",
        "- Each variant is trained and tested on the same square-hole size (random position), without "
        "augmentation, with identical data, seed and budget.",
        "- Plot: `ablation.png`.",
    ]
    written = [plots.plot_ablation(output / "ablation.png", plot_rows)]
    for name, rows in results.items():
        if rows:
            written.append(save_grid(output / f"grid_{name}.png", results_grid(rows[:4])))
    write_markdown(output / RESULTS_MD, "\n".join(parts))
    write_json(output / RESULTS_JSON, _payload(plan, results, device, seconds, training=records))
    log(f"wrote {output / RESULTS_MD}, {output / RESULTS_JSON} and {len(written)} PNG files ({seconds / 60:.1f} min)")
    return {"results": results, "training": records}


# ----------------------------------------------------------------------------------------- sensitivity


def run_sensitivity(
    plan: dict[str, Any],
    output: str | Path,
    device: str = "auto",
    fid_weights: str | None = None,
    fid: Any = None,
    overwrite: bool = False,
    progress: bool = True,
    log: Log = print,
) -> dict[str, Any]:
    """Evaluate one model on every mask set of the plan; table, plot of SSIM/PSNR vs hole area, grid."""
    output, started, device = Path(output), time.perf_counter(), _device(device)
    _, results, _ = _train_and_evaluate(plan, output, device, fid_weights, fid, overwrite, progress, log)
    seconds = time.perf_counter() - started
    ordered = [(m, results[m["name"]][0]) for m in plan["mask_sets"]]

    header = (
        "mask set",
        "images",
        "mean hole",
        "SSIM ↑",
        "PSNR (dB) ↑",
        "L1 ↓",
        "L2 ↓",
        "SSIM hole ↑",
        "PSNR hole (dB) ↑",
        "FID ↓",
    )
    rows = [
        [
            f"{m['preset']}",
            str(r.num_images),
            f"{100 * r.mean_hole_fraction:.2f}%",
            fmt(r.metrics.get("ssim"), ".4f"),
            fmt(r.metrics.get("psnr"), ".2f"),
            fmt(r.metrics.get("l1"), ".4g"),
            fmt(r.metrics.get("l2"), ".4g"),
            fmt(r.metrics.get("ssim_hole"), ".4f"),
            fmt(r.metrics.get("psnr_hole"), ".2f"),
            fmt(r.fid, ".2f"),
        ]
        for m, r in ordered
    ]
    source = plan["models"][0].get("checkpoint") or plan["models"][0]["preset"]
    parts = _header(plan, device, "Sensitivity to hole size (Appendix D)")
    parts += [f"- model: `{source}` ({format_params(ordered[0][1].parameters)} params)", ""]
    parts += [markdown_table(header, rows), ""]
    pooled = _pooled(results)["model"]
    parts += ["## All images pooled, by hole area (LaMa bins)", "", _pooled_bins_markdown(pooled), ""]
    parts += ["Plot: `sensitivity.png`; grid: `grid.png` (one row per mask set: masked input, output, ground truth)."]
    plot_rows = [{"preset": m["preset"], "mean_hole_fraction": r.mean_hole_fraction, "metrics": r.metrics} for m, r in ordered]
    plots.plot_sensitivity(output / "sensitivity.png", plot_rows, pooled)
    image = torch.cat([r.samples["image"][:1] for _, r in ordered])
    mask = torch.cat([r.samples["mask"][:1] for _, r in ordered])
    out = torch.cat([r.samples["output"][:1] for _, r in ordered])
    save_grid(output / "grid.png", qualitative_grid(image, mask, {"output": out}))
    write_markdown(output / RESULTS_MD, "\n".join(parts))
    write_json(output / RESULTS_JSON, _payload(plan, results, device, seconds))
    log(f"wrote {output / RESULTS_MD}, {output / RESULTS_JSON}, sensitivity.png and grid.png")
    return {"results": results}


def _pooled_bins_markdown(pooled: dict[str, np.ndarray], bins: int = 10) -> str:
    from wavemix_inpaint.evaluation.evaluate import bin_label

    index = np.minimum((pooled["hole_fraction"] * bins).astype(int), bins - 1)
    rows = []
    for k in range(bins):
        chosen = index == k
        cells = [bin_label(k, bins), str(int(chosen.sum()))]
        for key, spec in (("ssim", ".4f"), ("psnr", ".2f"), ("l1", ".4g"), ("l2", ".4g")):
            values = pooled[key][chosen]
            values = values[~np.isnan(values)]
            cells.append(fmt(float(values.mean()) if values.size else None, spec, "—"))
        rows.append(cells)
    return markdown_table(("hole area", "images", "SSIM ↑", "PSNR (dB) ↑", "L1 ↓", "L2 ↓"), rows)


EXPERIMENTS = {"table1": run_table1, "ablation": run_ablation, "sensitivity": run_sensitivity}


def run_experiment(plan: dict[str, Any], output: str | Path, **kwargs: Any) -> dict[str, Any]:
    """Dispatch on ``plan["experiment"]``."""
    return EXPERIMENTS[plan["experiment"]](plan, output, **kwargs)


__all__: Sequence[str] = ("PAPER_ABLATION", "PAPER_TABLE1", "run_ablation", "run_experiment", "run_sensitivity", "run_table1")
