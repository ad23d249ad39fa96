"""Experiment plans: plain, YAML-able dicts describing exactly what ``wavemix-inpaint reproduce`` runs.

A plan holds the data, the fixed evaluation mask sets (preset, size, count, seed), the training settings
shared by every model (``train``: :class:`~wavemix_inpaint.training.TrainConfig` fields), the list of
models (registry preset + options, whether it is trained, per-model overrides), what is timed, and, for
Table 1, the full-size architectures whose size and speed are reported next to the scaled-down ones.
The runner stores the plan as ``experiment.yaml`` in the results folder.

Scales:

* ``paper``: STL-10 (``--data stl10:PATH``), batch 40, 100 epochs, the paper's recipe (AdamW then SGD at
  epoch 50, best-by-validation reload), full-size models; a GPU is expected.
* ``small``: a CPU budget (2 cores, < 60 min for Table 1): the same architectures with every model
  shrunk to about 1/8 of its parameters (keeping the paper's size ratios), a fixed number of optimizer
  steps identical for all models, 96x96 crops of a folder of photos.
* ``tiny`` (``--tiny``): the pipeline end to end in seconds, for tests.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.masks import get_mask_generator

SCALES = ("small", "paper")
TABLE1_MASK_SETS = ("thick", "medium", "thin")
#: seeds of the fixed evaluation mask sets (distinct from the training seed and the trainer's val masks)
MASK_SEEDS = {"thick": 1001, "medium": 1002, "thin": 1003, "square:8": 1008, "square:12": 1012}
CLASSICAL = ("telea", "navier-stokes", "biharmonic", "patchmatch")
SENSITIVITY_SQUARES = (4, 8, 12, 16, 24, 32, 48, 64)


def _mask_set(preset: str, size: int, count: int) -> dict[str, Any]:
    seed = MASK_SEEDS.get(preset)
    if seed is None:  # square:N of the sensitivity study
        seed = 2000 + int(preset.split(":")[1]) if preset.startswith("square:") else 3000
    return {"name": preset.replace(":", ""), "preset": preset, "size": size, "count": count, "seed": seed}


def _evaluation(scale: str, eval_count: int | None) -> dict[str, Any]:
    """The scale's evaluation settings, with ``--eval-count`` (checked before anything runs)."""
    evaluation = dict(_EVAL[scale])
    if eval_count is not None:
        if eval_count < 1:
            raise InputError(f"--eval-count must be at least 1, got {eval_count}")
        evaluation["count"] = eval_count
    return evaluation


def _check_mask_sets(names: tuple[str, ...]) -> tuple[str, ...]:
    """Known presets, each once, at least one: a bad name found after hours of training would lose them."""
    if not names:
        raise InputError("--mask-sets names no mask preset; e.g. --mask-sets thick,medium,thin")
    for name in names:
        get_mask_generator(name)  # raises InputError naming the presets for an unknown one
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"mask set(s) given twice: {', '.join(repeated)}")
    return names


def _check_scale(scale: str, tiny: bool) -> str:
    if tiny:
        return "tiny"
    if scale not in SCALES:
        raise InputError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return scale


def _data_section(
    scale: str, data: str | None, eval_data: str | None, val_data: str | None, split: str, image_size: int
) -> dict[str, Any]:
    if not data:
        raise InputError(
            "no training data: give --data (a folder of photos, or stl10:PATH for the paper scale)"
            if scale != "tiny"
            else "no data: give --data (a folder of photos)"
        )
    if scale == "paper" and not data.startswith("stl10:"):
        raise InputError(
            "--scale paper trains on STL-10: use --data stl10:PATH with PATH/stl10_binary/unlabeled_X.bin "
            "(see docs/reproduce.md); for a folder of photos use --scale small"
        )
    if eval_data is None:
        if not data.startswith("stl10:"):
            raise InputError(
                "give --eval-data: a folder of held-out photos (a folder given as --data has no test split; "
                "e.g. BSDS500 test when training on BSDS500 train)"
            )
        eval_data = data
    elif not eval_data.startswith("stl10:"):
        held_out = Path(eval_data).expanduser().resolve()
        for flag, other in (("--data", data), ("--val-data", val_data)):
            folder = Path(other).expanduser().resolve() if other else None
            if folder and (held_out.is_relative_to(folder) or folder.is_relative_to(held_out)):
                raise InputError(
                    f"--eval-data {eval_data} overlaps the {flag} folder {other}: the evaluation photos must be held "
                    "out from training and from the choice of checkpoints"
                )
    return {"train": data, "val": val_data, "eval": eval_data, "eval_split": split, "image_size": image_size}


# --------------------------------------------------------------------------------------------- Table 1

#: The three trained models of Table 1: full-size preset, and the options of the small-scale version.
#: Small scale = every model shrunk to ~1/8 of its parameters, keeping the paper's size ratios:
#: WaveMix C 128 -> 64 and 4 -> 2 modules (10.93 M -> 1.39 M, /7.9); U-Net widths /3, base 48 -> 16
#: (11.44 M -> 1.27 M, /9.0); LaMa ngf 64 -> 32 and 9 -> 4 FFC blocks (27.05 M -> 3.45 M, /7.8).
TABLE1_MODELS: tuple[dict[str, Any], ...] = (
    {"name": "U-Net (custom CNN)", "preset": "unet", "small": {"channels": [16, 32, 64, 128, 256]}, "tiny": ("unet-tiny", {})},
    {"name": "LaMa (lama-fourier)", "preset": "lama-fourier", "small": {"ngf": 32, "n_blocks": 4}, "tiny": ("lama-tiny", {})},
    {
        "name": "WaveMix",
        "preset": "wavemix-paper",
        "small": {"embed_dim": 64, "num_modules": 2},
        "tiny": ("wavemix-tiny", {"embed_dim": 8}),
    },
)

_TRAIN_SMALL = {
    "image_size": 96,
    "augment": "distortions",
    "mask_preset": "train",
    "val_mask_preset": "thick",
    "val_size": 48,
    "batch_size": 16,
    "epochs": 12,
    "steps_per_epoch": 20,  # 12 x 20 = 240 optimizer steps = 3,840 crops per model
    "switch_epoch": 12,  # AdamW throughout: the short budget never reaches the paper's SGD phase
    "lr": 1e-3,
    "num_workers": 0,  # loading 16 crops costs ~0.1 s per step; a worker process would compete for the 2 cores
    "precision": "auto",
    "time_limit_minutes": 30.0,  # safety net only: WaveMix needs ~12 min on 2 free cores, ~23 min on 1 busy one
}


def _train_paper() -> dict[str, Any]:
    """The paper's recipe, read from the packaged ``paper-stl10`` config (one copy of it, not two)."""
    from wavemix_inpaint.training.config import read_config_file

    recipe = read_config_file("paper-stl10")
    keys = (
        "image_size",
        "augment",
        "mask_preset",
        "val_mask_preset",
        "val_size",
        "batch_size",
        "epochs",
        "switch_epoch",
        "lr",
        "num_workers",
        "precision",
        "checkpoint_every",
    )
    # one pass over the 80,000 training images per epoch (2,000 steps), no time limit
    return {**{key: recipe[key] for key in keys}, "steps_per_epoch": None, "time_limit_minutes": None}


_TRAIN_TINY = {
    "image_size": 32,
    "augment": "light",
    "mask_preset": "train",
    "val_mask_preset": "thick",
    "val_size": 4,
    "batch_size": 4,
    "epochs": 1,
    "steps_per_epoch": 2,
    "switch_epoch": 1,
    "lr": 1e-3,
    "num_workers": 0,
    "precision": "fp32",
    "time_limit_minutes": None,
}
_SPEED = {
    "paper": {
        "warmup": 2,
        "batches": 10,
        "train_warmup": 2,
        "train_steps": 10,
        "train_batch_size": 40,
        "train_image_size": 96,
        "train_set_size": 80_000,
    },
    "small": {
        "warmup": 1,
        "batches": 2,
        "train_warmup": 1,
        "train_steps": 2,
        "train_batch_size": 40,
        "train_image_size": 96,
        "train_set_size": 80_000,
    },
    "tiny": {
        "warmup": 1,
        "batches": 1,
        "train_warmup": 1,
        "train_steps": 1,
        "train_batch_size": 4,
        "train_image_size": 32,
        "train_set_size": 80_000,
    },
}
#: timing of the full-size architectures at small scale: one timed step/batch each (a full-size WaveMix
#: training step at batch 40 takes ~50 s on 2 CPU cores)
_FULL_SPEED_SMALL = {**_SPEED["small"], "batches": 1, "train_steps": 1}
_EVAL = {
    "paper": {"batch_size": 40, "count": 10_000, "grid": 8},
    "small": {"batch_size": 40, "count": 200, "grid": 8},
    "tiny": {"batch_size": 4, "count": 4, "grid": 2},
}


def table1_plan(
    scale: str = "small",
    data: str | None = None,
    eval_data: str | None = None,
    val_data: str | None = None,
    split: str = "test",
    tiny: bool = False,
    steps: int | None = None,
    eval_count: int | None = None,
    mask_sets: tuple[str, ...] = TABLE1_MASK_SETS,
    classical: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """The Table 1 experiment: U-Net, LaMa and WaveMix trained with identical data, masks, seed and budget,
    plus the classical methods without training, each evaluated on every mask set."""
    scale = _check_scale(scale, tiny)
    mask_sets = _check_mask_sets(tuple(mask_sets))
    size = 32 if scale == "tiny" else 96
    train = copy.deepcopy({"small": _TRAIN_SMALL, "paper": _train_paper(), "tiny": _TRAIN_TINY}[scale])
    if steps is not None:
        if steps < 1:
            raise InputError(f"steps must be positive, got {steps}")
        per_epoch = train["steps_per_epoch"] or steps
        if steps % per_epoch:
            per_epoch = steps  # a single epoch of exactly `steps` steps
        train["steps_per_epoch"], train["epochs"] = per_epoch, steps // per_epoch
        if train["switch_epoch"] is not None:
            train["switch_epoch"] = train["epochs"]
    evaluation = _evaluation(scale, eval_count)
    models = []
    for entry in TABLE1_MODELS:
        if scale == "tiny":
            preset, options = entry["tiny"]
        elif scale == "small":
            preset, options = entry["preset"], dict(entry["small"])
        else:
            preset, options = entry["preset"], {}
        model = {"name": entry["name"], "preset": preset, "options": options, "train": True}
        if scale != "paper":  # at paper scale the evaluated models are the full-size ones
            model["full_size"] = {"preset": entry["preset"], "options": {}}
        models.append(model)
    if classical:
        models += [{"name": name, "preset": name, "options": {}, "train": False} for name in CLASSICAL]
    total_steps = (train["steps_per_epoch"] or 2000) * train["epochs"]
    return {
        "experiment": "table1",
        "scale": scale,
        "description": "Table 1 of the paper: U-Net vs LaMa vs WaveMix (+ classical methods), identical data, "
        "masks, seed and training budget",
        "seed": seed,
        "data": _data_section(scale, data, eval_data, val_data, split, size),
        "train": train,
        "budget": {
            "optimizer_steps_per_model": total_steps if train["steps_per_epoch"] else None,
            "epochs": train["epochs"],
            "batch_size": train["batch_size"],
            "time_limit_minutes": train["time_limit_minutes"],
        },
        "mask_sets": [_mask_set(name, size, evaluation["count"]) for name in mask_sets],
        "eval": {"batch_size": evaluation["batch_size"], "grid": evaluation["grid"], "bins": 10},
        "speed": _SPEED[scale],
        "full_size_speed": _FULL_SPEED_SMALL if scale == "small" else None,
        "models": models,
    }


# ------------------------------------------------------------------------------------------- ablation

#: Tables 2 (8x8 masks) and 3 (12x12 masks) of the paper: (table, row, blocks, embed_dim, modules,
#: dwt_levels, input size reduction done?)
ABLATION_GRID: tuple[tuple[int, int, int, int, int, int, bool], ...] = (
    (2, 1, 3, 96, 1, 1, False),
    (2, 2, 7, 96, 1, 1, False),
    (3, 1, 7, 96, 1, 1, True),
    (3, 2, 5, 96, 1, 1, True),
    (3, 3, 7, 96, 1, 1, False),
    (3, 4, 7, 96, 2, 1, False),
    (3, 5, 7, 64, 2, 1, False),
    (3, 6, 7, 128, 2, 1, False),
    (3, 7, 7, 96, 3, 1, False),
    (3, 8, 7, 96, 1, 2, True),
    (3, 9, 7, 96, 1, 3, True),
)
ABLATION_MASKS = {2: "square:8", 3: "square:12"}
#: small scale: embedding dims divided by 4 (96 -> 24, 64 -> 16, 128 -> 32), everything else as the paper
_ABLATION_DIM = {"paper": lambda c: c, "small": lambda c: c // 4, "tiny": lambda c: {64: 4, 96: 8, 128: 12}[c]}


def ablation_plan(
    scale: str = "small",
    data: str | None = None,
    eval_data: str | None = None,
    val_data: str | None = None,
    split: str = "test",
    tiny: bool = False,
    steps: int | None = None,
    eval_count: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Tables 2-3: WaveMix variants trained and tested on 8x8 / 12x12 square holes, no augmentation."""
    scale = _check_scale(scale, tiny)
    size = 32 if scale == "tiny" else 96
    base = copy.deepcopy({"small": _TRAIN_SMALL, "paper": _train_paper(), "tiny": _TRAIN_TINY}[scale])
    base.update(augment="none")
    if scale == "small":
        base.update(epochs=6, steps_per_epoch=20, switch_epoch=6, time_limit_minutes=15.0)  # 120 steps
    elif scale == "paper":
        # "limited data": the paper gives no budget; ours: 10 epochs of 500 steps (200,000 crops), SGD from 5
        base.update(epochs=10, steps_per_epoch=500, switch_epoch=5)
    if steps is not None:
        if steps < 1:
            raise InputError(f"steps must be positive, got {steps}")
        base.update(epochs=1, steps_per_epoch=steps, switch_epoch=1)
    evaluation = _evaluation(scale, eval_count)
    models = []
    for table, row, blocks, dim, modules, levels, reduced in ABLATION_GRID:
        mask = ABLATION_MASKS[table]
        options = {
            "blocks_per_module": blocks,
            "embed_dim": _ABLATION_DIM[scale](dim),
            "num_modules": modules,
            "dwt_levels": levels,
            "stem_stride": 2 if reduced else 1,
        }
        models.append(
            {
                "name": f"T{table}#{row}",
                "preset": "wavemix-paper",
                "options": options,
                "train": True,
                "train_overrides": {"mask_preset": mask, "val_mask_preset": mask},
                "mask_sets": [mask.replace(":", "")],
                "ablation": {
                    "table": table,
                    "row": row,
                    "blocks": blocks,
                    "embed_dim_paper": dim,
                    "modules": modules,
                    "dwt_levels": levels,
                    "input_size_reduction": reduced,
                },
            }
        )
    return {
        "experiment": "ablation",
        "scale": scale,
        "description": "Tables 2-3 of the paper: WaveMix variants on 8x8 and 12x12 square holes, no augmentation",
        "seed": seed,
        "data": _data_section(scale, data, eval_data, val_data, split, size),
        "train": base,
        "budget": {
            "optimizer_steps_per_model": (base["steps_per_epoch"] or 2000) * base["epochs"],
            "epochs": base["epochs"],
            "batch_size": base["batch_size"],
            "time_limit_minutes": base["time_limit_minutes"],
        },
        "mask_sets": [_mask_set(mask, size, evaluation["count"]) for mask in ABLATION_MASKS.values()],
        "eval": {"batch_size": evaluation["batch_size"], "grid": evaluation["grid"], "bins": 10},
        "speed": None,
        "full_size_speed": None,
        "models": models,
    }


# ---------------------------------------------------------------------------------------- sensitivity


def sensitivity_plan(
    checkpoint: str | None = None,
    model: str | None = None,
    eval_data: str | None = None,
    split: str = "test",
    tiny: bool = False,
    scale: str = "small",
    squares: tuple[int, ...] | None = None,
    eval_count: int | None = None,
    image_size: int | None = None,
) -> dict[str, Any]:
    """Appendix D: one model evaluated versus hole size (``square:N`` holes plus thin/medium/thick)."""
    scale = _check_scale(scale, tiny)
    if (checkpoint is None) == (model is None):
        raise InputError("sensitivity needs exactly one of --checkpoint PATH or --model NAME")
    if not eval_data:
        raise InputError("give --eval-data (or --data): the held-out images to evaluate on")
    size = image_size or (32 if scale == "tiny" else 96)
    if squares is None:
        squares = (4, 8, 12, 16) if scale == "tiny" else SENSITIVITY_SQUARES
    bad = [n for n in squares if not 0 < n <= size]
    if bad:
        raise InputError(f"square sizes {bad} do not fit {size}x{size} images")
    if len(set(squares)) != len(squares):
        raise InputError(f"--squares lists a size twice: {','.join(map(str, squares))}")
    evaluation = _evaluation(scale, eval_count)
    presets = [f"square:{n}" for n in squares] + ["thin", "medium", "thick"]
    return {
        "experiment": "sensitivity",
        "scale": scale,
        "description": "Appendix D of the paper: inpainting quality versus hole size",
        "seed": 0,
        "data": {"train": None, "val": None, "eval": eval_data, "eval_split": split, "image_size": size},
        "train": None,
        "mask_sets": [_mask_set(preset, size, evaluation["count"]) for preset in presets],
        "eval": {"batch_size": evaluation["batch_size"], "grid": 1, "bins": 10},
        "speed": None,
        "full_size_speed": None,
        "models": [
            {
                "name": "model",
                "preset": model,
                "checkpoint": checkpoint,
                "options": {},
                "train": False,
            }
        ],
    }
