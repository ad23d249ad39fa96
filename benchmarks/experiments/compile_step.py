"""Would torch.compile speed up training on this CPU? One training step of the default architecture (2 x 7
blocks, batch 16 of 96 px, channels_last, AdamW), eager against compiled, median of 8 steps after the first.

An experiment script (not part of the library), kept so that the numbers in the closing notes can be re-run.
Pause background jobs first.

    python benchmarks/experiments/compile_step.py
"""

import statistics
import time

import torch

from wavemix_inpaint.models import create_model

torch.set_num_threads(2)
torch.manual_seed(0)
image = torch.rand(16, 3, 96, 96).contiguous(memory_format=torch.channels_last)
mask = (torch.rand(16, 1, 96, 96) > 0.7).float().contiguous(memory_format=torch.channels_last)
estimate = torch.rand(16, 3, 96, 96).contiguous(memory_format=torch.channels_last)


def fresh_model() -> torch.nn.Module:
    model = create_model("wavemix-small", prefill="telea", blocks_per_module=7).train()
    return model.to(memory_format=torch.channels_last)


def step_seconds(model: torch.nn.Module, steps: int = 8) -> tuple[float, float]:
    """(first step, median of the next ``steps``) in seconds."""
    optimizer = torch.optim.AdamW(model.parameters(), 1e-4)
    times = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        loss = (model(image, mask, estimate=estimate) - image).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


for label, model in (("eager", fresh_model()), ("compiled", torch.compile(fresh_model()))):
    first, median = step_seconds(model)
    print(f"{label}: first step {first:.2f} s, median {median:.3f} s")
