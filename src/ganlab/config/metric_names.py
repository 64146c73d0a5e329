"""The metric names a config may list, kept light so loading a config does not import scipy, POT and sklearn.

tests/unit/config/test_metric_names.py checks this list equals `ganlab.metrics.METRICS.names()`.
"""

from __future__ import annotations

import difflib

from ganlab.errors import ConfigError

METRIC_NAMES = (
    "class_accuracy",
    "class_coverage",
    "class_kl",
    "fd_domain",
    "fid",
    "high_quality",
    "is",
    "kd_domain",
    "kid",
    "kl_modes",
    "modes",
    "precision",
    "recall",
    "w1_exact",
)


def check_metric_name(name: str, key: str) -> None:
    if name not in METRIC_NAMES:
        close = difflib.get_close_matches(name, METRIC_NAMES, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(key, f"one of {', '.join(METRIC_NAMES)}{hint}", name)
