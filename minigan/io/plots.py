"""Training plots with matplotlib (the Agg backend: no display needed)."""

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def smooth(values, window):
    """A running mean over `window` points (shorter at the start), NaNs ignored."""
    values = np.asarray(values, dtype=np.float64)
    if window <= 1 or values.size == 0:
        return values
    valid = np.isfinite(values)
    sums = np.cumsum(np.where(valid, values, 0.0))
    counts = np.cumsum(valid)
    sums[window:] = sums[window:] - sums[:-window]
    counts[window:] = counts[window:] - counts[:-window]
    return sums / np.maximum(counts, 1)


def plot_training_curves(rows, path, metrics=()):
    """Losses and discriminator outputs (a VAE's: its reconstruction and KL terms) against the
    step, from the training log's rows;
    `metrics` names extra columns (evaluation metrics), each plotted in a panel of its own
    since their scales differ (an FCD of 150 next to a share of 0.6)."""
    plt = _pyplot()
    steps = np.array([row["step"] for row in rows])
    window = max(1, len(rows) // 50)
    panels = 2 + len(metrics)
    figure, axes = plt.subplots(1, panels, figsize=(5 * min(panels, 3), 3.6)
                                if panels <= 3 else (4 * panels, 3.6))
    vae = "d_loss" not in rows[0]  # a VAE's log: the negative ELBO and its two terms
    curves = ((("reconstruction", "reconstruction, -log p(x | z)"),) if vae else
              (("d_loss", "discriminator loss"), ("g_loss", "generator loss")))
    for key, label in curves:
        values = [row.get(key, np.nan) for row in rows]
        axes[0].plot(steps, values, alpha=0.25)
        axes[0].plot(steps, smooth(values, window), label=label,
                     color=axes[0].lines[-1].get_color())
    axes[0].set_xlabel("step")
    axes[0].set_title("losses")
    axes[0].legend()
    curves = (("kl", "KL(q(z | x) || N(0, I))"),) if vae else \
        (("d_real", "D(x)"), ("d_fake", "D(G(z))"))
    for key, label in curves:
        values = [row.get(key, np.nan) for row in rows]
        axes[1].plot(steps, smooth(values, window), label=label)
    axes[1].set_xlabel("step")
    axes[1].set_title("the KL term" if vae else "discriminator on real and fake")
    axes[1].legend()
    for axis, key in zip(axes[2:], metrics):
        points = [(row["step"], row[key]) for row in rows if key in row]
        if points:
            xs, ys = zip(*points)
            axis.plot(xs, ys, marker="o")
        axis.set_xlabel("step")
        axis.set_title(key.removeprefix("eval_").replace("_", " "))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_points(real, fake, path, title=""):
    """A scatter plot of real and generated 2-D points (the toy sets)."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(4, 4))
    axis.scatter(real[:, 0], real[:, 1], s=2, alpha=0.3, label="real")
    axis.scatter(fake[:, 0], fake[:, 1], s=2, alpha=0.5, label="generated")
    axis.set_aspect("equal")
    axis.set_title(title)
    axis.legend(loc="upper right", markerscale=4)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
