"""Studies: a grid of trainings and evaluations in one YAML file, run locally, in subprocesses or on Ray.

- schema: the study file (base, axes of variants, repeats, evaluate, quick, claims), strictly checked
- grid: named studies, and the expansion of a study into cells with checked configs
- jobs: one run's status on disk and `execute`, the unit every backend runs
- runner, ray_backend: skip finished runs, resume interrupted ones, write study.json
- cli: `ganlab study`
"""

from __future__ import annotations

from ganlab.studies.grid import Cell, Plan, load_study, plan_study, study_names
from ganlab.studies.runner import Outcome, run_study
from ganlab.studies.schema import Axis, Claim, Study, Variant, parse_study

__all__ = [
    "Axis",
    "Cell",
    "Claim",
    "Outcome",
    "Plan",
    "Study",
    "Variant",
    "load_study",
    "parse_study",
    "plan_study",
    "run_study",
    "study_names",
]
