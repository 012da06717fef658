"Property and fuzz tests for digitlib.tensors: distances match their formulas, bad inputs fail with a clear message (from digitlib._checks or from PyTorch)."
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from digitlib.data import default_device, is_mnist_sample
from digitlib.tensors import is_3, mean_digit, mnist_distance, pixel_similarity_accuracy, rmse_distance

FAST = settings(max_examples=100, deadline=None, database=None)
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def images(batch, seed, dtype=torch.float32, scale=1.0, device='cpu'):
    "Random images of shape (*batch, 28, 28), reproducible from `seed`."
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*batch, 28, 28, generator=g, dtype=torch.float64) * scale).to(dtype).to(device)


@st.composite
def batch_pairs(draw):
    "Two batch shapes (leading dims before 28x28) that broadcast, sizes 1-3 (an empty stack is refused)."
    base = draw(st.lists(st.integers(1, 3), max_size=2))
    def variant():
        keep = draw(st.integers(0, len(base)))
        return tuple(draw(st.sampled_from([d, 1])) for d in base[len(base) - keep:])
    return variant(), variant()


def reference(a, b, kind):
    "The distance written directly with NumPy in float64."
    d = a.double().cpu().numpy() - b.double().cpu().numpy()
    return np.abs(d).mean(axis=(-1, -2)) if kind == 'l1' else np.sqrt((d**2).mean(axis=(-1, -2)))


# --- distances ------------------------------------------------------------------------------------

@FAST
@given(batch_pairs(), st.integers(0, 2**31), st.sampled_from([torch.float32, torch.float64]), st.sampled_from([1.0, 1e-3, 255.0]))
def test_distances_match_formula(pair, seed, dtype, scale):
    a, b = images(pair[0], seed, dtype, scale), images(pair[1], seed + 1, dtype, scale)
    for fn, kind in [(mnist_distance, 'l1'), (rmse_distance, 'rmse')]:
        got = fn(a, b)
        assert got.shape == torch.broadcast_shapes(pair[0], pair[1]) and got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), reference(a, b, kind), rtol=1e-5, atol=1e-7 * scale)


@FAST
@given(st.integers(0, 2**31))
def test_distances_match_torch_losses_and_metric_properties(seed):
    a, b = images((), seed), images((), seed + 1)
    torch.testing.assert_close(mnist_distance(a, b), F.l1_loss(a, b))
    torch.testing.assert_close(rmse_distance(a, b), F.mse_loss(a, b).sqrt())
    torch.testing.assert_close(mnist_distance(a, b), mnist_distance(b, a))      # symmetric
    assert mnist_distance(a, a) == 0 and rmse_distance(a, a) == 0                # zero on itself
    assert mnist_distance(a, b) <= rmse_distance(a, b) + 1e-6                    # mean |d| <= sqrt(mean d^2)


def test_known_values():
    zeros, ones = torch.zeros(28, 28), torch.ones(28, 28)
    assert mnist_distance(zeros, ones).item() == 1.0
    half = zeros.clone(); half[:14] = 1
    assert mnist_distance(zeros, half).item() == 0.5
    assert rmse_distance(zeros, half).item() == pytest.approx(0.5**0.5)


def test_empty_stack_is_refused():
    with pytest.raises(ValueError, match=re.escape('mnist_distance: `a` is empty')): mnist_distance(torch.zeros(0, 28, 28), torch.ones(28, 28))
    with pytest.raises(ValueError, match=re.escape('mean_digit: `imgs` is empty')): mean_digit(torch.zeros(0, 28, 28))


@pytest.mark.parametrize('device', DEVICES)
def test_distances_on_each_device(device):
    a, b = images((5,), 0, device=device), images((), 1, device=device)
    got = mnist_distance(a, b)
    assert got.device.type == device and got.shape == (5,)
    np.testing.assert_allclose(got.cpu().numpy(), reference(a, b, 'l1'), rtol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_device_mismatch_is_reported_by_pytorch():
    with pytest.raises(RuntimeError, match='same device|expected device'):
        mnist_distance(torch.zeros(28, 28, device='cuda'), torch.zeros(28, 28))


# --- bad inputs -----------------------------------------------------------------------------------

not_a_tensor = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=3), st.just([[0.0] * 28] * 28),
                         st.just(np.zeros((28, 28), dtype=np.float32)))
wrong_dtype = st.sampled_from([torch.uint8, torch.int32, torch.int64, torch.bool, torch.complex64]).map(
    lambda dt: torch.zeros(2, 28, 28, dtype=dt))
wrong_shape = st.lists(st.integers(0, 30), min_size=1, max_size=4).filter(lambda s: len(s) < 2 or s[-2:] != [28, 28]).map(
    lambda s: torch.zeros(s))  # rank >= 1: a 0-d tensor is test_scalar_is_refused_clearly below
bad_image = st.one_of(not_a_tensor, wrong_dtype, wrong_shape)
BAD_MSG = re.compile(r'must be a torch tensor|must be a float tensor|must have shape|is empty')


@FAST
@given(bad_image, st.booleans(), st.sampled_from([mnist_distance, rmse_distance]))
def test_bad_image_is_named(bad, first, fn):
    good = torch.zeros(3, 28, 28)
    args, name = ((bad, good), '`a`') if first else ((good, bad), '`b`')
    with pytest.raises((TypeError, ValueError)) as e: fn(*args)
    assert name in str(e.value) and BAD_MSG.search(str(e.value)) and fn.__name__ in str(e.value), str(e.value)


@FAST
@given(st.integers(2, 5), st.integers(2, 5))
def test_batches_that_do_not_broadcast(n, m):
    "PyTorch's own error names the two sizes that clash; digitlib adds no check of its own."
    if n == m: return
    with pytest.raises(RuntimeError, match=rf'size of tensor a \({n}\) must match the size of tensor b \({m}\)'):
        mnist_distance(torch.zeros(n, 28, 28), torch.zeros(m, 28, 28))


def test_scalar_is_refused_clearly():
    with pytest.raises(ValueError, match=re.escape('mnist_distance: `b` must have shape (..., 28, 28), got ()')):
        mnist_distance(torch.zeros(28, 28), torch.tensor(0.))


def test_flattened_images_get_a_hint():
    with pytest.raises(ValueError, match=re.escape('.view(-1, 28, 28)')): mnist_distance(torch.zeros(4, 784), torch.zeros(28, 28))


@FAST
@given(bad_image)
def test_mean_digit_rejects_bad_stacks(bad):
    with pytest.raises((TypeError, ValueError), match='mean_digit: `imgs`'): mean_digit(bad)


def test_mean_digit_wants_a_stack():
    "One image (28, 28) would silently average its rows into (28,); mean_digit asks for a stack instead."
    x = torch.arange(28*28, dtype=torch.float32).view(28, 28)
    with pytest.raises(ValueError, match=re.escape('mean_digit: `imgs` must be a stack of images, shape (N, 28, 28), got (28, 28)')): mean_digit(x)
    assert mean_digit(x[None]).shape == (28, 28)


@FAST
@given(st.integers(1, 6), st.integers(0, 2**31))
def test_mean_digit_is_the_pixelwise_mean(n, seed):
    x = images((n,), seed)
    np.testing.assert_allclose(mean_digit(x).numpy(), x.double().numpy().mean(0), rtol=1e-5, atol=1e-7)


# --- is_3 and the accuracy ------------------------------------------------------------------------

@FAST
@given(st.integers(1, 8), st.integers(0, 2**31))
def test_is_3_compares_the_two_distances(n, seed):
    x, m3, m7 = images((n,), seed), images((), seed + 1), images((), seed + 2)
    got = is_3(x, m3, m7)
    assert got.dtype == torch.bool and got.shape == (n,)
    assert torch.equal(got, mnist_distance(x, m3) < mnist_distance(x, m7))


def test_is_3_is_checked_once_by_mnist_distance():
    x = torch.zeros(2, 28, 28)
    with pytest.raises(ValueError, match=re.escape('mnist_distance: `b` must have shape (..., 28, 28), got (784,)')):
        is_3(x, torch.zeros(28, 28), torch.zeros(784))
    with pytest.raises(TypeError, match='mnist_distance: `a` must be a float tensor'): is_3(x.long(), torch.zeros(28, 28), torch.zeros(28, 28))


@FAST
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**31))
def test_accuracy_on_random_digits(n3, n7, seed):
    train = {3: images((n3,), seed), 7: images((n7,), seed + 1)}
    valid = {3: images((n3,), seed + 2), 7: images((n7 + 1,), seed + 3)}
    acc = pixel_similarity_accuracy(train, valid)
    assert set(acc) == {3, 7, 'mean'} and all(type(v) is float and 0 <= v <= 1 for v in acc.values())
    m3, m7 = train[3].mean(0), train[7].mean(0)
    assert acc[3] == pytest.approx(is_3(valid[3], m3, m7).float().mean().item())
    assert acc[7] == pytest.approx(1 - is_3(valid[7], m3, m7).float().mean().item())
    assert acc['mean'] == pytest.approx((acc[3] + acc[7]) / 2)


def test_accuracy_separable_digits():
    split = {3: torch.ones(4, 28, 28), 7: torch.zeros(3, 28, 28)}
    assert pixel_similarity_accuracy(split, split) == {3: 1.0, 7: 1.0, 'mean': 1.0}
    flipped = {3: split[7], 7: split[3]}
    assert pixel_similarity_accuracy(split, flipped) == {3: 0.0, 7: 0.0, 'mean': 0.0}


@pytest.mark.parametrize('train, valid, exc, msg', [
    ({3: torch.zeros(1, 28, 28)}, {}, KeyError, '7'),
    ({3: torch.zeros(1, 28, 28), 7: torch.zeros(0, 28, 28)}, {}, ValueError, 'mean_digit: `imgs` is empty'),
    ({3: torch.zeros(1, 28, 28), 7: torch.zeros(1, 28, 28)}, {3: torch.zeros(1, 784), 7: torch.zeros(1, 28, 28)},
     ValueError, 'mnist_distance: `a` must have shape (..., 28, 28), got (1, 784); flattened images need .view(-1, 28, 28)'),
    ({3: torch.zeros(1, 28, 28), 7: torch.zeros(1, 28, 28)}, {3: torch.zeros(1, 28, 28, dtype=torch.uint8), 7: torch.zeros(1, 28, 28)},
     TypeError, 'mnist_distance: `a` must be a float tensor'),
])
def test_accuracy_checks_its_splits(train, valid, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)): pixel_similarity_accuracy(train, valid)


@pytest.mark.shared_cache
def test_accuracy_on_the_chapter_data():
    "The book's numbers on MNIST_SAMPLE (0.9168 / 0.9854 / 0.9511); other offline data only needs to be a decent baseline."
    from digitlib.data import load_mnist_sample
    digits = load_mnist_sample('embedded', verbose=False)
    dev = default_device()
    acc = pixel_similarity_accuracy({k: v.to(dev) for k, v in digits.train.items()}, {k: v.to(dev) for k, v in digits.valid.items()})
    if is_mnist_sample(digits):
        assert (round(acc[3], 4), round(acc[7], 4), round(acc['mean'], 4)) == (0.9168, 0.9854, 0.9511)
    else: assert acc['mean'] > 0.9
