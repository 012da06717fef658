"Property and fuzz tests for digitlib.broadcasting: broadcast_shape must agree with PyTorch and fail clearly (PyTorch's own error for what is not a shape)."
import re

import matplotlib
matplotlib.use('Agg')
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from digitlib.broadcasting import broadcast_shape, show_broadcast

FAST = settings(max_examples=200, deadline=None, database=None)


@st.composite
def shape_lists(draw, max_rank=5, max_size=4):
    "1-4 shapes built as variations on one base shape, so that they broadcast about as often as they clash."
    base = draw(st.lists(st.integers(0, max_size), max_size=max_rank))
    def variant():
        keep = draw(st.integers(0, len(base)))
        return tuple(draw(st.sampled_from([d, d, 1, draw(st.integers(0, max_size))])) for d in base[len(base) - keep:])
    return [variant() for _ in range(draw(st.integers(1, 4)))]


def torch_result(shapes):
    try: return tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError: return None


# --- examples -------------------------------------------------------------------------------------

@pytest.mark.parametrize('shapes, expected', [
    ([(1010, 28, 28), (28, 28)], (1010, 28, 28)),
    ([(3, 1), (1, 4)], (3, 4)),
    ([(256, 1), (256,)], (256, 256)),
    ([(8, 1, 6, 1), (7, 1, 5)], (8, 7, 6, 5)),
    ([], ()),
    ([()], ()),
    ([(), ()], ()),
    ([(), (2, 3)], (2, 3)),             # a scalar broadcasts with anything
    ([(0,), (1,)], (0,)),               # size 0 is an ordinary size: 0 with 1 gives 0
    ([(0, 3), (0, 1)], (0, 3)),
    ([(5, 0), (5, 1), (1, 1)], (5, 0)),
    ([[2, 1], torch.Size([3, 1, 5])], (3, 2, 5)),
    ([(np.int64(2), 3), (3,)], (2, 3)),
])
def test_examples(shapes, expected):
    assert broadcast_shape(*shapes) == expected
    assert expected == torch_result([tuple(map(int, s)) for s in shapes])


def test_result_is_a_tuple_of_ints():
    res = broadcast_shape(torch.Size([2, 1]), [np.int32(1), 3])
    assert type(res) is tuple and all(type(d) is int for d in res)


def test_clash_message_names_dimension_and_sizes():
    with pytest.raises(ValueError, match=re.escape(
            "shapes (2, 3) and (4,): dimension -1 has sizes 3 and 4; sizes must be equal or one of them 1")):
        broadcast_shape((2, 3), (4,))
    with pytest.raises(ValueError, match=re.escape("shapes (0, 3) and (2, 3): dimension -2 has sizes 0 and 2")):
        broadcast_shape((0, 3), (2, 3))
    with pytest.raises(ValueError, match=re.escape("shapes (5, 1, 2) and (6, 1, 1): dimension -3 has sizes 5 and 6")):
        broadcast_shape((5, 1, 2), (1, 7, 2), (6, 1, 1))


@pytest.mark.parametrize('bad, exc, msg', [
    (3, TypeError, "'int' object is not iterable"),
    ('23', TypeError, "item 0 is 'str'"),
    (None, TypeError, "'NoneType' object is not iterable"),
    (torch.zeros(2, 3), TypeError, "item 0 is 'Tensor'"),
    ((2, 3.0), TypeError, "item 1 is 'float'"),
    ((2, '3'), TypeError, "item 1 is 'str'"),
    ((2, None), TypeError, "item 1 is 'NoneType'"),
    (((2,), 3), TypeError, "item 0 is 'tuple'"),
])
def test_what_is_not_a_shape_gets_pytorchs_error(bad, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        broadcast_shape((2, 3), bad)


# --- properties -----------------------------------------------------------------------------------

@FAST
@given(shape_lists())
def test_agrees_with_torch(shapes):
    expected = torch_result(shapes)
    if expected is not None:
        assert broadcast_shape(*shapes) == expected
        return
    with pytest.raises(ValueError) as e: broadcast_shape(*shapes)
    msg = str(e.value)
    k, m, n = map(int, re.search(r'dimension -(\d+) has sizes (\d+) and (\d+); sizes must be equal or one of them 1', msg).groups())
    at_k = {s[-k] for s in shapes if len(s) >= k}
    assert m != n and 1 not in (m, n) and {m, n} <= at_k, (shapes, msg)


@FAST
@given(shape_lists())
def test_matches_real_tensor_arithmetic_and_order(shapes):
    expected = torch_result(shapes)
    if expected is None: return
    total = sum((torch.zeros(s) for s in shapes), torch.zeros(()))
    assert broadcast_shape(*shapes) == tuple(total.shape)
    assert broadcast_shape(*reversed(shapes)) == broadcast_shape(*shapes)


@FAST
@given(st.lists(st.lists(st.integers(0, 3), max_size=4), min_size=1, max_size=3))
def test_random_lists_agree_with_torch(shapes):
    expected = torch_result(shapes)
    if expected is None:
        with pytest.raises(ValueError, match='sizes must be equal or one of them 1'): broadcast_shape(*shapes)
    else: assert broadcast_shape(*shapes) == expected


junk_size = st.one_of(st.floats(allow_nan=True), st.text(max_size=3), st.none(), st.tuples(st.integers(0, 3)))
junk_shape = st.one_of(
    st.integers(), st.floats(), st.text(min_size=1, max_size=4), st.none(),
    st.builds(lambda good, bad, i: tuple(good[:i] + [bad] + good[i:]),
              st.lists(st.integers(0, 4), max_size=3), junk_size, st.integers(0, 3)))

@FAST
@given(st.lists(st.lists(st.integers(0, 4), max_size=3).map(tuple), max_size=3), junk_shape, st.data())
def test_junk_raises_a_type_error(good, junk, data):
    "Anything that is not a sequence of ints is refused by torch.Size, wherever it comes in the list."
    pos = data.draw(st.integers(0, len(good)))
    shapes = good[:pos] + [junk] + good[pos:]
    with pytest.raises(TypeError, match="iterable"): broadcast_shape(*shapes)


# --- the diagram ----------------------------------------------------------------------------------

def test_show_broadcast_draws_every_box():
    import matplotlib.pyplot as plt
    fig = show_broadcast((1010, 28, 28), (28, 28), names=['x', 'ideal'])
    assert len(fig.axes[0].patches) == 3 * 3
    assert any('result (1010, 28, 28)' in t.get_text() for t in fig.axes[0].texts)
    fig2 = show_broadcast((2, 3), (4,))
    assert any(t.get_text() == 'does not broadcast' for t in fig2.axes[0].texts)
    plt.close('all')


def test_show_broadcast_refuses_what_is_not_a_shape():
    with pytest.raises(TypeError, match="item 0 is 'str'"): show_broadcast((2, 3), 'ab')


def test_show_broadcast_marks_stretched_and_missing_sizes():
    import matplotlib.pyplot as plt
    texts = [t.get_text() for t in show_broadcast((5, 1, 28, 28), (4, 28, 28)).axes[0].texts]
    assert '1→4' in texts and '(1)→5' in texts and 'result (5, 4, 28, 28)' in texts
    plt.close('all')
