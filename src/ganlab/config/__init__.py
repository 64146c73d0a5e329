"""Configuration: typed schema, presets, strict reading. A leaf: it imports nothing of ganlab but its errors.

`ganlab.load_config` (ganlab.plugins) reads a config here and then runs the checks the plug-ins registered.
"""

from ganlab.config.loading import (
    dump_yaml,
    parse_set,
    preset_names,
    preset_summaries,
    raw_config,
    to_dict,
    typed_config,
)
from ganlab.config.schema import Config

__all__ = [
    "Config",
    "parse_set",
    "preset_names",
    "preset_summaries",
    "dump_yaml",
    "raw_config",
    "to_dict",
    "typed_config",
]
