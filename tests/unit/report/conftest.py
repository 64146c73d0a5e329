"""Hand-written run directories with realistic files: a two-cell study with two seeds, a loose run, a toy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_helpers import FINAL, STUDY, write_png, write_run

from ganlab.config import dump_yaml
from ganlab.studies.grid import plan_study
from ganlab.studies.index import cell_record, write_index
from ganlab.studies.schema import parse_study


@pytest.fixture
def report_tree(tmp_path: Path) -> Path:
    """tmp/study (study.json + 4 runs), tmp/loose/dcgan-a (a run outside any study), tmp/toys (a toy figure)."""
    plan = plan_study(parse_study(STUDY), tmp_path / "study")
    for cell in plan.cells:
        warnings = (
            [{"rule": "discriminator winning", "step": 3, "message": "loss_d -> 0 while loss_g grows"}]
            if cell.seed
            else []
        )
        wall = 10.0 + cell.seed if cell.name == "gan" else 30.0 + cell.seed
        write_run(cell.path, dump_yaml(cell.config), FINAL[(cell.name, cell.seed)], cell.name == "wgan", wall, warnings)
    write_index(plan, [cell_record(plan, i, "finished", "", None) for i in range(len(plan.cells))], {})
    from ganlab.plugins import load_config

    write_run(tmp_path / "loose" / "dcgan-a", dump_yaml(load_config("dcgan")), 70.0, False, 5.0, ["plain warning"])
    toys = tmp_path / "toys"
    write_png(toys / "js_vs_emd.png", 9)
    (toys / "js_vs_emd.json").write_text(
        json.dumps(
            {
                "toy": "js-vs-emd",
                "summary": "JS vs EMD",
                "source": "seed 000 Fig. 1",
                "figures": ["js_vs_emd.png"],
                "numbers": {"w": [1, 2]},
            }
        )
    )
    return tmp_path
