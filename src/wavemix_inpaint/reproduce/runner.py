"""Run an experiment plan (see :mod:`wavemix_inpaint.reproduce.plans`): masks, training, evaluation, reports.

Results folder layout::

    experiment.yaml     the exact plan (data, masks, training settings, models, budgets)
    masks/<set>/        fixed evaluation masks (PNG + masks.json)
    runs/<model>/       one training run per trained model (trainer layout; done.json when finished)
    results.json        every number, the plan, device, versions, date
    results.md          the Markdown tables
    grid_<set>.png      qualitative grids (rows = samples; masked input / outputs / ground truth)
    *.png               plots

Re-running the same command in the same folder continues where it stopped: finished runs (``done.json``)
are reused and interrupted ones resume from ``last.pt``. A folder holding a different plan's runs or results is
refused (one that holds only the plan of a run that failed before training is taken over).
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.fileio import atomic_write_text
from wavemix_inpaint.training.config import config_flags, switch_epoch_of

Log = Callable[[str], None]
PLAN_FILE = "experiment.yaml"
RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"


def slug(name: str) -> str:
    """File-system friendly model name: ``"LaMa (lama-fourier)"`` -> ``"lama-lama-fourier"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "model"


def _normalised(plan: dict[str, Any]) -> Any:
    return yaml.safe_load(yaml.safe_dump(plan, sort_keys=True))


# ------------------------------------------------------------------------------------------ commands


def train_values(
    plan: dict[str, Any], model: dict[str, Any], run_dir: Path, device: str = "auto", progress: bool = True
) -> dict[str, Any]:
    """The :class:`~wavemix_inpaint.training.TrainConfig` values of one model of the plan."""
    values = dict(plan["train"])
    values.update(model.get("train_overrides", {}))
    values.update(
        model=model["preset"],
        model_options=dict(model.get("options", {})),
        data=plan["data"]["train"],
        val_data=plan["data"]["val"],
        output=str(run_dir),
        seed=plan["seed"],
        device=device,
        progress=progress,
        tensorboard=False,
    )
    return values


def plan_commands(plan: dict[str, Any], output: str | Path) -> list[str]:
    """Equivalent ``wavemix-inpaint`` commands (masks, train, evaluate) for the plan, for the record."""
    output = Path(output)
    q = shlex.quote
    commands = []
    for mask_set in plan["mask_sets"]:
        commands.append(
            f"wavemix-inpaint masks --preset {q(mask_set['preset'])} --size {mask_set['size']} "
            f"--count {mask_set['count']} --seed {mask_set['seed']} --output {q(str(output / 'masks' / mask_set['name']))}"
        )
    for model in plan["models"]:
        if not model["train"]:
            continue
        values = train_values(plan, model, output / "runs" / slug(model["name"]))
        parts = ["wavemix-inpaint train", f"--model {q(model['preset'])}"]
        for key, value in model.get("options", {}).items():
            parts.append(f"--model-option {q(f'{key}={json.dumps(value)}')}")
        parts += [q(str(part)) for part in config_flags({**values, "model": None})]
        commands.append(" ".join(parts))
    data = plan["data"]
    for model in plan["models"]:
        run_dir = output / "runs" / slug(model["name"])
        if model["train"]:
            source = f"--checkpoint {q(str(run_dir / 'best.safetensors'))}"
        elif model.get("checkpoint"):
            source = f"--checkpoint {q(str(model['checkpoint']))}"
        else:
            source = f"--model {q(model['preset'])}"
            source += "".join(f" --model-option {q(f'{k}={json.dumps(v)}')}" for k, v in model.get("options", {}).items())
        for mask_set in _model_mask_sets(plan, model):
            commands.append(
                f"wavemix-inpaint evaluate {source} --data {q(data['eval'])} --split {q(data['eval_split'])} "
                f"--masks {q(str(output / 'masks' / mask_set['name']))} --batch-size {plan['eval']['batch_size']} "
                + (f"--speed-steps {plan['speed']['batches']} " if plan["speed"] else "--no-speed ")
                + f"--grid {plan['eval']['grid']} "
                f"--output {q(str(output / 'eval' / (slug(model['name']) + '-' + mask_set['name'])))}"
            )
    return commands


def _model_mask_sets(plan: dict[str, Any], model: dict[str, Any]) -> list[dict[str, Any]]:
    wanted = model.get("mask_sets")
    return [m for m in plan["mask_sets"] if wanted is None or m["name"] in wanted]


def describe_plan(plan: dict[str, Any], output: str | Path, count_params: bool = True) -> str:
    """Human-readable plan: models with parameter counts, budgets, mask sets and the equivalent commands."""
    from wavemix_inpaint.models import count_parameters, create_model

    lines = [f"experiment: {plan['experiment']} (scale: {plan['scale']}) -> {output}", f"  {plan['description']}"]
    data = plan["data"]
    lines.append(
        f"data: train={data['train']} val={data['val'] or '(val split / centre crops of train)'} "
        f"eval={data['eval']} (split {data['eval_split']}), {data['image_size']}x{data['image_size']}"
    )
    if plan.get("budget"):
        b = plan["budget"]
        steps = (
            f"{b['optimizer_steps_per_model']} optimizer steps ({b['epochs']} epochs)"
            if b["optimizer_steps_per_model"]
            else f"{b['epochs']} epochs of one pass over the training split each"
        )
        lines.append(
            f"budget per trained model: {steps} at batch {b['batch_size']}, seed {plan['seed']}, identical data and masks"
            + (f"; safety time limit {b['time_limit_minutes']} min" if b.get("time_limit_minutes") else "")
        )
    if plan.get("train"):
        t = plan["train"]
        switch = switch_epoch_of(t["epochs"], t["switch_epoch"])
        optimiser = "AdamW throughout" if switch >= t["epochs"] else f"AdamW, then SGD from epoch {switch}"
        lines.append(
            f"training: masks {t['mask_preset']}, augment {t['augment']}, lr {t['lr']}, {optimiser}, "
            f"val {t['val_size']} images with {t['val_mask_preset']} masks"
        )
    lines.append(
        "mask sets: " + ", ".join(f"{m['name']} ({m['preset']}, {m['count']} masks, seed {m['seed']})" for m in plan["mask_sets"])
    )
    lines.append("models:")
    for model in plan["models"]:
        params = ""
        if count_params and model.get("preset"):
            params = f"{count_parameters(create_model(model['preset'], **model.get('options', {}))):,} params"
        elif model.get("checkpoint"):
            params = f"checkpoint {model['checkpoint']}"
        what = "train + evaluate" if model["train"] else "evaluate only"
        options = f" {json.dumps(model['options'])}" if model.get("options") else ""
        line = f"  - {model['name']}: {model['preset'] or ''}{options}, {params} [{what}]"
        full = model.get("full_size")
        if full and (full["preset"] != model["preset"] or full.get("options") != model.get("options")):
            full_params = count_parameters(create_model(full["preset"], **full.get("options", {}))) if count_params else None
            line += f"; full size {full['preset']}" + (f" ({full_params:,} params)" if full_params else "")
            line += ", size and speed measured" if plan.get("full_size_speed") else ", size only"
        lines.append(line)
    if plan.get("speed"):
        s = plan["speed"]
        lines.append(
            f"speed: inference batch {plan['eval']['batch_size']} ({s['warmup']} warm-up + {s['batches']} timed); "
            f"training {s['train_steps']} timed step(s) after {s['train_warmup']} warm-up at batch "
            f"{s['train_batch_size']}, {s['train_image_size']}x{s['train_image_size']}, x {s['train_set_size']:,}"
            f"/{s['train_batch_size']} steps per epoch"
        )
    lines.append("equivalent commands:")
    lines += [f"  {command}" for command in plan_commands(plan, output)]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- steps


def prepare_output(plan: dict[str, Any], output: Path, overwrite: bool) -> None:
    """Refuse a folder holding another plan or finished results (unless ``overwrite``); store the plan."""
    saved = output / PLAN_FILE
    if saved.is_file():
        existing = yaml.safe_load(saved.read_text(encoding="utf-8"))
        if existing != _normalised(plan) and _holds_work(output):
            raise InputError(f"{output} holds a different experiment ({saved}); choose another --output or delete that folder")
    if (output / RESULTS_JSON).exists() and not overwrite:
        raise InputError(f"{output} already holds results ({RESULTS_JSON}); pass --overwrite to evaluate again")
    output.mkdir(parents=True, exist_ok=True)
    atomic_write_text(saved, yaml.safe_dump(plan, sort_keys=False))


def _holds_work(output: Path) -> bool:
    """Whether the folder holds training runs or results (a run that failed before training holds neither:
    its plan may be replaced by a corrected command; its masks are regenerated when they differ)."""
    runs = output / "runs"
    return (output / RESULTS_JSON).exists() or (runs.is_dir() and any(path.is_file() for path in runs.rglob("*")))


def prepare_masks(plan: dict[str, Any], output: Path, log: Log) -> dict[str, Path]:
    """Generate (or reuse identical) fixed evaluation mask sets; returns ``{name: folder}``."""
    from wavemix_inpaint.masks import MANIFEST_NAME, draws_natively, generate_eval_masks, parse_size

    folders = {}
    for m in plan["mask_sets"]:
        folder = output / "masks" / m["name"]
        manifest = folder / MANIFEST_NAME
        reuse = False
        if manifest.is_file():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            found = tuple(data.get(key) for key in ("preset", "height", "width", "count", "seed", "native"))
            wanted = (m["preset"], *parse_size(m["size"]), m["count"], m["seed"], draws_natively(m["preset"]))
            reuse = found == wanted
        if not reuse:
            generate_eval_masks(m["preset"], m["size"], m["count"], m["seed"], folder, overwrite=True)
            log(f"masks: wrote {m['count']} {m['preset']} masks ({m['size']} px, seed {m['seed']}) to {folder}")
        folders[m["name"]] = folder
    return folders


def train_models(plan: dict[str, Any], output: Path, device: str, progress: bool, log: Log) -> dict[str, dict]:
    """Train every ``train: true`` model (reusing finished runs, resuming interrupted ones)."""
    from wavemix_inpaint.training import Trainer, make_train_config, resume_config

    records = {}
    trained = [model for model in plan["models"] if model["train"]]
    for number, model in enumerate(trained, start=1):
        run_dir = output / "runs" / slug(model["name"])
        done = run_dir / "done.json"
        if done.is_file():
            records[model["name"]] = json.loads(done.read_text(encoding="utf-8"))
            log(f"[train {number}/{len(trained)}] {model['name']}: finished run reused ({run_dir})")
            continue
        started = time.perf_counter()
        if (run_dir / "last.pt").is_file():
            log(f"[train {number}/{len(trained)}] {model['name']}: resuming {run_dir}")
            trainer = Trainer(resume_config(run_dir, progress=progress), resume=True)
        else:
            log(f"[train {number}/{len(trained)}] {model['name']}: {model['preset']} {json.dumps(model['options'])} -> {run_dir}")
            trainer = Trainer(make_train_config(train_values(plan, model, run_dir, device, progress)))
        summary = trainer.fit()
        seconds = time.perf_counter() - started
        budget = (plan["train"]["steps_per_epoch"] or 0) * plan["train"]["epochs"] or None
        record = {
            "run_dir": str(run_dir),
            "steps": trainer.loop.step,
            "planned_steps": budget,
            "epochs_completed": trainer.loop.epoch,
            "wall_seconds": seconds,
            "stopped_early": "stopped_at_step" in summary,
            "best_epoch": trainer.loop.best_epoch + 1 if trainer.loop.best_epoch >= 0 else None,
            "best_val_loss": trainer.loop.best_metric if np.isfinite(trainer.loop.best_metric) else None,
            "last_train_loss": summary.get("train_loss"),
            "parameters": summary.get("parameters"),
            "device": str(trainer.device),
        }
        atomic_write_text(done, json.dumps(record, indent=2) + "\n")
        records[model["name"]] = record
        log(
            f"    {record['steps']} steps in {seconds / 60:.1f} min"
            + (" (stopped by the time limit)" if record["stopped_early"] else "")
        )
    return records


def build_model(plan_model: dict[str, Any], output: Path):
    """The model to evaluate: trained checkpoint (best by validation), given checkpoint or preset as built."""
    from wavemix_inpaint.checkpoint import load_model
    from wavemix_inpaint.models import create_model

    if plan_model["train"]:
        return load_model(output / "runs" / slug(plan_model["name"]))
    if plan_model.get("checkpoint"):
        return load_model(plan_model["checkpoint"])
    return create_model(plan_model["preset"], **plan_model.get("options", {}))


def evaluate_models(
    plan: dict[str, Any],
    output: Path,
    mask_dirs: dict[str, Path],
    device,
    fid_weights,
    fid: Any,
    progress: bool,
    log: Log,
) -> dict[str, list]:
    """Evaluate every model on its mask sets; speed is measured once per model (on its first set)."""
    from wavemix_inpaint.evaluation import SpeedConfig, build_eval_dataset, evaluate_model, load_fid_extractor

    data = plan["data"]
    extractor, reason = fid, None
    if fid == "auto":
        extractor, reason = load_fid_extractor(fid_weights, device)
        if extractor is None:
            from wavemix_inpaint.evaluation.report import short_reason

            log(f"FID: not computed ({short_reason(reason)})")
    datasets = {name: build_eval_dataset(data["eval"], folder, data["eval_split"]) for name, folder in mask_dirs.items()}
    cache: dict[str, np.ndarray] = {}
    results: dict[str, list] = {m["name"]: [] for m in plan["mask_sets"]}
    for number, plan_model in enumerate(plan["models"], start=1):
        model = build_model(plan_model, output)
        speed_done = None
        for index, mask_set in enumerate(_model_mask_sets(plan, plan_model)):
            if plan.get("speed") and index == 0:
                speed = SpeedConfig(**plan["speed"])
            else:
                speed = SpeedConfig(enabled=False)
            log(
                f"[evaluate {number}/{len(plan['models'])}] {plan_model['name']} on {mask_set['name']} "
                f"({len(datasets[mask_set['name']])} images)" + (" + speed" if speed.enabled else "")
            )
            result = evaluate_model(
                model,
                datasets[mask_set["name"]],
                batch_size=plan["eval"]["batch_size"],
                device=device,
                fid=extractor,
                fid_cache=cache,
                fid_cache_key=f"real:{len(datasets[mask_set['name']])}",
                bins=plan["eval"]["bins"],
                name=plan_model["name"],
                grid_samples=plan["eval"]["grid"],
                speed=speed,
                progress=progress,
            )
            if extractor is None:
                result.fid_reason = reason or result.fid_reason
            if speed.enabled:
                speed_done = (result.inference, result.training)
            elif speed_done is not None:
                result.inference, result.training = speed_done
            result.config["mask_set"] = mask_set
            results[mask_set["name"]].append(result)
    return results


def measure_full_size(plan: dict[str, Any], dataset, device, log: Log) -> list[dict[str, Any]]:
    """Parameters (and, if planned, speed) of the full-size architectures of the trained models."""
    from wavemix_inpaint.evaluation import SpeedConfig, measure_inference_speed, measure_training_speed
    from wavemix_inpaint.models import count_parameters, create_model

    rows = []
    for plan_model in plan["models"]:
        full = plan_model.get("full_size")
        if not full:
            continue
        model = create_model(full["preset"], **full.get("options", {}))
        row: dict[str, Any] = {
            "model": plan_model["name"],
            "preset": full["preset"],
            "options": full.get("options", {}),
            "parameters": count_parameters(model),
            "inference": None,
            "training": None,
        }
        if plan.get("full_size_speed"):
            speed = SpeedConfig(**plan["full_size_speed"])
            log(f"[full size] {full['preset']}: timing inference and training at batch 40 (slow on CPU)")
            row["inference"] = measure_inference_speed(model, dataset, plan["eval"]["batch_size"], device, speed)
            row["training"] = measure_training_speed(model, device, speed)
        rows.append(row)
        del model
    return rows
