"""Signs that a GAN has died while its losses stay finite, checked as it trains.

- the generator's gradient vanishes: its norm stays below GRADIENT_FLOOR (the samples no
  longer change);
- the discriminator is perfect (D(x) near 1, D(G(z)) near 0) for many steps: the generator
  gets no signal it can use;
- mode collapse: the samples of the fixed noise are far less spread out than the data
  (mean pairwise distance), e.g. every sample the same picture.

`spread_score` turns the same spread into the health score that picks the best checkpoint
when no evaluator runs: 0 when the samples are exactly as spread out as the data.
"""

import math

import numpy as np  # host side: the spreads of samples copied to the host once

GRADIENT_FLOOR = 1e-12
PERFECT = 0.999  # D(x) above it and D(G(z)) below 1 - PERFECT: a perfect discriminator
COLLAPSE_RATIO = 0.05  # samples' spread / data's spread below this: collapsed
SPREAD_SAMPLES = 256


ADVICE = ("Try lower learning rates (--lr-g, --lr-d), another --loss, or a gradient penalty "
          "(--gp-weight 10 with --loss wasserstein).")
RESUME_ADVICE = ("Lower learning rates can continue from there: python -m minigan.train "
                 "--resume {run} --lr-g {lr_g:g} --lr-d {lr_d:g}; or start again with another "
                 "--loss, or a gradient penalty (--gp-weight 10 with --loss wasserstein).")


def advice(run_dir, config, has_checkpoint):
    """What to try after a run failed: with a checkpoint to go back to, resuming at rates ten
    times lower."""
    if not has_checkpoint:
        return ADVICE
    return RESUME_ADVICE.format(run=run_dir, lr_g=config.lr_g / 10, lr_d=config.lr_d / 10)


class TrainingFailed(RuntimeError):
    """The run stopped because it can no longer learn (see minigan/gan/health.py)."""


class TrainingDiverged(TrainingFailed):
    """A loss, gradient or weight became NaN or infinite; the run stopped without saving it."""


def spread(samples, limit=SPREAD_SAMPLES):
    """The mean Euclidean distance between two different samples (rows, any shape)."""
    flat = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)[:limit]
    if len(flat) < 2:
        return 0.0
    squared = (flat ** 2).sum(1)
    distances = np.sqrt(np.maximum(squared[:, None] + squared[None] - 2 * flat @ flat.T, 0))
    return float(distances.sum() / (len(flat) * (len(flat) - 1)))


def spread_score(ratio):
    """|log(spread ratio)|: 0 when the samples spread as the data does; lower is better."""
    return abs(math.log(max(ratio, 1e-6)))


class HealthMonitor:
    """Watches a run's metrics and samples; each check returns None, or the sentence that says
    what died. `patience` steps of a vanished gradient, `perfect_patience` of a perfect D, and
    `collapse_checks` collapsed sample grids in a row after step `warmup` are failures, each
    reported once when its count is reached (again only after the run recovered)."""

    def __init__(self, data_spread, logistic, patience=20, perfect_patience=200,
                 collapse_checks=2, warmup=100):
        self.data_spread, self.logistic = data_spread, logistic
        self.patience, self.perfect_patience = patience, perfect_patience
        self.collapse_checks, self.warmup = collapse_checks, warmup
        self.vanished = self.perfect = self.collapsed = 0

    def after_step(self, metrics):
        """Check one step's metrics (grad_norm_g, d_real, d_fake)."""
        gradient = metrics.get("grad_norm_g")
        self.vanished = self.vanished + 1 if gradient is not None and \
            gradient <= GRADIENT_FLOOR else 0
        if self.vanished == self.patience:
            return (f"the generator's gradient has been 0 (norm <= {GRADIENT_FLOOR:g}) for "
                    f"{self.vanished} steps: it no longer learns")
        perfect = self.logistic and metrics.get("d_real", 0) > PERFECT and \
            metrics.get("d_fake", 1) < 1 - PERFECT
        self.perfect = self.perfect + 1 if perfect else 0
        if self.perfect == self.perfect_patience:
            return (f"the discriminator has been perfect (D(x) > {PERFECT}, D(G(z)) < "
                    f"{1 - PERFECT:.3f}) for {self.perfect} steps: the generator gets no signal")
        return None

    def ratio(self, samples):
        """The samples' spread relative to the data's."""
        return spread(samples) / self.data_spread if self.data_spread > 0 else 1.0

    def after_samples(self, step, samples):
        """Check the samples of the fixed noise at `step` for mode collapse."""
        ratio = self.ratio(samples)
        self.collapsed = self.collapsed + 1 if step >= self.warmup and \
            ratio < COLLAPSE_RATIO else 0
        if self.collapsed == self.collapse_checks:
            return (f"mode collapse: the fixed-noise samples are {ratio:.3f} times as spread out "
                    f"as the data (below {COLLAPSE_RATIO}) in {self.collapsed} sample grids in "
                    "a row")
        return None
