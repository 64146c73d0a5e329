import pytest

from ganlab.config import load_config
from ganlab.config.metric_names import METRIC_NAMES
from ganlab.errors import ConfigError
from ganlab.metrics import METRICS


def test_config_metric_names_are_the_registry() -> None:
    assert sorted(METRIC_NAMES) == METRICS.names()


def test_unknown_eval_metric_is_refused_at_load() -> None:
    with pytest.raises(ConfigError, match="did you mean 'fd_domain'"):
        load_config("dcgan", {"eval.metrics": ["fd_domian"]})
