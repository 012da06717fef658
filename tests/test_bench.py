"Tests for digitlib.bench: its data, its report, argument errors, fastai's event count, and the command line."
import re, subprocess, sys
import pytest
import torch

from digitlib.bench import bench_data, run_benchmark, report, main

pytestmark = pytest.mark.shared_cache  # uses the digits shipped with digitlib, read-only


def test_bench_data():
    tx, ty, vx, vy = bench_data(300)
    assert tx.shape == (300, 784) and ty.shape == (300, 1) and vx.shape[1] == 784 and len(vx) == len(vy)
    assert torch.equal(bench_data(300)[0], tx)  # seeded: the same subset every time


@pytest.mark.parametrize('kwargs, msg', [
    (dict(epochs=0), '`epochs` must be a positive integer, got 0'),
    (dict(epochs=2.5), '`epochs` must be a positive integer'),
    (dict(lr=-0.1), '`lr` must be a positive finite number, got -0.1'),
    (dict(lr=float('inf')), '`lr` must be a positive finite number'),
    (dict(bs=0), '`bs` must be a positive integer, got 0'),
    (dict(n_train=0), '`n_train` must be a positive integer, got 0'),
    (dict(threads=0), '`threads` must be a positive integer, got 0'),
    (dict(device='tpu'), 'device must be'),
])
def test_run_benchmark_refuses_bad_arguments_before_training(kwargs, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        run_benchmark(**kwargs)


def test_report_ends_with_the_ratio():
    times = lambda t: dict(epoch_times=[t, t], total=2*t, accuracy=0.97, median=t)
    res = dict(n_train=100, n_valid=50, epochs=2, bs=32, lr=0.1, device='cpu', threads=1,
               digitlib=times(0.01), fastai=times(0.04), ratio=4.0)
    lines = report(res).splitlines()
    assert lines[-1] == 'ratio fastai/digitlib: 4.0'
    assert len(lines) == 2 + 2 + 4  # settings, header, two epochs, total, median, accuracies, ratio


def test_fastai_announces_eight_events_per_training_batch():
    pytest.importorskip('fastai')
    from fastai.callback.core import Callback as FastaiCallback
    from digitlib.bench import fastai_learner
    class EventLog(FastaiCallback):
        def __init__(self): self.events = []
        def __call__(self, event_name):
            self.events.append(event_name)
            return super().__call__(event_name)
    log = EventLog()
    learn = fastai_learner(bench_data(512), bs=256, device='cpu', cbs=log)
    with learn.no_logging(): learn.fit(1, 0.1)
    ev = log.events
    train = ev[ev.index('before_train') + 1:ev.index('after_train')]
    assert train.count('before_batch') == 2 and len(train) == 16


def test_command_line_small_run(capsys):
    pytest.importorskip('fastai')
    res = main(['--n-train', '500', '--epochs', '2', '--device', 'cpu'])
    out = capsys.readouterr().out
    assert re.search(r'^ratio fastai/digitlib: \d+\.\d$', out, re.M), out
    assert len(res['digitlib']['epoch_times']) == len(res['fastai']['epoch_times']) == 2
    assert abs(res['digitlib']['accuracy'] - res['fastai']['accuracy']) < 0.02  # same start, same steps


def test_command_line_error_is_one_line():
    r = subprocess.run([sys.executable, '-m', 'digitlib.bench', '--epochs', '0'], capture_output=True, text=True)
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert '`epochs` must be a positive integer, got 0' in r.stderr.strip().splitlines()[-1]
