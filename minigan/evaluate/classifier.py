"""A small CNN that classifies MNIST digits, written and trained with minigan: the feature
network for measuring generated digits (FID needs an Inception network that cannot be
downloaded here; MNIST GAN papers use a classifier of their own instead).

The weights ship with the package (mnist_classifier.safetensors); mnist_classifier.json
records how they were trained and the accuracy on 1000 held-out digits.
python -m minigan.evaluate.train_classifier reproduces both.
"""

import json
from importlib import resources

from .. import nn
from ..io.checkpoint import load_arrays

WEIGHTS = "mnist_classifier.safetensors"
RECORD = "mnist_classifier.json"


class MNISTClassifier(nn.Module):
    """(N, 1, 28, 28) images in [-1, 1] -> 10 logits; `features` is the 128-d layer before."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),   # (N, 32, 14, 14)
            nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, 7, 7)
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU())    # (N, 128)
        self.head = nn.Linear(128, 10)                               # (N, 10)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.features(x))


def load_classifier(backend="numpy"):
    """The trained classifier shipped with minigan, in eval mode, on `backend`."""
    files = resources.files(__package__)
    if not files.joinpath(WEIGHTS).is_file():
        raise FileNotFoundError(f"the trained classifier {WEIGHTS} is missing from the package; "
                                "make it with: python -m minigan.evaluate.train_classifier")
    model = MNISTClassifier()
    with resources.as_file(files.joinpath(WEIGHTS)) as path:
        model.load_state_dict(load_arrays(str(path)))
    return model.to(backend).eval()


def classifier_record():
    """How the shipped classifier was trained, and its held-out accuracy."""
    return json.loads(resources.files(__package__).joinpath(RECORD).read_text())
