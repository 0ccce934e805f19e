"""Sample-quality metrics on host arrays of features (N, d) or class probabilities (N, K).

- `frechet_distance`: the distance between two Gaussians fitted to the features (FID when the
  features are Inception's, FCD here with the MNIST classifier's).
- `kernel_distance`: KID, an unbiased estimate of the squared maximum mean discrepancy with a
  cubic polynomial kernel; unlike the Frechet distance it has no bias that depends on N.
- `precision_recall`: the share of generated samples that look real (precision) and of real
  samples the generator covers (recall), from k-nearest-neighbour balls (Kynkaanniemi et al.
  2019).
- `class_histogram`, `classes_covered`, `kl_to_uniform`, `confident_share`: what a classifier
  says about the samples (mode coverage and how recognisable they are).
"""

import numpy as np


def _as_float64_rows(features, name):
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"{name} must be a 2-D array (N, d) with at least 2 rows, got shape "
                         f"{features.shape}")
    return features


def _psd_sqrt(matrix):
    """The square root of a symmetric positive semi-definite matrix, from its eigenvalues
    (tiny negative ones, rounding errors, are clipped to 0)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def gaussian_frechet_distance(mean_a, covariance_a, mean_b, covariance_b):
    """The Frechet (2-Wasserstein) distance between N(mean_a, covariance_a) and
    N(mean_b, covariance_b)."""
    # d^2 = |m_a - m_b|^2 + tr(C_a) + tr(C_b) - 2 tr((C_a C_b)^(1/2))
    # tr((C_a C_b)^(1/2)) = sum of sqrt(eigenvalues of C_a^(1/2) C_b C_a^(1/2)), a symmetric PSD
    # matrix with the same eigenvalues as C_a C_b: stable where sqrtm(C_a C_b) is not
    root_a = _psd_sqrt(covariance_a)
    middle = root_a @ covariance_b @ root_a
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_of_root = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    difference = mean_a - mean_b
    distance = (difference @ difference + np.trace(covariance_a) + np.trace(covariance_b)
                - 2.0 * trace_of_root)
    return max(float(distance), 0.0)


def frechet_distance(features_a, features_b):
    """The Frechet distance between Gaussians fitted to two feature sets (N, d) and (M, d);
    0 for identical sets. It is biased upwards for small N, so compare values at equal N."""
    a = _as_float64_rows(features_a, "features_a")
    b = _as_float64_rows(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets of different widths: {a.shape[1]} and {b.shape[1]}")
    return gaussian_frechet_distance(a.mean(0), np.cov(a, rowvar=False),
                                     b.mean(0), np.cov(b, rowvar=False))


def _polynomial_kernel(x, y):
    # k(x, y) = (x.y / d + 1)^3
    base = x @ y.T / x.shape[1] + 1.0
    return base * base * base  # three times faster than ** 3


def unbiased_mmd2(x, y):
    """The unbiased estimate of the squared maximum mean discrepancy between samples x and y
    under the cubic polynomial kernel."""
    # MMD^2_u = mean_{i!=j} k(x_i, x_j) + mean_{i!=j} k(y_i, y_j) - 2 mean_{i,j} k(x_i, y_j)
    m, n = len(x), len(y)
    k_xx, k_yy = _polynomial_kernel(x, x), _polynomial_kernel(y, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * _polynomial_kernel(x, y).mean())


def kernel_distance(features_a, features_b, subsets=10, subset_size=1000, seed=0):
    """KID: (mean, standard deviation) of the unbiased squared MMD over `subsets` random
    subsets of each set, drawn without replacement, of `subset_size` rows (at most the smaller
    set's size; then every subset is the whole set and the deviation is 0). Its expectation is
    exactly 0 when both sets come from the same distribution, so small values can be negative."""
    a = _as_float64_rows(features_a, "features_a")
    b = _as_float64_rows(features_b, "features_b")
    if subset_size < 2:
        raise ValueError(f"subset_size must be at least 2 (pairs within a subset), got "
                         f"{subset_size}")
    size = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = [unbiased_mmd2(a[rng.choice(len(a), size, replace=False)],
                            b[rng.choice(len(b), size, replace=False)]) for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))


def _squared_distances(x, y):
    # |x - y|^2 = |x|^2 + |y|^2 - 2 x.y, clipped at 0 against rounding
    squared = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    return np.clip(squared, 0.0, None)


def _knn_radii(points, k, chunk):
    """The squared distance from each point to its k-th nearest other point."""
    radii = np.empty(len(points))
    for start in range(0, len(points), chunk):
        block = _squared_distances(points[start:start + chunk], points)
        radii[start:start + chunk] = np.partition(block, k, axis=1)[:, k]  # index 0: itself
    return radii


def _inside_any_ball(queries, centres, radii, chunk):
    inside = np.zeros(len(queries), dtype=bool)
    for start in range(0, len(queries), chunk):
        block = _squared_distances(queries[start:start + chunk], centres)
        inside[start:start + chunk] = (block <= radii[None, :]).any(1)
    return inside


def precision_recall(real, fake, k=3, chunk=1024):
    """(precision, recall) of the generated set `fake` against `real` in feature space.

    Each real sample owns a ball reaching to its k-th nearest real neighbour; precision is the
    share of fake samples inside some real ball (how many fakes look real). Recall swaps the
    roles: the share of real samples inside some fake ball (how much of the real variety the
    generator covers)."""
    real = _as_float64_rows(real, "real")
    fake = _as_float64_rows(fake, "fake")
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"precision and recall with k={k} need more than {k} samples in each "
                         f"set, got {len(real)} real and {len(fake)} generated")
    precision = _inside_any_ball(fake, real, _knn_radii(real, k, chunk), chunk).mean()
    recall = _inside_any_ball(real, fake, _knn_radii(fake, k, chunk), chunk).mean()
    return float(precision), float(recall)


def class_histogram(probabilities):
    """The share of samples that the classifier assigns to each class (its argmax), (K,)."""
    probabilities = np.asarray(probabilities)
    counts = np.bincount(probabilities.argmax(1), minlength=probabilities.shape[1])
    return counts / counts.sum()


def kl_to_uniform(histogram):
    """KL(histogram || uniform) in nats: 0 when every class is equally common, log(K) when one
    class holds every sample."""
    # KL(p || 1/K) = sum_k p_k log(K p_k), with 0 log 0 = 0
    histogram = np.asarray(histogram, dtype=np.float64)
    present = histogram[histogram > 0]
    return float((present * np.log(len(histogram) * present)).sum())


def classes_covered(histogram, minimum_share=0.01):
    """How many classes hold at least `minimum_share` of the samples."""
    return int((np.asarray(histogram) >= minimum_share).sum())


def confident_share(probabilities, threshold=0.9):
    """The share of samples whose most likely class has probability >= threshold: digits the
    classifier recognises at once."""
    return float((np.asarray(probabilities).max(1) >= threshold).mean())
