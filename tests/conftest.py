import os, tempfile
import pytest
import torch

# Each test session decodes into its own cache, so tests never depend on (or damage) a user's cache,
# except for the embedded MNIST copy, which is shared read-only state and slow to rebuild.
@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch, request):
    if 'shared_cache' in request.keywords: return
    monkeypatch.setenv('DIGITLIB_CACHE', str(tmp_path/'cache'))

def pytest_configure(config):
    config.addinivalue_line('markers', 'shared_cache: use the user cache (for the embedded digits)')


# Shared by the test files: PyTorch on one thread, MNIST_SAMPLE's digits, and no network or fastai data.
@pytest.fixture(scope='module')
def one_thread():
    "These models are tiny: one PyTorch thread is faster, and keeps timings steady when other tests run alongside."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

@pytest.fixture(scope='module')
def digits():
    from digitlib.data import load_mnist_sample
    return load_mnist_sample(verbose=False)

@pytest.fixture(scope='module')
def data(digits):
    "(train_x, train_y, valid_x, valid_y) of the 3s and 7s, as the models take them."
    from digitlib.data import binary_xy
    return (*binary_xy(digits.train), *binary_xy(digits.valid))

@pytest.fixture
def offline(monkeypatch, tmp_path):
    "No fastai data on disk, no network, no DIGITLIB_DATA."
    import digitlib.sources as ds
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'no-fastai-home'))
    monkeypatch.delenv('DIGITLIB_DATA', raising=False)
    monkeypatch.setattr(ds, '_online', lambda url, timeout=3.0: False)
