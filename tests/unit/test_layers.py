"""ganlab's layering, read from the source: which packages may import which. A leaf that imports upwards would
tie the on-disk format, or the training core, to the tools built on them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "ganlab"

# package -> ganlab packages or modules it must never import, at any depth (lazy imports inside functions count)
FORBIDDEN = {
    "rundir": ("training", "evaluation", "report", "studies", "cli", "diagnostics", "bench", "toys"),
    "report": ("training",),
    # models are plain torch layers; ganlab.accel swaps the speed paths into a built model
    "models": ("accel", "training", "evaluation", "report", "studies", "cli", "bench", "toys"),
    # evaluation and diagnostics are hooks the composition root (ganlab.compose) hands to the loop
    "training": ("diagnostics", "evaluation", "compose", "report", "studies", "cli", "bench", "toys"),
    "config": ("*",),  # its own modules and ganlab.errors only (see `allowed`)
    "atomic": ("*",),  # the standard library only
}


def imported_modules(path: Path) -> set[str]:
    """Every `ganlab...` module a file imports, top-level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("ganlab")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ganlab"):
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def sources(package: str) -> list[Path]:
    single = SRC / f"{package}.py"
    return [single] if single.is_file() else sorted((SRC / package).rglob("*.py"))


# what a package may import despite a "*": besides its own modules
ALLOWED = {"config": ("errors",)}


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sources(package):
        for module in sorted(imported_modules(path)):
            parts = module.split(".")
            if module == "ganlab" or len(parts) < 2 or parts[1] in (package, *ALLOWED.get(package, ())):
                continue
            if "*" in forbidden or parts[1] in forbidden:
                bad.append(f"{path.relative_to(SRC)} imports {module}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(package: str) -> None:
    assert sources(package), f"no sources for {package}"
    assert violations(package, FORBIDDEN[package]) == []


def test_the_check_sees_lazy_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from ganlab.training.loop import Loop\n    import ganlab.report\n")
    assert imported_modules(source) == {"ganlab.training.loop", "ganlab.training.loop.Loop", "ganlab.report"}


def test_no_code_outside_losses_tests_a_loss_by_its_name() -> None:
    """What D's output means is the loss's to say (AdversarialLoss.output, readout, is_critic); a new loss then
    needs no edit elsewhere. Choosing a loss by its config key is fine, comparing it afterwards is not."""
    import re

    pattern = re.compile(r"loss\.name\s*(==|!=|\bin\b|\bnot in\b)")
    found = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(SRC.rglob("*.py"))
        if "losses" not in path.relative_to(SRC).parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []
