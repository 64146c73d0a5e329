"""Training-health diagnostics (seed 001 §2.6): scalars logged with the metrics and warning rules.

Logged per metrics row, besides what the steps log (d_real, d_fake, grad_norm_d, grad_norm_g, wasserstein):
- `grad_norm_interp`: mean ||grad_x D|| on real/fake interpolates, an empirical Lipschitz estimate (every
  strategy; under gp it is the penalty's own measurement);
- `clipped_share`: share of D's weights at the clipping bound (lipschitz.name=clip; seed 002 Fig. 5);
- `wasserstein_heldout`: the critic's estimate on a fixed test-split batch, without the penalty (critic losses;
  seed 001 §5.3.3), to read beside `wasserstein` on the training batches: a gap means the critic over-fits;
- weight histograms in TensorBoard every `log.hist_every` steps.

Warnings (rules.py), each fired at most once with its step and evidence, land in summary.json `warnings`:
discriminator_winning, generator_winning, vanishing_generator_gradient, lipschitz_violation, mode_collapse.
"""

from __future__ import annotations

from ganlab.diagnostics.hook import (
    CriticGradientNorm,
    Diagnostics,
    WeightHistograms,
    diagnostics_hooks,
    held_out_batch,
    step_probes,
)
from ganlab.diagnostics.rules import EVAL_RULES, METRICS_RULES, Finding, RuleContext

__all__ = [
    "CriticGradientNorm",
    "Diagnostics",
    "WeightHistograms",
    "diagnostics_hooks",
    "step_probes",
    "held_out_batch",
    "Finding",
    "RuleContext",
    "METRICS_RULES",
    "EVAL_RULES",
]
