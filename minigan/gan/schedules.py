"""A run's learning rates: the schedules that --lr-schedule names, and the change of base rate
that a resumed run's --lr-g/--lr-d make to a restored optimizer and its schedule."""

from ..optim import lr_scheduler

LR_SCHEDULES = ("constant", "step", "multistep", "cosine", "warmup-cosine", "linear-decay")
DECAY_SHARE = 0.3  # linear-decay: the share of the run, at its end, over which the rates fall to 0


def by_name(name, optimizer, steps):
    """The learning-rate schedule `name` (one of LR_SCHEDULES) over a run of `steps`, or
    None for "constant"."""
    if name == "constant":
        return None
    if name == "step":  # halve every third of the run
        return lr_scheduler.StepLR(optimizer, step_size=max(1, steps // 3), gamma=0.5)
    if name == "multistep":  # x0.1 at half and at three quarters: multi-stage rates
        return lr_scheduler.MultiStepLR(optimizer, [steps // 2, (3 * steps) // 4], gamma=0.1)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, steps))
    if name == "warmup-cosine":
        warmup = max(1, steps // 20)
        return lr_scheduler.SequentialLR(optimizer, [
            lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=warmup),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, steps - warmup))],
            milestones=[warmup])
    if name == "linear-decay":  # constant, then linearly down to 0 over the last 30%
        decay = max(1, round(steps * DECAY_SHARE))
        if decay >= steps:
            return lr_scheduler.LinearLR(optimizer, 1.0, 0.0, total_iters=max(1, steps))
        return lr_scheduler.SequentialLR(optimizer, [
            lr_scheduler.LinearLR(optimizer, 1.0, 1.0, total_iters=1),
            lr_scheduler.LinearLR(optimizer, 1.0, 0.0, total_iters=decay)],
            milestones=[steps - decay])
    raise ValueError(f"unknown --lr-schedule {name!r}: choose one of {LR_SCHEDULES}")


def continue_at(schedule, saved):
    """Put `schedule`, built for this run's length, at the position of a saved schedule
    (its state_dict): a run resumed for more steps stretches its schedule to the new length,
    where the saved one would have decayed to 0 at the old end. Same length, same rates."""
    parts = [(schedule, saved), *zip(getattr(schedule, "schedulers", []),
                                     saved.get("schedulers", []))]
    for part, state in parts:  # the saved base rates: rebase_rate changes them after
        part.base_lrs = list(state["base_lrs"])
    schedule.last_epoch = saved["last_epoch"] - 1
    schedule.step()


def rebase_rate(optimizer, schedule, rate, betas):
    """Give a restored optimizer (and its schedule) the base learning rate `rate` and `betas`:
    the schedule's position is kept, its rates scaled."""
    group = optimizer.param_groups[0]
    factor = rate / group.get("initial_lr", group["lr"])
    for group in optimizer.param_groups:
        group["lr"] *= factor
        group["betas"] = tuple(betas)
        if "initial_lr" in group:
            group["initial_lr"] *= factor
    for part in [schedule, *getattr(schedule, "schedulers", [])] if schedule else []:
        part.base_lrs = [lr * factor for lr in part.base_lrs]
        part._last_lr = [lr * factor for lr in getattr(part, "_last_lr", [])]
