"""Architecture by quality per CPU-hour: short learning-curve runs of WaveMix variants, then a table and a plot.

Every variant trains with the same data, training masks, validation set and masks, seed, batch size and
learning rate (``configs/default-model.yaml``'s recipe, AdamW at a constant 1e-3) for the same CPU-time
budget on one torch thread (``cpu_limit_minutes``; the published runs of 2026-11-26 had an 18-minute
*wall-time* budget and so got 11.2-16.7 CPU-minutes each, which is why the report also compares every
variant at the smallest CPU time any of them reached); the x axis of the plot is the CPU time of the
training process (validation excluded), so a variant that is slower per crop is charged for it. Runs are
resumable: ``run`` skips finished variants and continues an interrupted one.

Usage (from the repository root, with ``runs/data`` set up as in ``configs/default-model.yaml``)::

    OMP_NUM_THREADS=1 nohup nice -n 10 python benchmarks/arch_sweep.py run > runs/arch-sweep.log 2>&1 &
    python benchmarks/arch_sweep.py report --output docs/results/arch_sweep.png   # prints a Markdown table
"""

from __future__ import annotations

import argparse
from pathlib import Path

from learning_curves import CPU_RECIPE, read_rows

SWEEP_DIR = Path("runs/arch-sweep")
BASE = {
    **CPU_RECIPE,
    "model": "wavemix-small",
    "epochs": 400,
    "steps_per_epoch": 50,
    "switch_epoch": 400,
    "channels_last": True,
}
#: variant name -> (what changes, model options, other training settings)
VARIANTS: dict[str, tuple[str, dict, dict]] = {
    "small-telea": (
        "the bundled default's architecture: C=32, 2 modules x 5 blocks, 1 DWT level, stem /2, Telea prefill",
        {},
        {},
    ),
    "small-none": ("no prefill (the paper: the hole starts at zero)", {"prefill": "none"}, {}),
    "small-pushpull": ("push-pull prefill (in-graph, ONNX-exportable)", {"prefill": "push-pull"}, {}),
    "small-coarse": (
        "Telea prefill, half the samples refine the model's own half-resolution fill",
        {},
        {"coarse_estimate_prob": 0.5},
    ),
    "wide48": ("C=48", {"embed_dim": 48}, {}),
    "one-module-8": ("1 module x 8 blocks", {"num_modules": 1, "blocks_per_module": 8}, {}),
    "dwt2": ("2 DWT levels per block", {"dwt_levels": 2}, {}),
    "stem4-c64": ("stem /4 with C=64", {"stem_stride": 4, "embed_dim": 64}, {}),
}
BUDGET_MINUTES = 14.0


def run_all(budget_minutes: float) -> None:
    """Train every variant for ``budget_minutes`` of CPU time (resuming unfinished ones)."""
    from wavemix_inpaint.training import Trainer, make_train_config

    for name, (_, options, settings) in VARIANTS.items():
        run_dir = SWEEP_DIR / name
        if (run_dir / "done").exists():
            continue
        resume = (run_dir / "last.pt").exists()
        config = make_train_config(
            {**BASE, **settings, "model_options": options, "output": str(run_dir), "cpu_limit_minutes": budget_minutes}
        )
        print(f"== {name} ({'resume' if resume else 'start'})", flush=True)
        Trainer(config, resume=resume).fit()
        (run_dir / "done").write_text("ok\n")


def report(output: Path | None) -> None:
    """Print a Markdown table (best validation hole PSNR, CPU time, crops) and draw the learning curves."""
    from wavemix_inpaint.models import count_parameters, create_model

    runs = {name: read_rows(SWEEP_DIR / name) for name in VARIANTS}
    common = min((float(rows[-1]["cpu_seconds"]) / 60 for rows in runs.values() if rows), default=0.0)
    lines = [
        "| variant | change | parameters | crops seen | training CPU-min | crops / CPU-s | best val hole PSNR (dB) | at CPU-min "
        f"| best within {common:.1f} CPU-min (every variant's) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    curves = {}
    for name, (what, options, _) in VARIANTS.items():
        rows = runs[name]
        if not rows:
            continue
        cpu = [float(row["cpu_seconds"]) / 60 for row in rows]
        psnr = [float(row["val_psnr_hole"]) for row in rows]
        best = max(range(len(rows)), key=psnr.__getitem__)
        capped = (
            max(value for minutes, value in zip(cpu, psnr) if minutes <= common + 1e-9)
            if cpu[0] <= common + 1e-9
            else float("nan")
        )
        crops = int(rows[-1]["images_seen"])
        params = count_parameters(create_model("wavemix-small", **options))
        lines.append(
            f"| {name} | {what} | {params:,} | {crops:,} | {cpu[-1]:.1f} | {crops / (60 * cpu[-1]):.1f} | "
            f"{psnr[best]:.2f} | {cpu[best]:.1f} | {capped:.2f} |"
        )
        curves[name] = (cpu, psnr)
    print("\n".join(lines))
    if output is not None and curves:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(7, 4.5))
        for name, (cpu, psnr) in curves.items():
            axis.plot(cpu, psnr, marker=".", label=name)
        axis.set_xlabel("training CPU-minutes (1 thread, validation excluded)")
        axis.set_ylabel("validation hole PSNR, thick masks (dB)")
        axis.set_title("WaveMix variants: quality per CPU time (96 px, BSDS500 val)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(output, dpi=120)
        print(f"plot: {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train every variant (resumable)")
    run.add_argument("--budget-minutes", type=float, default=BUDGET_MINUTES)
    rep = sub.add_parser("report", help="table + plot of the finished runs")
    rep.add_argument("--output", type=Path, help="PNG plot")
    args = parser.parse_args()
    if args.command == "run":
        run_all(args.budget_minutes)
    else:
        report(args.output)


if __name__ == "__main__":
    main()
