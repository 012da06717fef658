"Tests for digitlib.nonlinearity: simple_net, collapse_linear, fit_binary, and the resnet18 helpers' arguments."
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from hypothesis import given, settings, strategies as st

from digitlib.data import Digits
from digitlib.nonlinearity import simple_net, collapse_linear, binary_dls, fit_binary, resnet18_n_train, resnet18_learner, train_resnet18

FAST = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**31 - 1)
sizes = st.integers(1, 12)


def _close(a, b, tol=1e-5):
    assert a.shape == b.shape and torch.allclose(a, b, rtol=tol, atol=tol), (a, b)


def tiny_digits(n_train=40, n_valid=10, seed=0):
    "Random 'digits': 3s bright on the left half, 7s on the right, so that a model can learn them."
    g = torch.Generator().manual_seed(seed)
    def make(n, side):
        x = torch.rand(n, 28, 28, generator=g) * 0.3
        if side == 'left': x[:, :, :14] += 0.7
        else: x[:, :, 14:] += 0.7
        return x.clamp(0, 1)
    return Digits({3: make(n_train, 'left'), 7: make(n_train, 'right')}, {3: make(n_valid, 'left'), 7: make(n_valid, 'right')}, 'tiny test digits')


# -- simple_net ---------------------------------------------------------------------------------

@FAST
@given(sizes, sizes, sizes, st.integers(1, 8))
def test_simple_net_shapes(n_in, n_hidden, n_out, n):
    net = simple_net(n_in, n_hidden, n_out)
    assert [type(m) for m in net] == [nn.Linear, nn.ReLU, nn.Linear]
    assert (net[0].in_features, net[0].out_features, net[2].in_features, net[2].out_features) == (n_in, n_hidden, n_hidden, n_out)
    assert net(torch.randn(n, n_in)).shape == (n, n_out)


def test_simple_net_defaults_are_the_books():
    net = simple_net()
    assert net(torch.zeros(3, 784)).shape == (3, 1)
    assert sum(p.numel() for p in net.parameters()) == 784*30 + 30 + 30 + 1


@FAST
@given(st.integers(1, 6), st.integers(1, 5), seeds)
def test_simple_net_is_the_books_raw_tensor_net(n, n_hidden, seed):
    "nn.Sequential computes exactly xb@w1 + b1, max(0), @w2 + b2 with w = weight.T."
    torch.manual_seed(seed)
    net = simple_net(784, n_hidden, 1)
    xb = torch.rand(n, 784)
    w1, b1, w2, b2 = net[0].weight.T, net[0].bias, net[2].weight.T, net[2].bias
    raw = (xb@w1 + b1).max(torch.tensor(0.0))@w2 + b2
    _close(net(xb), raw, tol=1e-5)


# -- collapse_linear ----------------------------------------------------------------------------

@FAST
@given(sizes, sizes, sizes, st.integers(1, 8), seeds)
def test_collapse_linear_equals_the_stack(n_in, n_mid, n_out, n, seed):
    torch.manual_seed(seed)
    first, second = nn.Linear(n_in, n_mid), nn.Linear(n_mid, n_out)
    x = torch.randn(n, n_in)
    one = collapse_linear(first, second)
    assert isinstance(one, nn.Linear) and (one.in_features, one.out_features) == (n_in, n_out)
    _close(one(x), second(first(x)), tol=1e-4)


def test_collapse_linear_fails_with_a_relu_in_between():
    torch.manual_seed(0)
    first, second = nn.Linear(5, 8), nn.Linear(8, 2)
    x = torch.randn(50, 5)
    assert not torch.allclose(collapse_linear(first, second)(x), second(F.relu(first(x))), atol=1e-3)


def test_collapse_linear_layers_that_do_not_fit():
    with pytest.raises(RuntimeError):  # PyTorch's own message: the shapes cannot be multiplied
        collapse_linear(nn.Linear(2, 3), nn.Linear(4, 1))


# -- training helpers ---------------------------------------------------------------------------

def test_binary_dls_and_fit_binary():
    d = tiny_digits()
    dls = binary_dls(d, bs=16, device='cpu')
    xb, yb = next(iter(dls.train))
    assert xb.shape == (16, 784) and yb.shape == (16, 1) and set(yb.flatten().tolist()) <= {0., 1.}
    torch.manual_seed(0)
    learn = fit_binary(simple_net(), d, epochs=3, lr=0.1, bs=16, cbs=[])
    assert len(learn.recorder.values) == 3
    assert learn.recorder.values[-1][3] > 0.9  # an easy problem


def test_fit_binary_bad_arguments():
    d = tiny_digits()
    with pytest.raises(ValueError, match='positive integer'): fit_binary(simple_net(), d, epochs=0, lr=0.1, cbs=[])
    with pytest.raises(ValueError, match='positive finite'): fit_binary(simple_net(), d, epochs=1, lr=-1., cbs=[])


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU default')
def test_resnet18_n_train_on_cpu():
    assert resnet18_n_train(tiny_digits(n_train=40)) == 80           # fewer than 1,000 images: all of them
    assert resnet18_n_train(tiny_digits(n_train=600)) == 1000        # more: a sample of 1,000


def test_resnet18_bad_arguments_fail_before_fastai_is_needed():
    d = tiny_digits()
    with pytest.raises(ValueError, match='`n_train` must be a positive integer, got 0'): resnet18_learner(d, n_train=0)
    with pytest.raises(ValueError, match='`bs` must be a positive integer'): resnet18_learner(d, bs=-1)
    with pytest.raises(ValueError, match='`epochs` must be a positive integer, got 0'): train_resnet18(d, epochs=0)
    with pytest.raises(ValueError, match='`lr` must be a positive finite number'): train_resnet18(d, lr=float('nan'))
