"Tests for digitlib.multiclass: softmax, log_softmax, cross-entropy and accuracy against torch, the confusion matrix."
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from digitlib.multiclass import softmax, log_softmax, cross_entropy, multi_accuracy, confusion_matrix, most_confused, multiclass_dls
from digitlib.data import Digits

FAST = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**31 - 1)


def _gen(seed): return torch.Generator().manual_seed(seed)


def _close(a, b, tol=1e-5):
    assert a.shape == b.shape and torch.allclose(a, b, rtol=tol, atol=tol), (a, b)


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
    _close(log_softmax(torch.tensor([[0., -200.]])), torch.tensor([[0., -200.]]), tol=1e-4)  # where softmax(x).log() is -inf


@FAST
@given(st.integers(1, 16), st.integers(1, 12), seeds, st.floats(0.1, 50.0))
def test_cross_entropy_and_accuracy_match_torch(n, c, seed, scale):
    g = _gen(seed)
    preds = torch.randn(n, c, generator=g)*scale
    targets = torch.randint(0, c, (n,), generator=g)
    _close(cross_entropy(preds, targets), F.cross_entropy(preds, targets), tol=1e-4)
    assert cross_entropy(preds, targets).shape == ()
    _close(multi_accuracy(preds, targets), (preds.argmax(1) == targets).float().mean())


@FAST
@given(st.integers(2, 16), st.integers(2, 12), seeds)
def test_a_column_of_targets_gives_the_same_answers(n, c, seed):
    "(N, 1) targets must not broadcast against the N rows into an (N, N) table."
    g = _gen(seed)
    preds, targets = torch.randn(n, c, generator=g), torch.randint(0, c, (n,), generator=g)
    _close(cross_entropy(preds, targets[:, None]), cross_entropy(preds, targets))
    _close(multi_accuracy(preds, targets[:, None]), multi_accuracy(preds, targets))
    assert torch.equal(confusion_matrix(preds, targets[:, None]), confusion_matrix(preds, targets))


@pytest.mark.parametrize('targets', [
    torch.tensor([0., 1., 2.]),        # float targets can't index
    torch.tensor([0, 1, 4]),           # class 4 of 4
    torch.tensor([0, 1]),              # one target too few
    torch.tensor([1]),                 # one target for three rows
    torch.tensor([0, 1, 2, 3]),        # one too many
])
def test_cross_entropy_bad_targets_raise(targets):
    with pytest.raises((IndexError, RuntimeError)):
        cross_entropy(torch.randn(3, 4), targets)


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


def test_most_confused_example():
    assert most_confused(torch.tensor([[5, 2, 0], [7, 5, 1], [0, 0, 9]]), k=2) == [(1, 0, 7), (0, 1, 2)]
    assert most_confused(torch.eye(3, dtype=torch.long)*4) == []


def test_multiclass_dls():
    d = Digits({k: torch.rand(5, 28, 28) for k in range(10)}, {k: torch.rand(2, 28, 28) for k in range(10)}, 'random')
    dls = multiclass_dls(d, bs=8, device='cpu')
    xb, yb = next(iter(dls.valid))
    assert xb.shape == (8, 784) and yb.dtype == torch.int64 and yb.shape == (8,)
    assert sorted(torch.cat([y for _, y in dls.train]).tolist()) == sorted(list(range(10)) * 5)
