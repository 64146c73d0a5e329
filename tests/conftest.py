"""Shared test set-up: one thread per test process keeps the 2-core CI machine predictable."""

from __future__ import annotations

import os

import pytest
import torch

torch.set_num_threads(int(os.environ.get("GANLAB_TEST_THREADS", "1")))


@pytest.fixture(autouse=True)
def _no_tensorboard_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
