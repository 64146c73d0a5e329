"""Configuration: typed schema, presets, strict loading."""

from ganlab.config.loading import dump_yaml, load_config, parse_set, preset_names, preset_summaries, to_dict
from ganlab.config.schema import Config

__all__ = ["Config", "load_config", "parse_set", "preset_names", "preset_summaries", "dump_yaml", "to_dict"]
