"""Evaluation: Table-1 metrics (SSIM, PSNR, L1, L2, FID), hole-size bins, measured speed, grids and reports.

>>> from wavemix_inpaint.evaluation import build_eval_dataset, evaluate_model, results_markdown
>>> data = build_eval_dataset("stl10:/data/stl10", "masks/thick96", split="test")
>>> result = evaluate_model(model, data, batch_size=40)          # doctest: +SKIP
>>> print(results_markdown([result]))                             # doctest: +SKIP
"""

from wavemix_inpaint.evaluation.evaluate import (
    METRIC_NAMES,
    EvalResult,
    bin_label,
    build_eval_dataset,
    evaluate_model,
    hole_bin_index,
    load_fid_extractor,
    missing_masks_message,
    read_mask_size,
)
from wavemix_inpaint.evaluation.grid import grid_size, qualitative_grid, results_grid, save_grid
from wavemix_inpaint.evaluation.paired import PAIRED_METRICS, paired_comparison, paired_markdown
from wavemix_inpaint.evaluation.report import (
    TABLE1_COLUMNS,
    bins_markdown,
    environment,
    results_markdown,
    results_payload,
    table1_markdown,
    write_json,
    write_markdown,
)
from wavemix_inpaint.evaluation.speed import (
    PAPER_TRAIN_SET_SIZE,
    SpeedConfig,
    measure_inference_speed,
    measure_training_speed,
)

__all__ = [
    "METRIC_NAMES",
    "PAIRED_METRICS",
    "PAPER_TRAIN_SET_SIZE",
    "TABLE1_COLUMNS",
    "EvalResult",
    "SpeedConfig",
    "bin_label",
    "bins_markdown",
    "build_eval_dataset",
    "environment",
    "evaluate_model",
    "grid_size",
    "hole_bin_index",
    "load_fid_extractor",
    "measure_inference_speed",
    "measure_training_speed",
    "missing_masks_message",
    "paired_comparison",
    "paired_markdown",
    "qualitative_grid",
    "read_mask_size",
    "results_grid",
    "results_markdown",
    "results_payload",
    "save_grid",
    "table1_markdown",
    "write_json",
    "write_markdown",
]
