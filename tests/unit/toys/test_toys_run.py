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
