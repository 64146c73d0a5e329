"""Config loading: presets, overrides, strict checks with one ConfigError naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.config import dump_yaml, parse_set, preset_names
from ganlab.config.loading import raw_config
from ganlab.errors import ConfigError
from ganlab.plugins import load_config

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


# --- hostile YAML (issue 17: bounded, refused in one line) ---------------------------------------------------
def test_a_key_given_twice_is_refused_naming_it_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("base: demo\ntrain:\n  steps: 5\ntrain:\n  steps: 6\n")
    with pytest.raises(ConfigError, match=r"at line 4.*duplicate key 'train'"):
        load_config(path)
    path.write_text("base: demo\ntrain:\n  steps: 5\n  steps: 6\n")
    with pytest.raises(ConfigError, match="duplicate key 'steps'"):
        load_config(path)


def test_a_file_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("base: demo\ndescription: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8 text config file, got 'byte 0xe9 at offset 27'"):
        load_config(path)


def test_aliases_that_expand_to_billions_are_refused_without_expanding_them(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10^9 values
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(["base: demo", *lines, "description: *a8"]) + "\n")
    with pytest.raises(ConfigError, match="at most 100,000 values with its aliases expanded"):
        load_config(path)
    # a value the size of a real config passes the bound and is refused by its type, quoted short
    path.write_text("base: demo\ndescription: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nsource: [*a, *a, *a]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "[1, 2, 3, 4, 5, 6, ...]" in str(caught.value) and len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("tricks", "key"),
    [
        ({"tricks.label_smoothing": 0.1}, "tricks.label_smoothing"),  # TF-GAN's amount, not ganlab's target
        ({"tricks.label_smoothing": 0.5}, "tricks.label_smoothing"),
        ({"tricks.label_smoothing": 0.9, "tricks.fake_label": 0.9}, "tricks.fake_label"),
    ],
)
def test_label_smoothing_in_the_other_convention_is_refused_with_the_reason(tricks: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key) as caught:
        load_config("dcgan", tricks)
    assert "torchgan" in str(caught.value) or "below the real one" in str(caught.value)
    assert load_config("dcgan", {"tricks.label_smoothing": 0.9, "tricks.fake_label": 0.1}).tricks.fake_label == 0.1


def test_an_unknown_key_is_named_as_typed() -> None:
    """An unknown section is named down to the key that was typed, with the sections to choose from."""
    with pytest.raises(ConfigError, match=r"config key 'trian\.steps': expected a known section or key \(name, .*"
                       r"train.*\(did you mean 'train'\?\)"):  # fmt: skip
        load_config("demo", {"trian.steps": 3})
    with pytest.raises(
        ConfigError, match=r"config key 'train\.stpes': .*section 'train' \(did you mean 'train\.steps'"
    ):
        load_config("demo", {"train.stpes": 3})
