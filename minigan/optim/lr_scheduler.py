"""Learning-rate schedules: PyTorch's schedulers, each written as its closed form.

A scheduler counts epochs (or steps) in `last_epoch` and, at each `step()`, sets every
parameter group's "lr" to the schedule's value at that epoch, computed from the group's
"initial_lr" (its `base_lrs`). Call it after `optimizer.step()`:

    scheduler = StepLR(optimizer, step_size=30)
    for epoch in range(100):
        train_one_epoch()          # optimizer.step() inside
        scheduler.step()

The values are PyTorch's (which updates each lr from the previous one; its documented closed
forms give the same numbers, up to rounding). Because each value is computed from the base
learning rates, one scheduler per optimizer: combine schedules with SequentialLR.
"""

import math
from bisect import bisect_right

from .optimizer import Optimizer


class LRScheduler:
    """Base class. Subclasses define `get_lr()`, the learning rates at `self.last_epoch`.

    The constructor takes the first step. `last_epoch=-1` starts a schedule at epoch 0: each
    group's current lr becomes its "initial_lr". Another value continues a schedule whose last
    epoch was `last_epoch`, from the "initial_lr" already in the groups (restored with the
    optimizer's state dict); `load_state_dict` is the simpler way to resume.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a learning-rate scheduler needs an Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"resuming a schedule at last_epoch={last_epoch}, but parameter "
                               f"group {number} has no 'initial_lr'; load the optimizer's state "
                               "dict first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        """The learning rate of each group at epoch `self.last_epoch`."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self):
        """Advance one epoch and set each group's lr to the schedule's value."""
        self.last_epoch += 1
        self._last_lr = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self):
        """The learning rates set by the last step(), one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer: epoch, base learning rates and the options."""
        return {name: value for name, value in self.__dict__.items() if name != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a state saved by `state_dict()` (the optimizer's lr comes with its own)."""
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the lr by gamma every `step_size` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not (isinstance(step_size, int) and step_size >= 1):
            raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # lr = base_lr gamma^floor(epoch / step_size)
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by gamma at each milestone epoch (a repeated milestone counts twice)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # lr = base_lr gamma^(number of milestones <= epoch)
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma ** passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # lr = base_lr gamma^epoch
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base lr down to eta_min over T_max epochs (then back up,
    as PyTorch's does: the cosine goes on, without restarts)."""

    def __init__(self, optimizer, T_max, eta_min=0, last_epoch=-1):
        if not T_max > 0:
            raise ValueError(f"T_max must be > 0, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2
        cosine = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * (1 + cosine) / 2
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr by a factor that moves linearly from start_factor to end_factor over
    total_iters epochs, then stays (a warm-up with the defaults)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor}")
        if not (isinstance(total_iters, int) and total_iters >= 1):
            raise ValueError(f"total_iters must be a positive integer, got {total_iters!r}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # lr = base_lr (start + (end - start) min(epoch, total_iters) / total_iters)
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run `schedulers` one after another, switching at the `milestones` epochs; each starts
    at its own epoch 0 (LinearLR warm-up, then CosineAnnealingLR)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError("SequentialLR needs at least one scheduler")
        for number, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(f"scheduler {number} of SequentialLR is a "
                                f"{type(scheduler).__name__}, not a learning-rate scheduler")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"scheduler {number} of SequentialLR "
                                 f"({type(scheduler).__name__}) belongs to another optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers, got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        if any(later <= earlier for earlier, later in zip(milestones, milestones[1:])):
            raise ValueError(f"the milestones of SequentialLR must increase, got {milestones}")
        self.schedulers, self.milestones = schedulers, milestones
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # the active scheduler at its own epoch: epoch - the milestone where it started
        active = bisect_right(self.milestones, self.last_epoch)
        scheduler = self.schedulers[active]
        scheduler.last_epoch = self.last_epoch - (self.milestones[active - 1] if active else 0)
        scheduler._last_lr = scheduler.get_lr()
        return scheduler._last_lr

    def state_dict(self):
        """The sequence's own state, with each scheduler's under "schedulers"."""
        state = {name: value for name, value in self.__dict__.items()
                 if name not in ("optimizer", "schedulers")}
        state["schedulers"] = [scheduler.state_dict() for scheduler in self.schedulers]
        return state

    def load_state_dict(self, state_dict):
        own = {name: value for name, value in state_dict.items() if name != "schedulers"}
        self.__dict__.update(own)
        for scheduler, saved in zip(self.schedulers, state_dict["schedulers"]):
            scheduler.load_state_dict(saved)
