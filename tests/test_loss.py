"Property tests for digitlib.loss: the losses agree with their definitions and with torch.nn.functional."
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from digitlib.loss import mnist_loss, mse, rmse, l1, sigmoid, batch_accuracy, init_params, linear1

FAST = settings(max_examples=50, deadline=None)
shapes = st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2**31 - 1)


def _close(a, b, tol=1e-5):
    assert a.shape == b.shape and torch.allclose(a, b, rtol=tol, atol=tol), (a, b)


def _randn(shape, seed, scale=1.0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))*scale


@FAST
@given(shapes, seeds, st.floats(0.1, 50.0))
def test_mnist_loss_in_unit_interval_and_matches_formula(shape, seed, scale):
    preds = _randn(shape, seed, scale)
    targets = (_randn(shape, seed + 1) > 0).float()
    loss = mnist_loss(preds, targets)
    assert loss.shape == ()
    assert 0.0 <= loss.item() <= 1.0
    p = torch.sigmoid(preds)
    manual = (targets*(1 - p) + (1 - targets)*p).mean()
    assert math.isclose(loss.item(), manual.item(), abs_tol=1e-6)


@FAST
@given(shapes, seeds)
def test_regression_losses_match_torch(shape, seed):
    preds, targets = _randn(shape, seed, 3.0), _randn(shape, seed + 1, 3.0)
    _close(mse(preds, targets), F.mse_loss(preds, targets))
    _close(rmse(preds, targets), F.mse_loss(preds, targets).sqrt())
    _close(l1(preds, targets), F.l1_loss(preds, targets))
    assert rmse(preds, targets).item() >= l1(preds, targets).item() - 1e-5  # RMSE >= mean absolute error, always


@FAST
@given(shapes, seeds)
def test_sigmoid_matches_torch_and_is_bounded(shape, seed):
    x = _randn(shape, seed, 30.0)
    s = sigmoid(x)
    _close(s, torch.sigmoid(x))
    assert ((s >= 0) & (s <= 1)).all()


@FAST
@given(shapes, seeds)
def test_batch_accuracy_is_fraction_right(shape, seed):
    preds = _randn(shape, seed)
    targets = (_randn(shape, seed + 1) > 0).float()
    acc = batch_accuracy(preds, targets)
    assert acc.shape == () and acc.dtype == torch.float32
    assert math.isclose(acc.item(), ((preds > 0) == (targets == 1)).float().mean().item(), abs_tol=1e-6)


@pytest.mark.parametrize("fn", [mnist_loss, mse, rmse, l1, batch_accuracy])
@pytest.mark.parametrize("ps, ts", [((4, 1), (4,)), ((4,), (4, 1)), ((3, 2), (2, 3)), ((5,), (4,))])
def test_shape_mismatch_raises_value_error(fn, ps, ts):
    with pytest.raises(ValueError, match=r"predictions have shape .* but targets have shape"):
        fn(torch.zeros(ps), torch.zeros(ts))


@pytest.mark.parametrize("fn", [mnist_loss, mse, rmse, l1, batch_accuracy])
def test_integer_predictions_raise_type_error(fn):
    with pytest.raises(TypeError, match="float tensor"):
        fn(torch.tensor([1, 0]), torch.tensor([1., 0.]))


def test_init_params_and_linear1():
    torch.manual_seed(0)
    w, b = init_params((5, 1), device='cpu'), init_params(1, device='cpu')
    assert w.is_leaf and w.requires_grad and w.shape == (5, 1)
    x = torch.ones(3, 5)
    _close(linear1(x, w, b), (w.sum() + b).expand(3, 1))
    for bad in (0, -3, (5, 0), 2.5, True, ()):
        with pytest.raises(ValueError, match="size"): init_params(bad)
    for bad in (0, -1.0, float('nan'), float('inf')):
        with pytest.raises(ValueError, match="std"): init_params(3, std=bad)
    with pytest.raises(ValueError, match="linear1"): linear1(torch.ones(3, 4), w, b)
