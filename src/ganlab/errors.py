"""Typed errors raised by the library; only `ganlab.cli` turns them into messages and exit codes."""

from __future__ import annotations

import reprlib

QUOTE = reprlib.Repr()
QUOTE.maxlevel, QUOTE.maxstring, QUOTE.maxother, QUOTE.maxlong = 3, 80, 80, 40
QUOTE.maxdict = QUOTE.maxlist = QUOTE.maxtuple = QUOTE.maxset = 6


def quoted(value: object) -> str:
    """A value as an error message shows it: its repr, cut short (a huge YAML value is never expanded in full)."""
    return QUOTE.repr(value)


class GanlabWarning(UserWarning):
    """A note ganlab gives on purpose (skipped files, a fallback, a slower path): the CLI prints each as one line
    `ganlab: warning: ...`; library users get a normal Python warning they can filter."""


class GanlabError(Exception):
    """Base class of every error ganlab raises on purpose."""

    exit_code = 2


class ConfigError(GanlabError):
    """A config key has a value that is not allowed."""

    def __init__(self, key: str, expected: str, got: object = None) -> None:
        self.key, self.expected, self.got = key, expected, got
        shown = "" if got is None else f", got {quoted(got)}"
        super().__init__(f"config key '{key}': expected {expected}{shown}")


class ArgumentError(ConfigError):
    """A command-line argument, option or path (CONFIG, DIR, --samples, a file) has a value that is not allowed:
    a ConfigError (exit code 2) whose message names the argument as the user typed it, not as a config key."""

    def __init__(self, argument: str, expected: str, got: object = None) -> None:
        super().__init__(argument, expected, got)
        shown = "" if got is None else f", got {quoted(got)}"
        self.args = (f"{argument}: expected {expected}{shown}",)


class DataError(GanlabError):
    """A dataset is missing, unreadable or malformed."""


class CheckpointError(GanlabError):
    """A checkpoint is missing, corrupt, foreign, or does not match the run."""


class RunDirError(GanlabError):
    """A run directory cannot be used (locked, missing, not a run)."""


class MetricError(GanlabError):
    """A metric cannot be computed with what is available (weights, samples, labels)."""


class Diverged(GanlabError):
    """Training produced a non-finite loss, gradient or weight."""

    exit_code = 3

    def __init__(self, step: int, what: str, detail: str = "") -> None:
        self.step, self.what, self.detail = step, what, detail
        tail = f"; {detail}" if detail else ""
        super().__init__(f"training diverged at generator step {step}: {what} is not finite{tail}")


class Interrupted(GanlabError):
    """Training stopped by SIGINT/SIGTERM after writing a checkpoint."""

    exit_code = 130

    def __init__(self, step: int, signal_name: str) -> None:
        self.step, self.signal_name = step, signal_name
        super().__init__(f"interrupted by {signal_name} at generator step {step}; checkpoint written")
