import csv
import math

import pytest
import torch
from safetensors.torch import load_file

from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.cli.main import main
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.training import Trainer, TrainingError, load_train_config, make_train_config, resume_config


def _config(folder, output, **overrides):
    values = dict(
        model="wavemix-tiny",
        model_options={"embed_dim": 8, "dropout": 0.1},
        data=str(folder),
        output=str(output),
        image_size=32,
        augment="light",
        batch_size=4,
        epochs=3,
        steps_per_epoch=2,
        switch_epoch=2,
        val_size=4,
        num_workers=0,
        progress=False,
        tensorboard=False,
    )
    values.update(overrides)
    return make_train_config(values)


def _rows(run_dir):
    with open(run_dir / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_training_run_writes_checkpoints_logs_and_switches_to_sgd(image_folder, tmp_path):
    summary = Trainer(_config(image_folder, tmp_path / "run")).fit()
    run = tmp_path / "run"
    for name in ("config.yaml", "last.pt", "last.safetensors", "last.json", "best.safetensors", "val_masks/masks.json"):
        assert (run / name).exists(), name
    rows = _rows(run)
    assert [row["phase"] for row in rows] == ["adamw", "adamw", "sgd"]
    assert [int(row["step"]) for row in rows] == [2, 4, 6]
    assert all(0 < float(row["val_ssim"]) <= 1 for row in rows)
    assert summary["parameters"] > 0 and summary["best_epoch"] >= 1
    model = load_model(run / "best.safetensors")
    assert model.config["embed_dim"] == 8


@pytest.mark.parametrize("objective", [{}, {"loss": "lama", "adversarial_weight": 10.0}], ids=["ssim-l1", "lama-adversarial"])
def test_resume_reproduces_uninterrupted_run_exactly(image_folder, tmp_path, objective):
    Trainer(_config(image_folder, tmp_path / "full", **objective)).fit()
    interrupted = _config(image_folder, tmp_path / "resumed", **objective)
    Trainer(interrupted).fit(max_steps=3)  # stops in the middle of epoch 2
    assert len(_rows(tmp_path / "resumed")) == 1
    Trainer(resume_config(tmp_path / "resumed"), resume=True).fit()
    full, resumed = _rows(tmp_path / "full"), _rows(tmp_path / "resumed")
    assert [r["train_loss"] for r in full] == [r["train_loss"] for r in resumed]
    assert [r["val_loss"] for r in full] == [r["val_loss"] for r in resumed]
    weights_full = load_file(str(tmp_path / "full" / "last.safetensors"))
    weights_resumed = load_file(str(tmp_path / "resumed" / "last.safetensors"))
    assert all(torch.equal(weights_full[key], weights_resumed[key]) for key in weights_full)


def test_cpu_time_limit_stops_resumably_at_the_budget(image_folder, tmp_path):
    budget = 0.5 / 60  # half a CPU-second: a few steps of the tiny model
    config = _config(image_folder, tmp_path / "run", epochs=10, steps_per_epoch=500, cpu_limit_minutes=budget)
    summary = Trainer(config).fit()  # an epoch of 500 steps takes far longer than the budget
    run = tmp_path / "run"
    assert "stopped_at_step" in summary and (run / "last.pt").exists() and (run / "last.safetensors").exists()
    resumed = Trainer(resume_config(run, cpu_limit_minutes=2 * budget), resume=True)
    used = resumed.loop.cpu_seconds
    assert 0.5 <= used < 0.5 + 2.0  # stopped at the first step past the budget, not an epoch later
    steps = resumed.loop.step
    resumed.fit()  # the larger budget continues the same run
    assert resumed.loop.step > steps and resumed.loop.cpu_seconds >= 1.0


def test_resume_on_the_command_line_takes_new_budgets_and_refuses_other_changes(image_folder, tmp_path, capsys):
    from wavemix_inpaint.cli.main import main

    run = tmp_path / "run"
    Trainer(_config(image_folder, run, epochs=10, steps_per_epoch=500, cpu_limit_minutes=0.2 / 60)).fit()
    assert main(["train", "--resume", str(run), "--cpu-limit-minutes", "0.02", "--no-progress"]) == 0
    assert Trainer(resume_config(run), resume=True).loop.cpu_seconds >= 1.2  # it went on to the new budget
    assert main(["train", "--resume", str(run), "--lr", "0.1"]) == 2
    assert (
        "--lr cannot change; only --epochs, --switch-epoch, --time-limit-minutes, --cpu-limit-minutes can"
        in capsys.readouterr().err
    )


def test_a_run_lengthened_on_resume_keeps_its_new_length_at_the_next_plain_resume(image_folder, tmp_path, capsys):
    run = tmp_path / "run"
    Trainer(_config(image_folder, run, epochs=2, switch_epoch=None)).fit(max_steps=1)
    assert main(["train", "--resume", str(run), "--epochs", "4", "--switch-epoch", "3", "--max-steps", "2"]) == 0
    assert "epochs 2 -> 4, switch_epoch None -> 3" in capsys.readouterr().out
    config = resume_config(run)  # a plain --resume after the next interruption
    assert (config.epochs, config.switch_epoch) == (4, 3)
    Trainer(config, resume=True).fit()
    assert [row["phase"] for row in _rows(run)] == ["adamw", "adamw", "adamw", "sgd"]  # the switch after epoch 3


def test_a_row_written_after_the_last_resumable_state_is_dropped_on_resume(image_folder, tmp_path):
    run = tmp_path / "run"
    Trainer(_config(image_folder, run, epochs=1, switch_epoch=None)).fit()
    with open(run / "metrics.csv", "a", encoding="utf-8") as handle:  # as if killed after the row, before last.pt
        handle.write("2" + ",0" * (len(_rows(run)[0]) - 1) + "\n")
    Trainer(resume_config(run, epochs=2), resume=True).fit()
    assert [row["epoch"] for row in _rows(run)] == ["1", "2"] and _rows(run)[1]["step"] != "0"


def test_an_epoch_longer_than_the_data_draws_each_photo_again_with_a_new_sample(image_folder, tmp_path):
    trainer = Trainer(_config(image_folder, tmp_path / "run", steps_per_epoch=8))  # 32 samples of 11 photos
    indices = trainer._epoch_batches(0)
    assert len(indices) == 32 and len(set(indices)) == 32 and max(indices) >= 2 * len(trainer.train_set)
    trainer.train_set.set_epoch(0)
    photo = indices[0] % len(trainer.train_set)
    first, again = trainer.train_set[photo], trainer.train_set[photo + len(trainer.train_set)]
    assert first["index"] == again["index"] == photo and not torch.equal(first["mask"], again["mask"])


def test_a_folder_without_val_data_keeps_a_tenth_of_its_photos_for_validation(image_folder, tmp_path):
    trainer = Trainer(_config(image_folder, tmp_path / "run"))
    train_photos = set(trainer.train_set.images.indices.tolist())  # indices into the folder's 12 photos
    val_photos = set(trainer.val_set.images.dataset.indices.tolist())
    assert len(train_photos) == 11 and len(val_photos) == 1 and not train_photos & val_photos


def test_cpu_time_counts_the_data_loader_workers(image_folder, tmp_path, monkeypatch):
    from wavemix_inpaint.training import trainer as trainer_module

    readings = iter([0.0, 7.0] * 10)  # the workers' CPU seconds before and after each epoch
    monkeypatch.setattr(trainer_module, "_finished_children_cpu", lambda: next(readings))
    trainer = Trainer(_config(image_folder, tmp_path / "run", epochs=1, switch_epoch=None))
    trainer.fit()
    assert 7.0 <= trainer.loop.cpu_seconds < 7.0 + 60  # the main process's share plus the workers' 7 s


def test_existing_run_is_not_overwritten(image_folder, tmp_path):
    config = _config(image_folder, tmp_path / "run", epochs=1, switch_epoch=None)
    Trainer(config).fit()
    with pytest.raises(InputError, match="--resume"):
        Trainer(config)


CUDA = pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"))


@pytest.mark.parametrize("device", ["cpu", CUDA])  # on CUDA: under fp16 AMP with a GradScaler
def test_persistent_nan_loss_stops_with_clear_message(image_folder, tmp_path, monkeypatch, device):
    trainer = Trainer(_config(image_folder, tmp_path / "run", max_bad_steps=2, device=device))
    monkeypatch.setattr(trainer.loss_fn, "forward", lambda output, target: output.sum() * float("nan"))
    with pytest.raises(TrainingError, match="NaN/inf for 2 consecutive steps"):
        trainer.fit()
    assert (tmp_path / "run" / "last.pt").exists()


def test_config_file_and_overrides(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('model = "wavemix-tiny"\nbatch_size = 8\nepochs = 4\n[model_options]\nembed_dim = 16\n')
    config = load_train_config(path, epochs=6)
    assert (config.batch_size, config.epochs, config.sgd_from_epoch) == (8, 6, 3)
    assert config.model_options == {"embed_dim": 16}
    # AdamW for the first half, rounded up: a one-epoch run is AdamW, not SGD from its first step
    assert [make_train_config({"epochs": n}).sgd_from_epoch for n in (1, 2, 3, 100)] == [1, 1, 2, 50]
    with pytest.raises(InputError, match="unknown training setting"):
        make_train_config({"batchsize": 3})


def test_cli_train_and_bad_data(image_folder, tmp_path, capsys):
    args = [
        "train",
        "--model",
        "wavemix-tiny",
        "--model-option",
        "embed_dim=8",
        "--data",
        str(image_folder),
        "--output",
        str(tmp_path / "run"),
        "--image-size",
        "32",
        "--batch-size",
        "4",
        "--epochs",
        "1",
        "--steps-per-epoch",
        "1",
        "--val-size",
        "2",
        "--num-workers",
        "0",
        "--no-progress",
    ]
    assert main(args) == 0
    assert (tmp_path / "run" / "best.safetensors").exists()
    assert main(["train", "--data", str(tmp_path / "missing"), "--output", str(tmp_path / "r2")]) != 0
    assert "error:" in capsys.readouterr().err


def test_adversarial_training_updates_the_discriminator(image_folder, tmp_path):
    trainer = Trainer(_config(image_folder, tmp_path / "run", epochs=1, switch_epoch=None, adversarial_weight=10.0))
    before = {k: v.clone() for k, v in trainer.objective.discriminator.state_dict().items()}
    trainer.fit()
    after = trainer.objective.discriminator.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if after[k].is_floating_point())


def test_discriminator_size_follows_the_config(image_folder, tmp_path):
    small = Trainer(
        _config(image_folder, tmp_path / "run", adversarial_weight=0.1, disc_width=16, disc_layers=3)
    ).objective.discriminator
    assert small.model0[0].out_channels == 16 and small.n_layers == 3
    lama = Trainer(_config(image_folder, tmp_path / "run2", adversarial_weight=0.1)).objective.discriminator
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in lama.parameters()) / 20
    with pytest.raises(InputError, match="disc_width and disc_layers must be positive"):
        Trainer(_config(image_folder, tmp_path / "run3", adversarial_weight=0.1, disc_layers=0))


def test_an_mse_term_reaches_the_training_and_the_validation_loss(image_folder, tmp_path):
    trainer = Trainer(_config(image_folder, tmp_path / "run", l2_weight=3.0))
    assert trainer.loss_fn.l2_weight == 3.0
    metrics = trainer.validate()
    expected = 0.75 * (1 - metrics["val_ssim"]) + 0.25 * metrics["val_l1"] + 3.0 * metrics["val_l2"]
    assert metrics["val_l2"] > 0 and metrics["val_loss"] == pytest.approx(expected, rel=1e-5)


def test_unknown_loss_is_rejected(image_folder, tmp_path):
    with pytest.raises(InputError, match="loss must be one of"):
        Trainer(_config(image_folder, tmp_path / "run", loss="perceptual"))


def test_tensorboard_events_written(image_folder, tmp_path):
    pytest.importorskip("tensorboard")
    Trainer(_config(image_folder, tmp_path / "run", epochs=1, switch_epoch=None, tensorboard=True)).fit()
    assert list((tmp_path / "run" / "tb").glob("events.out.tfevents.*"))


def test_init_from_checkpoint_starts_from_its_weights(image_folder, tmp_path):
    from wavemix_inpaint.checkpoint import save_checkpoint
    from wavemix_inpaint.models import create_model

    torch.manual_seed(123)
    source = create_model("wavemix-tiny", embed_dim=8, dropout=0.1)
    path = save_checkpoint(source, tmp_path / "start.safetensors")
    trainer = Trainer(_config(image_folder, tmp_path / "run", init_from=str(path)))
    assert all(torch.equal(a, b) for a, b in zip(trainer.model.state_dict().values(), source.state_dict().values()))
    with pytest.raises(InputError, match="embed_dim: 8 in the checkpoint, 16 here"):
        Trainer(_config(image_folder, tmp_path / "run2", init_from=str(path), model_options={"embed_dim": 16}))
    # a setting without weights would load silently and compute something else: refused too
    with pytest.raises(InputError, match=r"prefill: 'none' in the checkpoint, 'telea' here.*--model-option prefill=none"):
        Trainer(_config(image_folder, tmp_path / "run3", init_from=str(path), model_options={"embed_dim": 8, "prefill": "telea"}))
    # init_grow: a wider network (embed_dim 8 -> 16) starts from the narrower one's function
    grown = Trainer(
        _config(
            image_folder, tmp_path / "run4", init_from=str(path), init_grow=True, model_options={"embed_dim": 16, "dropout": 0.1}
        )
    ).model.eval()
    image, mask = torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32)
    mask[..., 8:20, 10:24] = 1
    with torch.no_grad():
        assert torch.allclose(grown(image, mask), source.eval()(image, mask), atol=1e-6)


def test_cpu_prefill_runs_in_the_data_loader(image_folder, tmp_path, monkeypatch):
    from wavemix_inpaint.models.prefill import telea_fill

    config = _config(image_folder, tmp_path / "run", model_options={"embed_dim": 8, "prefill": "telea"}, epochs=1, switch_epoch=1)
    trainer = Trainer(config)
    assert trainer.train_set.prefill == "telea" and trainer.val_set.prefill == "telea"
    image, mask, estimate = next(trainer._batches(0))
    assert torch.equal(estimate, telea_fill(image * (1 - mask), mask))

    def not_in_the_loop(*args):
        raise AssertionError("the prefill ran in the training loop, not in the data loader")

    monkeypatch.setattr(trainer.model, "initial_estimate", not_in_the_loop)
    trainer.fit()  # training steps and validation
    assert len(_rows(tmp_path / "run")) == 1


def test_traceable_prefill_stays_in_the_model(image_folder, tmp_path):
    config = _config(image_folder, tmp_path / "run", model_options={"embed_dim": 8, "prefill": "push-pull"})
    assert Trainer(config).train_set.prefill is None


def test_cosine_schedule_decays_the_adamw_learning_rate_to_zero_at_the_switch(image_folder, tmp_path):
    config = _config(image_folder, tmp_path / "run", lr_schedule="cosine", epochs=3, switch_epoch=2)
    Trainer(config).fit()
    rows = _rows(tmp_path / "run")  # each row logs the lr of its epoch's last step; 4 AdamW steps in all
    lrs = [float(row["lr"]) for row in rows]
    assert lrs[0] == pytest.approx(0.5e-3 * (1 + math.cos(math.pi * 1 / 4)))  # step 2 of 4 (1 done before it)
    assert lrs[1] == pytest.approx(0.5e-3 * (1 + math.cos(math.pi * 3 / 4)))  # step 4 of 4
    assert rows[2]["phase"] == "sgd" and float(rows[2]["lr"]) == pytest.approx(config.sgd_lr)
    with pytest.raises(InputError, match="lr_schedule"):
        _config(image_folder, tmp_path / "bad", lr_schedule="linear")


def test_every_train_setting_is_a_flag_and_flags_round_trip():
    import argparse
    import dataclasses

    from wavemix_inpaint.cli import train as train_cli
    from wavemix_inpaint.training.config import TrainConfig, config_flags, config_overrides, make_train_config

    parser = argparse.ArgumentParser()
    train_cli.add_arguments(parser)
    flags = {option for action in parser._actions for option in action.option_strings}
    for spec in dataclasses.fields(TrainConfig):
        assert spec.metadata["help"], spec.name
        if spec.name not in ("model_options", "progress"):
            assert "--" + spec.name.replace("_", "-") in flags, spec.name
    wanted = make_train_config(
        {
            "model": "wavemix-tiny",
            "data": "photos",
            "lr": 3e-4,
            "betas": [0.8, 0.99],
            "switch_epoch": 4,
            "channels_last": False,
            "coarse_estimate_prob": 0.5,
            "lr_schedule": "cosine",
        }
    )
    args = parser.parse_args([str(part) for part in config_flags(wanted.to_dict())])
    assert make_train_config(config_overrides(args)) == dataclasses.replace(wanted, progress=True)


def test_full_disk_while_checkpointing_keeps_the_previous_state_and_the_run_resumable(image_folder, tmp_path, monkeypatch):
    import errno

    from wavemix_inpaint.errors import DiskFullError
    from wavemix_inpaint.training import state

    config = _config(image_folder, tmp_path / "run", epochs=3)
    Trainer(config).fit(max_steps=2)  # one epoch: last.pt of epoch 1
    before = (tmp_path / "run" / "last.pt").read_bytes()
    real_save = torch.save

    def full_disk(obj, path, *args, **kwargs):
        real_save(obj, path, *args, **kwargs)  # a partial file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(state.torch, "save", full_disk)
    with pytest.raises(DiskFullError, match="disk is full"):
        Trainer(resume_config(tmp_path / "run"), resume=True).fit()
    monkeypatch.setattr(state.torch, "save", real_save)
    assert (tmp_path / "run" / "last.pt").read_bytes() == before  # the previous state, intact
    assert not list((tmp_path / "run").glob(".*.tmp"))
    summary = Trainer(resume_config(tmp_path / "run"), resume=True).fit()
    assert summary["epoch"] == 3


def test_packaged_paper_config_by_name():
    config = load_train_config("paper-stl10", data="stl10:/nowhere")
    assert (config.model, config.batch_size, config.epochs, config.sgd_from_epoch) == ("wavemix-paper", 40, 100, 50)
    with pytest.raises(InputError, match="packaged configs: .*paper-stl10"):
        load_train_config("no-such-config")


def test_finer_level_samples_show_the_model_its_own_fill_upscaled_never_the_hole(image_folder, tmp_path):
    # The edge pass's input (inference/edge_pass.py): a third of the crop, the model's fill of it upscaled 3x.
    config = _config(image_folder, tmp_path / "run", image_size=36, finer_level_prob=1.0, model_options={"embed_dim": 8})
    trainer = Trainer(config)
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 36, 36, generator=generator)
    mask = torch.zeros(2, 1, 36, 36)
    for column in (3, 13, 23, 33):  # 3 px strokes 7 px apart: in every window of a third of the crop
        mask[..., 2:34, column : column + 3] = 1
    other = torch.where(mask > 0.5, torch.rand(2, 3, 36, 36, generator=generator), image)
    torch.manual_seed(1)
    inputs, targets, masks, estimates = trainer._with_finer_levels(image, mask, None)
    torch.manual_seed(1)
    other_inputs, other_targets, other_masks, _ = trainer._with_finer_levels(other, mask, None)
    assert torch.equal(inputs, other_inputs) and torch.equal(masks, other_masks)  # the hole's content never read
    assert not torch.equal(targets, other_targets)  # the target is the truth, upscaled
    assert torch.equal(estimates, inputs) and inputs.shape == image.shape
    assert set(masks.unique().tolist()) <= {0.0, 1.0} and 0 < masks.mean() < 1


def test_a_run_with_finer_level_samples_trains_and_checks_its_crop_size(image_folder, tmp_path):
    config = _config(image_folder, tmp_path / "run", image_size=36, finer_level_prob=0.5, epochs=1, switch_epoch=1)
    summary = Trainer(config).fit()
    assert math.isfinite(summary["best_val_loss"])
    with pytest.raises(InputError, match="divisible by 3"):
        _config(image_folder, tmp_path / "bad", image_size=32, finer_level_prob=0.5)
    with pytest.raises(InputError, match="finer_level_prob"):
        _config(image_folder, tmp_path / "bad", finer_level_prob=1.5)
