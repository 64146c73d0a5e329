"""Commands that compute nothing start without torch or scipy (issue: a newcomer's first hour): the import
graph is what keeps them fast, so the test checks the modules loaded, and `benchmarks/startup.py` the time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ganlab.config import preset_names, preset_summaries
from ganlab.plugins import load_config

PROBE = """
import sys
from ganlab.cli import main
try:
    main({argv!r})
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
heavy = sorted(m for m in ("torch", "scipy", "torchvision", "matplotlib") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


@pytest.mark.parametrize("argv", [["--help"], ["presets"], ["data", "list"], ["data", "--help"], ["--version"]])
def test_commands_that_compute_nothing_import_no_torch_or_scipy(argv: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="


def test_presets_listing_matches_the_fully_checked_configs() -> None:
    rows = preset_summaries()
    assert [name for name, _, _ in rows] == preset_names()
    for name, description, source in rows:
        cfg = load_config(name)
        assert (description, source) == (cfg.description, cfg.source)
        assert description and source


def test_help_lists_every_command_with_its_own_short_help() -> None:
    from click.testing import CliRunner

    from ganlab.cli import SHORT_HELP, cli

    listing = CliRunner().invoke(cli, ["--help"]).output
    for name, text in SHORT_HELP.items():
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.short_help == text
        assert f"{name}" in listing and text in listing


def test_the_top_level_api_names_stay_functions_after_their_packages_are_imported() -> None:
    """`ganlab.train` once was the subpackage as soon as anything imported it (the README's Python API broke
    after `ganlab.load_config`); the training package is `ganlab.training` now."""
    code = (
        "import ganlab\n"
        "ganlab.load_config('demo')\n"
        "import ganlab.training, ganlab.evaluation, ganlab.rundir.run, ganlab.config\n"
        "from ganlab import train, evaluate, load_run, load_config\n"
        "assert all(callable(f) for f in (ganlab.train, ganlab.evaluate, ganlab.load_run, train, evaluate, load_run))\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "ok"


def test_a_bad_argument_is_named_as_typed_not_as_a_config_key(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    """CONFIG, DIR, options and paths are arguments: one line naming them as the user typed them, exit code 2."""
    from tests.cli_helpers import run_cli

    missing = tmp_path / "nowhere"
    for argv, line in (
        (
            ["report", str(missing)],
            f"ganlab: error: {missing}: expected an existing directory, got 'no such directory'",
        ),
        (
            ["train", "demo", "--device", "tpu", "--dry-run"],
            "ganlab: error: --device: expected auto, cpu or cuda, got 'tpu'",
        ),
        (["study", "no-such-study", "--dry-run"], "ganlab: error: STUDY: expected one of "),
    ):
        code, out, err = run_cli(capsys, *argv)
        assert code == 2 and err.startswith(line) and len(err.strip().splitlines()) == 1, err
    code, _, err = run_cli(capsys, "train", "demo", "--set", "train.steps=0", "--dry-run")
    assert code == 2 and "config key 'train.steps'" in err  # a config key stays one
