"""A run directory on disk (shared/SPEC.md "A run directory"), the one format that training writes and that
evaluation, the report and the studies read:

- `layout`: the paths, the writer lock, the JSONL logs (`read_jsonl` skips and names damaged lines) and
  `summary.json`;
- `checkpoint`: checkpoints as safetensors and JSON with a sha256 manifest, written atomically, read strictly;
- `state`: the shape of a training checkpoint's `state.json`, checked by every reader;
- `run`: `Run` / `load_run`, a finished or running run as a user sees it (config, weights, logs, sampling).

A leaf below training: it imports ganlab's config, models and file helpers, never `ganlab.training`,
evaluation, report or studies (tests/unit/test_layers.py holds the rule).
"""
