"""Held-out results of a checkpoint on BSDS500 ``test`` (never trained on), the way the model card reports them.

Runs ``wavemix-inpaint evaluate`` (the exact commands are printed and stored) on four fixed mask sets:
thick / medium / thin at 96 px (centre crops) and large holes at full resolution (481x321: a box of 25-40%
of the short side plus thick strokes), each through the inference pipeline users get (``--pipeline``), with
paired statistics against OpenCV Telea, Navier-Stokes, scikit-image biharmonic and a previous checkpoint;
then the texture mode against the smooth fill, plain PatchMatch and Telea. Writes ``SUMMARY.md`` with one
row per comparison, and ``CARD.md`` with the model card's two tables (``--tables-only`` rewrites it from
the stored results).

    python benchmarks/heldout.py --checkpoint src/wavemix_inpaint/weights/default.safetensors \\
        --previous runs/previous-default/default.safetensors --data ../shared/data/bsds500/test --output results/heldout
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from wavemix_inpaint.cli.main import main as cli

MASK_SETS = {  # name: (preset, size, seed); the 96 px seeds are reproduce table1's
    "thick96": ("thick", "96", 1001),
    "medium96": ("medium", "96", 1002),
    "thin96": ("thin", "96", 1003),
    "large481": ("large", "481x321", 1004),
}
REPORTED = ("psnr_hole", "ssim_hole", "l1_hole", "texture_distance", "hole_colour_error")


def run(command: list[str], log: list[str]) -> None:
    log.append(" ".join(shlex.quote(part) for part in ["wavemix-inpaint", *command]))
    print(f"$ {log[-1]}", flush=True)
    if cli(command) != 0:
        raise SystemExit(f"failed: {log[-1]}")


def summary_rows(results: Path, label: str) -> list[str]:
    data = json.loads((results / "results.json").read_text(encoding="utf-8"))
    rows = []
    metrics = data["results"][0]["metrics"]
    for comparison in data.get("paired_comparisons", []):
        cells = []
        for row in comparison["metrics"]:
            if row["metric"] not in REPORTED:
                continue
            low, high = row["ci95"]
            digits = 2 if row["metric"] in ("psnr_hole", "hole_colour_error") else 4
            cells.append(
                f"{row['metric']} {row['model_mean']:.{digits}f} vs {row['baseline_mean']:.{digits}f}: "
                f"{row['mean_difference']:+.{digits}f} ({low:+.{digits}f} to {high:+.{digits}f}), better on {100 * row['win_rate']:.0f}%"
            )
        rows.append(f"| {label} | {comparison['baseline']} | " + "<br>".join(cells) + " |")
    within = metrics.get("hole_colour_within_5")
    rows.append(
        f"| {label} | (model alone) | detail ratio {metrics.get('detail_ratio', float('nan')):.2f}, HaarPSI "
        f"{metrics.get('haar_psi', float('nan')):.4f}, hole colour within 5 levels on "
        f"{'n/a' if within is None else f'{100 * within:.0f}%'} of images |"
    )
    return rows


#: mask set: (long label, short label) in the model card's tables
LABELS = {
    "thick96": ("thick 96 px", "thick"),
    "medium96": ("medium 96 px", "medium"),
    "thin96": ("thin 96 px", "thin"),
    "large481": ("large, 481x321", "large"),
}
#: classical baseline: (long name, short name); any other baseline is the previous default
CLASSICAL = {
    "telea": ("OpenCV Telea (r=3)", "Telea"),
    "navier-stokes": ("OpenCV Navier-Stokes (r=3)", "Navier-Stokes"),
    "biharmonic": ("scikit-image biharmonic", "biharmonic"),
}


def card_tables(output: Path) -> list[str]:
    """The model card's tables from the smooth runs: absolute metrics per method, then paired differences."""
    columns = ("psnr_hole", "ssim_hole", "l1_hole", "psnr", "ssim")
    absolute = ["| masks (mean hole) | method | hole PSNR (dB) | hole SSIM | hole L1 | whole-image PSNR | whole-image SSIM |"]
    absolute.append("|---|---|---:|---:|---:|---:|---:|")
    paired = ["| masks | baseline | hole PSNR (dB) | hole SSIM | hole L1 |", "|---|---|---|---|---|"]
    for name, (label, short) in LABELS.items():
        path = output / f"{name}-smooth" / "results.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        ours, *others = data["results"]
        names = [CLASSICAL.get(r["model"], ("previous default", "previous default")) for r in others]
        first = f"{label} ({100 * ours['mean_hole_fraction']:.1f}%)"
        for index, ((method, _), result) in enumerate([*zip(names, others), (("default", ""), ours)]):
            m = result["metrics"]
            cells = ["n/a" if m[c] is None else f"{m[c]:.2f}" if c.startswith("psnr") else f"{m[c]:.4f}" for c in columns]
            absolute.append(f"| {first if index == 0 else ''} | {method} | " + " | ".join(cells) + " |")
        for (_, method), comparison in zip(names, data["paired_comparisons"]):
            rows = {row["metric"]: row for row in comparison["metrics"]}
            cells = []
            for metric, digits in (("psnr_hole", 2), ("ssim_hole", 3), ("l1_hole", 3)):
                row = rows[metric]
                low, high = row["ci95"]
                cells.append(
                    f"{row['mean_difference']:+.{digits}f} ({low:+.{digits}f} to {high:+.{digits}f}), {100 * row['win_rate']:.0f}%"
                )
            paired.append(f"| {short} | {method} | " + " | ".join(cells) + " |")
    return [*absolute, "", *paired]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--previous", help="a previous checkpoint to compare with (e.g. the last bundled default)")
    parser.add_argument(
        "--previous-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a pipeline option of the previous release for --previous (e.g. edge_scale=1: the same weights "
        "without a later pipeline step; repeatable)",
    )
    parser.add_argument("--data", default="../shared/data/bsds500/test")
    parser.add_argument("--output", default="results/heldout")
    parser.add_argument("--sets", nargs="+", default=list(MASK_SETS), choices=list(MASK_SETS))
    parser.add_argument("--no-texture", action="store_true", help="skip the texture-mode comparisons")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, help="only the first N images (a smoke run)")
    parser.add_argument("--tables-only", action="store_true", help="only rewrite CARD.md from the stored results")
    args = parser.parse_args()
    output, log, rows = Path(args.output), [], []
    if args.tables_only:
        (output / "CARD.md").write_text("\n".join(card_tables(output)) + "\n", encoding="utf-8")
        print(f"wrote {output / 'CARD.md'}")
        return
    for name in args.sets:
        preset, size, seed = MASK_SETS[name]
        masks = output / "masks" / name
        if not (masks / "masks.json").exists():
            run(["masks", "--preset", preset, "--size", size, "--count", "200", "--seed", str(seed), "--output", str(masks)], log)
        common = ["--data", args.data, "--masks", str(masks), "--no-fid", "--no-speed", "--no-progress", "--overwrite"]
        common += ["--threads", str(args.threads), "--pipeline"] + (["--limit", str(args.limit)] if args.limit else [])
        smooth = ["evaluate", "--checkpoint", args.checkpoint, *common, "--output", str(output / f"{name}-smooth"), "--grid", "6"]
        smooth += ["--baseline", "telea", "--baseline", "navier-stokes", "--baseline", "biharmonic"]
        smooth += ["--baseline", args.previous] if args.previous else []
        smooth += [word for option in args.previous_option for word in ("--baseline-option", option)]
        run(smooth, log)
        rows += summary_rows(output / f"{name}-smooth", f"{name}, smooth")
        if args.no_texture or name == "thin96":
            continue
        texture = ["evaluate", "--checkpoint", args.checkpoint, *common, "--texture", "--output", str(output / f"{name}-texture")]
        texture += ["--grid", "6", "--baseline", "same", "--baseline-option", "texture=false"]
        texture += ["--baseline", "patchmatch", "--baseline", "telea"]
        run(texture, log)
        rows += summary_rows(output / f"{name}-texture", f"{name}, texture")
    lines = [
        "# Held-out results (BSDS500 test, 200 images per mask set)",
        "",
        "Paired per-image differences (model minus baseline) with 95% bootstrap intervals.",
        "",
        "| mask set, mode | baseline | paired differences |",
        "|---|---|---|",
        *rows,
        "",
        "Commands:",
        "",
        "```bash",
        *log,
        "```",
    ]
    (output / "SUMMARY.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (output / "CARD.md").write_text("\n".join(card_tables(output)) + "\n", encoding="utf-8")
    print(f"wrote {output / 'SUMMARY.md'} and {output / 'CARD.md'}")


if __name__ == "__main__":
    main()
