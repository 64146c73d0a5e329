"""Config loading: presets, overrides, strict checks with one ConfigError naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.config import dump_yaml, load_config, parse_set, preset_names
from ganlab.config.loading import raw_config
from ganlab.errors import ConfigError

SPEC_PRESETS = {"gan", "dcgan", "wgan", "wgan-gp", "sn-wgan", "lsgan", "cdcgan", "cwgan-gp"}


def test_every_spec_preset_exists_and_cites_its_source() -> None:
    assert set(preset_names()) >= SPEC_PRESETS
    for name in preset_names():
        cfg = load_config(name)
        assert cfg.name == name
        assert "seed" in cfg.source or "et al." in cfg.source
        assert cfg.description


def test_presets_follow_their_sources() -> None:
    wgan = load_config("wgan")  # seed 003 Alg. 1
    assert (wgan.optim.d.name, wgan.optim.d.lr, wgan.lipschitz.clip, wgan.train.batch_size, wgan.train.n_critic) == (
        "rmsprop",
        5e-5,
        0.01,
        64,
        5,
    )
    gp = load_config("wgan-gp")  # seed 003 WGAN-GP
    assert (gp.optim.d.lr, gp.optim.d.beta1, gp.optim.d.beta2, gp.lipschitz.gp_weight, gp.train.n_critic) == (
        1e-4,
        0.0,
        0.9,
        10.0,
        5,
    )
    assert load_config("gan").loss.name == "minimax"
    assert load_config("sn-wgan").lipschitz.name == "sn"
    assert load_config("cwgan-gp").model.d_condition == "channels"


def test_overrides_and_round_trip(tmp_path: Path) -> None:
    cfg = load_config(
        "dcgan", parse_set(["train.steps=7", "optim.g.lr=1e-4", "model.g_hidden=[8, 8]", "data.subset=null"])
    )
    assert (cfg.train.steps, cfg.optim.g.lr, cfg.model.g_hidden, cfg.data.subset) == (7, 1e-4, [8, 8], None)
    path = tmp_path / "config.yaml"
    path.write_text(dump_yaml(cfg))
    assert load_config(path) == cfg


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"train.stepz": 1}, "train.stepz"),
        ({"train.steps": "many"}, "train.steps"),
        ({"train.steps": 1.5}, "train.steps"),
        ({"train.steps": True}, "train.steps"),
        ({"optim.d.lr": -1}, "optim.d.lr"),
        ({"train.n_critic": 0}, "train.n_critic"),
        ({"loss.name": "wassersteen"}, "loss.name"),
        ({"data.name": "imagenet"}, "data.name"),
        ({"model.kernel_size": 7}, "model.kernel_size"),
        ({"train.precision": "fp8"}, "train.precision"),
        ({"model": 3}, "model"),
        ({"optim.g.beta1": 1.5}, "optim.g.beta1"),
        ({"lipschitz.clip": 0.1}, "lipschitz.clip"),  # the dcgan preset has no clipping
        ({"tricks.label_smoothing": 0.9, "loss.name": "wasserstein"}, "tricks.label_smoothing"),
        ({"lipschitz.name": "gp", "model.d_norm": "batch"}, "model.d_norm"),
        ({"eval.best_metric": "nope"}, "eval.best_metric"),
    ],
)
def test_bad_values_name_the_key(overrides: dict, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config("dcgan", overrides)
    assert err.value.key == key
    assert "\n" not in str(err.value)


def test_the_upsample_pool_critic_is_checked_like_the_dcgan_one() -> None:
    with pytest.raises(ConfigError) as err:
        load_config("upsample-pool", {"lipschitz.name": "gp", "loss.name": "wasserstein"})  # its D has batch norm
    assert err.value.key == "model.d_norm"
    cfg = load_config("upsample-pool", {"model.conditional": True, "model.d_condition": "channels"})
    assert cfg.model.d_condition == "channels"  # label channels are a convolutional critic's option
    with pytest.raises(ConfigError, match="MLP"):
        load_config("gan", {"model.conditional": True, "model.d_condition": "channels"})


def test_unknown_preset_suggests_a_name() -> None:
    with pytest.raises(ConfigError, match="did you mean 'wgan-gp'"):
        load_config("wgan_gp")


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"train: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError, match="evil.yaml"):
        load_config(path)
    assert not marker.exists()


def test_files_extend_presets(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("base: wgan-gp\nname: mine\ntrain: {steps: 3}\n")
    cfg = load_config(path)
    assert (cfg.name, cfg.train.steps, cfg.lipschitz.name) == ("mine", 3, "gp")


def test_set_parsing() -> None:
    assert parse_set(["a.b=1e-4", "c=true", "d=[1, 2]", "e=null", "f=text"]) == {
        "a.b": "1e-4",
        "c": True,
        "d": [1, 2],
        "e": None,
        "f": "text",
    }
    with pytest.raises(ConfigError):
        parse_set(["novalue"])
    with pytest.raises(ConfigError):
        raw_config("dcgan", {"train..steps": 1})
