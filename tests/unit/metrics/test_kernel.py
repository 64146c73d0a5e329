def test_evaluation_says_when_the_kernel_subsets_shrank() -> None:
    """torch-fidelity refuses fewer samples than its subset size; ganlab measures and says so (issue 17)."""
    from ganlab.evaluation import provenance_lines

    provenance = {
        "dataset": "fashion-mnist",
        "reference_split": "test",
        "real_samples": 10000,
        "fake_samples": 300,
        "seed": 0,
        "library": "ganlab",
        "features": {
            "domain": {
                "metrics": ["fd_domain", "kd_domain"],
                "extractor": "x",
                "library": "ganlab",
                "resize": "none",
                "kd_subset_size": 300,
            }
        },
    }
    lines = provenance_lines(provenance)
    assert any("kd_domain: subsets of 300 samples, fewer than the usual 1000" in line for line in lines)
    provenance["features"]["domain"]["kd_subset_size"] = 1000
    assert not any("subsets of" in line for line in provenance_lines(provenance))
