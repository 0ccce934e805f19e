"""Optimizer: parameter groups, per-parameter state, and saving and loading them.

As in PyTorch, an optimizer holds `param_groups`, a list of dicts that each carry a list of
parameters ("params") and the hyperparameters for them ("lr", ...), and `state`, a dict from a
parameter to its own state (a step count, running averages). A subclass writes only the update
of one parameter, `update(param, grad, state, group)`, on raw arrays and in place on
`param.array`, so the parameters keep their identity and no graph is recorded.

Gradients are read, never written: a gradient array may be shared between parameters.
"""

from collections import defaultdict

import numpy as np  # host side: state dicts

from .. import backend
from ..tensor import Tensor, enable_grad


def _host_array(value):
    """A state-dict value (a minigan Tensor or a backend array) as a host array."""
    if isinstance(value, Tensor):
        return value.numpy()
    try:
        return backend.of(value).to_host(value)
    except TypeError:
        return np.asarray(value)


def require_non_negative(options, *names):
    """Raise ValueError for the first option in `names` that is negative (or NaN)."""
    for name in names:
        if not options[name] >= 0:
            raise ValueError(f"{name} must be >= 0, got {options[name]}")


class Optimizer:
    """Base class of the optimizers. `params` is an iterable of Parameters, or of dicts
    {"params": [...], option: value} that give some groups their own options; `defaults`
    holds every option's value for groups that do not set it."""

    # state entries that are counts (Python ints), not arrays shaped like their parameter
    scalar_state = ("step",)

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params given to the optimizer should be an iterable of Tensors or "
                            "dicts, but got a single Tensor; wrap it in a list")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters must be an ordered collection (a list, or "
                            "model.parameters()), not a set, so that saved states line up")
        self.check_options(defaults)
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def check_options(self, options):
        """Raise ValueError for an invalid hyperparameter; subclasses check their own."""

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (fine-tuning, a second network)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group needs the key 'params'")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("the parameters of a group must be an ordered collection, not a set")
        group["params"] = list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                hint = "; did you mean model.parameters()?" if hasattr(p, "parameters") else ""
                raise TypeError(f"an optimizer can only optimize Tensors, got "
                                f"{type(p).__name__}{hint}")
            if not p.is_leaf:
                raise ValueError("cannot optimize a non-leaf Tensor (one computed by an op); "
                                 "optimize the leaf it came from, or .detach() it")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.check_options(group)
        ids = [id(p) for p in group["params"]]
        if len(set(ids)) != len(ids):
            raise ValueError("a parameter group lists the same parameter more than once")
        known = {id(p) for other in self.param_groups for p in other["params"]}
        if known.intersection(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: `.grad = None`, or new zero arrays with set_to_none=False
        (never zeroed in place: another parameter may share the array)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else Tensor(
                        p.grad.backend.xp.zeros_like(p.grad.array))

    def step(self, closure=None):
        """Update every parameter that has a gradient; parameters whose `.grad` is None are
        skipped. `closure`, if given, recomputes and returns the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.shape != p.shape:
                    raise ValueError(f"a parameter of shape {p.shape} has a gradient of shape "
                                     f"{p.grad.shape}")
                self.update(p, p.grad.array, self.state[p], group)
                p._version_counter[0] += 1  # an in-place write: a graph that saved p raises
        return loss

    def update(self, param, grad, state, group):
        """Update `param.array` in place from the array `grad`, its `state` and the `group`'s
        options; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define update()")

    # -- saving and loading -------------------------------------------------------------------
    def state_dict(self):
        """A snapshot in PyTorch's layout: {"state": {index: {name: Tensor or number}},
        "param_groups": [{option: value, "params": [index, ...]}]}, parameters numbered in
        group order. The Tensors are copies: later steps do not change them."""
        index_of = {}
        param_groups = []
        for group in self.param_groups:
            packed = {name: value for name, value in group.items() if name != "params"}
            packed["params"] = [index_of.setdefault(id(p), len(index_of))
                                for p in group["params"]]
            param_groups.append(packed)
        state = {}
        for p, values in self.state.items():
            if values:
                state[index_of[id(p)]] = {
                    name: Tensor(value.array.copy()) if isinstance(value, Tensor) else value
                    for name, value in values.items()}
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by `state_dict()` into an optimizer built over the
        same parameters. Values may be minigan Tensors or arrays; each becomes a new array
        on its parameter's backend, with its parameter's dtype."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"the state dict has {len(saved_groups)} parameter group(s), this "
                             f"optimizer {len(self.param_groups)}")
        param_of = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {number} of the state dict has "
                                 f"{len(saved['params'])} parameter(s), this optimizer's "
                                 f"{len(group['params'])}")
            missing = [name for name in self.defaults if name not in saved]
            if missing:
                raise ValueError(f"parameter group {number} of the state dict lacks the options "
                                 f"{missing} of {type(self).__name__}; was it saved by another "
                                 "optimizer?")
            param_of.update(zip(saved["params"], group["params"]))
        state = defaultdict(dict)
        for index, values in state_dict["state"].items():
            p = param_of[int(index)]  # keys become strings in JSON
            state[p] = {name: self._loaded_value(name, value, p)
                        for name, value in values.items()}
        param_groups = [dict(saved, params=group["params"])
                        for saved, group in zip(saved_groups, self.param_groups)]
        for group in param_groups:
            self.check_options(group)
        self.state, self.param_groups = state, param_groups

    def _loaded_value(self, name, value, param):
        if name in self.scalar_state:
            return int(_host_array(value).item())
        array = _host_array(value)
        if tuple(array.shape) != param.shape:
            raise ValueError(f"state {name!r} of shape {tuple(array.shape)} does not fit a "
                             f"parameter of shape {param.shape}")
        # astype copies: the loaded state never shares memory with the state dict given
        return Tensor(param.backend.asarray(array.astype(param.dtype)))

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {name}: {value}" for name, value in sorted(group.items())
                      if name != "params"]
        return "\n".join(lines + [")"])
