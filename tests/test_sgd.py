"Tests for digitlib.sgd: finite differences agree with autograd, the SGD step, the roller coaster fit and its guard rails."
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from digitlib.sgd import numerical_grad, sgd_step, quadratic, mse, apply_step, sgd_fit, gd_path

FAST = settings(max_examples=40, deadline=None)
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple)
seeds = st.integers(0, 2**31 - 1)


def _randn(shape, seed, scale=1.0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))*scale


def _roller_coaster():
    "The notebook's data and starting parameters: seed 42, 20 noisy speeds, then 3 random parameters."
    torch.manual_seed(42)
    time = torch.arange(20).float()
    speed = 0.75*(time - 9.5)**2 + 1 + 3*torch.randn(20)
    return time, speed, torch.randn(3)


@FAST
@given(shapes, seeds)
def test_numerical_grad_agrees_with_autograd(shape, seed):
    x = _randn(shape, seed)
    def f(w): return (torch.sin(w)*w**2).sum() + w.sum()**2
    w = x.clone().requires_grad_()
    f(w).backward()
    num = numerical_grad(f, x)
    assert num.shape == x.shape and num.dtype == x.dtype
    assert torch.allclose(num, w.grad, atol=1e-3, rtol=1e-4), (num, w.grad)


def test_numerical_grad_leaves_x_alone_and_needs_a_scalar():
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    before = x.detach().clone()
    numerical_grad(lambda w: (w**3).sum(), x)
    assert torch.equal(x.detach(), before) and x.grad is None
    with pytest.raises(RuntimeError):  # f must return a single number, like a loss
        numerical_grad(lambda w: w**2, torch.tensor([1., 2.]))


def test_sgd_step_in_place_and_clears_grad():
    w = torch.tensor([3., -1.], requires_grad=True)
    ident = id(w)
    (w**2).sum().backward()
    sgd_step(w, 0.1)
    assert id(w) == ident and w.is_leaf and w.requires_grad and w.grad is None
    assert torch.allclose(w.detach(), torch.tensor([2.4, -0.8]))
    (w**2).sum().backward()  # the same tensor keeps receiving gradients
    assert torch.allclose(w.grad, torch.tensor([4.8, -1.6]))


def test_quadratic_and_mse():
    t = torch.tensor([0., 1., 2., 3.])
    assert torch.equal(quadratic(t, torch.tensor([1., 2., 3.])), t**2 + 2*t + 3)
    assert torch.equal(quadratic(t, (0., 0., 5.)), torch.full((4,), 5.))
    p, y = torch.tensor([1., 2., 3.]), torch.tensor([1., 0., 6.])
    assert math.isclose(mse(p, y).item(), 13/3, rel_tol=1e-6)
    assert torch.allclose(mse(p, y), F.mse_loss(p, y))


@pytest.mark.parametrize("ps, ts", [((4, 1), (4,)), ((4,), (4, 1)), ((5,), (4,))])
def test_mse_refuses_shape_mismatch(ps, ts):
    with pytest.raises(ValueError, match=r"mse: `preds` has shape .* but `targets` has shape"):
        mse(torch.zeros(ps), torch.zeros(ts))


def test_apply_step_returns_loss_before_the_step():
    time, speed, start = _roller_coaster()
    params = start.clone().requires_grad_()
    first = apply_step(params, quadratic, time, speed, 1e-5)
    assert math.isclose(first, mse(quadratic(time, start), speed).item(), rel_tol=1e-6)
    assert params.grad is None
    assert mse(quadratic(time, params), speed).item() < first


def test_sgd_fit_reproduces_the_book():
    time, speed, start = _roller_coaster()
    params = start.clone().requires_grad_()
    losses, history = sgd_fit(params, quadratic, time, speed, lr=1e-5, steps=10)
    assert len(losses) == len(history) == 11
    assert math.isclose(losses[0], 25823.8, abs_tol=0.1) and math.isclose(losses[-1], 676.95, abs_tol=0.01)
    assert torch.equal(history[0], start) and torch.equal(history[-1], params.detach())
    assert all(a >= b for a, b in zip(losses, losses[1:]))  # this small rate only ever goes down


@pytest.mark.parametrize("lr", [0, -1e-5, float('nan'), float('inf'), True, '1e-5'])
def test_sgd_fit_bad_lr(lr):
    time, speed, start = _roller_coaster()
    with pytest.raises(ValueError, match="sgd_fit: `lr` must be a positive finite number"):
        sgd_fit(start.clone().requires_grad_(), quadratic, time, speed, lr=lr, steps=3)


@pytest.mark.parametrize("steps", [0, -2, 2.5, True])
def test_sgd_fit_bad_steps(steps):
    time, speed, start = _roller_coaster()
    with pytest.raises(ValueError, match="sgd_fit: `steps` must be a positive integer"):
        sgd_fit(start.clone().requires_grad_(), quadratic, time, speed, lr=1e-5, steps=steps)


def test_sgd_fit_stops_when_the_loss_blows_up():
    time, speed, start = _roller_coaster()
    with pytest.raises(ValueError, match="try a smaller learning rate"):
        sgd_fit(start.clone().requires_grad_(), quadratic, time, speed, lr=1e-2, steps=50)


@FAST
@given(st.floats(0.01, 0.99), st.floats(-5, 5), st.integers(1, 6))
def test_gd_path_on_a_parabola(lr, w0, steps):
    "On w**2 every step multiplies w by (1 - 2*lr)."
    path = gd_path(lambda w: w**2, w0, lr, steps)
    expected = torch.tensor([w0*(1 - 2*lr)**k for k in range(steps + 1)], dtype=torch.float32)
    assert path.shape == (steps + 1,)
    assert torch.allclose(path, expected, atol=1e-5, rtol=1e-4)


def test_gd_path_checks_and_vector_weights():
    assert torch.allclose(gd_path(lambda w: (w**2).sum(), torch.tensor([1., -2.]), 0.25, 1), torch.tensor([[1., -2.], [0.5, -1.]]))
    with pytest.raises(ValueError, match="gd_path: `lr`"): gd_path(lambda w: w**2, 1., 0., 3)
    with pytest.raises(ValueError, match="gd_path: `steps`"): gd_path(lambda w: w**2, 1., 0.1, 0)
