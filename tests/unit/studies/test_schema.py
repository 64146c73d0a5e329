"""Study files are checked like configs: unknown keys, wrong types and bad claims fail naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from ganlab.errors import ConfigError
from ganlab.studies.schema import ScaleSpec, parse_study


def test_a_valid_study_parses_both_axis_forms(study_data: dict[str, Any]) -> None:
    study = parse_study(study_data)
    assert [a.name for a in study.axes] == ["loss", "model.z_dim"]
    assert study.axes[0].names() == ["gan", "wgan-gp"]
    assert study.axes[1].names() == ["z_dim-8", "z_dim-16"]  # values named after the key's last part
    assert study.axes[1].variants[0].set == {"model.z_dim": 8}
    assert study.seeds == (0, 1, 2)
    assert (study.scale("quick").repeats, study.scale("quick").samples, study.samples) == (2, 32, 64)
    assert study.scale("lab") == study.scale("full") == ScaleSpec()  # undefined scales change nothing
    assert study.claims[0].compare == ("wgan-gp", "gan")
    assert study.variant_name("16") == "z_dim-16"  # a claim may name a raw value


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"axess": {}}, "axess"),
        ({"repeats": 0}, "repeats"),
        ({"repeats": [1, 1]}, "repeats"),
        ({"base": 3}, "base"),
        ({"evaluate": {"metric": ["fid"]}}, "evaluate.metric"),
        ({"axes": {"loss": [{"name": "a b"}]}}, "axes.loss[0].name"),
        ({"axes": {"loss": [{"name": "x"}, {"name": "x"}]}}, "axes.loss"),
        ({"axes": {"loss": [1, 2]}}, "axes.loss"),  # values need a dotted key
        ({"axes": {"loss": [{"name": "x", "sett": {}}]}}, "axes.loss[0].sett"),
    ],
)
def test_bad_study_keys_are_named(study_data: dict[str, Any], change: dict[str, Any], key: str) -> None:
    study_data.update(change)
    with pytest.raises(ConfigError) as info:
        parse_study(study_data)
    assert info.value.key == key


def test_unknown_top_level_key_suggests_the_close_one(study_data: dict[str, Any]) -> None:
    study_data["repeat"] = 2
    with pytest.raises(ConfigError, match="did you mean 'repeats'"):
        parse_study(study_data)


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ({"compare": ["wgan-gp", "gann"]}, "did you mean 'gan'"),
        ({"compare": ["wgan-gp", "z_dim-8"]}, "one axis"),
        ({"metric": "fidd"}, "claims\\[0\\].metric"),
        ({"better": "smaller"}, "lower or higher"),
        ({"winner": "gan"}, "exactly one of compare"),
        ({"statistic": "median"}, "final or best or curve_mean or instability"),
    ],
)
def test_bad_claims_fail_at_load(study_data: dict[str, Any], claim: dict[str, Any], message: str) -> None:
    study_data["claims"][0].update(claim)
    with pytest.raises(ConfigError, match=message):
        parse_study(study_data)
