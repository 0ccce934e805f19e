"""minigan.optim: each optimizer step by step against torch.optim in float64 (options, two
parameter groups, parameters without a gradient), float32 that stays float32, gradients
never written, state dicts that resume a run exactly, learning-rate schedules against
torch's, the EMA of a model, and the errors for bad arguments."""

import json

import numpy as np
import pytest
from support import assert_close, host, needs_torch, torch

import minigan as mg
from minigan import nn, optim
from minigan.optim import lr_scheduler

SHAPES = [(3,), (2, 3), ()]
NO_GRAD_ON_ODD_STEPS = 2  # this parameter gets a gradient only on even steps: skipped on odd
STEPS = 20


def initial_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, size=shape) for shape in SHAPES]


def gradient(step, index, values):
    """The gradient of a bumpy quadratic whose linear term changes at every step."""
    noise = np.random.default_rng(1000 * step + index).normal(size=np.shape(values))
    return np.asarray(0.5 * values + np.sin(3.0 * values) + noise)


def has_grad(step, index):
    return index != NO_GRAD_ON_ODD_STEPS or step % 2 == 0


def set_minigan_grads(params, step):
    for index, p in enumerate(params):
        p.grad = (mg.tensor(gradient(step, index, p.numpy()).astype(p.dtype), backend=p.backend)
                  if has_grad(step, index) else None)


def set_torch_grads(params, step):
    for index, p in enumerate(params):
        p.grad = (torch.from_numpy(gradient(step, index, p.detach().numpy()))
                  if has_grad(step, index) else None)


def minigan_params(arrays, dtype="float64", backend_name="numpy"):
    return [nn.Parameter(mg.tensor(a, dtype=dtype, backend=backend_name)) for a in arrays]


def grouped(params, second_group):
    """All parameters in one group, or the last one in a second group with its own options."""
    if second_group is None:
        return params
    return [{"params": params[:-1]}, dict(second_group, params=params[-1:])]


def case_id(name, options, second_group=None):
    """SGD-lr=0.1,momentum=0.9+group(lr=0.01): a readable test id."""
    def listed(values):
        return ",".join(f"{key}={value}".replace(" ", "") for key, value in values.items())
    text = f"{name}-{listed(options)}"
    return text if second_group is None else f"{text}+group({listed(second_group)})"


OPTIMIZER_CASES = [
    ("SGD", dict(lr=0.1), None),
    ("SGD", dict(lr=0.1, momentum=0.9), None),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1), None),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01), None),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True), None),
    ("SGD", dict(lr=0.1, momentum=0.9), {"lr": 0.01, "nesterov": True}),
    ("Adam", dict(lr=0.01), None),
    ("Adam", dict(lr=0.01, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1), None),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True), None),
    ("Adam", dict(lr=0.01), {"lr": 0.1, "amsgrad": True, "betas": (0.0, 0.99)}),
    ("AdamW", dict(lr=0.01), None),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True), None),
    ("AdamW", dict(lr=0.01, maximize=True, betas=(0.0, 0.99)), {"lr": 0.05, "weight_decay": 0}),
    ("RMSprop", dict(lr=0.01), None),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True), None),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1), None),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, maximize=True, eps=1e-4), None),
    ("RMSprop", dict(lr=0.01), {"lr": 0.001, "momentum": 0.9, "centered": True}),
]


@needs_torch
@pytest.mark.parametrize("name, options, second_group", OPTIMIZER_CASES,
                         ids=[case_id(*case) for case in OPTIMIZER_CASES])
def test_optimizer_matches_torch_step_by_step(name, options, second_group):
    arrays = initial_arrays()
    ours = minigan_params(arrays)
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    ours_optimizer = getattr(optim, name)(grouped(ours, second_group), **options)
    theirs_optimizer = getattr(torch.optim, name)(grouped(theirs, second_group), **options)
    for step in range(STEPS):
        set_minigan_grads(ours, step)
        set_torch_grads(theirs, step)
        ours_optimizer.step()
        theirs_optimizer.step()
        for index, (p, q) in enumerate(zip(ours, theirs)):
            assert_close(p.numpy(), host(q), 1e-10, f"{name} step {step} parameter {index}")
    for index, (p, q) in enumerate(zip(ours, theirs)):
        ours_state, theirs_state = ours_optimizer.state[p], theirs_optimizer.state[q]
        assert set(ours_state) == set(theirs_state)
        for key, value in theirs_state.items():
            if key == "step":
                assert ours_state[key] == int(value.item())
            else:
                assert_close(ours_state[key].numpy(), host(value), 1e-10, f"{name} {key}")


ALL_FEATURES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1, maximize=True)),
]


@pytest.mark.parametrize("name, options", ALL_FEATURES, ids=[case_id(*c) for c in ALL_FEATURES])
def test_float32_stays_float32_in_place(backend_name, name, options):
    params = minigan_params(initial_arrays(), "float32", backend_name)
    arrays = [p.array for p in params]
    optimizer = getattr(optim, name)(params, **options)
    for step in range(3):
        set_minigan_grads(params, step)
        optimizer.step()
    for p, array in zip(params, arrays):
        assert p.array is array  # updated in place: the parameter keeps its identity
        assert p.dtype == "float32" and p.backend == backend_name
        for key, value in optimizer.state[p].items():
            if key == "step":
                assert type(value) is int
            else:
                assert value.dtype == "float32" and value.backend == backend_name, key
    saved = optimizer.state_dict()["state"]
    assert all(value.dtype == "float32" for values in saved.values()
               for key, value in values.items() if key != "step")


@pytest.mark.parametrize("name, options", ALL_FEATURES, ids=[case_id(*c) for c in ALL_FEATURES])
def test_step_never_writes_a_shared_gradient(name, options):
    params = minigan_params([np.zeros(3), np.ones((2, 3)), np.ones(3)])
    shared = mg.tensor(np.linspace(-1.0, 1.0, 3), dtype="float64")
    params[0].grad = params[2].grad = shared
    params[1].grad = mg.tensor(np.ones((2, 3)), dtype="float64")
    before = shared.numpy().copy()
    optimizer = getattr(optim, name)(params, **options)
    for _ in range(3):
        optimizer.step()
    np.testing.assert_array_equal(shared.numpy(), before)
    for values in optimizer.state.values():
        for key, value in values.items():
            if key != "step":
                assert not np.shares_memory(value.array, shared.array), key


def test_parameters_without_gradient_are_skipped():
    params = minigan_params(initial_arrays())
    optimizer = optim.Adam(params, lr=0.1)
    params[0].grad = mg.tensor(np.ones(3), dtype="float64")
    before = [p.numpy().copy() for p in params]
    optimizer.step()
    assert not np.array_equal(params[0].numpy(), before[0])
    for p, old in zip(params[1:], before[1:]):
        np.testing.assert_array_equal(p.numpy(), old)
        assert optimizer.state[p] == {}
    assert optimizer.state[params[0]]["step"] == 1


def test_zero_grad_replaces_and_never_zeroes_in_place():
    params = minigan_params(initial_arrays())
    optimizer = optim.SGD(params, lr=0.1)
    old = mg.tensor(np.ones(3), dtype="float64")
    params[0].grad = old
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(params[0].grad.numpy(), np.zeros(3))
    np.testing.assert_array_equal(old.numpy(), np.ones(3))
    assert params[1].grad is None
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_with_a_closure_returns_its_loss():
    weight = nn.Parameter(mg.tensor([1.0, -2.0], dtype="float64"))
    optimizer = optim.SGD([weight], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (weight * weight).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(weight.numpy(), [0.5, -1.0])  # w - 0.25 * 2w


# -- saving and loading -------------------------------------------------------------------------
ROUND_TRIP = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
]


def run_steps(optimizer, params, steps):
    for step in steps:
        set_minigan_grads(params, step)
        optimizer.step()


def as_saved_on_disk(state_dict):
    """What a checkpoint file gives back: NumPy arrays (step too), string keys, lists."""
    return {"state": {str(index): {key: np.asarray(host(value) if isinstance(value, mg.Tensor)
                                                   else value)
                                   for key, value in values.items()}
                      for index, values in state_dict["state"].items()},
            "param_groups": [{key: list(value) if isinstance(value, tuple) else value
                              for key, value in group.items()}
                             for group in state_dict["param_groups"]]}


@pytest.mark.parametrize("on_disk", [False, True], ids=["tensors", "arrays"])
@pytest.mark.parametrize("name, options", ROUND_TRIP, ids=[case_id(*c) for c in ROUND_TRIP])
def test_state_dict_resumes_exactly(name, options, on_disk):
    build = getattr(optim, name)
    uninterrupted = minigan_params(initial_arrays())
    uninterrupted_optimizer = build(grouped(uninterrupted, {"lr": 0.003}), **options)
    run_steps(uninterrupted_optimizer, uninterrupted, range(10))

    first = minigan_params(initial_arrays())
    first_optimizer = build(grouped(first, {"lr": 0.003}), **options)
    run_steps(first_optimizer, first, range(5))
    saved = first_optimizer.state_dict()
    weights_at_save = [p.numpy().copy() for p in first]
    assert saved["param_groups"][1]["params"] == [2] and saved["param_groups"][1]["lr"] == 0.003
    snapshot = {index: {k: v.numpy().copy() for k, v in values.items() if k != "step"}
                for index, values in saved["state"].items()}
    run_steps(first_optimizer, first, range(5, 7))  # the saved dict is a copy, not a view
    for index, values in snapshot.items():
        for key, value in values.items():
            np.testing.assert_array_equal(saved["state"][index][key].numpy(), value)

    resumed = minigan_params(weights_at_save)
    resumed_optimizer = build(grouped(resumed, {"lr": 0.5}), lr=0.5)  # options come from the file
    resumed_optimizer.load_state_dict(as_saved_on_disk(saved) if on_disk else saved)
    assert resumed_optimizer.param_groups[1]["lr"] == 0.003
    assert all(p is q for p, q in zip(resumed_optimizer.param_groups[0]["params"], resumed))
    assert "    lr: 0.003\n" in repr(resumed_optimizer).split("Parameter Group 1")[1]
    run_steps(resumed_optimizer, resumed, range(5, 10))
    for p, q in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_load_moves_state_to_the_parameter_dtype():
    float64_params = minigan_params(initial_arrays())
    source = optim.Adam(float64_params, lr=0.01)
    run_steps(source, float64_params, range(3))
    float32_params = minigan_params(initial_arrays(), "float32")
    target = optim.Adam(float32_params, lr=0.01)
    target.load_state_dict(source.state_dict())
    for p, q in zip(float32_params, float64_params):
        for key, value in target.state[p].items():
            if key == "step":
                assert value == source.state[q]["step"]
            else:
                assert value.dtype == "float32"
                assert_close(value.numpy(), source.state[q][key].numpy(), 1e-6, key)


def test_load_into_a_mismatched_optimizer_is_a_clear_error():
    params = minigan_params(initial_arrays())
    adam = optim.Adam(params, lr=0.01)
    run_steps(adam, params, range(2))
    saved = adam.state_dict()
    with pytest.raises(ValueError, match="1 parameter group.*optimizer 2"):
        optim.Adam(grouped(minigan_params(initial_arrays()), {}), lr=0.01).load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 of the state dict has 3 parameter.*2"):
        optim.Adam(minigan_params(initial_arrays()[:2]), lr=0.01).load_state_dict(saved)
    with pytest.raises(ValueError, match="another optimizer"):
        optim.SGD(minigan_params(initial_arrays()), lr=0.01).load_state_dict(saved)
    reshaped = minigan_params([np.zeros(3), np.zeros((3, 2)), np.zeros(())])
    with pytest.raises(ValueError, match=r"shape \(2, 3\) does not fit .* \(3, 2\)"):
        optim.Adam(reshaped, lr=0.01).load_state_dict(saved)


# -- learning-rate schedules --------------------------------------------------------------------
SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-long": lambda m, o: m.CosineAnnealingLR(o, T_max=40),
    "LinearLR-warmup": lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=8),
    "LinearLR-decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                               total_iters=10),
    "warmup-then-cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20)],
        milestones=[5]),
    "three-phases": lambda m, o: m.SequentialLR(
        o, [m.ExponentialLR(o, gamma=0.8), m.StepLR(o, step_size=3, gamma=0.5),
            m.LinearLR(o, start_factor=0.5, total_iters=4)], milestones=[4, 12]),
}
SCHEDULE_STEPS = 25


@needs_torch
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_schedule_matches_torch(schedule):
    arrays = initial_arrays()
    ours = minigan_params(arrays)
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    ours_optimizer = optim.SGD(grouped(ours, {"lr": 0.02}), lr=0.1, momentum=0.9)
    theirs_optimizer = torch.optim.SGD(grouped(theirs, {"lr": 0.02}), lr=0.1, momentum=0.9)
    ours_scheduler = SCHEDULES[schedule](lr_scheduler, ours_optimizer)
    theirs_scheduler = SCHEDULES[schedule](torch.optim.lr_scheduler, theirs_optimizer)
    ours_lrs, theirs_lrs = [ours_scheduler.get_last_lr()], [theirs_scheduler.get_last_lr()]
    for step in range(SCHEDULE_STEPS):
        set_minigan_grads(ours, step)
        set_torch_grads(theirs, step)
        ours_optimizer.step()
        theirs_optimizer.step()
        ours_scheduler.step()
        theirs_scheduler.step()
        ours_lrs.append(ours_scheduler.get_last_lr())
        theirs_lrs.append(theirs_scheduler.get_last_lr())
        assert [g["lr"] for g in ours_optimizer.param_groups] == ours_lrs[-1]
    assert_close(np.array(ours_lrs), np.array(theirs_lrs), 1e-12, schedule)
    for p, q in zip(ours, theirs):
        assert_close(p.numpy(), host(q), 1e-10, f"{schedule} parameters")


@pytest.mark.parametrize("schedule", ["MultiStepLR", "warmup-then-cosine", "three-phases"])
def test_schedule_state_dict_resumes_exactly(schedule):
    def build():
        optimizer = optim.Adam(grouped(minigan_params(initial_arrays()), {"lr": 0.02}), lr=0.1)
        return optimizer, SCHEDULES[schedule](lr_scheduler, optimizer)

    optimizer, scheduler = build()
    uninterrupted = []
    for _ in range(15):
        scheduler.step()
        uninterrupted.append(scheduler.get_last_lr())

    optimizer, scheduler = build()
    for _ in range(7):
        scheduler.step()
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    optimizer, scheduler = build()
    optimizer.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(json.loads(json.dumps(saved_scheduler)))  # as a checkpoint keeps it
    resumed = uninterrupted[:7]
    for _ in range(8):
        scheduler.step()
        resumed.append(scheduler.get_last_lr())
    assert resumed == uninterrupted
    assert [g["lr"] for g in optimizer.param_groups] == uninterrupted[-1]


# -- EMA ----------------------------------------------------------------------------------------
def small_generator():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Tanh())
    return model.to("float64")


def set_weights(model, value):
    for p in model.parameters():
        p.data[...] = value


def test_ema_average_on_known_numbers():
    model = small_generator()
    set_weights(model, 1.0)
    ema = optim.EMA(model, decay=0.9)
    set_weights(model, 3.0)
    ema.update(model)
    for p in ema.module.parameters():
        np.testing.assert_allclose(p.numpy(), 0.9 * 1.0 + 0.1 * 3.0)
    ema.update(model)
    for p in ema.module.parameters():
        np.testing.assert_allclose(p.numpy(), 0.9 * (0.9 * 1.0 + 0.1 * 3.0) + 0.1 * 3.0)
    for p in model.parameters():
        np.testing.assert_array_equal(p.numpy(), 3.0)


def test_ema_copies_buffers_and_shares_no_arrays():
    model = small_generator()
    ema = optim.EMA(model)
    assert not ema.module.training and model.training
    assert all(not p.requires_grad for p in ema.module.parameters())
    model(mg.tensor(np.random.default_rng(0).normal(size=(8, 2)), dtype="float64"))
    ema.update(model)
    model_state, ema_state = model.state_dict(), ema.state_dict()
    assert list(model_state) == list(ema_state)
    for name, buffer in model.named_buffers():
        np.testing.assert_array_equal(ema_state[name].numpy(), buffer.numpy())
    assert not np.array_equal(model.state_dict()["1.running_mean"].numpy(), np.zeros(3))
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        assert not np.shares_memory(tensor.array, ema_state[name].array), name


def test_ema_state_dict_round_trip_and_float32():
    model = small_generator().to("float32")
    ema = optim.EMA(model, decay=0.5)
    set_weights(model, 2.0)
    ema.update(model)
    assert all(p.dtype == "float32" for p in ema.module.parameters())
    restored = optim.EMA(small_generator().to("float32"), decay=0.5)
    restored.load_state_dict(ema.state_dict())
    for (name, value), (_, other) in zip(ema.state_dict().items(),
                                         restored.state_dict().items()):
        np.testing.assert_array_equal(value.numpy(), other.numpy(), err_msg=name)


def test_ema_of_another_model_is_a_clear_error():
    ema = optim.EMA(small_generator())
    with pytest.raises(ValueError, match="parameters differ"):
        ema.update(nn.Sequential(nn.Linear(2, 3)))


# -- bad arguments ------------------------------------------------------------------------------
def one_param():
    return minigan_params([np.zeros(3)])


BAD_OPTIMIZERS = [
    (lambda: optim.SGD(one_param(), lr=-0.1), ValueError, "lr must be >= 0"),
    (lambda: optim.SGD(one_param(), momentum=-1), ValueError, "momentum must be >= 0"),
    (lambda: optim.SGD(one_param(), nesterov=True), ValueError, "Nesterov.*momentum > 0"),
    (lambda: optim.SGD(one_param(), momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "dampening = 0"),
    (lambda: optim.Adam(one_param(), betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
    (lambda: optim.Adam(one_param(), betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
    (lambda: optim.Adam(one_param(), betas=(0.9,)), ValueError, "pair"),
    (lambda: optim.Adam(one_param(), eps=-1e-8), ValueError, "eps"),
    (lambda: optim.AdamW(one_param(), weight_decay=-0.01), ValueError, "weight_decay"),
    (lambda: optim.RMSprop(one_param(), alpha=-0.5), ValueError, "alpha"),
    (lambda: optim.RMSprop(one_param(), lr=float("nan")), ValueError, "lr"),
    (lambda: optim.SGD([]), ValueError, "empty parameter list"),
    (lambda: optim.SGD(one_param()[0]), TypeError, "single Tensor"),
    (lambda: optim.SGD(set(one_param())), TypeError, "not a set"),
    (lambda: optim.SGD(nn.Sequential(nn.Linear(2, 2))), TypeError, "model.parameters"),
    (lambda: optim.SGD([one_param()[0] * 2]), ValueError, "non-leaf"),
    (lambda: optim.SGD(one_param() * 2), ValueError, "more than once"),
    (lambda: optim.SGD([{"params": p} for p in one_param() * 2]), ValueError,
     "more than one parameter group"),
    (lambda: optim.Adam([{"params": one_param(), "betas": (0.9, 2.0)}]), ValueError,
     r"betas\[1\]"),
]


@pytest.mark.parametrize("build, error, message", BAD_OPTIMIZERS,
                         ids=[message for _, _, message in BAD_OPTIMIZERS])
def test_bad_optimizer_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_gradient_of_the_wrong_shape_is_an_error():
    params = one_param()
    optimizer = optim.SGD(params, lr=0.1)
    params[0].grad = mg.tensor(np.ones(()), dtype="float64")  # would broadcast silently
    with pytest.raises(ValueError, match=r"shape \(3,\) has a gradient of shape \(\)"):
        optimizer.step()


def sgd():
    return optim.SGD(one_param(), lr=0.1)


BAD_SCHEDULERS = [
    (lambda: lr_scheduler.StepLR(sgd(), step_size=0), ValueError, "step_size"),
    (lambda: lr_scheduler.CosineAnnealingLR(sgd(), T_max=0), ValueError, "T_max"),
    (lambda: lr_scheduler.LinearLR(sgd(), start_factor=0), ValueError, "start_factor"),
    (lambda: lr_scheduler.LinearLR(sgd(), end_factor=1.5), ValueError, "end_factor"),
    (lambda: lr_scheduler.LinearLR(sgd(), total_iters=0), ValueError, "total_iters"),
    (lambda: lr_scheduler.ExponentialLR("optimizer", gamma=0.9), TypeError, "Optimizer"),
    (lambda: lr_scheduler.StepLR(sgd(), step_size=2, last_epoch=3), KeyError, "initial_lr"),
]


@pytest.mark.parametrize("build, error, message", BAD_SCHEDULERS,
                         ids=[message for _, _, message in BAD_SCHEDULERS])
def test_bad_scheduler_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_bad_sequences_of_schedulers():
    optimizer, other = sgd(), sgd()
    warmup = lr_scheduler.LinearLR(optimizer, total_iters=3)
    decay = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    with pytest.raises(ValueError, match="one milestone fewer"):
        lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[3, 6])
    with pytest.raises(ValueError, match="scheduler 1 .* another optimizer"):
        lr_scheduler.SequentialLR(optimizer, [warmup, lr_scheduler.ExponentialLR(other, 0.9)],
                                  milestones=[3])
    with pytest.raises(ValueError, match="must increase"):
        lr_scheduler.SequentialLR(optimizer, [warmup, decay, warmup], milestones=[5, 3])
    with pytest.raises(ValueError, match="at least one"):
        lr_scheduler.SequentialLR(optimizer, [], milestones=[])


def test_bad_ema_decay():
    with pytest.raises(ValueError, match="decay"):
        optim.EMA(small_generator(), decay=1.5)
