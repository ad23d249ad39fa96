import subprocess
import sys

import pytest

from wavemix_inpaint.cli.main import COMMANDS, build_parser, main


def test_every_command_has_help(capsys):
    parser = build_parser()
    for name in COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([name, "--help"])
        assert exit_info.value.code == 0
        assert name in capsys.readouterr().out


def test_unknown_command_exits_nonzero():
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])
    assert exit_info.value.code != 0


def test_console_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "wavemix_inpaint.cli.main", "models"], capture_output=True, text=True)
    assert result.returncode == 0 and "wavemix-paper" in result.stdout


def test_benchmark_rejects_unknown_model(capsys):
    assert main(["benchmark", "--models", "nope"]) != 0
    assert "unknown model 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--models", ","], "--models names no model"),
        (["--models", "telea", "--batch", "0"], "--batch must be positive"),
        (["--models", "telea", "--large-size", "0"], "--large-size must be positive"),
    ],
)
def test_benchmark_refuses_settings_that_measure_nothing(capsys, flags, message):
    """--batch 0 reported 0.0 img/s and --large-size 0 thousands of img/s, with exit code 0."""
    assert main(["benchmark", *flags]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_benchmark_measures_tiny_models_side_by_side(tmp_path):
    output = tmp_path / "perf.md"
    output.write_text("# Notes\n\nkept text\n")
    args = [
        "benchmark",
        "--models",
        "wavemix-tiny,telea",
        "--batch",
        "2",
        "--large-size",
        "64",
        "--min-seconds",
        "0.05",
        "--threads",
        "1",
        "--output",
        str(output),
        "--json",
        str(tmp_path / "perf.json"),
    ]
    assert main(args) == 0
    text = output.read_text()
    assert "kept text" in text and "| wavemix-tiny | 69,076 |" in text and "| telea | 0 |" in text
    assert main(args) == 0  # the section is replaced, not appended twice
    assert output.read_text().count("<!-- benchmark:start -->") == 1


def test_benchmark_table_shows_cuda_peak_memory_on_gpu():
    from dataclasses import asdict

    from wavemix_inpaint.benchmark import BenchmarkSettings, ModelBenchmark, markdown_table

    row = asdict(
        ModelBenchmark(
            name="unet",
            parameters=10,
            gmacs_96=1.0,
            img_s_96_b40=200.0,
            peak_rss_mb=900.0,
            cuda_peak_mb=321.0,
            achieved_gflops=400.0,
        )
    )
    machine = {"processor": "x86_64", "threads": 16, "device": "cuda", "torch": "2", "matmul_ceiling_gflops": 4000.0}
    report = {"settings": asdict(BenchmarkSettings(device="cuda", precision="fp16")), "machine": machine}
    table = markdown_table({**report, "models": [row]})
    assert "peak RSS / CUDA MB" in table and "| 900 / 321 | 400.0 (10%) |" in table and "precision fp16" in table
    cpu_row = {**row, "cuda_peak_mb": None}
    assert "| 900 | 400.0 (10%) |" in markdown_table({**report, "models": [cpu_row]})
