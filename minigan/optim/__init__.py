"""minigan.optim: optimizers, learning-rate schedules and a moving average of weights, with
PyTorch's names, options and update rules.

    optimizer = optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .ema import EMA
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adam", "AdamW", "EMA", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
