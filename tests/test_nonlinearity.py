"Tests for digitlib.nonlinearity and digitlib.multiclass: simple_net, collapse_linear, softmax/cross-entropy vs torch."
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from hypothesis import given, settings, strategies as st

from digitlib.nonlinearity import simple_net, collapse_linear
from digitlib.multiclass import softmax, log_softmax, cross_entropy, multi_accuracy, confusion_matrix, most_confused

FAST = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**31 - 1)
sizes = st.integers(1, 12)


def _gen(seed): return torch.Generator().manual_seed(seed)


def _close(a, b, tol=1e-5):
    assert a.shape == b.shape and torch.allclose(a, b, rtol=tol, atol=tol), (a, b)


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


@pytest.mark.parametrize('kwargs, err, msg', [
    (dict(n_in=0), ValueError, '`n_in` must be a positive integer, got 0'),
    (dict(n_hidden=-3), ValueError, '`n_hidden` must be a positive integer, got -3'),
    (dict(n_out=2.0), TypeError, '`n_out` must be a positive integer'),
    (dict(n_hidden=True), TypeError, '`n_hidden` must be a positive integer'),
    (dict(n_in='784'), TypeError, '`n_in` must be a positive integer'),
])
def test_simple_net_bad_sizes(kwargs, err, msg):
    with pytest.raises(err, match=msg.replace('(', r'\(').replace(')', r'\)')):
        simple_net(**kwargs)


# -- collapse_linear ----------------------------------------------------------------------------

@FAST
@given(sizes, sizes, sizes, st.integers(1, 8), seeds, st.booleans(), st.booleans())
def test_collapse_linear_equals_the_stack(n_in, n_mid, n_out, n, seed, bias1, bias2):
    torch.manual_seed(seed)
    first, second = nn.Linear(n_in, n_mid, bias=bias1), nn.Linear(n_mid, n_out, bias=bias2)
    x = torch.randn(n, n_in, generator=_gen(seed))
    one = collapse_linear(first, second)
    assert isinstance(one, nn.Linear) and (one.in_features, one.out_features) == (n_in, n_out)
    _close(one(x), second(first(x)), tol=1e-4)


def test_collapse_linear_fails_with_a_relu_in_between():
    torch.manual_seed(0)
    first, second = nn.Linear(5, 8), nn.Linear(8, 2)
    x = torch.randn(50, 5)
    assert not torch.allclose(collapse_linear(first, second)(x), second(F.relu(first(x))), atol=1e-3)


def test_collapse_linear_errors():
    with pytest.raises(ValueError, match='gives 3 outputs but `second` takes 4'):
        collapse_linear(nn.Linear(2, 3), nn.Linear(4, 1))
    with pytest.raises(TypeError, match='`second` must be an nn.Linear'):
        collapse_linear(nn.Linear(2, 3), nn.ReLU())


# -- softmax and cross-entropy --------------------------------------------------------------------

@FAST
@given(st.integers(1, 16), st.integers(1, 12), seeds, st.floats(0.1, 100.0))
def test_softmax_matches_torch(n, c, seed, scale):
    x = torch.randn(n, c, generator=_gen(seed))*scale
    _close(softmax(x), F.softmax(x, dim=-1))
    _close(softmax(x, dim=0), F.softmax(x, dim=0))
    _close(log_softmax(x), F.log_softmax(x, dim=-1), tol=1e-4)
    _close(softmax(x).sum(-1), torch.ones(n))


@FAST
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple), seeds)
def test_softmax_any_rank(shape, seed):
    x = torch.randn(shape, generator=_gen(seed))*5
    _close(softmax(x), F.softmax(x, dim=-1))


def test_softmax_is_stable_for_huge_scores():
    x = torch.tensor([[1000., 999., -1000.], [-1e4, -1e4, -1e4]])
    assert torch.isfinite(softmax(x)).all() and torch.isfinite(log_softmax(x)).all()
    _close(softmax(x), F.softmax(x, dim=-1))


@FAST
@given(st.integers(1, 16), st.integers(1, 12), seeds, st.floats(0.1, 50.0))
def test_cross_entropy_matches_torch(n, c, seed, scale):
    g = _gen(seed)
    preds = torch.randn(n, c, generator=g)*scale
    targets = torch.randint(0, c, (n,), generator=g)
    _close(cross_entropy(preds, targets), F.cross_entropy(preds, targets), tol=1e-4)
    assert cross_entropy(preds, targets).shape == ()
    _close(multi_accuracy(preds, targets), (preds.argmax(1) == targets).float().mean())


@FAST
@given(st.integers(1, 30), st.integers(1, 6), seeds)
def test_confusion_matrix_counts(n, c, seed):
    g = _gen(seed)
    preds, targets = torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g)
    cm = confusion_matrix(preds, targets)
    assert cm.shape == (c, c) and cm.sum() == n
    assert torch.equal(cm.sum(1), targets.bincount(minlength=c))
    assert cm.diag().sum().item() == (preds.argmax(1) == targets).sum().item()
    mc = most_confused(cm, k=3)
    assert all(t != p and cnt > 0 for t, p, cnt in mc) and [x[2] for x in mc] == sorted((x[2] for x in mc), reverse=True)


@pytest.mark.parametrize('targets, err, msg', [
    (torch.tensor([0., 1., 2.]), TypeError, 'integer tensor of class indices'),
    (torch.tensor([True, False, True]), TypeError, 'integer tensor of class indices'),
    ([0, 1, 2], TypeError, 'integer tensor of class indices'),
    (torch.tensor([0, 1]), ValueError, r'must have shape \(3,\)'),
    (torch.tensor([0, 1, 4]), ValueError, r'class indices in 0..3, got values from 0 to 4'),
    (torch.tensor([-1, 1, 2]), ValueError, r'class indices in 0..3'),
])
def test_cross_entropy_bad_targets(targets, err, msg):
    with pytest.raises(err, match=msg):
        cross_entropy(torch.randn(3, 4), targets)


def test_bad_preds():
    with pytest.raises(TypeError, match='must be a float tensor'):
        softmax(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r'`preds` must have shape \(N, n_classes\)'):
        cross_entropy(torch.randn(4), torch.tensor([0, 1, 2, 3]))
