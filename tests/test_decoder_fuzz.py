"""200 mutated image files of every format through the CLI, the Python API and the server: inpainted or a
clean error, never a crash or a hang (``benchmarks/decoder_fuzz.py`` runs 10,000; docs/reliability.md)."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from decoder_fuzz import make_corpus, make_targets, run_corpus  # noqa: E402
from server_helpers import single_torch_thread  # noqa: E402


def test_two_hundred_mutated_files_never_crash_or_hang(tmp_path):
    corpus = make_corpus(200, seed=1234)
    assert {what for _, _, what in corpus} >= {"bit flips", "truncated", "huge declared size", "wrong extension"}
    with single_torch_thread(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        counts = run_corpus(corpus, tmp_path, make_targets(tmp_path), timeout=20.0)
    for name, counter in counts.items():
        problems = {key: value for key, value in counter.items() if key not in ("inpainted", "clean error")}
        assert not problems, f"{name}: {problems}"
        assert counter["inpainted"] > 0 and counter["clean error"] > 0, (name, counter)
