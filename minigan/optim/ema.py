"""An exponential moving average of a model's weights, the usual way to sample from a GAN."""

import copy


class EMA:
    """Keeps `module`, a copy of `model` in eval mode whose parameters are a running average of
    the model's: call `update(model)` after each optimizer step. Buffers (BatchNorm's running
    statistics) are copied, not averaged. The copy records no gradients."""

    def __init__(self, model, decay=0.999):
        if not 0 <= decay <= 1:
            raise ValueError(f"decay must be in [0, 1], got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.grad = None
            p.requires_grad = False

    def update(self, model):
        """Move the average towards `model`'s current weights; copy its buffers."""
        for average, value in _matching_arrays(self.module.named_parameters(),
                                               model.named_parameters(), "parameters"):
            average *= self.decay  # avg = decay avg + (1 - decay) p
            average += (1 - self.decay) * value
        for average, value in _matching_arrays(self.module.named_buffers(),
                                               model.named_buffers(), "buffers"):
            average[...] = value

    def state_dict(self):
        """The averaged module's state dict."""
        return self.module.state_dict()

    def load_state_dict(self, state_dict):
        """Load into the averaged module (same keys as the model's state dict)."""
        return self.module.load_state_dict(state_dict)


def _matching_arrays(averaged, current, kind):
    """(averaged array, model's array) pairs by name, checked to match."""
    averaged, current = dict(averaged), dict(current)
    if averaged.keys() != current.keys():
        raise ValueError(f"EMA.update got a model whose {kind} differ from the averaged copy's: "
                         f"{sorted(averaged.keys() ^ current.keys())}")
    for name, average in averaged.items():
        value = current[name]
        if value.backend is not average.backend:
            raise ValueError(f"EMA.update: {name} is on backend {value.backend.name!r}, its "
                             f"average on {average.backend.name!r}; move the average "
                             "with ema.module.to(...) first")
        yield average.array, value.array
