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


@pytest.mark.slow
def test_benchmark_measures_tiny_models_side_by_side(tmp_path):
    output = tmp_path / "perf.md"
    output.write_text("# Notes\n\nkept text\n")
    args = ["benchmark", "--models", "wavemix-tiny,telea", "--batch", "2", "--large-size", "64", "--min-seconds", "0.05",
            "--threads", "1", "--output", str(output), "--json", str(tmp_path / "perf.json")]  # fmt: skip
    assert main(args) == 0
    text = output.read_text()
    assert "kept text" in text and "| wavemix-tiny | 69,076 |" in text and "| telea | 0 |" in text
    assert main(args) == 0  # the section is replaced, not appended twice
    assert output.read_text().count("<!-- benchmark:start -->") == 1
