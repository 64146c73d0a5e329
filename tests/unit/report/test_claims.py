"""Claims judged on hand-made runs with known numbers: verdicts from Welch's test and Holm's correction
(scipy and statsmodels as references), ties, too few repeats, the statistics of curves, winners, `where`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from report_helpers import make_study
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests

from ganlab.report.claims import instability, study_claims
from ganlab.report.collect import collect


def claims_of(root: Path) -> dict[str, list]:
    found = collect([root])
    results = study_claims(found.studies[0], found.runs)
    by_claim: dict[str, list] = {}
    for result in results:
        by_claim.setdefault(result.claim.claim, []).append(result)
    return by_claim


def test_a_supported_claim_carries_welch_numbers_and_the_holm_correction(tmp_path: Path) -> None:
    gan, wgan = [40.0, 44.0, 42.0], [20.0, 23.0, 21.0]
    claims = claims_of(make_study(tmp_path, {"gan": gan, "wgan": wgan}))
    (result,) = claims["wgan beats gan"]
    assert result.verdict == "supported" and result.pair == ("wgan", "gan")
    reference = scipy_stats.ttest_ind(wgan, gan, equal_var=False)
    low, high = reference.confidence_interval(0.95)
    np.testing.assert_allclose(
        [result.test.diff, result.test.ci_low, result.test.ci_high], [np.mean(wgan) - np.mean(gan), low, high]
    )
    np.testing.assert_allclose(result.test.p, reference.pvalue)
    # Holm over the study's three checks, as statsmodels computes it
    everything = [r for rs in claims.values() for r in rs]
    expected = multipletests([r.test.p for r in everything], method="holm")[1]
    np.testing.assert_allclose([r.p_adjusted for r in everything], expected)
    assert result.p_adjusted >= result.test.p
    line = result.line()
    assert line.startswith("SUPPORTED") and "Holm p" in line and "g = " in line and "seed 000 §5.2" in line
    assert "wgan 21.33 [" in line  # the mean with its 95 % interval
    (curve,) = claims["wgan converges faster"]
    assert curve.verdict == "supported" and curve.values["wgan"].mean == pytest.approx(np.mean(wgan) * 1.5)
    (speed,) = claims["gan is faster"]
    assert speed.verdict == "supported" and speed.values["gan"].mean == 11.0


def test_a_significant_difference_the_other_way_is_contradicted(tmp_path: Path) -> None:
    (result,) = claims_of(make_study(tmp_path, {"gan": [20.0, 21.0, 22.0], "wgan": [40.0, 41.5, 43.0]}))[
        "wgan beats gan"
    ]
    assert result.verdict == "contradicted" and result.toward_claim < 0
    assert result.line().startswith("CONTRADICTED")


def test_noise_is_inconclusive_and_says_how_many_repeats_would_tell(tmp_path: Path) -> None:
    (result,) = claims_of(make_study(tmp_path, {"gan": [30.0, 25.0, 38.0], "wgan": [28.0, 35.0, 22.0]}))[
        "wgan beats gan"
    ]
    assert result.verdict == "inconclusive"
    assert "about" in result.detail and "repeats a side would detect it" in result.detail
    assert "the claimed direction" in result.detail  # wgan's mean is lower, as claimed, but not significantly
    # the study judges 3 checks: the repeats are those that pass Holm's strictest step, 0.05 / 3
    from ganlab.stats import repeats_needed

    needed = repeats_needed(result.test.hedges_g, 0.05 / 3)
    assert needed is not None and needed > repeats_needed(result.test.hedges_g, 0.05)
    assert f"about {needed} repeats a side" in result.detail and "0.05 / 3 = 0.0167" in result.detail


def test_two_repeats_never_decide_even_a_large_difference(tmp_path: Path) -> None:
    (result,) = claims_of(make_study(tmp_path, {"gan": [40.0, 40.1], "wgan": [20.0, 20.1]}))["wgan beats gan"]
    assert result.test is not None and result.test.p < 0.01
    assert result.verdict == "inconclusive" and "a verdict needs 3" in result.detail


def test_a_tie_is_inconclusive_never_contradicted(tmp_path: Path) -> None:
    root = make_study(tmp_path, {"gan": [1.0, 1.0, 1.0], "wgan": [1.0, 1.0, 1.0]})
    (result,) = claims_of(root)["wgan beats gan"]
    assert result.verdict == "inconclusive" and "tie" in result.detail
    assert math.isnan(result.test.p) and math.isnan(result.p_adjusted)


def test_missing_values_cannot_be_checked(tmp_path: Path) -> None:
    root = make_study(tmp_path, {"gan": [40.0, 44.0, 42.0], "wgan": [20.0, 23.0, 21.0]})
    for path in (root / "study").glob("*/eval.jsonl"):
        path.unlink()
    (result,) = claims_of(root)["wgan converges faster"]
    assert result.verdict == "cannot be checked" and "eval.jsonl" in result.detail


def test_winner_claims_test_the_winner_against_its_strongest_rival_and_where(tmp_path: Path) -> None:
    root = make_study(tmp_path, {"gan": [40.0, 44.0, 42.0], "wgan": [20.0, 23.0, 21.0]})
    index_path = root / "study" / "study.json"
    index = json.loads(index_path.read_text())
    claim = {"source": "seed 004 §6", "metric": "fd_domain", "better": "lower"}
    index["definition"]["claims"] = [
        {**claim, "claim": "wgan wins", "winner": "wgan"},
        {**claim, "claim": "gan wins", "winner": "gan"},
        {**claim, "claim": "on mnist", "winner": "wgan", "where": {"data.name": "mnist"}},
    ]
    index_path.write_text(json.dumps(index))
    claims = claims_of(root)
    assert claims["wgan wins"][0].verdict == "supported" and claims["wgan wins"][0].pair == ("wgan", "gan")
    lost = claims["gan wins"][0]
    assert lost.verdict == "contradicted" and "best: wgan" in lost.detail
    assert claims["on mnist"][0].verdict == "not applicable"


def test_instability_is_the_rms_log_jump_of_the_second_half() -> None:
    steady = [50.0, 40.0, 30.0, 20.0, 20.0, 20.0, 20.0, 20.0]
    assert instability(steady) == 0.0
    jumpy = [50.0, 40.0, 30.0, 20.0, 10.0, 20.0, 10.0, 20.0]
    assert instability(jumpy) == pytest.approx(math.log(2.0))  # every jump doubles or halves
    assert instability([1.0, 2.0, 3.0]) is None  # too few evaluations to judge
    assert instability([5.0, 4.0, 3.0, 2.0, 0.0, 1.0, 2.0, 3.0]) is None  # a non-positive value


def test_a_variant_against_a_constant_uses_the_one_sample_test(tmp_path: Path) -> None:
    root = make_study(tmp_path, {"gan": [40.0, 44.0, 42.0], "wgan": [20.0, 23.0, 21.0]})
    index_path = root / "study" / "study.json"
    index = json.loads(index_path.read_text())
    claim = {"source": "seed 001 §3.3.2", "metric": "fd_domain", "compare": ["wgan"], "value": 30.0}
    index["definition"]["claims"] = [
        {**claim, "claim": "wgan below 30", "better": "lower"},
        {**claim, "claim": "wgan above 30", "better": "higher"},
    ]
    index_path.write_text(json.dumps(index))
    claims = claims_of(root)
    below, above = claims["wgan below 30"][0], claims["wgan above 30"][0]
    reference = scipy_stats.ttest_1samp([20.0, 23.0, 21.0], 30.0)
    np.testing.assert_allclose(below.test.p, reference.pvalue)
    assert below.pair == ("wgan", "30") and below.test.diff == pytest.approx(21 + 1 / 3 - 30)
    assert below.verdict == "supported" and above.verdict == "contradicted"
    assert "against the constant 30" in below.detail


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ({"compare": ["gan"]}, "value: with a one-variant compare"),
        ({"compare": ["gan", "wgan"], "value": 0.1}, "value: with a one-variant compare"),
        ({"compare": ["gan"], "value": "chance"}, "a number the variant is claimed to beat"),
    ],
)
def test_constant_claims_are_checked_at_load(claim: dict, message: str) -> None:
    from report_helpers import STUDY

    from ganlab.errors import ConfigError
    from ganlab.studies.schema import parse_study

    bad = {**STUDY, "claims": [{"claim": "c", "source": "seed 001", "metric": "fd_domain", "better": "lower", **claim}]}
    with pytest.raises(ConfigError, match=message):
        parse_study(bad)
