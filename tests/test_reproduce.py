"""Tests for ``wavemix-inpaint reproduce``: plans (dry runs) and the tiny end-to-end pipeline."""

from __future__ import annotations

import json

import pytest
import yaml

from wavemix_inpaint.cli.main import main
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.metrics import FID_WEIGHTS_ENV
from wavemix_inpaint.reproduce import ABLATION_GRID, ablation_plan, sensitivity_plan, table1_plan
from wavemix_inpaint.reproduce.runner import slug


@pytest.fixture()
def no_fid_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv(FID_WEIGHTS_ENV, raising=False)


def test_table1_small_dry_run_prints_the_plan_and_writes_nothing(image_folder, held_out_folder, tmp_path, capsys):
    out = tmp_path / "t1"
    code = main(
        [
            "reproduce",
            "table1",
            "--scale",
            "small",
            "--data",
            str(image_folder),
            "--eval-data",
            str(held_out_folder),
            "--output",
            str(out),
            "--dry-run",
        ]
    )
    assert code == 0 and not out.exists()
    text = capsys.readouterr().out
    for expected in (
        "U-Net (custom CNN)",
        "LaMa (lama-fourier)",
        "WaveMix",
        "telea",
        "navier-stokes",
        "biharmonic",
        "1,386,280 params",
        "1,273,651 params",
        "3,449,667 params",
        "10,934,544",
        "27,048,835",
        "240 optimizer steps",
        "batch 16",
        "wavemix-inpaint train --model wavemix-paper",
        "wavemix-inpaint masks --preset thick --size 96 --count 200 --seed 1001",
        "wavemix-inpaint evaluate --model telea",
    ):
        assert expected in text, expected
    plan = yaml.safe_load(text.split("plan (stored as experiment.yaml when run):\n", 1)[1])
    assert [m["preset"] for m in plan["models"]] == [
        "unet",
        "lama-fourier",
        "wavemix-paper",
        "telea",
        "navier-stokes",
        "biharmonic",
        "patchmatch",
    ]
    trained = [m for m in plan["models"] if m["train"]]
    assert all(m["full_size"]["options"] == {} for m in trained)
    assert plan["budget"]["optimizer_steps_per_model"] == 240


def test_table1_paper_plan_needs_stl10_and_uses_the_paper_recipe():
    with pytest.raises(InputError, match="stl10"):
        table1_plan("paper", data="photos")
    plan = table1_plan("paper", data="stl10:/data/stl10")
    assert plan["data"]["eval"] == "stl10:/data/stl10" and plan["data"]["eval_split"] == "test"
    assert plan["train"]["batch_size"] == 40 and plan["train"]["epochs"] == 100
    assert plan["train"]["switch_epoch"] == 50 and plan["train"]["steps_per_epoch"] is None  # from the packaged paper-stl10
    assert all(m["options"] == {} and "full_size" not in m for m in plan["models"])
    assert plan["mask_sets"][0]["count"] == 10_000
    with pytest.raises(InputError, match="--eval-data"):
        table1_plan("small", data="photos/train")


def test_ablation_dry_run_lists_the_grid_of_tables_2_and_3(image_folder, held_out_folder, capsys):
    assert main(["reproduce", "ablation", "--data", str(image_folder), "--eval-data", str(held_out_folder), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "T2#1" in text and "T3#9" in text and "square:12" in text and "augment none" in text
    plan = ablation_plan("small", data="a", eval_data="b")
    assert len(plan["models"]) == len(ABLATION_GRID) == 11
    by_name = {m["name"]: m for m in plan["models"]}
    assert by_name["T3#1"]["options"] == {
        "blocks_per_module": 7,
        "embed_dim": 24,
        "num_modules": 1,
        "dwt_levels": 1,
        "stem_stride": 2,
    }
    assert by_name["T3#3"]["options"]["stem_stride"] == 1 and by_name["T3#9"]["options"]["dwt_levels"] == 3
    assert by_name["T2#2"]["train_overrides"]["mask_preset"] == "square:8"
    assert by_name["T3#6"]["mask_sets"] == ["square12"]
    assert plan["train"]["augment"] == "none"
    assert ablation_plan("paper", data="stl10:/x")["models"][7]["options"]["embed_dim"] == 128


def test_sensitivity_dry_run(image_folder, capsys):
    assert main(["reproduce", "sensitivity", "--model", "telea", "--eval-data", str(image_folder), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "square:64" in text and "thick" in text and "evaluate only" in text
    plan = sensitivity_plan(model="telea", eval_data="x", squares=(4, 8))
    assert [m["preset"] for m in plan["mask_sets"]] == ["square:4", "square:8", "thin", "medium", "thick"]
    with pytest.raises(InputError):
        sensitivity_plan(eval_data="x")


def test_reproduce_errors_are_one_line(image_folder, tmp_path, capsys):
    assert main(["reproduce", "table1", "--scale", "paper", "--data", str(image_folder), "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("error: --scale paper trains on STL-10")
    assert (
        main(
            [
                "reproduce",
                "sensitivity",
                "--checkpoint",
                str(tmp_path / "missing.safetensors"),
                "--eval-data",
                str(image_folder),
                "--dry-run",
            ]
        )
        == 2
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--mask-sets", ","], "--mask-sets names no mask preset"),
        (["--mask-sets", "thick,bogus"], "unknown mask preset 'bogus'"),
        (["--mask-sets", "thick,thick"], "given twice: thick"),
        (["--eval-count", "0"], "--eval-count must be at least 1"),
    ],
)
def test_bad_plan_settings_are_refused_before_anything_runs(image_folder, tmp_path, capsys, flags, message):
    """They used to pass the dry run, and --mask-sets ',' crashed only after every model had trained."""
    command = ["reproduce", "table1", "--tiny", "--data", str(image_folder), "--output", str(tmp_path / "t1"), *flags]
    assert main(command) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "t1").exists()
    assert (
        main(["reproduce", "sensitivity", "--model", "telea", "--eval-data", str(image_folder), "--squares", "4,4", "--dry-run"])
        == 2
    )


def test_evaluation_photos_must_be_apart_from_the_training_and_validation_photos(image_folder, held_out_folder):
    for eval_data in (image_folder, image_folder / "a"):  # the same folder, or one inside it
        with pytest.raises(InputError, match="overlaps the --data folder"):
            table1_plan(tiny=True, data=str(image_folder), eval_data=str(eval_data))
    with pytest.raises(InputError, match="overlaps the --val-data folder"):
        table1_plan(tiny=True, data=str(image_folder), eval_data=str(held_out_folder), val_data=str(held_out_folder))
    assert table1_plan(tiny=True, data=str(image_folder), eval_data=str(held_out_folder))["data"]["eval"] == str(held_out_folder)


def test_a_plan_that_failed_before_training_may_be_replaced(tmp_path):
    """A failed first try (e.g. no --val-data) left its plan behind, and the corrected command was refused."""
    from wavemix_inpaint.reproduce.runner import PLAN_FILE, prepare_output

    first = table1_plan(tiny=True, data=str(tmp_path / "photos"), eval_data=str(tmp_path / "test"))
    second = table1_plan(
        tiny=True, data=str(tmp_path / "photos"), eval_data=str(tmp_path / "test"), val_data=str(tmp_path / "val")
    )
    output = tmp_path / "t1"
    prepare_output(first, output, overwrite=False)
    (output / "runs" / "u-net").mkdir(parents=True)  # an empty run folder is no work either
    prepare_output(second, output, overwrite=False)
    assert yaml.safe_load((output / PLAN_FILE).read_text())["data"]["val"] == second["data"]["val"]
    (output / "runs" / "u-net" / "last.json").write_text("{}")
    with pytest.raises(InputError, match="holds a different experiment"):
        prepare_output(first, output, overwrite=True)


@pytest.mark.slow
def test_table1_tiny_end_to_end(image_folder, held_out_folder, tmp_path, no_fid_weights):
    out = tmp_path / "t1"
    args = [
        "reproduce",
        "table1",
        "--tiny",
        "--data",
        str(image_folder),
        "--eval-data",
        str(held_out_folder),
        "--output",
        str(out),
        "--no-progress",
    ]
    assert main(args) == 0
    for name in (
        "experiment.yaml",
        "results.json",
        "results.md",
        "grid_thick.png",
        "grid_thin.png",
        "quality_by_hole_size.png",
        "masks/medium/masks.json",
    ):
        assert (out / name).is_file(), name
    names = ["U-Net (custom CNN)", "LaMa (lama-fourier)", "WaveMix", "telea", "navier-stokes", "biharmonic", "patchmatch"]
    text = (out / "results.md").read_text()
    table = text.split("## Mask set `thick`", 1)[1].split("\n\n")[1].splitlines()
    assert table[0].startswith("| Model | # params | FID")
    assert [row.split(" | ")[0].lstrip("| ") for row in table[2:]] == names
    results = json.loads((out / "results.json").read_text())
    assert set(results["results"]) == {"thick", "medium", "thin"}
    assert all(len(rows) == 7 for rows in results["results"].values())
    wavemix = results["results"]["thin"][2]
    assert wavemix["training"]["seconds_per_epoch"] > 0 and wavemix["inference"]["images_per_second"] > 0
    assert results["results"]["thick"][3]["training"] is None  # telea
    assert [row["parameters"] for row in results["full_size"]] == [11_444_115, 27_048_835, 10_934_544]
    assert all(record["steps"] == 2 for record in results["training"].values())
    for model in names[:3]:
        assert (out / "runs" / slug(model) / "done.json").is_file()
    assert yaml.safe_load((out / "experiment.yaml").read_text())["scale"] == "tiny"
    # finished results are protected; another plan in the same folder is refused
    assert main(args) == 2
    assert main(args[:-3] + ["--steps", "3", "--output", str(out)]) == 2


def test_sensitivity_tiny_end_to_end_with_a_classical_model(image_folder, tmp_path, no_fid_weights):
    out = tmp_path / "sens"
    assert (
        main(
            [
                "reproduce",
                "sensitivity",
                "--tiny",
                "--model",
                "telea",
                "--eval-data",
                str(image_folder),
                "--squares",
                "4,12",
                "--output",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    text = (out / "results.md").read_text()
    assert "square:4" in text and "square:12" in text and "thick" in text
    results = json.loads((out / "results.json").read_text())
    fractions = {m["preset"]: m["mean_hole_fraction"] for m in results["mask_sets"]}
    assert fractions["square:4"] == pytest.approx(16 / 1024) and fractions["square:12"] == pytest.approx(144 / 1024)
    assert (out / "sensitivity.png").stat().st_size > 1000 and (out / "grid.png").is_file()


def test_a_mask_folder_is_reused_only_when_it_holds_the_planned_set(tmp_path):
    from wavemix_inpaint.masks import generate_eval_masks
    from wavemix_inpaint.reproduce.runner import prepare_masks

    plan = {"mask_sets": [{"name": "thick", "preset": "thick", "size": 32, "count": 3, "seed": 5}]}
    folder = tmp_path / "masks" / "thick"
    generate_eval_masks("thick", 32, 3, 5, folder, native=True)  # same preset, size, count, seed: drawn natively
    messages = []
    prepare_masks(plan, tmp_path, messages.append)
    assert len(messages) == 1 and json.loads((folder / "masks.json").read_text())["native"] is False
    prepare_masks(plan, tmp_path, messages.append)  # now it is the planned set: kept
    assert len(messages) == 1
