"""Claims checked on hand-made runs with known numbers: verdicts, the numbers, Welch's p from scipy."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from scipy import stats as scipy_stats

from ganlab.report.claims import study_claims
from ganlab.report.collect import collect


def claims_of(root: Path) -> dict[str, list]:
    found = collect([root])
    results = study_claims(found.studies[0], found.runs)
    by_claim: dict[str, list] = {}
    for result in results:
        by_claim.setdefault(result.claim.claim, []).append(result)
    return by_claim


def test_a_claim_that_holds_comes_with_the_numbers_and_welch_p(report_tree: Path) -> None:
    (result,) = claims_of(report_tree)["wgan beats gan"]
    assert result.verdict == "holds"
    assert (result.values["wgan"].mean, result.values["gan"].mean) == (21.5, 42.0)
    expected = scipy_stats.ttest_ind([20.0, 23.0], [40.0, 44.0], equal_var=False).pvalue
    torch.testing.assert_close(torch.tensor(result.test.p), torch.tensor(float(expected)))
    line = result.line()
    assert line.startswith("HOLDS") and "Welch" in line and "seed 000 §5.2" in line


def test_curve_mean_and_summary_quantities(report_tree: Path) -> None:
    claims = claims_of(report_tree)
    (curve,) = claims["wgan converges faster"]
    assert curve.verdict == "holds" and curve.values["wgan"].mean == 21.5 * 1.5  # mean of (2f, f)
    (speed,) = claims["gan is faster"]
    assert speed.verdict == "holds" and speed.values["gan"].mean == 10.5


def test_a_claim_that_fails_says_so(report_tree: Path) -> None:
    for seed, value in ((0, 90.0), (1, 95.0)):
        path = report_tree / "study" / f"wgan-seed{seed}" / "eval.json"
        data = json.loads(path.read_text())
        data["metrics"]["fd_domain"] = value
        path.write_text(json.dumps(data))
    (result,) = claims_of(report_tree)["wgan beats gan"]
    assert result.verdict == "does not hold"
    assert result.line().startswith("DOES NOT HOLD")


def test_missing_values_cannot_be_checked(report_tree: Path) -> None:
    for path in (report_tree / "study").glob("*/eval.jsonl"):
        path.unlink()
    (result,) = claims_of(report_tree)["wgan converges faster"]
    assert result.verdict == "cannot be checked" and "eval.jsonl" in result.detail


def test_winner_claims_and_where(report_tree: Path) -> None:
    index_path = report_tree / "study" / "study.json"
    index = json.loads(index_path.read_text())
    index["definition"]["claims"] = [
        {"claim": "wgan wins", "source": "seed 004 §6", "metric": "fd_domain", "better": "lower", "winner": "wgan"},
        {"claim": "gan wins", "source": "seed 004 §6", "metric": "fd_domain", "better": "lower", "winner": "gan"},
        {
            "claim": "on mnist",
            "source": "seed 004 §6",
            "metric": "fd_domain",
            "better": "lower",
            "winner": "wgan",
            "where": {"data.name": "mnist"},
        },
    ]
    index_path.write_text(json.dumps(index))
    claims = claims_of(report_tree)
    assert claims["wgan wins"][0].verdict == "holds"
    assert claims["gan wins"][0].verdict == "does not hold" and "best: wgan" in claims["gan wins"][0].detail
    assert claims["on mnist"][0].verdict == "not applicable"
