"Tests for digitlib.optimizer: the book's step, BasicOptim against torch.optim.SGD, the training loop, shuffling, checks."
import math, re

import pytest
import torch
from torch import nn
from hypothesis import given, settings, strategies as st

from digitlib.data import load_mnist_sample, binary_xy, set_seed, is_mnist_sample
from digitlib.loss import DataLoaders, TensorDataLoader, init_params, linear1
from digitlib.optimizer import BasicOptim, calc_grad, train_epoch, validate_epoch, train_model

pytestmark = [pytest.mark.shared_cache, pytest.mark.usefixtures('one_thread')]  # the user's data cache; one thread
FAST = settings(max_examples=40, deadline=None)




def make_dls(data, seed=42, bs=256):
    return DataLoaders.from_tensors(*data, bs=bs, seed=seed, device='cpu')


# -- BasicOptim ----------------------------------------------------------------------------------

@FAST
@given(st.integers(1, 5), st.integers(1, 5), st.floats(1e-4, 10.), st.integers(0, 2**31 - 1))
def test_basic_optim_step_is_sgd_up_to_rounding(rows, cols, lr, seed):
    g = torch.Generator().manual_seed(seed)
    p, grad = torch.randn(rows, cols, generator=g), torch.randn(rows, cols, generator=g)
    a, b = p.clone().requires_grad_(), p.clone().requires_grad_()
    a.grad, b.grad = grad.clone(), grad.clone()
    BasicOptim([a], lr).step()
    torch.optim.SGD([b], lr=lr).step()
    assert torch.allclose(a, b, rtol=1e-6, atol=1e-6)
    assert torch.equal(a.detach(), p - grad*lr)  # the book's formula, exactly: p.data -= p.grad.data * lr


def test_zero_grad_forgets_the_gradients():
    w = torch.ones(3, requires_grad=True)
    (w*2).sum().backward()
    opt = BasicOptim([w], 0.1)
    opt.step(); opt.zero_grad()
    assert w.grad is None and torch.allclose(w.detach(), torch.full((3,), 0.8))


@pytest.mark.parametrize('lr', [1.0, 0.1, 0.37])
def test_basic_optim_follows_sgd_over_many_steps(data, lr):
    set_seed(0)
    a = nn.Sequential(nn.Linear(28*28, 30), nn.ReLU(), nn.Linear(30, 1)); b = nn.Sequential(nn.Linear(28*28, 30), nn.ReLU(), nn.Linear(30, 1))
    b.load_state_dict(a.state_dict())
    oa, ob = BasicOptim(a.parameters(), lr), torch.optim.SGD(b.parameters(), lr=lr)
    for i, (xb, yb) in enumerate(TensorDataLoader(data[0], data[1], bs=64, shuffle=True, seed=1, device='cpu')):
        if i == 8: break
        for m, o in ((a, oa), (b, ob)):
            calc_grad(xb, yb, m); o.step(); o.zero_grad()
    for p, q in zip(a.parameters(), b.parameters()): assert torch.allclose(p, q, atol=1e-5), (p - q).abs().max()
    if lr == 1.0: assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))  # nothing to round


# -- the loop ------------------------------------------------------------------------------------

def test_calc_grad_adds_to_the_stored_gradients(data):
    set_seed(0)
    w, b = init_params((28*28, 1), device='cpu'), init_params(1, device='cpu')
    xb, yb = data[0][:4], data[1][:4]
    calc_grad(xb, yb, lambda x: linear1(x, w, b)); g = w.grad.clone()
    calc_grad(xb, yb, lambda x: linear1(x, w, b))
    assert torch.allclose(w.grad, 2*g, atol=1e-7)


def test_train_epoch_is_the_book_loop_by_hand(data):
    def start():
        set_seed(3); w, b = init_params((28*28, 1), device='cpu'), init_params(1, device='cpu')
        return (w, b), (lambda x: linear1(x, w, b))
    (pa, ma), (pb, mb) = start(), start()
    dl = TensorDataLoader(data[0], data[1], bs=256, device='cpu')
    for xb, yb in dl:
        calc_grad(xb, yb, ma)
        for p in pa: p.data -= p.grad*1.0; p.grad.zero_()
    train_epoch(mb, dl, BasicOptim(pb, 1.0))
    assert all(torch.equal(p, q) for p, q in zip(pa, pb))


def test_validate_epoch_is_the_mean_of_the_batches():
    x = torch.zeros(5, 1); y = torch.tensor([[1.], [1.], [1.], [0.], [0.]])
    model = lambda xb: torch.full_like(xb, 10.)  # always says "3": batches of 4 and 1 are right on 3/4 and 0/1
    assert validate_epoch(model, TensorDataLoader(x, y, bs=4, device='cpu')) == 0.375
    assert validate_epoch(model, TensorDataLoader(x, y, bs=5, device='cpu')) == 0.6


def test_train_model_linear(digits, data):
    set_seed(42)
    accs = train_model(nn.Linear(28*28, 1), make_dls(data), epochs=3, lr=1.)
    assert len(accs) == 3 and all(isinstance(a, float) and a == round(a, 4) for a in accs)
    if is_mnist_sample(digits): assert accs[-1] > 0.95


def test_train_model_takes_any_optimizer(data):
    runs = []
    for opt_func in (BasicOptim, torch.optim.SGD):
        set_seed(1); runs.append(train_model(nn.Linear(28*28, 1), make_dls(data, seed=1), epochs=2, lr=1., opt_func=opt_func))
    assert max(abs(a - b) for a, b in zip(*runs)) <= 1e-3


def test_shuffled_first_epoch_beats_batches_in_order(data):
    "Issue 10: the book's batches come in order, all 3s then all 7s; one epoch from the same start is far worse."
    def first_epoch(seed, shuffle):
        set_seed(seed)
        w, b = init_params((28*28, 1), device='cpu'), init_params(1, device='cpu')
        model = lambda x: linear1(x, w, b)
        train_epoch(model, TensorDataLoader(data[0], data[1], bs=256, shuffle=shuffle, seed=seed, device='cpu'), BasicOptim((w, b), 1.))
        return validate_epoch(model, TensorDataLoader(data[2], data[3], bs=256, device='cpu'))
    in_order = [first_epoch(s, False) for s in range(3)]
    shuffled = [first_epoch(s, True) for s in range(3)]
    assert all(s > o for s, o in zip(shuffled, in_order)), (in_order, shuffled)
    assert sum(shuffled)/3 - sum(in_order)/3 > 0.1, (in_order, shuffled)


# -- checks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('epochs, lr, msg', [
    (0, 1., '`epochs` must be a positive integer, got 0'),
    (True, 1., '`epochs` must be a positive integer, got True'),
    (2.5, 1., '`epochs` must be a positive integer, got 2.5'),
    (1, 0, '`lr` must be a positive finite number, got 0'),
    (1, -1., '`lr` must be a positive finite number, got -1.0'),
    (1, float('nan'), 'got nan'),
    (1, float('inf'), 'got inf'),
    (1, '0.1', "got '0.1'"),
])
def test_train_model_rejects_bad_arguments(data, epochs, lr, msg):
    model = nn.Linear(28*28, 1)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=re.escape(msg)) as e: train_model(model, make_dls(data), epochs, lr)
    assert str(e.value).startswith('train_model: ')
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # nothing was trained
