"""Shared fixtures of the data tests: an isolated search environment and the real Fashion-MNIST, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.config.schema import DataConfig
from ganlab.data import Dataset, load_dataset, locate


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No $GANLAB_DATA, an empty HOME (so an empty download cache) and an empty Debian dataset directory."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    monkeypatch.setattr(locate, "SYSTEM_DATA", tmp_path / "system")
    return tmp_path


@pytest.fixture(scope="session")
def fashion_train() -> Dataset:
    """The real Fashion-MNIST train split (Debian's dataset-fashion-mnist), never downloaded."""
    return load_dataset(DataConfig(name="fashion-mnist", download=False), "train")


@pytest.fixture(scope="session")
def fashion_test() -> Dataset:
    return load_dataset(DataConfig(name="fashion-mnist", download=False), "test")
