"""Quality at equal compute: WaveMix, LaMa and the U-Net trained for the same CPU time, then evaluated.

The paper says WaveMix is resource-efficient: quality at a given compute. This trains the three networks at
matched parameter scale (~1.3-1.4 M parameters each) with the same data, masks, seed, batch and learning
rate, each with its own paper's objective (WaveMix and U-Net: 0.75 (1 - SSIM) + 0.25 L1; LaMa: its full
objective, perceptual network with random weights), and after every budget (cumulative CPU-minutes of the
training process, read from ``metrics.csv``'s ``cpu_seconds``) evaluates the best checkpoint on BSDS500
``test`` (96 px, thick masks) with hole PSNR and SSIM. Runs are resumable: run it again and it continues.

    OMP_NUM_THREADS=1 nohup nice -n 10 python benchmarks/equal_compute.py run --budgets 5 15 30 > runs/equal-compute.log 2>&1 &
    # or one process per core: ... run --budgets 5 15 30 --models LaMa  and  ... --models WaveMix U-Net
    python benchmarks/equal_compute.py report --output docs/results/equal_compute.png   # Markdown table + plot
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from learning_curves import CPU_RECIPE, read_rows

ROOT = Path("runs/equal-compute")
MODELS = {  # name: (preset, options, objective settings)
    "WaveMix": ("wavemix-paper", {"embed_dim": 64, "num_modules": 2}, {}),  # 1,386,280 parameters
    "LaMa": (
        "lama-fourier",
        {"ngf": 20, "n_blocks": 4},  # 1,352,523 parameters
        {"loss": "lama", "adversarial_weight": 10.0, "feature_matching_weight": 100.0, "perceptual_weight": 30.0},
    ),
    "U-Net": ("unet", {"channels": [16, 32, 64, 128, 256]}, {}),  # 1,273,651 parameters
}
BASE = {**CPU_RECIPE, "epochs": 100_000, "steps_per_epoch": 25, "switch_epoch": 100_000}  # stopped by CPU budget


def cpu_minutes(run_dir: Path) -> float:
    rows = read_rows(run_dir)
    return float(rows[-1]["cpu_seconds"]) / 60 if rows else 0.0


def run(budgets: list[float], test_masks: Path, test_data: str, names: list[str]) -> None:
    from wavemix_inpaint.cli.main import main as cli
    from wavemix_inpaint.training import make_train_config, resume_config

    if not (test_masks / "masks.json").exists():
        cli(["masks", "--preset", "thick", "--size", "96", "--count", "200", "--seed", "1001", "--output", str(test_masks)])
    for budget in sorted(budgets):
        for name in names:
            preset, options, objective = MODELS[name]
            run_dir = ROOT / name
            result = ROOT / "eval" / f"{name}-{budget:g}min"
            if (result / "results.json").exists():
                continue
            while cpu_minutes(run_dir) < budget:  # a few epochs at a time, until the CPU budget is spent
                resume = (run_dir / "last.pt").exists()
                config = (
                    resume_config(run_dir)
                    if resume
                    else make_train_config(
                        {**BASE, **objective, "model": preset, "model_options": options, "output": str(run_dir)}
                    )
                )
                _train_some(config, resume)
            cli(
                [
                    "evaluate",
                    "--checkpoint",
                    str(run_dir),
                    "--data",
                    test_data,
                    "--masks",
                    str(test_masks),
                    "--no-fid",
                    "--no-speed",
                    "--no-progress",
                    "--grid",
                    "0",
                    "--output",
                    str(result),
                    "--overwrite",
                    "--threads",
                    "1",
                ]
            )
            print(f"{name}: {cpu_minutes(run_dir):.1f} CPU-min evaluated", flush=True)


def _train_some(config, resume: bool, steps: int = 100) -> None:  # noqa: ANN001
    from wavemix_inpaint.training import Trainer

    trainer = Trainer(config, resume=resume)
    trainer.fit(max_steps=trainer.loop.step + steps)


def report(output: Path | None) -> None:
    rows, curves = [], {}
    for result in sorted((ROOT / "eval").glob("*/results.json")):
        name, budget = result.parent.name.rsplit("-", 1)
        metrics = json.loads(result.read_text())["results"][0]["metrics"]
        minutes = float(budget.removesuffix("min"))
        rows.append((name, minutes, metrics["psnr_hole"], metrics["ssim_hole"]))
        curves.setdefault(name, []).append((minutes, metrics["psnr_hole"]))
    print("| model | training CPU-minutes | hole PSNR (dB) | hole SSIM |\n|---|---:|---:|---:|")
    for name, minutes, psnr, ssim in sorted(rows):
        print(f"| {name} | {minutes:g} | {psnr:.2f} | {ssim:.4f} |")
    if output and curves:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axis = plt.subplots(figsize=(6, 4))
        for name, points in curves.items():
            points.sort()
            axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
        axis.set_xscale("log")
        axis.set_xlabel("training CPU-minutes (1 thread)")
        axis.set_ylabel("hole PSNR, BSDS500 test, thick masks (dB)")
        axis.grid(alpha=0.3)
        axis.legend()
        figure.tight_layout()
        figure.savefig(output, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--budgets", type=float, nargs="+", default=[5, 15, 30])
    run_parser.add_argument("--test-data", default="../shared/data/bsds500/test")
    run_parser.add_argument("--test-masks", type=Path, default=ROOT / "masks" / "thick96")
    run_parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS), help="e.g. one process per core")
    report_parser = sub.add_parser("report")
    report_parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        run(args.budgets, args.test_masks, args.test_data, args.models)
    else:
        report(args.output)


if __name__ == "__main__":
    main()
