import csv
import os
import socket
import subprocess
import sys

import pytest

from wavemix_inpaint.checkpoint import load_model


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_torchrun_two_gloo_processes(image_folder, tmp_path):
    run = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        "-m",
        "wavemix_inpaint.cli.main",
        "train",
        "--model",
        "wavemix-tiny",
        "--model-option",
        "embed_dim=8",
        "--data",
        str(image_folder),
        "--output",
        str(run),
        "--image-size",
        "32",
        "--batch-size",
        "2",
        "--epochs",
        "2",
        "--steps-per-epoch",
        "2",
        "--val-size",
        "4",
        "--num-workers",
        "0",
        "--device",
        "cpu",
        "--no-progress",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(run / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["step"]) for row in rows] == [2, 4]  # one optimizer step per global batch of 2 x 2
    assert result.stdout.count('"best_epoch"') == 1  # one summary, from rank 0
    assert load_model(run / "last.safetensors").config["embed_dim"] == 8
