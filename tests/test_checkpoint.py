import json

import pytest
import torch

from wavemix_inpaint import create_model
from wavemix_inpaint.checkpoint import load_model, read_checkpoint, save_checkpoint
from wavemix_inpaint.errors import CheckpointError, InputError


def _batch():
    image = torch.rand(1, 3, 24, 24)
    mask = torch.zeros(1, 1, 24, 24)
    mask[..., 6:18, 6:18] = 1
    return image, mask


def test_roundtrip_reproduces_outputs(tmp_path):
    model = create_model("wavemix-tiny", embed_dim=16).eval()
    path = save_checkpoint(model, tmp_path / "m.safetensors", step=7)
    loaded = load_model(path)
    image, mask = _batch()
    with torch.no_grad():
        assert torch.equal(model(image, mask), loaded(image, mask))
    sidecar = json.loads((tmp_path / "m.json").read_text())
    assert sidecar["model"] == "wavemix-tiny" and sidecar["config"]["embed_dim"] == 16 and sidecar["step"] == 7
    assert loaded.checkpoint_info["step"] == 7


def test_half_precision_storage_is_close(tmp_path):
    model = create_model("wavemix-tiny").eval()
    path = save_checkpoint(model, tmp_path / "m.safetensors", dtype=torch.float16)
    config, tensors = read_checkpoint(path)
    assert all(t.dtype == torch.float16 for t in tensors.values() if t.is_floating_point())
    loaded = load_model(path)
    assert next(loaded.parameters()).dtype == torch.float32
    image, mask = _batch()
    with torch.no_grad():
        assert torch.allclose(model(image, mask), loaded(image, mask), atol=5e-3)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "absent.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_model(bad)


def test_truncated_file(tmp_path):
    path = save_checkpoint(create_model("wavemix-tiny"), tmp_path / "m.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_model(path)


def test_architecture_mismatch_is_named(tmp_path):
    path = save_checkpoint(create_model("wavemix-tiny"), tmp_path / "m.safetensors")
    with pytest.raises(CheckpointError, match="architecture mismatch.*(missing|unexpected|shape)"):
        load_model(path, num_modules=2)


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    save_checkpoint(create_model("wavemix-tiny"), tmp_path / "m.safetensors")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]


def test_cli_exports_float16_safetensors(tmp_path, capsys):
    from wavemix_inpaint.cli.main import main

    source = save_checkpoint(create_model("wavemix-tiny"), tmp_path / "m.safetensors", step=3)
    target = tmp_path / "small.safetensors"
    assert main(["export", "--format", "safetensors", "--checkpoint", str(source), "--output", str(target)]) == 0
    config, tensors = read_checkpoint(target)
    assert config["step"] == 3 and all(t.dtype == torch.float16 for t in tensors.values() if t.is_floating_point())
    assert target.stat().st_size < source.stat().st_size
    assert main(["export", "--format", "safetensors", "--checkpoint", str(source), "--output", str(target)]) != 0
    assert "refusing to overwrite" in capsys.readouterr().err
    notes = tmp_path / "notes.json"  # a user's file that happens to sit where the config would go
    notes.write_text("{}")
    assert (
        main(
            ["export", "--format", "safetensors", "--checkpoint", str(source), "--output", str(notes.with_suffix(".safetensors"))]
        )
        != 0
    )
    assert f"refusing to overwrite existing file {notes}" in capsys.readouterr().err and notes.read_text() == "{}"
    assert not notes.with_suffix(".safetensors").exists()


def test_written_files_get_normal_permissions(tmp_path):
    import os
    import stat

    path = save_checkpoint(create_model("wavemix-tiny"), tmp_path / "m.safetensors")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_checkpoint_whose_settings_cannot_build_its_model_is_a_checkpoint_error(tmp_path):
    from safetensors.torch import save_file

    from wavemix_inpaint.checkpoint import METADATA_KEY

    for config, message in (
        ({"embed_dim": 30}, r"cannot be built: invalid options .*embed_dim must be divisible by 4"),
        ({"embed_dim": -8}, "cannot be built"),  # a torch RuntimeError inside the builder
        ({"embed_dim": 2**40}, "cannot be built"),  # an allocation of tens of terabytes, refused
        ([1], "not a mapping"),
    ):
        path = tmp_path / "bad.safetensors"
        text = json.dumps({"format": "wavemix-inpaint/1", "model": "wavemix-tiny", "config": config})
        save_file({"x": torch.zeros(1)}, str(path), metadata={METADATA_KEY: text})
        with pytest.raises(CheckpointError, match=message):
            load_model(path)


def test_saving_a_module_not_built_by_create_model_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="not built with create_model"):
        save_checkpoint(torch.nn.Conv2d(1, 1, 1), tmp_path / "x.safetensors")
