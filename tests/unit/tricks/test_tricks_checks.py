"""Which tricks combine with which losses and architectures: refused at load time with one line naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from ganlab.errors import ConfigError
from ganlab.plugins import load_config

ALL_ON = {
    "tricks.label_smoothing": 0.9,
    "tricks.fake_label": 0.1,
    "tricks.noisy_labels": 0.05,
    "tricks.instance_noise": 0.1,
    "tricks.replay": 0.5,
    "tricks.minibatch_discrimination": True,
    "tricks.virtual_batch_norm": True,
    "tricks.feature_matching": True,
    "tricks.unrolled": 3,
    "tricks.ema": 0.999,
}


@pytest.mark.parametrize("preset", ["dcgan", "cdcgan", "lsgan", "cdcgan-tricks", "ttur"])
def test_every_trick_at_once_loads_with_a_target_loss(preset: str) -> None:
    cfg = load_config(preset, ALL_ON)
    assert cfg.tricks.unrolled == 3 and cfg.tricks.virtual_batch_norm


def test_the_mlp_gan_takes_every_trick_but_virtual_batch_norm() -> None:
    over = {k: v for k, v in ALL_ON.items() if k != "tricks.virtual_batch_norm"}
    assert load_config("gan", over).tricks.minibatch_discrimination


@pytest.mark.parametrize(
    ("preset", "overrides", "key"),
    [
        ("wgan-gp", {"tricks.label_smoothing": 0.9}, "tricks.label_smoothing"),
        ("dcgan", {"tricks.mbd_kernels": 64}, "tricks.mbd_kernels"),
        ("dcgan", {"tricks.replay_size": 10}, "tricks.replay_size"),
        ("dcgan", {"tricks.unrolled_second_order": False}, "tricks.unrolled_second_order"),
        ("dcgan", {"tricks.vbn_reference_size": 8}, "tricks.vbn_reference_size"),
        ("dcgan", {"tricks.instance_noise_steps": 8}, "tricks.instance_noise_steps"),
        ("dcgan", {"tricks.replay": 0.5, "tricks.replay_store": 1000}, "tricks.replay_store"),
        ("wgan-gp", {"tricks.minibatch_discrimination": True}, "tricks.minibatch_discrimination"),
        ("wgan-gp", {"tricks.unrolled": 5}, "tricks.unrolled"),
        ("gan", {"tricks.virtual_batch_norm": True}, "tricks.virtual_batch_norm"),
        ("dcgan", {"tricks.virtual_batch_norm": True, "model.g_norm": "none"}, "tricks.virtual_batch_norm"),
        ("dcgan", {"tricks.unrolled": 5, "train.precision": "fp16"}, "train.precision"),
        ("dcgan", {"tricks.vbn_statistics": "reference"}, "tricks.vbn_statistics"),
        ("wgan", {"tricks.replay_list": 16}, "tricks.replay_list"),
        ("dcgan", {"tricks.replay_list": 16, "tricks.replay": 0.5}, "tricks.replay_list"),
        ("dcgan", {"tricks.replay_list": 1}, "tricks.replay_list"),
        (
            "dcgan",
            {"tricks.replay_list": 16, "lipschitz.name": "gp", "model.d_norm": "layer"},
            "tricks.replay_list",
        ),
    ],
)
def test_incompatible_tricks_are_refused_naming_the_key(preset: str, overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(preset, overrides)
    assert info.value.key == key
    assert "\n" not in str(info.value)


def test_tricks_combine_with_critic_losses_where_they_make_sense() -> None:
    over = {"tricks.instance_noise": 0.1, "tricks.replay": 0.5, "tricks.feature_matching": True, "tricks.ema": 0.99}
    load_config("wgan-gp", over)
    load_config("wgan", {**over, "tricks.unrolled": 2, "tricks.minibatch_discrimination": True})
    load_config("sn-wgan", {**over, "tricks.unrolled": 2, "tricks.minibatch_discrimination": True})


def test_the_list_replay_and_the_vbn_statistics_load_where_they_make_sense() -> None:
    cfg = load_config("cdcgan", {"tricks.replay_list": 16, "tricks.label_smoothing": 0.9})
    assert cfg.tricks.replay_list == 16 and cfg.tricks.replay is None
    load_config("lsgan", {"tricks.replay_list": 2})
    load_config("cdcgan", {"tricks.virtual_batch_norm": True, "tricks.vbn_statistics": "batch"})
