"""Reproduce the paper's experiments: Table 1, the ablation of Tables 2-3 and the sensitivity analysis.

>>> from wavemix_inpaint.reproduce import table1_plan, describe_plan, run_experiment
>>> plan = table1_plan("small", data="photos/train", eval_data="photos/test")
>>> print(describe_plan(plan, "results/table1-small"))            # doctest: +SKIP
>>> run_experiment(plan, "results/table1-small")                   # doctest: +SKIP
"""

from wavemix_inpaint.reproduce.experiments import (
    PAPER_ABLATION,
    PAPER_TABLE1,
    run_ablation,
    run_experiment,
    run_sensitivity,
    run_table1,
)
from wavemix_inpaint.reproduce.plans import (
    ABLATION_GRID,
    SCALES,
    TABLE1_MODELS,
    ablation_plan,
    sensitivity_plan,
    table1_plan,
)
from wavemix_inpaint.reproduce.runner import describe_plan, plan_commands

__all__ = [
    "ABLATION_GRID",
    "PAPER_ABLATION",
    "PAPER_TABLE1",
    "SCALES",
    "TABLE1_MODELS",
    "ablation_plan",
    "describe_plan",
    "plan_commands",
    "run_ablation",
    "run_experiment",
    "run_sensitivity",
    "run_table1",
    "sensitivity_plan",
    "table1_plan",
]
