"`import digitlib.<module>` must not import fastai: only the benchmark's functions need it, and only when called."
import subprocess, sys


def test_importing_digitlib_does_not_import_fastai():
    # A fresh interpreter (a notebook's kernel may already hold fastai); starting one and importing torch takes
    # several seconds, too slow for a hidden cell of notebook 7, so this check lives here.
    code = ("import sys, digitlib.data, digitlib.sources, digitlib.optimizer, digitlib.learner, digitlib.nonlinearity, digitlib.bench; "
            "assert not any(m == 'fastai' or m.startswith('fastai.') for m in sys.modules), 'fastai imported'")
    subprocess.run([sys.executable, '-c', code], check=True)
