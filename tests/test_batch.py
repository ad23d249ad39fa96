"""Folders at scale: sharding over processes, resuming a killed run, side-by-side review outputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import smooth_image
from PIL import Image

from wavemix_inpaint.checkpoint import save_checkpoint
from wavemix_inpaint.cli.main import main
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.inference.batch import Job, parse_shard, shard_jobs
from wavemix_inpaint.models import create_model


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    return save_checkpoint(create_model("wavemix-tiny"), tmp_path_factory.mktemp("ckpt") / "tiny.safetensors")


def make_folder(root: Path, count: int, size: tuple[int, int] = (40, 56)) -> tuple[Path, Path]:
    images, masks = root / "photos", root / "masks"
    images.mkdir(parents=True)
    masks.mkdir()
    hole = np.zeros(size, np.uint8)
    hole[size[0] // 4 : size[0] // 2, size[1] // 4 : size[1] // 2] = 255
    for index in range(count):
        Image.fromarray(smooth_image(np.random.default_rng(index), *size)).save(images / f"img{index:02d}.png")
        Image.fromarray(hole).save(masks / f"img{index:02d}.png")
    return images, masks


def command(*args: object) -> list[str]:
    return [sys.executable, "-m", "wavemix_inpaint.cli.main", *(str(a) for a in args)]


def test_parse_and_shard():
    assert parse_shard("2/4") == (1, 4)
    for bad in ("0/4", "5/4", "x", "1-2"):
        with pytest.raises(InputError, match="I/N"):
            parse_shard(bad)
    jobs = [Job(Path(f"{i}.png"), None, Path(f"out/{i}.png"), str(i)) for i in range(10)]
    shards = [shard_jobs(jobs, (index, 3)) for index in range(3)]
    assert sorted(job.label for shard in shards for job in shard) == sorted(job.label for job in jobs)
    assert [len(shard) for shard in shards] == [4, 3, 3]


def test_torchrun_environment_picks_the_shard(monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert parse_shard(None) == (1, 3)
    for rank, world in (("1", "x"), ("2", "1"), ("-1", "2")):  # a clear error naming the variables, no traceback
        monkeypatch.setenv("RANK", rank)
        monkeypatch.setenv("WORLD_SIZE", world)
        with pytest.raises(InputError, match=f"RANK='{rank}' and WORLD_SIZE='{world}'"):
            parse_shard(None)


def test_photos_named_like_masks_are_photos_when_the_masks_have_their_own_folder(tmp_path):
    from wavemix_inpaint.inference.batch import plan_jobs

    images, masks = make_folder(tmp_path, 1)
    Image.open(images / "img00.png").save(images / "carnival_mask.png")
    Image.open(masks / "img00.png").save(masks / "carnival_mask.png")
    jobs = plan_jobs(images, masks, tmp_path / "out")
    assert sorted(job.label for job in jobs) == ["carnival_mask.png", "img00.png"]
    assert all(job.error is None for job in jobs)
    Image.open(masks / "img00.png").save(images / "img00_mask.png")  # masks beside the photos: a mask, not a photo
    assert [job.label for job in plan_jobs(images, images, tmp_path / "out")] == ["img00.png"]


def test_symlinked_subfolders_are_followed_once_for_photos_and_masks(tmp_path):
    from wavemix_inpaint.inference.batch import plan_jobs

    images, masks = make_folder(tmp_path, 2)
    elsewhere = tmp_path / "elsewhere" / "sub"
    elsewhere.mkdir(parents=True)
    (images / "img01.png").rename(elsewhere / "img01.png")
    (images / "linked").symlink_to(elsewhere.parent, target_is_directory=True)
    (elsewhere / "loop").symlink_to(elsewhere, target_is_directory=True)  # a loop is walked once
    (masks / "linked").symlink_to(masks, target_is_directory=True)  # the masks reached through a link too
    jobs = plan_jobs(images, masks, tmp_path / "out")
    assert [job.label for job in jobs] == ["img00.png", str(Path("linked/sub/img01.png"))]
    assert all(job.error is None for job in jobs) and jobs[1].output == tmp_path / "out" / "linked" / "sub" / "img01.png"


def test_a_link_to_a_folder_of_the_tree_does_not_take_its_files_away_from_their_masks(tmp_path):
    from wavemix_inpaint.inference.batch import plan_jobs

    images, masks = make_folder(tmp_path, 1)
    (images / "b").mkdir()
    (images / "img00.png").rename(images / "b" / "x.png")
    (masks / "b").mkdir()
    (masks / "img00.png").rename(masks / "b" / "x.png")
    (images / "a").symlink_to(images / "b", target_is_directory=True)  # an alias that sorts before the folder
    jobs = plan_jobs(images, masks, tmp_path / "out")
    assert [(job.label, job.error) for job in jobs] == [(str(Path("b/x.png")), None)]


def test_a_path_the_file_system_refuses_is_one_clear_line(tmp_path, capsys):
    images, masks = make_folder(tmp_path, 1)
    too_long = tmp_path / ("a" * 300 + ".png")
    for args in (["--output", too_long], ["--image", too_long, "--output", tmp_path / "o.png"]):
        given = {"--image": images / "img00.png", "--mask": masks / "img00.png", **dict(zip(args[::2], args[1::2]))}
        assert main(["inpaint", "--model", "telea", *[str(part) for pair in given.items() for part in pair]]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "File name too long" in err and "Traceback" not in err


def test_two_processes_share_a_folder_each_file_once(tmp_path, checkpoint):
    images, masks = make_folder(tmp_path, 9)
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [
        subprocess.Popen(
            command(
                "inpaint", "--image", images, "--mask", masks, "--output", out, "--checkpoint", checkpoint, "--shard", f"{i}/2"
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in (1, 2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert "shard 1/2: inpainted 5 of 5" in outputs[0][0] and "shard 2/2: inpainted 4 of 4" in outputs[1][0]
    assert sorted(path.name for path in out.iterdir()) == sorted(path.name for path in images.iterdir())


def test_killed_batch_resumes_with_skip_existing(tmp_path, checkpoint):
    images, masks = make_folder(tmp_path, 16, size=(480, 640))
    out = tmp_path / "out"
    args = ("inpaint", "--image", images, "--mask", masks, "--output", out, "--checkpoint", checkpoint)
    process = subprocess.Popen(
        command(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    deadline = time.monotonic() + 120
    while not (out.is_dir() and any(path.suffix == ".png" for path in out.iterdir())):
        assert time.monotonic() < deadline and process.poll() is None, "the run ended before any output appeared"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    done_before = {path.name for path in out.iterdir() if path.suffix == ".png"}
    assert 0 < len(done_before) < 16, "the kill did not land half-way"
    for path in out.glob("*.png"):  # whatever was written is complete (atomic writes)
        Image.open(path).load()
    assert main([str(a) for a in args] + ["--skip-existing"]) == 0
    assert sorted(path.name for path in out.iterdir()) == sorted(path.name for path in images.iterdir())  # no temp files
    for path in out.iterdir():
        with Image.open(path) as written:
            written.load()
            assert written.size == (640, 480)


def test_concat_writes_input_mask_result(tmp_path, checkpoint, capsys):
    images, masks = make_folder(tmp_path, 1)
    out = tmp_path / "review.png"
    image = images / "img00.png"
    assert (
        main(
            [
                "inpaint",
                "--image",
                str(image),
                "--mask",
                str(masks / "img00.png"),
                "--output",
                str(out),
                "--checkpoint",
                str(checkpoint),
                "--concat",
            ]
        )
        == 0
    )
    panel = np.asarray(Image.open(out).convert("RGB"))
    source = np.asarray(Image.open(image).convert("RGB"))
    assert panel.shape == (40, 3 * 56, 3)
    assert np.array_equal(panel[:, :56], source)
    assert set(np.unique(panel[:, 56:112])) == {0, 255}


def test_full_disk_stops_the_batch_with_one_line_and_no_partial_file(tmp_path, checkpoint, capsys, monkeypatch):
    import errno
    import hashlib

    from wavemix_inpaint import fileio

    images, masks = make_folder(tmp_path, 6)
    digest = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in images.iterdir()}
    real_fsync, calls = fileio.os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    out = tmp_path / "out"
    code = main(["inpaint", "--image", str(images), "--mask", str(masks), "--output", str(out), "--checkpoint", str(checkpoint)])
    error = capsys.readouterr().err
    assert code == 2 and error.count("error:") == 1 and "disk is full" in error and "stopped after 2 of 6" in error
    written = sorted(out.iterdir())
    assert [path.name for path in written] == ["img00.png", "img01.png"]  # complete files only, no temporaries
    for path in written:
        Image.open(path).load()
    assert digest == {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in images.iterdir()}


def test_a_name_near_the_file_system_limit_is_written_and_its_stale_temporary_found(tmp_path):
    from wavemix_inpaint.fileio import atomic_path, atomic_write_bytes, remove_stale_temporaries

    target = tmp_path / ("é" * 120 + "x.png")  # 245 bytes: the temporary ".NAME.XXXXXXXX.tmp" would not fit
    atomic_write_bytes(target, b"data")
    assert target.read_bytes() == b"data" and [p.name for p in tmp_path.iterdir()] == [target.name]
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as temporary:  # a run killed while writing
        temporary.write_bytes(b"half")
        (tmp_path / "left.tmp").write_bytes(temporary.read_bytes())
        raise KeyboardInterrupt
    stale = tmp_path / ("." + temporary.name[1:])
    (tmp_path / "left.tmp").rename(stale)
    assert remove_stale_temporaries([target]) == 1 and not stale.exists() and target.read_bytes() == b"data"
