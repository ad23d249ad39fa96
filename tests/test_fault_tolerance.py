"""Training survives kill -9: during a step and in the middle of writing a checkpoint."""

import subprocess
import sys
import textwrap

import pytest

from wavemix_inpaint.training import Trainer, resume_config
from wavemix_inpaint.training.state import load_training_state

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import torch
    from wavemix_inpaint.training import Trainer, make_train_config
    from wavemix_inpaint.training import state as state_module, trainer as trainer_module

    folder, output, mode, at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    config = make_train_config(dict(
        model="wavemix-tiny", model_options={"embed_dim": 8}, data=folder, output=output, image_size=32,
        batch_size=2, epochs=3, steps_per_epoch=4, val_size=2, num_workers=0, progress=False,
        tensorboard=False, checkpoint_every=2,
    ))
    trainer = Trainer(config)
    if mode == "step":  # die while computing step number `at`
        original = trainer._train_step
        def dying_step(image, mask, estimate=None):
            if trainer.loop.step + 1 == at:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(image, mask, estimate)
        trainer._train_step = dying_step
    else:  # die half-way through writing the `at`-th training state
        calls = {"n": 0}
        real_save = torch.save
        def dying_save(obj, path):
            calls["n"] += 1
            if calls["n"] == at:
                real_save(obj, path)
                data = open(path, "rb").read()
                open(path, "wb").write(data[: len(data) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
            real_save(obj, path)
        state_module.torch.save = dying_save
    trainer.fit()
    """
)


def _run_child(image_folder, output, mode, at):
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(image_folder), str(output), mode, str(at)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == -9, result.stderr[-2000:]


def _finish(output):
    summary = Trainer(resume_config(output), resume=True).fit()
    loop, _ = load_training_state(output / "last.pt")
    assert (loop.epoch, loop.step) == (3, 12)
    return summary


@pytest.mark.slow
def test_kill_during_training_loses_at_most_one_interval(image_folder, tmp_path):
    output = tmp_path / "run"
    _run_child(image_folder, output, "step", at=6)  # 5 steps done when killed; checkpoints every 2 steps
    loop, _ = load_training_state(output / "last.pt")
    assert loop.step == 4 and loop.epoch == 1 and loop.batch_in_epoch == 0
    _finish(output)


@pytest.mark.slow
def test_kill_while_writing_checkpoint_keeps_previous_one(image_folder, tmp_path):
    output = tmp_path / "run"
    _run_child(image_folder, output, "save", at=2)  # first state (step 2) written, second (step 4) torn
    loop, _ = load_training_state(output / "last.pt")
    assert loop.step == 2
    assert list(output.glob(".last.pt.*.tmp"))  # the torn write is in a temporary file, not in last.pt
    _finish(output)
    assert not list(output.glob(".*.tmp"))
