"""PyTorch's semantics where a difference would be silent (issue 13): in-place ops write into
the tensor's storage, a version counter catches overwritten values that backward needs,
max/min with a dim return (values, indices), `.data` is a detached Tensor on the same storage,
size() is PyTorch's. Then the names real programs use, each checked against PyTorch."""

import numpy as np
import pytest
from support import host, needs_torch, torch

import minigan as mg
import minigan.functional as F
from minigan import nn

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


def twin(values, requires_grad=False):
    """The same float64 values as a minigan tensor and a torch tensor."""
    values = np.asarray(values, dtype=np.float64)
    return (mg.tensor(values, requires_grad=requires_grad),
            torch.tensor(values, requires_grad=requires_grad))


# -- in-place operators -----------------------------------------------------------------------
def test_manual_sgd_step_changes_the_models_weight():
    model = nn.Linear(3, 2)
    weight = model.weight
    before = weight.numpy().copy()
    model(mg.ones(4, 3)).sum().backward()
    with mg.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    assert model.weight is weight  # the parameter itself changed, not a new tensor
    np.testing.assert_allclose(model.weight.numpy(), before - 0.1 * weight.grad.numpy(),
                               rtol=1e-6)
    assert model.weight.requires_grad and model.weight.is_leaf


def test_augmented_assignment_writes_into_the_storage():
    x = mg.zeros(3)
    alias, view = x, x.detach()
    x += 1
    x *= mg.tensor([1.0, 2.0, 3.0])
    x -= 0.5
    x /= 2
    assert x is alias
    np.testing.assert_allclose(view.numpy(), [0.25, 0.75, 1.25])
    assert x._version == 4


def test_in_place_on_a_leaf_that_requires_grad_raises_pytorchs_error():
    w = mg.ones(3, requires_grad=True)
    for write in (lambda: w.__iadd__(1), lambda: w.add_(1), lambda: w.zero_(),
                  lambda: w.normal_(), lambda: w.__setitem__(0, 2.0)):
        with pytest.raises(RuntimeError, match=LEAF_MESSAGE):
            write()
    with mg.no_grad():
        w.mul_(3)
    np.testing.assert_array_equal(w.numpy(), [3.0, 3.0, 3.0])


@needs_torch
@pytest.mark.parametrize("name, args", [
    ("add_", (2.0,)), ("sub_", (0.5,)), ("mul_", (-3.0,)), ("div_", (4.0,)),
    ("clamp_", (-0.5, 0.25)), ("fill_", (7.0,)), ("zero_", ()), ("pow_", (2,)),
    ("neg_", ()), ("abs_", ()), ("exp_", ()), ("tanh_", ()), ("sigmoid_", ()), ("relu_", ()),
])
def test_underscore_methods_match_torch(name, args):
    values = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    ours, theirs = twin(values)
    assert getattr(ours, name)(*args) is ours
    getattr(theirs, name)(*args)
    np.testing.assert_allclose(ours.numpy(), host(theirs), rtol=1e-12)


@needs_torch
def test_tensor_arguments_alpha_copy_masked_fill_and_setitem_match_torch():
    values = np.arange(6.0).reshape(2, 3)
    row = np.array([1.0, -2.0, 0.5])
    ours, theirs = twin(values)
    ours.add_(mg.tensor(row), alpha=2).sub_(mg.tensor(row), alpha=0.5)
    theirs.add_(torch.tensor(row), alpha=2).sub_(torch.tensor(row), alpha=0.5)
    ours.masked_fill_(ours > 4, -1.0)
    theirs.masked_fill_(theirs > 4, -1.0)
    ours[0, 1:] = mg.tensor([9.0, 8.0])
    theirs[0, 1:] = torch.tensor([9.0, 8.0])
    ours[ours < 0] = 0.5
    theirs[theirs < 0] = 0.5
    np.testing.assert_allclose(ours.numpy(), host(theirs))
    ours.lerp_(mg.tensor(row), 0.25).addcmul_(ours, ours, value=0.5)
    theirs.lerp_(torch.tensor(row), 0.25).addcmul_(theirs, theirs, value=0.5)
    ours.addcdiv_(mg.tensor(row), ours.abs() + 1, value=-2)
    theirs.addcdiv_(torch.tensor(row), theirs.abs() + 1, value=-2)
    np.testing.assert_allclose(ours.numpy(), host(theirs))
    target = mg.zeros(2, 3, dtype="float32")
    target.copy_(mg.tensor(row))  # broadcast and cast to the target's dtype
    assert target.dtype == "float32" and np.allclose(target.numpy(), [row, row])


def test_normal_and_uniform_fill_in_place_from_the_seeded_generator():
    mg.manual_seed(3)
    w = mg.zeros(200, 100)
    assert w.normal_(0.0, 0.02) is w
    assert abs(w.numpy().mean()) < 0.001 and abs(w.numpy().std() - 0.02) < 0.001
    u = mg.zeros(10000).uniform_(-2.0, 3.0)
    assert u.numpy().min() >= -2.0 and u.numpy().max() < 3.0 and abs(u.numpy().mean() - 0.5) < 0.1
    mg.manual_seed(3)
    np.testing.assert_array_equal(mg.zeros(200, 100).normal_(0.0, 0.02).numpy(), w.numpy())


def test_in_place_type_and_shape_errors():
    counts = mg.arange(4)
    with pytest.raises(RuntimeError, match="can't be cast"):
        counts += 0.5
    with pytest.raises(RuntimeError, match="does not fit the tensor of shape"):
        mg.zeros(3).add_(mg.ones(2, 3))


@needs_torch
def test_in_place_ops_in_the_graph_are_recorded_like_torch():
    x_values, b_values = np.linspace(-1, 1, 6).reshape(2, 3), np.array([0.5, -0.25, 1.0])
    grads = []
    for lib, (x, b) in ((mg, (twin(x_values, True)[0], twin(b_values, True)[0])),
                        (torch, (twin(x_values, True)[1], twin(b_values, True)[1]))):
        h = x * 2.0
        h += b
        h[:, 0] = b[1] * 3.0
        h.mul_(0.5).relu_()
        (h * x).sum().backward()
        grads.append((host(x.grad), host(b.grad), host(h)))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_in_place_on_a_tensor_the_graph_already_read_raises_clearly():
    x = mg.ones(3, requires_grad=True)
    h = x * 2.0
    _ = h.tanh()
    with pytest.raises(RuntimeError, match="already read"):
        h.add_(1)
    buffer, w = mg.zeros(3), mg.ones(3, requires_grad=True)
    _ = buffer + w  # read by a recorded op, so writing w into it cannot be recorded
    with pytest.raises(RuntimeError, match="already read"):
        buffer += w
    buffer.fill_(2.0)  # a write that enters no graph is fine


def test_detach_underscore_cuts_the_graph():
    h = mg.ones(2, requires_grad=True) * 3.0
    assert h.detach_() is h and h.is_leaf and not h.requires_grad


# -- the version counter ----------------------------------------------------------------------
def test_backward_raises_when_a_saved_input_was_modified_in_place():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    x = mg.tensor([3.0, 4.0])
    loss = (w * x).sum()
    with mg.no_grad():
        x.mul_(10)  # Mul's backward needs x for w's gradient
    with pytest.raises(RuntimeError, match=r"gradient of <Mul>.*modified by an in-place"):
        loss.backward()


def test_backward_raises_when_a_saved_output_was_modified_through_data():
    x = mg.tensor([0.5, -1.0], requires_grad=True)
    y = x.tanh()
    y.data.add_(1)  # Tanh's backward reads its output
    with pytest.raises(RuntimeError, match=r"<Tanh> \(its output\).*version 1; expected "
                                           r"version 0"):
        y.sum().backward()


def test_an_optimizer_step_between_forward_and_backward_is_caught():
    """The classic GAN mistake: stepping D before the generator's backward through D."""
    D = nn.Linear(2, 1)
    optimizer = mg.optim.SGD(D.parameters(), lr=0.1)
    fake = mg.randn(4, 2, requires_grad=True)
    D(mg.randn(4, 2)).sum().backward()
    loss_g = D(fake).sum()
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss_g.backward()


def test_unmodified_or_shape_only_inputs_do_not_raise():
    w = mg.ones(3, requires_grad=True)
    c = mg.ones(3)
    y = (w + c).sum()  # Add reads no values in backward
    c.add_(1)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0, 1.0])


# -- max / min --------------------------------------------------------------------------------
@needs_torch
def test_max_and_min_with_dim_return_values_and_indices():
    values = np.array([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]])
    ours, theirs = twin(values, requires_grad=True)
    for dim, keep in ((1, False), (0, True), (-1, True)):
        for name in ("max", "min"):
            got, expected = getattr(ours, name)(dim, keep), getattr(theirs, name)(dim, keep)
            np.testing.assert_array_equal(got.values.numpy(), host(expected.values))
            np.testing.assert_array_equal(got.indices.numpy(), host(expected.indices))
            assert got[1] is got.indices and got.indices.dtype == "int64"
    assert ours.max(1)[1].tolist() == [1, 0]  # indices, not values
    values_, indices = mg.max(ours, dim=1)
    values_.sum().backward()
    torch.max(theirs, dim=1).values.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), host(theirs.grad))  # the tie: one index
    assert ours.max().item() == 7.0 and mg.min(ours).item() == 1.0
    np.testing.assert_array_equal(mg.max(ours, mg.full((2, 3), 4.0)).numpy(),
                                  np.maximum(values, 4.0))


def test_numpy_style_axis_still_gives_the_values():
    x = mg.tensor([[1.0, 5.0], [7.0, 2.0]])
    np.testing.assert_array_equal(x.max(axis=1).numpy(), [5.0, 7.0])


# -- .data ------------------------------------------------------------------------------------
def test_data_is_a_detached_tensor_on_the_same_storage():
    layer = nn.Conv2d(2, 3, 3)
    data = layer.weight.data
    assert isinstance(data, mg.Tensor) and not isinstance(data, nn.Parameter)
    assert not data.requires_grad and data.is_leaf
    mg.manual_seed(0)
    layer.weight.data.normal_(0.0, 0.02)
    assert abs(layer.weight.numpy().std() - 0.02) < 0.01
    layer.weight.data.clamp_(-0.01, 0.01)  # WGAN's weight clipping
    assert np.abs(layer.weight.numpy()).max() <= 0.01
    images = mg.randn(30, 1, 2, 2)
    assert isinstance(images.data[:25], mg.Tensor) and images.data[:25].shape == (25, 1, 2, 2)


def test_data_can_be_assigned():
    p = nn.Parameter(mg.zeros(2))
    p.data = mg.tensor([3.0, 4.0])
    assert p.requires_grad and p.tolist() == [3.0, 4.0]
    p.data += 1
    assert p.tolist() == [4.0, 5.0]


# -- size, numel, dim -------------------------------------------------------------------------
@needs_torch
def test_size_is_pytorchs():
    x = mg.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) == tuple(torch.zeros(2, 3, 4).size())
    assert x.size(0) == 2 and x.size(-1) == 4 and isinstance(x.size(1), int)
    assert isinstance(x.size(), mg.Size) and x.size().numel() == 24 == x.numel()
    assert x.dim() == x.ndimension() == 3 and mg.numel(x) == 24
    assert repr(x.size()) == "minigan.Size([2, 3, 4])" and x.size()[1:] == (3, 4)


# -- conversions and Python numbers -----------------------------------------------------------
def test_python_numbers_and_formatting():
    t = mg.tensor(2.5)
    assert float(t) == 2.5 and int(t) == 2 and f"{t:.4f}" == "2.5000"
    assert f"{mg.tensor([1.0]):.1f}" == "1.0"
    with pytest.raises(ValueError, match="one element"):
        float(mg.ones(2))


def test_dtype_names_and_conversions():
    x = mg.tensor([1.7, -2.2])
    assert mg.float is mg.float32 and mg.double is mg.float64 and mg.long is mg.int64
    assert x.double().dtype == mg.float64 and x.long().tolist() == [1, -2]
    assert x.int().dtype == mg.int32 and x.bool().dtype == mg.bool
    assert x.long().float().dtype == mg.float32 and x.type() == "torch.FloatTensor"
    assert x.type(mg.LongTensor).type() == "torch.LongTensor"
    assert x.type("torch.DoubleTensor").dtype == "float64" and x.type(mg.float64).dtype == "float64"
    assert x.type_as(mg.zeros(1, dtype="float64")).dtype == "float64"
    with pytest.raises(TypeError, match="float16"):
        x.half()
    assert not x.requires_grad_().long().requires_grad  # integers leave the graph
    assert mg.FloatTensor(2, 3).shape == (2, 3) and mg.LongTensor([1, 2]).dtype == "int64"


def test_device_is_a_small_object():
    x = mg.zeros(2)
    assert x.device.type == "cpu" and str(x.device) == "cpu" and x.device == "cpu"
    assert not x.is_cuda and mg.device("cuda:0").backend_name == "cupy"
    with pytest.raises(ValueError, match="unknown device"):
        mg.device("tpu")


# -- creation functions -----------------------------------------------------------------------
@needs_torch
def test_creation_functions_match_torch():
    np.testing.assert_allclose(mg.linspace(-1, 1, 5).numpy(), torch.linspace(-1, 1, 5).numpy())
    assert mg.linspace(0, 1, 3).dtype == "float32"
    np.testing.assert_array_equal(mg.eye(3, 2).numpy(), torch.eye(3, 2).numpy())
    x = mg.ones(2, 3, dtype="float64")
    for made in (mg.full_like(x, 7.0), mg.randn_like(x), mg.rand_like(x), mg.empty_like(x)):
        assert made.shape == (2, 3) and made.dtype == "float64"
    assert mg.full_like(x, 7.0).tolist() == [[7.0] * 3] * 2
    assert sorted(mg.randperm(10).tolist()) == list(range(10))
    assert mg.empty(2, 4).shape == (2, 4) and mg.normal(0.0, 1.0, (3,)).shape == (3,)
    assert mg.normal(mg.zeros(2, 1), mg.ones(3)).shape == (2, 3)
    array = np.zeros(3)
    shared = mg.from_numpy(array)
    shared += 1
    np.testing.assert_array_equal(array, [1.0, 1.0, 1.0])  # from_numpy shares memory


def test_set_grad_enabled_as_call_and_context():
    with mg.set_grad_enabled(False):
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    mg.set_grad_enabled(False)
    try:
        assert (mg.ones(1, requires_grad=True) * 2).creator is None
    finally:
        mg.set_grad_enabled(True)


@needs_torch
def test_tensor_methods_match_torch():
    values = np.arange(12.0).reshape(3, 4) - 5
    ours, theirs = twin(values)
    pairs = [
        (ours.clone(), theirs.clone()), (ours.contiguous(), theirs.contiguous()),
        (ours.t(), theirs.t()), (ours.repeat(2, 1, 2), theirs.repeat(2, 1, 2)),
        (ours.view(4, 3), theirs.view(4, 3)),
        (ours[:1].expand_as(ours), theirs[:1].expand_as(theirs)),
        (ours.view_as(ours.t()), theirs.view_as(theirs.t())),
        (ours.norm(), theirs.norm()), (ours.norm(1, dim=1), theirs.norm(1, dim=1)),
        (ours.std(), theirs.std()), (ours.std(0, keepdim=True), theirs.std(0, keepdim=True)),
        (ours.argmax(1, keepdim=True), theirs.argmax(1, keepdim=True)),
        (ours.isnan(), theirs.isnan()), (ours.any(1), theirs.any(1)), (ours.all(), theirs.all()),
        (mg.mm(ours, ours.t()), torch.mm(theirs, theirs.t())),
        (ours.sin(), theirs.sin()), (mg.cos(ours), torch.cos(theirs)),
        (ours.masked_fill(ours > 0, 0.5), theirs.masked_fill(theirs > 0, 0.5)),
    ]
    for split in ((ours.chunk(2, 1), theirs.chunk(2, 1)), (ours.split(2), theirs.split(2)),
                  (ours.split([1, 3], dim=1), theirs.split([1, 3], dim=1))):
        assert len(split[0]) == len(split[1])
        pairs.extend(zip(*split))
    for got, expected in pairs:
        assert got.shape == tuple(expected.shape)
        np.testing.assert_allclose(got.numpy(), host(expected), rtol=1e-12)
    assert ours.item if ours.numel() > 1 else True
    assert ours.tolist() == theirs.tolist() and np.shares_memory(ours.numpy(), ours.array)


@needs_torch
def test_top_level_functions_exist_with_torchs_results():
    values = np.linspace(0.1, 2.0, 6).reshape(2, 3)
    ours, theirs = twin(values)
    for name in ("mean", "sum", "exp", "log", "sin", "cos", "sqrt", "abs", "tanh", "sigmoid",
                 "flatten", "argmax", "std", "var", "norm"):
        np.testing.assert_allclose(getattr(mg, name)(ours).numpy(),
                                   host(getattr(torch, name)(theirs)), rtol=1e-12, err_msg=name)
    pairs = [
        (mg.cat([ours, ours], 1), torch.cat([theirs, theirs], 1)),
        (mg.stack([ours, ours]), torch.stack([theirs, theirs])),
        (mg.where(ours > 1, ours, mg.zeros(1, dtype="float64")),
         torch.where(theirs > 1, theirs, torch.zeros(1, dtype=torch.float64))),
        (mg.clamp(ours, 0.5, 1.5), torch.clamp(theirs, 0.5, 1.5)),
        (mg.matmul(ours, ours.t()), torch.matmul(theirs, theirs.t())),
        (mg.squeeze(mg.unsqueeze(ours, 0)), torch.squeeze(torch.unsqueeze(theirs, 0))),
        (mg.bmm(ours[None], ours.t()[None]), torch.bmm(theirs[None], theirs.t()[None])),
        (mg.max(ours, 1).indices, torch.max(theirs, 1).indices),
    ]
    for got, expected in pairs:
        np.testing.assert_allclose(got.numpy(), host(expected), rtol=1e-12)
    assert mg.is_tensor(ours) and not mg.is_tensor(values)


# -- layers against torch ---------------------------------------------------------------------
def _copy_weights(ours, theirs):
    """Load torch's state into ours (PyTorch's names and layouts) and put both in float64."""
    theirs.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.double()


LAYERS = [
    ("LayerNorm", lambda m: m.LayerNorm((3, 4)), (2, 2, 3, 4)),
    ("GroupNorm", lambda m: m.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("InstanceNorm2d", lambda m: m.InstanceNorm2d(4), (2, 4, 3, 3)),
    ("InstanceNorm2d affine tracked", lambda m: m.InstanceNorm2d(4, affine=True,
                                                                 track_running_stats=True),
     (2, 4, 3, 3)),
    ("Softmax", lambda m: m.Softmax(dim=1), (2, 5)), ("LogSoftmax", lambda m: m.LogSoftmax(1),
                                                      (2, 5)),
    ("PReLU", lambda m: m.PReLU(4), (2, 4, 3)), ("PReLU shared", lambda m: m.PReLU(), (2, 3)),
    ("GELU", lambda m: m.GELU(), (2, 5)), ("GELU tanh", lambda m: m.GELU("tanh"), (2, 5)),
    ("SiLU", lambda m: m.SiLU(), (2, 5)), ("ELU inplace", lambda m: m.ELU(inplace=True), (2, 5)),
    ("ReLU(True)", lambda m: m.ReLU(True), (2, 5)), ("Hardtanh", lambda m: m.Hardtanh(), (2, 5)),
    ("LeakyReLU inplace", lambda m: m.LeakyReLU(0.2, inplace=True), (2, 5)),
    ("ReLU6", lambda m: m.ReLU6(), (2, 5)), ("Softplus", lambda m: m.Softplus(), (2, 5)),
    ("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 7)),
    ("AdaptiveAvgPool2d 1", lambda m: m.AdaptiveAvgPool2d(1), (1, 2, 5, 7)),
    ("PixelShuffle", lambda m: m.PixelShuffle(2), (1, 8, 3, 3)),
    ("ZeroPad2d", lambda m: m.ZeroPad2d((1, 0, 2, 1)), (1, 2, 3, 3)),
    ("ReflectionPad2d", lambda m: m.ReflectionPad2d(2), (1, 2, 3, 4)),
    ("ReplicationPad2d", lambda m: m.ReplicationPad2d((0, 1, 3, 2)), (1, 2, 3, 4)),
    ("ConstantPad2d", lambda m: m.ConstantPad2d(1, 0.5), (1, 1, 2, 2)),
    ("Upsample bilinear", lambda m: m.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 4)),
    ("Upsample bilinear aligned", lambda m: m.Upsample(size=(5, 6), mode="bilinear",
                                                       align_corners=True), (1, 2, 3, 4)),
    ("Upsample nearest", lambda m: m.Upsample(scale_factor=2), (1, 2, 3, 4)),
    ("Identity", lambda m: m.Identity(), (2, 3)),
    ("Unflatten", lambda m: m.Unflatten(1, (2, 3)), (2, 6)),
    ("Dropout2d eval", lambda m: m.Dropout2d(0.5).eval(), (2, 3, 2, 2)),
]


@needs_torch
@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layer_matches_torch(name, make, shape):
    torch.manual_seed(0)
    theirs, ours = make(torch.nn), make(nn)
    _copy_weights(ours, theirs)
    values = np.random.default_rng(1).standard_normal(shape)
    x, t = twin(values, requires_grad=True)
    y, expected = ours(x * 1.0), theirs(t * 1.0)  # not a leaf: inplace=True may write it
    np.testing.assert_allclose(y.numpy(), host(expected), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(2).standard_normal(y.shape)
    (y * mg.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), host(t.grad), rtol=1e-9, atol=1e-12)
    for (key, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), host(q.grad), rtol=1e-9, err_msg=key)
    for (key, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b.numpy(), host(c), rtol=1e-10, err_msg=key)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_dropout2d_zeroes_whole_channels():
    mg.manual_seed(0)
    y = nn.Dropout2d(0.5)(mg.ones(8, 16, 3, 3)).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))


def test_module_dict_and_add_module_register_parameters():
    heads = nn.ModuleDict({"real": nn.Linear(2, 1)})
    heads["fake"] = nn.Linear(2, 3)
    assert list(heads) == ["real", "fake"] and "fake" in heads and len(heads) == 2
    assert [k for k, _ in heads.named_parameters()] == ["real.weight", "real.bias",
                                                        "fake.weight", "fake.bias"]
    main = nn.Sequential()
    main.add_module("initial:conv", nn.Conv2d(1, 2, 3))
    assert list(main.state_dict()) == ["initial:conv.weight", "initial:conv.bias"]


# -- loss modules -----------------------------------------------------------------------------
LOSSES = [
    ("BCELoss", lambda m: m.BCELoss(), "probabilities"),
    ("BCELoss sum", lambda m: m.BCELoss(reduction="sum"), "probabilities"),
    ("BCEWithLogitsLoss", lambda m: m.BCEWithLogitsLoss(), "binary"),
    ("BCEWithLogitsLoss none", lambda m: m.BCEWithLogitsLoss(reduction="none"), "binary"),
    ("MSELoss", lambda m: m.MSELoss(), "regression"),
    ("MSELoss sum", lambda m: m.MSELoss(reduction="sum"), "regression"),
    ("L1Loss none", lambda m: m.L1Loss(reduction="none"), "regression"),
    ("SmoothL1Loss", lambda m: m.SmoothL1Loss(beta=0.5), "regression"),
    ("CrossEntropyLoss", lambda m: m.CrossEntropyLoss(), "classes"),
    ("CrossEntropyLoss sum", lambda m: m.CrossEntropyLoss(reduction="sum"), "classes"),
    ("NLLLoss", lambda m: m.NLLLoss(), "log-probabilities"),
    ("MSELoss size_average=False", lambda m: m.MSELoss(size_average=False), "regression"),
    ("CrossEntropyLoss ignore_index", lambda m: m.CrossEntropyLoss(ignore_index=1), "classes"),
    ("NLLLoss ignore_index none", lambda m: m.NLLLoss(ignore_index=0, reduction="none"),
     "log-probabilities"),
]


def _loss_inputs(kind):
    rng = np.random.default_rng(4)
    if kind in ("classes", "log-probabilities"):
        logits = rng.standard_normal((5, 3))
        if kind == "log-probabilities":
            logits = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return logits, np.array([0, 2, 1, 1, 0])
    prediction, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    if kind == "probabilities":
        return 1 / (1 + np.exp(-prediction)), rng.uniform(size=(4, 3))
    if kind == "binary":
        return prediction, (target > 0).astype(np.float64)
    return prediction, target


@needs_torch
@pytest.mark.parametrize("name, make, kind", LOSSES, ids=[loss[0] for loss in LOSSES])
def test_loss_module_matches_torch(name, make, kind):
    prediction, target = _loss_inputs(kind)
    x, t = twin(prediction, requires_grad=True)
    ours = make(nn)(x, mg.tensor(target))
    theirs = make(torch.nn)(t, torch.tensor(target))
    np.testing.assert_allclose(ours.numpy(), host(theirs), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), host(t.grad), rtol=1e-10)


@needs_torch
def test_randint_new_tensors_one_hot_and_functional_inplace_flags():
    mg.manual_seed(0)
    low_only, both = mg.randint(10, (200,)), mg.randint(3, 5, (2, 100))
    assert low_only.dtype == "int64" and 0 <= low_only.numpy().min() and low_only.numpy().max() < 10
    assert both.shape == (2, 100) and set(np.unique(both.numpy())) == {3, 4}
    x = mg.zeros(2, dtype="float64")
    assert x.new_zeros(3).dtype == "float64" and x.new_ones(2, 2).shape == (2, 2)
    assert x.new_full((2,), 5.0).tolist() == [5.0, 5.0]
    assert x.new_tensor([1, 2]).dtype == "float64" and x.new_empty((1, 3)).shape == (1, 3)
    labels = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(F.one_hot(mg.tensor(labels), 4).numpy(),
                                  host(torch.nn.functional.one_hot(torch.tensor(labels), 4)))
    ours, theirs = twin([-1.0, 0.5])
    np.testing.assert_allclose(F.leaky_relu(ours, 0.2, inplace=True).numpy(),
                               host(torch.nn.functional.leaky_relu(theirs.clone(), 0.2, True)))
    assert F.relu(ours, inplace=True).tolist() == [0.0, 0.5]
    assert F.dropout(ours, 0.5, training=False, inplace=True) is ours


def test_backward_takes_pytorchs_gradient_keyword():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).backward(gradient=mg.tensor([1.0, -1.0]))
    assert x.grad.tolist() == [3.0, -3.0]


@needs_torch
def test_a_float_tensor_with_an_integer_tensor_keeps_the_float_dtype():
    ints, floats = mg.arange(4), mg.ones(4)
    t_ints, t_floats = torch.arange(4), torch.ones(4)
    for ours, theirs in ((floats * ints, t_floats * t_ints), (ints - floats, t_ints - t_floats),
                         (floats.pow(ints), t_floats.pow(t_ints)),
                         (ints.add(1, alpha=2), t_ints.add(1, alpha=2)),
                         (floats.sub(ints, alpha=2), t_floats.sub(t_ints, alpha=2))):
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), host(theirs))


@needs_torch
def test_rounding_and_comparisons_as_in_torch():
    values = np.array([-1.5, -0.4, 0.5, 2.5, 2.7])
    ours, theirs = twin(values)
    for name in ("floor", "ceil", "round"):
        np.testing.assert_array_equal(getattr(mg, name)(ours).numpy(),
                                      host(getattr(torch, name)(theirs)), err_msg=name)
    assert mg.allclose(ours, ours + 1e-9) and not mg.allclose(ours, ours + 1e-3)
    assert mg.equal(ours, ours.clone()) and not mg.equal(ours, ours[:2])
    assert mg.as_tensor(ours) is ours and mg.as_tensor([1, 2]).dtype == "int64"
    assert mg.get_default_dtype() == mg.float32


def _wgan_gp_steps(lib, grad_fn, initial, arrays):
    """Two steps of a WGAN-GP written in PyTorch's idioms, run by torch or by minigan."""
    nn = lib.nn
    G = nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2, inplace=True), nn.Linear(8, 2),
                      nn.Tanh()).double()
    D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(True), nn.Linear(8, 1)).double()
    G.load_state_dict({k: lib.tensor(v) for k, v in initial["G"].items()})
    D.load_state_dict({k: lib.tensor(v) for k, v in initial["D"].items()})

    def weights_init(m):
        if type(m).__name__.find("Linear") != -1:
            m.bias.data.fill_(0.01)
    G.apply(weights_init)
    optimizer_d = lib.optim.RMSprop(D.parameters(), lr=0.01)
    real, z, alpha = (lib.tensor(a) for a in arrays)
    losses = []
    for _ in range(2):
        for p in D.parameters():
            p.data.clamp_(-0.5, 0.5)
        optimizer_d.zero_grad()
        fake = G(z).detach()
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        d_mixed = D(mixed)
        (slopes,) = grad_fn(d_mixed, mixed, lib.ones_like(d_mixed), create_graph=True)
        penalty = ((slopes.view(slopes.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
        loss_d = -D(real).mean() + D(fake).mean() + 10 * penalty
        loss_d.backward()
        optimizer_d.step()
        G.zero_grad()
        loss_g = -lib.mean(D(G(z)))
        loss_g.backward()
        with lib.no_grad():
            for p in G.parameters():
                p -= 0.05 * p.grad
        best = D(G(z)).max(0)
        losses.append((loss_d.item(), loss_g.item(), best.values.item(), best.indices.item()))
    return losses, {k: v.detach().numpy() for k, v in G.state_dict().items()}


@needs_torch
def test_a_pytorch_style_wgan_gp_loop_matches_torch_step_for_step():
    rng = np.random.default_rng(7)
    torch.manual_seed(0)
    initial = {name: {k: v.detach().double().numpy() for k, v in module.state_dict().items()}
               for name, module in (("G", torch.nn.Sequential(torch.nn.Linear(4, 8),
                                                              torch.nn.LeakyReLU(),
                                                              torch.nn.Linear(8, 2))),
                                    ("D", torch.nn.Sequential(torch.nn.Linear(2, 8),
                                                              torch.nn.ReLU(),
                                                              torch.nn.Linear(8, 1))))}
    arrays = [rng.standard_normal((6, 2)), rng.standard_normal((6, 4)), rng.uniform(size=(6, 1))]
    ours = _wgan_gp_steps(mg, mg.grad, initial, arrays)
    theirs = _wgan_gp_steps(torch, torch.autograd.grad, initial, arrays)
    np.testing.assert_allclose(np.array(ours[0]), np.array(theirs[0]), rtol=1e-10)
    for key in theirs[1]:
        np.testing.assert_allclose(ours[1][key], theirs[1][key], rtol=1e-10, err_msg=key)


def test_views_share_storage_and_version_with_their_base():
    x = mg.zeros(3, 4)
    x[0].fill_(1.0)  # a basic slice is a view, as in PyTorch
    x.view(-1)[-1:].add_(5.0)
    assert x.numpy()[0].tolist() == [1.0] * 4 and x.numpy()[2, 3] == 5.0
    assert x._version == 2 and x.t()._version == 2
    w = mg.ones(3, 4, requires_grad=True)
    loss = (w * x).sum()
    with mg.no_grad():
        x.view(12)[0].mul_(3)  # writes x through a view of a view
    with pytest.raises(RuntimeError, match=r"<Mul> \(its input 1\)"):
        loss.backward()
    h = w * 2.0
    with pytest.raises(RuntimeError, match="on a view of another tensor"):
        h[0].mul_(3)


def _dcgan_steps(lib, initial, arrays):
    """Two DCGAN steps in the style of PyTorch's example (BCELoss, labels filled in place)."""
    nn = lib.nn
    G = nn.Sequential(nn.ConvTranspose2d(3, 4, 4, 1, 0, bias=False), nn.BatchNorm2d(4),
                      nn.ReLU(True), nn.ConvTranspose2d(4, 1, 4, 2, 1, bias=False), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                      nn.Conv2d(4, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    for model, key in ((G, "G"), (D, "D")):
        model.double().load_state_dict({k: lib.tensor(v) for k, v in initial[key].items()})
    criterion = nn.BCELoss()
    optimizer_d = lib.optim.Adam(D.parameters(), lr=0.01, betas=(0.5, 0.999))
    optimizer_g = lib.optim.Adam(G.parameters(), lr=0.01, betas=(0.5, 0.999))
    real, noise = lib.tensor(arrays[0]), lib.tensor(arrays[1])
    log = []
    for _ in range(2):
        D.zero_grad()
        label = lib.full((real.size(0),), 1.0, dtype=real.dtype)
        output = D(real).view(-1, 1).squeeze(1)
        error_real = criterion(output, label)
        error_real.backward()
        fake = G(noise)
        label.fill_(0.0)
        error_fake = criterion(D(fake.detach()).view(-1), label)
        error_fake.backward()
        optimizer_d.step()
        G.zero_grad()
        label.fill_(1.0)
        error_g = criterion(D(fake).view(-1), label)
        error_g.backward()
        optimizer_g.step()
        log.append(((error_real + error_fake).item(), error_g.item(), output.mean().item()))
    return log, {k: v.detach().numpy() for k, v in G.state_dict().items()}


@needs_torch
def test_a_pytorch_style_dcgan_loop_matches_torch_step_for_step():
    torch.manual_seed(1)
    rng = np.random.default_rng(3)
    nn, initial = torch.nn, {}
    models = {"G": nn.Sequential(nn.ConvTranspose2d(3, 4, 4, 1, 0, bias=False), nn.BatchNorm2d(4),
                                 nn.ReLU(), nn.ConvTranspose2d(4, 1, 4, 2, 1, bias=False)),
              "D": nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
                                 nn.Conv2d(4, 1, 4, 1, 0, bias=False))}
    for key, model in models.items():
        for m in model.modules():  # the example's weights_init
            if type(m).__name__.find("Conv") != -1:
                m.weight.data.normal_(0.0, 0.02)
            elif type(m).__name__.find("BatchNorm") != -1:
                m.weight.data.normal_(1.0, 0.02)
                m.bias.data.fill_(0)
        initial[key] = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    arrays = [np.tanh(rng.standard_normal((4, 1, 8, 8))), rng.standard_normal((4, 3, 1, 1))]
    ours, theirs = _dcgan_steps(mg, initial, arrays), _dcgan_steps(torch, initial, arrays)
    np.testing.assert_allclose(np.array(ours[0]), np.array(theirs[0]), rtol=1e-10)
    for key in theirs[1]:
        np.testing.assert_allclose(ours[1][key], theirs[1][key], rtol=1e-9, atol=1e-12,
                                   err_msg=key)


def test_resize_as_old_pytorch_programs_use_it():
    label = mg.zeros(3)
    assert label.resize_(4).fill_(1.0).tolist() == [1.0] * 4
    images = mg.zeros(2, 6)
    assert images.resize_as_(mg.ones(3, 4)).shape == (3, 4)
    assert images.resize_(2, 2, 3).shape == (2, 2, 3)
    with pytest.raises(RuntimeError, match="requires grad"):
        mg.ones(2, requires_grad=True).resize_(4)
