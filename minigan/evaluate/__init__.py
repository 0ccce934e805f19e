"""minigan.evaluate: measure generated images with a classifier trained with minigan.

- `python -m minigan.evaluate --run DIR` (or `--samples FILE.npz`): FCD, KID, precision and
  recall, the classifier's confidence and class histogram, the discriminator's accuracy and the
  generator's speed, against real-vs-real and noise reference rows (see report.py).
- `metrics`: the metric math on host feature arrays.
- `training_evaluator()`: the cheap metrics that `minigan.train --evaluate-every N` plots.
"""

from . import metrics
from .classifier import MNISTClassifier, classifier_record, load_classifier
from .features import ClassifierFeatures, RunDiscriminator, load_discriminator
from .report import evaluate, read_samples, run_evaluation
from .training import TrainingEvaluator, training_evaluator

__all__ = ["ClassifierFeatures", "MNISTClassifier", "RunDiscriminator", "TrainingEvaluator",
           "classifier_record", "evaluate", "load_classifier", "load_discriminator", "metrics",
           "read_samples", "run_evaluation", "training_evaluator"]
