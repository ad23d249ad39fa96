"""Quality at equal compute: WaveMix, LaMa and the U-Net trained for the same CPU time, then evaluated.

The paper says WaveMix is resource-efficient: quality at a given compute. This trains the three networks at
matched parameter scale (~1.3-1.4 M parameters each) with the same data, masks, seed, batch and learning
rate, each with its own paper's objective (WaveMix and U-Net: 0.75 (1 - SSIM) + 0.25 L1; LaMa: its full
objective, perceptual network with random weights), and at every budget (cumulative CPU-minutes of the
training process, ``train --cpu-limit-minutes``: training stops at the first step past it) evaluates the
weights of that moment on BSDS500 ``test`` (96 px, thick masks) with hole PSNR and SSIM. Runs are
resumable: run it again, or with larger budgets, and it continues.

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


def run(budgets: list[float], test_masks: Path, test_data: str, names: list[str]) -> None:
    from wavemix_inpaint.cli.main import main as cli
    from wavemix_inpaint.training import Trainer, make_train_config, resume_config

    if not (test_masks / "masks.json").exists():
        cli(["masks", "--preset", "thick", "--size", "96", "--count", "200", "--seed", "1001", "--output", str(test_masks)])
    for budget in sorted(budgets):
        for name in names:
            preset, options, objective = MODELS[name]
            run_dir = ROOT / name
            result = ROOT / "eval" / f"{name}-{budget:g}min"
            if (result / "results.json").exists():
                continue
            resume = (run_dir / "last.pt").exists()
            settings = {"cpu_limit_minutes": budget}  # stops at the first step past the budget
            config = (
                resume_config(run_dir, **settings)
                if resume
                else make_train_config(
                    {**BASE, **objective, **settings, "model": preset, "model_options": options, "output": str(run_dir)}
                )
            )
            trainer = Trainer(config, resume=resume)
            trainer.fit()
            spent = {
                "cpu_minutes": trainer.loop.cpu_seconds / 60,
                "images_seen": trainer.loop.images_seen,
                "steps": trainer.loop.step,
            }
            cli(
                [
                    "evaluate",
                    "--checkpoint",
                    str(run_dir / "last.safetensors"),  # the weights at the budget
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
            (result / "spent.json").write_text(json.dumps(spent) + "\n", encoding="utf-8")
            print(f"{name}: {spent['cpu_minutes']:.2f} CPU-min, {spent['images_seen']} crops, evaluated", flush=True)


def report(output: Path | None) -> None:
    rows, curves = [], {}
    for result in sorted((ROOT / "eval").glob("*/results.json")):
        name = result.parent.name.rsplit("-", 1)[0]
        metrics = json.loads(result.read_text())["results"][0]["metrics"]
        spent = json.loads((result.parent / "spent.json").read_text())
        rows.append((name, spent["cpu_minutes"], spent["images_seen"], metrics["psnr_hole"], metrics["ssim_hole"]))
        curves.setdefault(name, []).append((spent["cpu_minutes"], metrics["psnr_hole"]))
    print("| model | training CPU-minutes | crops seen | hole PSNR (dB) | hole SSIM |\n|---|---:|---:|---:|---:|")
    for name, minutes, crops, psnr, ssim in sorted(rows):
        print(f"| {name} | {minutes:.1f} | {crops:,} | {psnr:.2f} | {ssim:.4f} |")
    if output and curves:
        _plot(curves, output)


def _plot(test_points: dict[str, list[tuple[float, float]]], output: Path) -> None:
    """Left: every epoch's validation hole PSNR (BSDS500 val) against CPU-minutes; right: the test points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name, points in test_points.items():
        rows = read_rows(ROOT / name)
        minutes = [float(row["cpu_seconds"]) / 60 for row in rows]
        left.plot(minutes, [float(row["val_psnr_hole"]) for row in rows], marker=".", label=name)
        points.sort()
        right.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    left.set_ylabel("hole PSNR, BSDS500 val, every epoch (dB)")
    right.set_ylabel("hole PSNR, BSDS500 test, thick masks (dB)")
    for axis in (left, right):
        axis.set_xlabel("training CPU-minutes (1 thread)")
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
