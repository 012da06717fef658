"Property tests for digitlib.loss: the losses agree with their definitions and with torch.nn.functional, sigmoid is stable, the loaders serve every item once."
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from digitlib.loss import (mnist_loss, mse, rmse, l1, sigmoid, batch_accuracy, init_params, linear1,
                           TensorDataLoader, DataLoaders)

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
@given(shapes, seeds, st.sampled_from([1.0, 30.0, 300.0]))
def test_sigmoid_matches_torch_and_is_bounded(shape, seed, scale):
    x = _randn(shape, seed, scale)
    s = sigmoid(x)
    _close(s, torch.sigmoid(x))
    assert ((s >= 0) & (s <= 1)).all()


@pytest.mark.parametrize("x", [-1000., -100., -89., 0., 89., 100., 1000.])
def test_sigmoid_value_and_gradient_are_finite_at_extreme_scores(x):
    "The book's 1/(1+exp(-x)) gives a NaN gradient from about -89 down; ours must not."
    z = torch.tensor([x], requires_grad=True)
    s = sigmoid(z)
    s.sum().backward()
    assert torch.isfinite(s).all() and torch.isfinite(z.grad).all()
    x64 = torch.tensor([x], dtype=torch.float64)
    exact, slope = torch.sigmoid(x64), torch.sigmoid(x64)*torch.sigmoid(-x64)  # s(x)(1 - s(x)), without rounding 1 - s to 0
    assert math.isclose(s.item(), exact.item(), abs_tol=1e-7)
    assert math.isclose(z.grad.item(), slope.item(), rel_tol=1e-4, abs_tol=1e-44)


def test_sigmoid_gradient_matches_its_formula_everywhere():
    x = torch.linspace(-200, 200, 4001, dtype=torch.float64, requires_grad=True)
    sigmoid(x).sum().backward()
    g, x = x.grad, x.detach()
    assert torch.allclose(g, torch.sigmoid(x)*torch.sigmoid(-x), rtol=1e-10, atol=1e-300)
    z = torch.zeros(1, requires_grad=True)
    sigmoid(z).sum().backward()
    assert z.grad.item() == 0.25  # the steepest point, exactly


def test_mnist_loss_gradient_for_confident_mistakes():
    "A 3 scored -10 gets ~4.5e-5 of gradient from mnist_loss, ~1 from binary cross-entropy."
    s = torch.tensor([-10.], requires_grad=True)
    mnist_loss(s, torch.ones(1)).backward()
    assert math.isclose(s.grad.item(), -4.5396e-5, rel_tol=1e-3)
    s.grad = None
    F.binary_cross_entropy_with_logits(s, torch.ones(1)).backward()
    assert math.isclose(s.grad.item(), -1.0, abs_tol=1e-3)
    s = torch.tensor([-1000., 1000.], requires_grad=True)
    mnist_loss(s, torch.tensor([1., 0.])).backward()
    assert torch.isfinite(s.grad).all()


@FAST
@given(shapes, seeds)
def test_batch_accuracy_is_fraction_right(shape, seed):
    preds = _randn(shape, seed)
    targets = (_randn(shape, seed + 1) > 0).float()
    acc = batch_accuracy(preds, targets)
    assert acc.shape == () and acc.dtype == torch.float32
    assert math.isclose(acc.item(), ((preds > 0) == (targets == 1)).float().mean().item(), abs_tol=1e-6)
    assert math.isclose(batch_accuracy(preds, targets.long()).item(), acc.item())  # integer targets work too


@pytest.mark.parametrize("fn", [mnist_loss, mse, rmse, l1, batch_accuracy])
@pytest.mark.parametrize("ps, ts", [((4, 1), (4,)), ((4,), (4, 1)), ((3, 2), (2, 3)), ((5,), (4,))])
def test_shape_mismatch_raises_value_error(fn, ps, ts):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: `\w+` has shape .* but `\w+` has shape"):
        fn(torch.zeros(ps), torch.zeros(ts))


def test_init_params_and_linear1():
    torch.manual_seed(0)
    w, b = init_params((5, 1), device='cpu'), init_params(1, device='cpu')
    assert w.is_leaf and w.requires_grad and w.shape == (5, 1) and b.shape == (1,)
    torch.manual_seed(0)
    assert torch.equal(init_params((5, 1), device='cpu').detach(), w.detach())  # same seed, same parameters
    torch.manual_seed(1)
    assert math.isclose(init_params(20_000, std=0.1, device='cpu').std().item(), 0.1, rel_tol=0.05)
    x = torch.ones(3, 5)
    _close(linear1(x, w, b), (w.sum() + b).expand(3, 1))
    _close(linear1(x, w, b), x@w + b)
    with pytest.raises(ValueError, match="device"): init_params(3, device='gpu0')


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(1, 16), st.booleans(), seeds)
def test_tensor_dataloader_serves_every_item_once(n, bs, shuffle, seed):
    x, y = torch.arange(n).float()[:, None], torch.arange(n)
    dl = TensorDataLoader(x, y, bs=bs, shuffle=shuffle, seed=seed % 1000, device='cpu')
    batches = list(dl)
    assert len(batches) == len(dl) == math.ceil(n/bs)
    assert all(len(yb) == bs for _, yb in batches[:-1]) and 1 <= len(batches[-1][1]) <= bs
    ys = torch.cat([yb for _, yb in batches])
    assert sorted(ys.tolist()) == list(range(n))
    assert all(torch.equal(xb[:, 0].long(), yb) for xb, yb in batches)  # inputs stay with their targets
    if not shuffle: assert ys.tolist() == list(range(n))


def test_tensor_dataloader_is_seeded_and_reshuffles():
    x, y = torch.zeros(50, 2), torch.arange(50)
    order = lambda dl: torch.cat([yb for _, yb in dl]).tolist()
    a, b = TensorDataLoader(x, y, bs=8, shuffle=True, seed=3, device='cpu'), TensorDataLoader(x, y, bs=8, shuffle=True, seed=3, device='cpu')
    first = order(a)
    assert first == order(b)          # same seed, same order
    assert order(a) != first          # a new order every epoch
    with pytest.raises(ValueError, match="`x` has 3 items but `y` has 4"):
        TensorDataLoader(torch.zeros(3, 2), torch.zeros(4))


def test_dataloaders_pair():
    tx, ty, vx, vy = torch.zeros(20, 3), torch.arange(20), torch.zeros(7, 3), torch.arange(7)
    dls = DataLoaders.from_tensors(tx, ty, vx, vy, bs=4, seed=1, device='cpu')
    assert dls.train.shuffle and not dls.valid.shuffle and dls.device == torch.device('cpu')
    assert [yb.tolist() for _, yb in dls.valid] == [[0, 1, 2, 3], [4, 5, 6]]
    assert '20 items' in repr(dls) and '7 items' in repr(dls)
