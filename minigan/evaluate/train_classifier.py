"""python -m minigan.evaluate.train_classifier: train the MNIST feature classifier with minigan.

Trains on 4000 of the bundled MNIST-5k digits and measures on the other 1000 (a fixed, seeded
split, 100 per class held out), then writes the weights and a record of the run next to this
file (or to --out).
"""

import math
import os
import sys
import time

import numpy as np

from .. import functional as F
from .. import optim
from ..creation import manual_seed
from ..data import DataLoader, mnist5k
from ..data.dataset import Dataset
from ..io.checkpoint import save_arrays, write_json_atomic
from ..io.command_line import ArgumentParser, guarded
from ..tensor import no_grad
from .classifier import RECORD, WEIGHTS, MNISTClassifier

HERE = os.path.dirname(os.path.abspath(__file__))


def split(dataset, held_out_per_class=100, seed=0):
    """(train, held out): the same held-out digits every time."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(dataset), dtype=bool)
    for digit in range(dataset.num_classes):
        members = np.flatnonzero(dataset.labels == digit)
        held[rng.choice(members, held_out_per_class, replace=False)] = True
    part = lambda mask: Dataset(dataset.images[mask], dataset.labels[mask],  # noqa: E731
                                dataset.num_classes, dataset.name)
    return part(~held), part(held)


def accuracy(model, dataset, backend="numpy"):
    model.eval()
    correct = 0
    with no_grad():
        for images, labels in DataLoader(dataset, 250, shuffle=False, drop_last=False,
                                         backend=backend):
            correct += int((model(images).numpy().argmax(1) == labels.numpy()).sum())
    model.train()
    return correct / len(dataset)


def main(argv=None):
    parser = ArgumentParser(prog="python -m minigan.evaluate.train_classifier",
                                     description=__doc__)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=HERE, help="folder for the weights and the record")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    arguments = parser.parse_args(argv)
    return guarded(lambda: train_and_save(arguments), arguments.debug)


def check_arguments(arguments):
    """A ValueError naming the option for a value that makes no sense."""
    if arguments.epochs < 1:
        raise ValueError(f"--epochs must be 1 or more, got {arguments.epochs}")
    if not (math.isfinite(arguments.lr) and arguments.lr > 0):
        raise ValueError(f"--lr must be a finite learning rate above 0, got {arguments.lr}")
    if arguments.seed < 0:
        raise ValueError(f"--seed must be 0 or more, got {arguments.seed}")
    if os.path.isfile(arguments.out):
        raise ValueError(f"--out {arguments.out} is a file: pass a folder")


def train_and_save(arguments):
    """Train, measure and write the classifier as the arguments ask."""
    check_arguments(arguments)
    manual_seed(arguments.seed)
    train, held_out = split(mnist5k(), seed=arguments.seed)
    model = MNISTClassifier()
    adam = optim.Adam(model.parameters(), lr=arguments.lr)
    loader = DataLoader(train, 64, shuffle=True, seed=arguments.seed)
    started = time.perf_counter()
    for epoch in range(arguments.epochs):
        total = 0.0
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            adam.zero_grad()
            loss.backward()
            adam.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: loss {total / len(loader):.4f}, held-out accuracy "
              f"{accuracy(model, held_out):.4f}")
    score = accuracy(model, held_out)
    os.makedirs(arguments.out, exist_ok=True)
    save_arrays(os.path.join(arguments.out, WEIGHTS),
                {key: value.numpy() for key, value in model.state_dict().items()})
    write_json_atomic(os.path.join(arguments.out, RECORD), {
        "held_out_accuracy": score, "held_out": len(held_out), "trained_on": len(train),
        "epochs": arguments.epochs, "lr": arguments.lr, "seed": arguments.seed,
        "command": "python -m minigan.evaluate.train_classifier",
        "seconds": round(time.perf_counter() - started, 1)})
    print(f"held-out accuracy {score:.4f}; wrote {WEIGHTS} and {RECORD} to {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
