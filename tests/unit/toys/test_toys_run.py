"""run_toy: the registry, the JSON it writes, and figures of a sensible size."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from ganlab.errors import ConfigError
from ganlab.toys import TOYS, run_toy

NAMES = ["clipping-depth", "critic-1d", "critic-surface", "generator-gradient", "js-vs-emd", "mixture"]


def test_registry_lists_every_toy() -> None:
    assert TOYS.names() == NAMES


def test_unknown_toy_is_a_config_error_with_a_suggestion(tmp_path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'critic-1d'"):
        run_toy("critic1d", tmp_path)


def test_run_toy_writes_json_and_readable_figures(quick_run) -> None:
    result = quick_run("js-vs-emd")
    record = json.loads(result["json"].read_text())
    assert record["toy"] == "js-vs-emd" and record["quick"] is True and record["seed"] == 0
    assert record["numbers"] == json.loads(json.dumps(result["numbers"]))
    assert record["seconds"] == result["seconds"] < 60
    for path in result["figures"]:
        width, height = Image.open(path).size
        assert 600 <= width <= 1400 and 300 <= height <= 1000
        assert path.stat().st_size < 200_000


def test_settings_can_be_changed_between_quick_and_full_and_are_recorded(tmp_path) -> None:
    """`ganlab toy critic-surface --set iterations=20000`: the scale the results page runs critic-surface at."""
    toy = TOYS.get("critic-surface")
    assert toy.settings(False, {"iterations": 20_000}).iterations == 20_000
    assert toy.settings(False, {"clip": 1}).clip == 1.0  # an int where a float is expected
    assert toy.settings(True, {}) == toy.quick and toy.settings(False) == toy.full
    result = run_toy("js-vs-emd", tmp_path / "j", quick=True, overrides={"samples": 2000}, progress=False)
    record = json.loads(result["json"].read_text())
    assert record["overrides"] == {"samples": 2000} and record["settings"]["samples"] == 2000


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"iteration": 5}, "--set iteration"),  # a typo
        ({"iterations": "many"}, "--set iterations"),
        ({"iterations": -3}, "--set iterations"),
        ({"datasets": [1, 2]}, "--set datasets"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_written(tmp_path, overrides, match) -> None:
    with pytest.raises(ConfigError, match=match):
        run_toy("critic-surface", tmp_path / "out", overrides=overrides)
    assert not (tmp_path / "out").exists()
