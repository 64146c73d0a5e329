"""`study.json`: the index of a study's --out directory, read by `ganlab report` for cells and claims."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ganlab.atomic import write_json
from ganlab.errors import ArgumentError, ConfigError
from ganlab.studies.grid import Plan, diff
from ganlab.studies.jobs import read_eval, read_summary

INDEX = "study.json"
FORMAT = "ganlab-study-1"


def read_index(directory: Path) -> dict[str, Any] | None:
    """The study.json in `directory`, or None when there is none (or it is not one of ours)."""
    try:
        data = json.loads((Path(directory) / INDEX).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def check_out(plan: Plan) -> None:
    """Refuse an --out that already holds another study (its runs would be mixed with this one's)."""
    existing = read_index(plan.out)
    if existing is not None and existing.get("study") != plan.study.name:
        raise ConfigError(
            "--out",
            f"a new directory or one of study {plan.study.name}",
            f"study {existing.get('study')} in {plan.out}",
        )
    if existing is not None and index_scale(existing) != plan.scale:
        scale = f"the {index_scale(existing)} scale"
        raise ArgumentError("--out", f"a directory not already holding {scale} of this study", str(plan.out))


def index_scale(index: dict[str, Any]) -> str:
    """The scale a study.json was written at (indexes from before --scale say only quick: true/false)."""
    scale = index.get("scale")
    if isinstance(scale, str):
        return scale
    return "quick" if index.get("quick") else "full"


def cell_record(plan: Plan, index: int, status: str, note: str, error: str | None) -> dict[str, Any]:
    cell = plan.cells[index]
    summary = read_summary(cell.path)
    evaluation = read_eval(cell.path) or {}
    return {
        "cell": cell.name,
        "variants": cell.variants,
        "seed": cell.seed,
        "run": cell.run,
        "settings": diff(cell.config, plan.base),
        "status": status,
        "note": note,
        "error": error,
        "steps": summary.get("steps"),
        "wall_s": summary.get("wall_s"),
        "metrics": evaluation.get("metrics"),
    }


def write_index(
    plan: Plan, records: list[dict[str, Any]], sets: dict[str, Any], timing: dict[str, Any] | None = None
) -> Path:
    """Write study.json atomically: the study's definition, its scale, its timing, and one record per cell."""
    study = plan.study
    data = {
        "format": FORMAT,
        "study": study.name,
        "source": study.source,
        "description": study.description,
        "origin": study.origin,
        "scale": plan.scale,
        "overrides": sets,
        "metrics": list(plan.metrics),
        "samples": plan.samples,
        "seeds": sorted({c.seed for c in plan.cells}),
        "axes": [{"name": axis.name, "variants": axis.names()} for axis in study.axes],  # a list: order kept
        "definition": study.raw,
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "timing": timing,
        "cells": records,
    }
    plan.out.mkdir(parents=True, exist_ok=True)
    write_json(plan.out / INDEX, data)
    return plan.out / INDEX
