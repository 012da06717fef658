"""Fixtures shared by the test files: the digits digitlib ships, no network or fastai data, and the
site's pages processed by nbdev (once per session)."""
import shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))  # the tools (a11y_audit, colab, proc_nbs) import as modules; tests/ is on sys.path already

# Each test decodes into its own cache, so no test depends on (or damages) a user's ~/.cache/digitlib.
@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('DIGITLIB_CACHE', str(tmp_path/'cache'))

@pytest.fixture(scope='module')
def digits():
    "MNIST_SAMPLE's 3s and 7s, from the copy digitlib ships: no network, nothing written."
    from digitlib.data import load_mnist_sample
    return load_mnist_sample('shipped', verbose=False)

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

# What a copy of the repository leaves out: environments (.venv, .venv-colab, ...), git, build output, caches.
NOT_COPIED = shutil.ignore_patterns('.venv*', '.git', '_proc', '_site*', 'node_modules', '__pycache__', '.pytest_cache',
                                    '.hypothesis', '.ipynb_checkpoints', '*.egg-info', 'data-cache', '.data')

@pytest.fixture(scope='session')
def processed_site(tmp_path_factory) -> Path:
    """A copy of the repository in a folder under a dot-folder (`.hidden/course`, like a checkout in ~/.local/src),
    processed there by tools/proc_nbs.py as `make site` does: the pages as Quarto gets them are in its `_proc/`."""
    d = tmp_path_factory.mktemp('site')/'.hidden'/'course'
    shutil.copytree(ROOT, d, ignore=NOT_COPIED)
    r = subprocess.run([sys.executable, 'tools/proc_nbs.py', '--n-workers', '2'], cwd=d, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (d/'proc.log').write_text(r.stdout + r.stderr)
    return d
