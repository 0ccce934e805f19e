"""Sample quality during training: what `python -m minigan.train --evaluate-every N` measures."""

import numpy as np

from ..creation import tensor
from ..io.images import to_uint8
from . import metrics
from .features import CLASSIFIER_SHAPE, ClassifierFeatures
from .report import mnist_reference


class TrainingEvaluator:
    """evaluator(trainer) -> {"eval_fcd", "eval_confident_percent", "eval_classes_covered"}
    on `count` samples of the same fixed noise each time. The classifier and the real digits'
    features are computed once, at the first call. Only the keys starting with eval_ reach
    the plot, all on one axis: hence the confident share in percent."""

    def __init__(self, count=1000, seed=0, batch_size=250):
        self.count, self.seed, self.batch_size = count, seed, batch_size
        self._classifier = self._real_features = None

    def check(self, trainer):
        """Fail now, not at the first evaluation, if the run's images are not digits."""
        shape = tuple(trainer.dataset.sample_shape)
        if shape != CLASSIFIER_SHAPE or not trainer.config.data.startswith("mnist"):
            raise ValueError(
                f"--evaluate-every measures digits with minigan's MNIST classifier, but this run "
                f"trains on {trainer.config.data} at {shape} (C, H, W); it needs --data mnist5k "
                "or mnist:DIR at 28x28 grey. For other images evaluate the checkpoints "
                "afterwards: python -m minigan.evaluate --run DIR")

    def _samples(self, trainer):
        """uint8 samples of fixed noise, from its own generator: the training's random stream
        is left alone, so a run with evaluation trains exactly as one without."""
        rng = np.random.default_rng([self.seed, 3])
        noise = rng.standard_normal((self.count, trainer.config.latent_dim)).astype(np.float32)
        batches = []
        for start in range(0, self.count, self.batch_size):
            chunk = tensor(noise[start:start + self.batch_size], backend=trainer.config.backend)
            batches.append(to_uint8(trainer.sample(noise=chunk), trainer.value_range))
        return np.concatenate(batches)

    def __call__(self, trainer):
        if self._classifier is None:
            self.check(trainer)
            self._classifier = ClassifierFeatures(trainer.config.backend)
            self._real_features = self._classifier(mnist_reference()[0])[0]
        features, probabilities = self._classifier(self._samples(trainer))
        histogram = metrics.class_histogram(probabilities)
        return {"eval_fcd": metrics.frechet_distance(self._real_features, features),
                "eval_confident_percent": 100.0 * metrics.confident_share(probabilities),
                "eval_classes_covered": metrics.classes_covered(histogram)}


def training_evaluator(trainer=None, count=1000, seed=0):
    """The evaluator that Trainer calls every `evaluate_every` steps; given the trainer, it
    checks at once that the run's images are digits it can measure."""
    evaluator = TrainingEvaluator(count, seed)
    if trainer is not None:
        evaluator.check(trainer)
    return evaluator
