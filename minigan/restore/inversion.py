"""Restoration by GAN inversion: search the generator's input z for the image that, damaged the
way the observed one was, matches it where it is known; then keep the known pixels as they were.

For one observed image y, a mask of known pixels k and the damage's forward model A (identity,
blur or downsampling), each of R random starts z_r runs Adam on

    mean_k (A(G(z)) - y)^2  +  prior * mean(z^2)  [+ perceptual * mean (phi(A(G(z))) - phi(y))^2]

where mean(z^2) is z's negative log-density under N(0, I) up to constants (so the search stays
where the generator was trained), and phi are a discriminator's features (both images with the
unknown pixels set to 0). The R starts of every image run as one batch through the generator;
the start with the lowest final objective wins.
"""

import dataclasses

import numpy as np

from .. import functional as F
from ..creation import tensor
from ..optim import Adam
from ..tensor import no_grad


@dataclasses.dataclass
class Restoration:
    """What `restore` found, for N images: host float32 arrays in the generator's value range."""

    images: np.ndarray     # (N, C, H, W) the restorations: G(z) blended with the known pixels
    generated: np.ndarray  # (N, C, H, W) G(z) itself (the mean over the `average` best starts)
    latents: np.ndarray    # (N, latent_dim) the best start's z
    objective: np.ndarray  # (N,) its final objective


def discriminator_features(discriminator):
    """phi(x): a DCGAN or MLP discriminator's activations before its last layer (the one that
    makes the logit), flattened per image."""
    layers = list(discriminator.main)[:-2]

    def features(x):
        for layer in layers:
            x = layer(x)
        return x.reshape(x.shape[0], -1)
    return features


def _as_batch(array, dims, name):
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == dims - 1:
        array = array[None]
    if array.ndim != dims:
        raise ValueError(f"{name} must have {dims - 1} or {dims} dimensions, got shape "
                         f"{array.shape}")
    return array


def _check_shapes(generator_shape, observed, known, degradation):
    expected = generator_shape if degradation is None else \
        degradation.observed_shape(generator_shape)
    if tuple(observed.shape[1:]) != tuple(expected):
        raise ValueError(f"the image has shape {tuple(observed.shape[1:])} (C, H, W) but the "
                         f"generator makes {tuple(generator_shape)}, so it must be "
                         f"{tuple(expected)}")
    if known.shape != (observed.shape[0],) + tuple(expected[1:]):
        raise ValueError(f"the mask has shape {known.shape[1:]} but the image is "
                         f"{tuple(expected[1:])} (H, W); they must match")


class _Objective:
    """The objective of every start at once: (N R,) Tensor of z (N R, latent_dim)."""

    def __init__(self, generator, observed, known, known_pixels, degradation, prior_weight,
                 perceptual_weight, features):
        self.generator, self.degradation = generator, degradation
        self.prior_weight, self.perceptual_weight = prior_weight, perceptual_weight
        self.features = features
        self.observed, self.known = observed, known  # (N R, C, h, w), (N R, 1, h, w)
        self.known_pixels = known_pixels  # (N R,) known values per image, at least 1
        if perceptual_weight:
            with no_grad():
                self.observed_features = features(self._lift(observed * known))

    def _lift(self, x):
        """An observed image at the generator's size (downsampled ones, nearest upsampled)."""
        if self.degradation is not None and self.degradation.mode == "downsample":
            return F.interpolate(x, scale_factor=self.degradation.factor)
        return x

    def __call__(self, z):
        generated = self.generator(z)
        damaged = generated if self.degradation is None else self.degradation.forward(generated)
        error = (damaged - self.observed) * self.known
        total = (error * error).sum(axis=(1, 2, 3)) / self.known_pixels
        total = total + self.prior_weight * (z * z).mean(axis=1)
        if self.perceptual_weight:
            distance = self.features(self._lift(damaged * self.known)) - self.observed_features
            total = total + self.perceptual_weight * (distance * distance).mean(axis=1)
        return total, generated


def _search(objective, z, steps, lr):
    optimizer = Adam([z], lr=lr)
    for _ in range(steps):
        total, _ = objective(z)
        optimizer.zero_grad()
        total.sum().backward()  # the starts do not interact: each z_r gets its own gradient
        optimizer.step()
    with no_grad():
        total, generated = objective(z)
    return total.numpy(), generated.numpy()


def restore(generator, image, mask=None, degradation=None, steps=200, restarts=8, lr=0.1,
            prior_weight=0.01, perceptual_weight=0.0, discriminator=None, average=4, seed=0):
    """Restore `image` (C, h, w) or a batch (N, C, h, w), host floats in the generator's value
    range, by inverting `generator` (z (M, latent_dim) -> (M, C, H, W)).

    mask: (h, w) or (N, h, w), true (or > 0.5) where pixels are missing; None: all are known.
    degradation: a `Degradation` (noise, blur, downsample) or None (inpainting only).
    discriminator: its features make the perceptual term when perceptual_weight > 0.
    average: the restoration is the mean of this many (at most restarts) best starts' G(z),
    an estimate of the posterior mean: its expected squared error is lower than any single
    sharp guess's.
    Returns a `Restoration`; where nothing else damaged the image, the known pixels are kept.
    """
    if average < 1 or restarts < 1 or steps < 0:
        raise ValueError(f"restore needs average >= 1, restarts >= 1 and steps >= 0, got "
                         f"{average}, {restarts} and {steps}")
    if perceptual_weight and discriminator is None:
        raise ValueError("the perceptual term needs a discriminator (the run's)")
    observed, hole, as_generator = _inputs(generator, image, mask, degradation)
    count = observed.shape[0]
    objective = _Objective(
        generator, tensor(np.repeat(observed, restarts, axis=0), **as_generator),
        tensor(np.repeat(~hole[:, None], restarts, axis=0), **as_generator),
        tensor(np.repeat(np.maximum((~hole).sum(axis=(1, 2)), 1) * observed.shape[1], restarts),
               **as_generator),
        degradation, prior_weight, perceptual_weight,
        discriminator_features(discriminator) if perceptual_weight else None)
    starts = np.random.default_rng(seed).standard_normal((count * restarts, generator.latent_dim))
    z = tensor(starts, requires_grad=True, **as_generator)
    with _frozen(generator, discriminator):
        totals, generated = _search(objective, z, steps, lr)
    order = np.argsort(totals.reshape(count, restarts), axis=1, kind="stable")
    best = order[:, :average] + np.arange(count)[:, None] * restarts  # (N, <= average)
    generated = generated[best].mean(axis=1)  # (N, C, H, W)
    restored = generated if degradation is not None else \
        np.where(hole[:, None], generated, observed)
    return Restoration(restored.astype(np.float32), generated.astype(np.float32),
                       z.numpy()[best[:, 0]], totals[best[:, 0]])


def _inputs(generator, image, mask, degradation):
    """The observed batch (N, C, h, w), the holes (N, h, w) and the generator's dtype and
    backend, checked against what the generator makes."""
    observed = _as_batch(image, 4, "image")
    hole = np.zeros((observed.shape[0],) + observed.shape[2:], bool) if mask is None else \
        _as_batch(mask, 3, "mask") > 0.5
    hole = np.broadcast_to(hole, (observed.shape[0],) + hole.shape[1:])
    parameter = next(generator.parameters())
    as_generator = dict(dtype=parameter.dtype, backend=parameter.backend)
    shape = _generated_shape(generator, **as_generator)
    if degradation is not None:
        degradation.check_clean_shape(shape)
    _check_shapes(shape, observed, hole, degradation)
    return observed, hole, as_generator


def _generated_shape(generator, backend, dtype):
    with no_grad(), _frozen(generator, None):
        return generator(tensor(np.zeros((1, generator.latent_dim)), dtype=dtype,
                                backend=backend)).shape[1:]


class _frozen:
    """Eval mode and no parameter gradients for the networks, restored afterwards."""

    def __init__(self, *modules):
        self.modules = [module for module in modules if module is not None]

    def __enter__(self):
        self.saved = [(module.training, [p.requires_grad for p in module.parameters()])
                      for module in self.modules]
        for module in self.modules:
            module.eval().requires_grad_(False)

    def __exit__(self, *exc):
        for module, (training, flags) in zip(self.modules, self.saved):
            module.train(training)
            for parameter, flag in zip(module.parameters(), flags):
                parameter.requires_grad = flag
