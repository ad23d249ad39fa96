"""Tests for wavemix_inpaint.evaluation and the ``evaluate`` command (synthetic data only)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from wavemix_inpaint.checkpoint import save_checkpoint
from wavemix_inpaint.cli.main import main
from wavemix_inpaint.evaluation import (
    TABLE1_COLUMNS,
    SpeedConfig,
    evaluate_model,
    grid_size,
    hole_bin_index,
    measure_training_speed,
    qualitative_grid,
    results_grid,
    results_markdown,
    results_payload,
    save_grid,
    write_json,
    write_markdown,
)
from wavemix_inpaint.evaluation.report import footnotes
from wavemix_inpaint.metrics import FID_WEIGHTS_ENV, compute_image_metrics
from wavemix_inpaint.models import create_model

NO_SPEED = SpeedConfig(enabled=False)


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, images: torch.Tensor, masks: torch.Tensor) -> None:
        self.images, self.masks = images, masks

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        return {"image": self.images[index], "mask": self.masks[index], "index": index}


class FillModel(nn.Module):
    """Fills holes with a per-image constant (out of range for image 0, to test clamping)."""

    def __init__(self, values: list[float]) -> None:
        super().__init__()
        self.values = torch.tensor(values)
        self.seen = 0

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        fill = self.values[self.seen : self.seen + image.shape[0]].view(-1, 1, 1, 1).expand_as(image)
        self.seen += image.shape[0]
        return torch.where(mask > 0.5, fill, image)


class Oracle(nn.Module):
    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image.clone()


class MeanFeatures(nn.Module):
    """A tiny deterministic 'feature extractor': per-channel means and standard deviations (N x 6)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.cat([images.mean(dim=(2, 3)), images.std(dim=(2, 3))], dim=1)


def _square_masks(n: int, size: int, holes: list[int]) -> torch.Tensor:
    masks = torch.zeros(n, 1, size, size)
    for i, pixels in enumerate(holes):
        masks[i, 0].view(-1)[:pixels] = 1.0
    return masks


def _dataset(n: int = 6, size: int = 16, seed: int = 0) -> ListDataset:
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, size, size, generator=g) * 0.6 + 0.2
    masks = _square_masks(n, size, [(i + 1) * size * size // (n + 2) for i in range(n)])
    return ListDataset(images, masks)


@pytest.fixture()
def no_fid_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv(FID_WEIGHTS_ENV, raising=False)


def test_metrics_are_per_image_then_averaged_on_clamped_composites(no_fid_weights):
    data = _dataset()
    values = [2.0, 0.0, 0.3, 0.5, 0.7, 0.9]
    result = evaluate_model(FillModel(values), data, batch_size=4, device="cpu", speed=NO_SPEED)
    output = torch.where(data.masks > 0.5, torch.tensor(values).view(-1, 1, 1, 1).clamp(0, 1), data.images)
    expected = compute_image_metrics(output, data.images, data.masks)
    assert result.num_images == 6
    for key in ("ssim", "ssim_valid", "psnr", "l1", "l2", "ssim_hole", "psnr_hole", "l1_hole", "l2_hole"):
        assert result.metrics[key] == pytest.approx(expected[key].double().mean().item(), rel=1e-6), key
        np.testing.assert_allclose(result.per_image[key], expected[key].double().numpy(), rtol=1e-6)
    # per-image averaging: PSNR of the mean MSE would be different
    assert result.metrics["psnr"] != pytest.approx(-10 * np.log10(expected["l2"].double().mean().item()), rel=1e-3)
    assert result.fid is None and "not found" in result.fid_reason
    assert result.inference is None and result.training is None


def test_images_with_an_empty_mask_are_left_out_of_the_metrics(no_fid_weights):
    """An empty mask leaves nothing to fill: its whole-image PSNR (capped at 100 dB) once lifted the mean by 9 dB."""
    data = _dataset(n=4)
    data.masks[1] = 0  # no hole
    values = [0.1, 0.5, 0.5, 0.9]
    result = evaluate_model(FillModel(values), data, batch_size=4, device="cpu", fid=MeanFeatures(), speed=NO_SPEED)
    assert result.empty_masks == 1 and result.to_dict()["empty_masks"] == 1
    assert sum(row["count"] for row in result.bins) == 3
    assert np.isnan(result.per_image["psnr"][1]) and np.isnan(result.per_image["ssim"][1])
    kept = [0, 2, 3]
    output = torch.where(data.masks > 0.5, torch.tensor(values).view(-1, 1, 1, 1), data.images)
    expected = compute_image_metrics(output[kept], data.images[kept], data.masks[kept])
    for key in ("psnr", "ssim", "l1", "psnr_hole"):
        assert result.metrics[key] == pytest.approx(expected[key].double().mean().item(), rel=1e-6), key
    alone = ListDataset(data.images[kept], data.masks[kept])  # FID too is over the images with a hole
    fills = FillModel([values[i] for i in kept])
    assert result.fid == pytest.approx(evaluate_model(fills, alone, device="cpu", fid=MeanFeatures(), speed=NO_SPEED).fid)
    assert result.mean_hole_fraction == pytest.approx(result.per_image["hole_fraction"][kept].mean())  # so is the mean hole
    notes = " ".join(footnotes([result]))
    assert "FID from 3 images (fewer than the 2,048 feature dimensions): biased upwards" in notes and "100 dB" in notes


def test_hole_bins_assign_images_to_the_right_bins(no_fid_weights):
    assert hole_bin_index(np.array([0, 5, 10, 15, 55, 99, 100]), 100).tolist() == [0, 0, 1, 1, 5, 9, 9]
    size, holes = 20, [0, 20, 40, 60, 220, 396, 400]
    images = torch.rand(len(holes), 3, size, size, generator=torch.Generator().manual_seed(1))
    data = ListDataset(images, _square_masks(len(holes), size, holes))
    result = evaluate_model(Oracle(), data, batch_size=3, device="cpu", fid=None, speed=NO_SPEED)
    counts = [row["count"] for row in result.bins]
    assert counts == [1, 2, 0, 0, 0, 1, 0, 0, 0, 2]  # the empty mask (0 px) is not scored
    assert [row["bin"] for row in result.bins][:2] == ["0-10%", "10-20%"]
    assert result.bins[5]["metrics"]["ssim"] == pytest.approx(1.0)
    assert np.isnan(result.bins[2]["metrics"]["ssim"])
    assert result.fid_reason == "FID disabled"


def test_fid_with_an_injected_feature_extractor(no_fid_weights):
    data = _dataset(n=8)
    perfect = evaluate_model(Oracle(), data, batch_size=3, device="cpu", fid=MeanFeatures(), speed=NO_SPEED)
    assert perfect.fid == pytest.approx(0.0, abs=1e-9) and perfect.fid_reason is None
    assert "custom feature extractor" in perfect.fid_feature_extractor
    cache: dict = {}
    filled = evaluate_model(
        FillModel([0.0] * 8),
        data,
        batch_size=3,
        device="cpu",
        fid=MeanFeatures(),
        fid_cache=cache,
        fid_cache_key="set",
        speed=NO_SPEED,
    )
    assert filled.fid > 0.01 and cache["set"].shape == (8, 6)
    again = evaluate_model(
        FillModel([0.0] * 8),
        data,
        batch_size=3,
        device="cpu",
        fid=MeanFeatures(),
        fid_cache=cache,
        fid_cache_key="set",
        speed=NO_SPEED,
    )
    assert again.fid == pytest.approx(filled.fid)
    assert all(row["fid"] is None or row["fid"] >= 0 for row in filled.bins)


def test_speed_measurements(no_fid_weights):
    data = _dataset(n=3, size=32)
    model = create_model("wavemix-tiny", embed_dim=8)
    speed = SpeedConfig(batches=2, train_steps=2, train_batch_size=4, train_image_size=32, train_set_size=400)
    result = evaluate_model(model, data, batch_size=5, device="cpu", fid=None, speed=speed)
    assert result.inference["batch_size"] == 5 and result.inference["images_per_second"] > 0
    training = result.training
    assert training["seconds_per_epoch"] == pytest.approx(training["seconds_per_step"] * 100)
    assert training["measured_steps"] == 2 and "extrapolated" in training["note"]
    assert result.parameters == 5296
    assert measure_training_speed(create_model("telea")) is None  # classical: not trainable


def test_json_and_markdown_reports(tmp_path, no_fid_weights):
    data = _dataset()
    result = evaluate_model(FillModel([0.5] * 6), data, batch_size=4, device="cpu", name="fill", speed=NO_SPEED)
    payload = results_payload([result], {"data": "synthetic"})
    path = write_json(tmp_path / "results.json", payload)
    loaded = json.loads(path.read_text())
    assert loaded["config"] == {"data": "synthetic"} and loaded["torch"] == torch.__version__
    assert "date" in loaded and loaded["device"] == "cpu"
    entry = loaded["results"][0]
    assert entry["fid"] is None and "not found" in entry["fid_reason"]
    assert len(entry["hole_bins"]) == 10 and entry["metrics"]["ssim"] == pytest.approx(result.metrics["ssim"])
    text = results_markdown([result])
    write_markdown(tmp_path / "results.md", text)
    header = next(line for line in text.splitlines() if line.startswith("| Model"))
    assert all(column in header for column in TABLE1_COLUMNS)
    row = next(line for line in text.splitlines() if line.startswith("| fill"))
    assert f"{result.metrics['ssim']:.4f}" in row and "n/a" in row
    assert "hole area" in text and "FID n/a" in text
    other = dataclasses.replace(result, model="other")
    assert results_grid([result, other], rows=2).size == grid_size(2, 4, (16, 16))  # two models side by side


def test_grid_has_the_expected_size(tmp_path):
    image = torch.rand(3, 3, 16, 20)
    mask = _square_masks(3, 16, [40, 80, 0])[:, :, :, :16]
    mask = torch.nn.functional.pad(mask, (0, 4))
    grid = qualitative_grid(image, mask, {"a": image, "b": image * 0.5})
    assert grid.size == grid_size(3, 4, (16, 20)) == (4 * 20 + 5 * 2, 14 + 3 * 16 + 4 * 2)
    path = save_grid(tmp_path / "grid.png", grid)
    with Image.open(path) as reopened:
        assert reopened.size == grid.size
        pixels = np.asarray(reopened)
    # ground-truth column shows the image, masked column paints holes white
    top = 14 + 2
    np.testing.assert_array_equal(
        pixels[top : top + 16, 2 + 3 * 22 : 2 + 3 * 22 + 20], (image[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    )
    assert (pixels[top, 2] == 255).all()
    assert qualitative_grid(image, mask, image, labels=False).size == grid_size(3, 3, (16, 20), labels=False)


@pytest.fixture()
def eval_setup(image_folder, tmp_path):
    masks = tmp_path / "masks"
    assert main(["masks", "--preset", "thick", "--size", "32", "--count", "6", "--seed", "1", "--output", str(masks)]) == 0
    return image_folder, masks


def test_evaluate_cli_with_checkpoint_and_classical_model(eval_setup, tmp_path, no_fid_weights, capsys):
    folder, masks = eval_setup
    checkpoint = save_checkpoint(create_model("wavemix-tiny", embed_dim=8), tmp_path / "tiny.safetensors")
    out = tmp_path / "eval"
    args = [
        "evaluate",
        "--checkpoint",
        str(checkpoint),
        "--data",
        str(folder),
        "--masks",
        str(masks),
        "--output",
        str(out),
        "--batch-size",
        "4",
        "--speed-steps",
        "1",
        "--grid",
        "3",
        "--no-progress",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| wavemix-tiny |" in printed and "results.json" in printed
    results = json.loads((out / "results.json").read_text())
    entry = results["results"][0]
    assert entry["num_images"] == 6 and entry["parameters"] == 5296
    assert entry["fid"] is None and entry["fid_reason"]
    assert entry["training"]["batch_size"] == 40 and entry["training"]["image_size"] == [96, 96]
    assert results["config"]["checkpoint"] == str(checkpoint)
    with Image.open(out / "grid.png") as grid:
        assert grid.size == grid_size(3, 3, (32, 32))
    assert "| wavemix-tiny |" in (out / "results.md").read_text()

    # existing results are not overwritten without --overwrite
    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err

    telea = tmp_path / "telea"
    assert (
        main(
            [
                "evaluate",
                "--model",
                "telea",
                "--data",
                str(folder),
                "--masks",
                str(masks),
                "--output",
                str(telea),
                "--limit",
                "4",
                "--batch-size",
                "4",
                "--speed-steps",
                "1",
                "--grid",
                "0",
                "--no-progress",
            ]
        )
        == 0
    )
    entry = json.loads((telea / "results.json").read_text())["results"][0]
    assert entry["num_images"] == 4 and entry["parameters"] == 0 and entry["training"] is None
    assert entry["inference"]["images_per_second"] > 0
    assert "n/a (not trainable)" in (telea / "results.md").read_text()
    assert not (telea / "grid.png").exists()


def test_evaluate_cli_missing_masks_is_a_clear_error(image_folder, tmp_path, capsys):
    code = main(
        [
            "evaluate",
            "--model",
            "telea",
            "--data",
            str(image_folder),
            "--masks",
            str(tmp_path / "nope"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    assert code != 0
    err = capsys.readouterr().err
    assert err.startswith("error: mask folder") and "wavemix-inpaint masks --preset" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_wrong_size_mask_read_in_a_worker_process_is_one_clear_line(tmp_path, capsys):
    masks = tmp_path / "masks"
    assert main(["masks", "--preset", "thick", "--size", "32", "--count", "3", "--seed", "1", "--output", str(masks)]) == 0
    Image.new("L", (24, 24), 255).save(masks / "mask_00002.png")
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(3):
        Image.new("RGB", (40, 40), (90, 120, 150)).save(photos / f"{index}.png")
    command = [
        "evaluate",
        "--model",
        "telea",
        "--data",
        str(photos),
        "--masks",
        str(masks),
        "--no-fid",
        "--no-speed",
        "--no-progress",
    ]
    assert main([*command, "--num-workers", "1", "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err  # torch re-raises a worker's error with the worker's traceback as its message
    assert (
        err
        == "error: mask "
        + str(masks / "mask_00002.png")
        + " is 24x24 but image 2 is 32x32; use masks generated at the image size\n"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--texture"], "--texture: used only with --pipeline"),
        (["--strategy", "resize", "--no-edge-blend"], "--strategy, --edge-blend: used only with --pipeline"),
        (["--baseline-option", "texture=false"], "--baseline-option: used only with --pipeline"),
        (["--fid-weights", "missing.pth"], "--fid-weights missing.pth: no such file"),
        (["--num-workers", "-1"], "--num-workers must be >= 0"),
    ],
)
def test_evaluate_cli_refuses_flags_it_would_ignore(eval_setup, tmp_path, capsys, flags, message):
    """They used to be accepted and ignored: the numbers were those of a plain run."""
    folder, masks = eval_setup
    out = tmp_path / "out"
    command = ["evaluate", "--model", "telea", "--data", str(folder), "--masks", str(masks), "--output", str(out)]
    assert main([*command, *flags]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_evaluate_cli_paired_comparison_with_a_baseline(eval_setup, tmp_path, no_fid_weights, capsys):
    folder, masks = eval_setup
    out = tmp_path / "paired"
    assert (
        main(
            [
                "evaluate",
                "--model",
                "navier-stokes",
                "--baseline",
                "telea",
                "--data",
                str(folder),
                "--masks",
                str(masks),
                "--output",
                str(out),
                "--no-speed",
                "--grid",
                "2",
                "--no-progress",
            ]
        )
        == 0
    )
    assert "## Paired comparison with telea" in capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    assert [entry["model"] for entry in results["results"]] == ["navier-stokes", "telea"]
    rows = {row["metric"]: row for row in results["paired_comparison"]["metrics"]}
    psnr = rows["psnr_hole"]
    assert psnr["images"] == 6 and 0 <= psnr["win_rate"] <= 1
    means = {entry["model"]: entry["metrics"]["psnr_hole"] for entry in results["results"]}
    assert psnr["mean_difference"] == pytest.approx(means["navier-stokes"] - means["telea"], abs=1e-9)
    assert psnr["ci95"][0] <= psnr["mean_difference"] <= psnr["ci95"][1]
    assert "Paired comparison with telea" in (out / "results.md").read_text()
    with Image.open(out / "grid.png") as grid:  # both models in the grid
        assert grid.size == grid_size(2, 4, (32, 32))
    bad = main(
        [
            "evaluate",
            "--model",
            "telea",
            "--baseline",
            "nope",
            "--data",
            str(folder),
            "--masks",
            str(masks),
            "--output",
            str(tmp_path / "bad"),
            "--no-speed",
            "--no-progress",
        ]
    )
    assert bad == 2 and "unknown model 'nope'" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_paired_comparison_statistics():
    from wavemix_inpaint.evaluation import EvalResult, paired_comparison

    rng = np.random.default_rng(0)
    base = {key: rng.uniform(0.2, 0.8, 400) for key in ("ssim_hole", "l1_hole", "ssim")}
    base.update(psnr_hole=rng.uniform(15, 25, 400), psnr=rng.uniform(20, 30, 400))
    better = {key: value + (-0.01 if key == "l1_hole" else 0.01) + rng.normal(0, 0.001, 400) for key, value in base.items()}
    better["psnr_hole"][0] = np.inf  # a perfect fill: left out, not an inf mean

    def result(values):
        return EvalResult("m", None, 0, 400, {}, {}, None, None, None, [], 0.0, None, None, "cpu", 0.0, per_image=values)

    rows = {row["metric"]: row for row in paired_comparison(result(better), result(base))}
    assert rows["psnr_hole"]["images"] == 399 and rows["ssim"]["images"] == 400
    other_masks = result({**base, "hole_pixels": np.arange(400)})
    with pytest.raises(ValueError, match="needs the same masks"):
        paired_comparison(result({**better, "hole_pixels": np.arange(400) + 1}), other_masks)
    for row in rows.values():
        assert row["win_rate"] == 1.0  # the model is better on every image, including where lower is better
        assert abs(abs(row["mean_difference"]) - 0.01) < 0.001
        assert row["ci95"][0] < row["mean_difference"] < row["ci95"][1]
