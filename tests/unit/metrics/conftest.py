"""Shared fixtures of the metric tests: an isolated cache and real Fashion-MNIST splits."""

from __future__ import annotations

import pytest

from ganlab.config.schema import DataConfig
from ganlab.data.base import Dataset
from ganlab.errors import DataError


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """No test reads or writes the user's ganlab cache or sees a user's Inception weights."""
    monkeypatch.setenv("GANLAB_CACHE", str(tmp_path / "ganlab-cache"))
    monkeypatch.delenv("GANLAB_INCEPTION_WEIGHTS", raising=False)


def load_or_skip(name: str, split: str) -> Dataset:
    from ganlab.data import load_dataset

    try:
        return load_dataset(DataConfig(name=name, download=False), split)  # type: ignore[arg-type]
    except DataError as exc:
        pytest.skip(f"{name} not available here: {exc}")


@pytest.fixture(scope="session")
def fashion_train() -> Dataset:
    return load_or_skip("fashion-mnist", "train")


@pytest.fixture(scope="session")
def fashion_test() -> Dataset:
    return load_or_skip("fashion-mnist", "test")
