"""The networks that look at images for the metrics: the shipped MNIST classifier, or a run's
discriminator. Both take uint8 images (N, C, H, W), the form that data sets, sample files and
generators (after rounding) share, so every set is measured the same way."""

import numpy as np

from .. import backend
from ..gan.run_folder import load_run
from ..creation import tensor
from ..tensor import no_grad
from .classifier import load_classifier

CLASSIFIER_SHAPE = (1, 28, 28)


def to_network_input(images, value_range, backend_name):
    """uint8 images -> a float32 Tensor in `value_range`, as the DataLoader scales them."""
    low, high = value_range
    scaled = images.astype(np.float32) * np.float32((high - low) / 255.0) + np.float32(low)
    return tensor(scaled, backend=backend_name)


def in_batches(function, count, batch_size=250):
    """function(start, stop) -> host array, over [0, count) in batches, concatenated."""
    return np.concatenate([function(start, min(start + batch_size, count))
                           for start in range(0, count, batch_size)])


def softmax(logits):
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    return shifted / shifted.sum(1, keepdims=True)


class ClassifierFeatures:
    """The 128-d features and the class probabilities of the shipped MNIST classifier."""

    name = "classifier"
    labelled = True
    note = ("features: the 128-d layer of minigan's MNIST classifier (97.5% held-out accuracy); "
            "FCD is FID with this network in place of Inception, comparable across runs")

    def __init__(self, backend_name="numpy"):
        self.backend = backend_name
        # building the model draws a random init (then replaced by the weights) from the
        # caller's random stream: rewind it, so that a run trains the same with evaluation
        host = backend.get("numpy")
        state = host.rng_state()
        self.model = load_classifier(backend_name)
        host.set_rng_state(state)

    def __call__(self, images):
        """(features (N, 128), probabilities (N, 10)) of uint8 digits (N, 1, 28, 28)."""
        if tuple(images.shape[1:]) != CLASSIFIER_SHAPE:
            raise ValueError(
                f"the MNIST classifier takes grey 28x28 digits (N, 1, 28, 28), got images of "
                f"shape {tuple(images.shape[1:])} (C, H, W); measure other images with "
                "--features discriminator, or generate 28x28 grey digits (--image-size 28 "
                "--channels 1)")

        def batch(start, stop):
            with no_grad():
                features = self.model.features(
                    to_network_input(images[start:stop], (-1.0, 1.0), self.backend))
                logits = self.model.head(features)
            return np.concatenate([features.numpy(), softmax(logits.numpy())], axis=1)

        both = in_batches(batch, len(images)).astype(np.float64)
        return both[:, :-10], both[:, -10:]


class RunDiscriminator:
    """A trained run's discriminator: its scores, whether it tells real from generated, and
    (for unlabelled images) its last hidden layer as features."""

    name = "discriminator"
    labelled = False

    def __init__(self, discriminator, sample_shape, value_range, conditional, run_dir,
                 backend_name="numpy"):
        self.discriminator = discriminator
        self.sample_shape = tuple(sample_shape)
        self.run_dir = run_dir
        self.value_range = value_range
        self.conditional = conditional
        self.backend = backend_name
        self.note = (f"features: the last hidden layer of the discriminator of {run_dir}, "
                     "averaged over positions; its FD and KID compare generated sets only when "
                     "measured with this same discriminator (pass --discriminator to fix one), "
                     "never across discriminators")

    def _check(self, images):
        if tuple(images.shape[1:]) != self.sample_shape:
            raise ValueError(f"the discriminator of {self.run_dir} takes images of shape "
                             f"{self.sample_shape} (C, H, W), got {tuple(images.shape[1:])}; "
                             "pass --discriminator DIR of a run trained on images like these")

    def _input(self, images, labels, start, stop):
        x = to_network_input(images[start:stop], self.value_range, self.backend)
        if not self.conditional:
            return (x,)
        return x, tensor(np.asarray(labels[start:stop], dtype=np.int64), backend=self.backend)

    def scores(self, images, labels=None):
        """D's raw outputs (logits or critic scores), (N,); a conditional D needs labels."""
        if self.conditional and labels is None:
            raise ValueError("this run's discriminator is conditional and needs the images' "
                             "labels, which a sample file does not have")
        self._check(images)

        def batch(start, stop):
            with no_grad():
                return self.discriminator(*self._input(images, labels, start, stop)).numpy()

        return in_batches(batch, len(images)).astype(np.float64)

    def accuracy(self, real_scores, fake_scores):
        """Balanced accuracy of D calling real images real and generated ones fake: 0.5 when
        it cannot tell them apart, 1.0 when it always can.

        The threshold is halfway between the medians of the two sets' scores, not the loss's
        own (logit 0, say): in eval mode batch norm uses running statistics averaged over real
        and fake batches, which shifts every score away from what D saw in training."""
        threshold = (np.median(real_scores) + np.median(fake_scores)) / 2
        return float(((real_scores > threshold).mean() + (fake_scores <= threshold).mean()) / 2)

    def __call__(self, images):
        """(features (N, d), None) from the layer before D's output layer."""
        if self.conditional:
            raise ValueError("the features of a conditional discriminator depend on the label; "
                             "use --features classifier (MNIST), or the discriminator of an "
                             "unconditional run (--discriminator DIR)")
        self._check(images)
        hidden = self.discriminator.main[:-2]  # all but the output layer and the flatten

        def batch(start, stop):
            with no_grad():
                activations = hidden(self._input(images, None, start, stop)[0]).numpy()
            return activations.mean((2, 3)) if activations.ndim == 4 else activations

        return in_batches(batch, len(images)).astype(np.float64), None


def load_discriminator(run_dir):
    """The discriminator of a run's latest checkpoint as a RunDiscriminator, or None where the
    checkpoint holds none."""
    run = load_run(run_dir)
    if run.discriminator is None:
        return None
    backend_name = next(run.discriminator.parameters()).backend
    return RunDiscriminator(run.discriminator, run.sample_shape, run.value_range,
                            run.spec.conditional, run_dir, backend_name)
