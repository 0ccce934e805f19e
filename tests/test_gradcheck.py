"""gradcheck itself: it passes right backwards and catches wrong ones, clearly."""

import pytest

import minigan as mg


class SquareWithWrongBackward(mg.Function):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * self.inputs[0] * 3  # should be 2x


class SquareWithWrongSecondDerivative(mg.Function):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        # right values, but built from a constant: the gradient of the gradient is lost
        return gy * mg.Tensor(2 * self.inputs[0].array)


def test_gradcheck_catches_a_wrong_backward_and_names_the_worst_element():
    x = mg.tensor([[0.5, -1.0], [2.0, 0.25]], dtype="float64", requires_grad=True)
    with pytest.raises(mg.GradcheckError) as failure:
        mg.gradcheck(lambda t: SquareWithWrongBackward()(t), [x])
    message = str(failure.value)
    assert "input 0 (shape (2, 2))" in message
    assert "d output[1, 0] / d input[1, 0]" in message  # the largest |x| has the largest error
    assert "numerical 4" in message and "analytical 6" in message
    assert not mg.gradcheck(lambda t: SquareWithWrongBackward()(t), [x], raise_exception=False)


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = mg.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    assert mg.gradcheck(lambda t: SquareWithWrongSecondDerivative()(t), [x])
    with pytest.raises(mg.GradcheckError):
        mg.gradgradcheck(lambda t: SquareWithWrongSecondDerivative()(t), [x])


def test_the_issue_example():
    x = mg.randn(3, dtype="float64", requires_grad=True)
    assert mg.gradgradcheck(lambda t: (t.tanh() * t).sum(), [x]) is True


def test_float32_inputs_warn():
    x = mg.tensor([0.5, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="not float64"):
        mg.gradcheck(lambda t: (t * 2).sum(), [x], eps=1e-2, atol=1e-3)


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="nothing to check"):
        mg.gradcheck(lambda t: t * 2, [mg.ones(2, dtype="float64")])


def test_non_tensor_arguments_pass_through():
    x = mg.tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    assert mg.gradcheck(lambda t, power: t ** power, [x, 3])


def test_several_outputs():
    x = mg.tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    assert mg.gradcheck(lambda t: (t.exp(), t.sum() * 2), [x])
