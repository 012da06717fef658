"Tests for digitlib.optimizer, digitlib.learner and digitlib.bench: exact SGD steps, training, reproducibility, errors."
import math, re, subprocess, sys

import pytest
import torch
from torch import nn

from digitlib.data import load_mnist_sample, binary_xy, set_seed
from digitlib.loss import DataLoaders, TensorDataLoader
from digitlib.loss import mnist_loss, batch_accuracy, mse
from digitlib.optimizer import BasicOptim, calc_grad, train_epoch, validate_epoch, train_model, check_lr, check_epochs
from digitlib.learner import (Learner, Callback, Recorder, ProgressCallback, DivergenceCheck, TrainingDiverged,
                              CancelFitException, EVENTS)

pytestmark = pytest.mark.shared_cache  # read the embedded digits from the user cache instead of rebuilding them


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    "These models are tiny: one PyTorch thread is faster, and keeps timings steady when other tests run alongside."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope='module')
def data():
    d = load_mnist_sample(verbose=False)
    return (*binary_xy(d.train), *binary_xy(d.valid))


def make_dls(data, seed=42, bs=256, n=None):
    tx, ty, vx, vy = data
    if n is not None: tx, ty = tx[:n//2].clone(), ty[:n//2].clone()  # a quick slice, 3s only, for tests of mechanics
    return DataLoaders.from_tensors(tx, ty, vx, vy, bs=bs, seed=seed)


def quiet_linear(data, seed=42, **kw):
    set_seed(seed)
    return Learner(make_dls(data, seed), nn.Linear(28*28, 1), cbs=[], **kw)


# -- BasicOptim is torch.optim.SGD ---------------------------------------------------------------

@pytest.mark.parametrize('lr', [1.0, 0.1, 0.01, 0.37, 3.0])
def test_basic_optim_takes_exactly_sgds_steps(data, lr):
    set_seed(0)
    a = nn.Sequential(nn.Linear(28*28, 30), nn.ReLU(), nn.Linear(30, 1)); b = nn.Sequential(nn.Linear(28*28, 30), nn.ReLU(), nn.Linear(30, 1))
    b.load_state_dict(a.state_dict())
    oa, ob = BasicOptim(a.parameters(), lr), torch.optim.SGD(b.parameters(), lr=lr)
    for i, (xb, yb) in enumerate(TensorDataLoader(data[0], data[1], bs=64, shuffle=True, seed=1, device='cpu')):
        if i == 8: break
        for m, o in ((a, oa), (b, ob)):
            calc_grad(xb, yb, m); o.step(); o.zero_grad()
        for p, q in zip(a.parameters(), b.parameters()): assert torch.equal(p, q), f"step {i}: parameters differ"
    assert all(p.grad is None for p in a.parameters())


def test_basic_optim_and_sgd_via_learner_identical(data):
    runs = []
    for opt_func in (BasicOptim, torch.optim.SGD):
        learn = quiet_linear(data, opt_func=opt_func)
        learn.fit(2, 0.5)
        runs.append((learn.recorder.values, [p.detach().clone() for p in learn.model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(p, q) for p, q in zip(runs[0][1], runs[1][1]))


# -- the from-scratch loop ----------------------------------------------------------------------

def test_train_model_linear(data):
    set_seed(42)
    accs = train_model(nn.Linear(28*28, 1), make_dls(data), epochs=3, lr=1.)
    assert len(accs) == 3 and accs[-1] > 0.95
    assert all(isinstance(a, float) and a == round(a, 4) for a in accs)


def test_validate_epoch_weights_batches_by_size():
    x = torch.zeros(5, 1); y = torch.tensor([[1.], [1.], [1.], [0.], [0.]])
    model = lambda xb: torch.full_like(xb, 10.)  # always says "3": right on 3 of 5
    assert validate_epoch(model, TensorDataLoader(x, y, bs=4, device='cpu')) == 0.6  # not mean(3/4, 0/1) = 0.375


# -- Learner --------------------------------------------------------------------------------------

def test_learner_trains_linear_model(data):
    learn = quiet_linear(data)
    learn.fit(3, lr=1.)
    vals = learn.recorder.values
    assert [v[0] for v in vals] == [0, 1, 2]
    assert vals[-1][3] > 0.95 and vals[-1][1] < vals[0][1]
    loss, acc = learn.validate()
    assert math.isclose(loss, vals[-1][2], rel_tol=1e-4) and math.isclose(acc, vals[-1][3], rel_tol=1e-4)
    preds, targs = learn.get_preds()
    assert preds.shape == targs.shape == (len(data[2]), 1)
    assert len(learn.recorder.batch_losses) == 3*len(learn.dls.train) and len(learn.recorder.times) == 3


def test_same_seed_same_numbers(data):
    def run():
        learn = quiet_linear(data, seed=7)
        learn.fit(2, lr=1.)
        return learn.recorder.values, [p.detach().clone() for p in learn.model.parameters()]
    (v1, p1), (v2, p2) = run(), run()
    assert v1 == v2
    assert all(torch.equal(a, b) for a, b in zip(p1, p2))


def test_training_diverged(data):
    set_seed(42)
    learn = Learner(make_dls(data), nn.Linear(28*28, 1), loss_func=mse, cbs=[])
    with pytest.raises(TrainingDiverged, match=r'diverged in epoch 0 \(of 3\) with lr=10\.0'):
        learn.fit(3, lr=10.)
    assert issubclass(TrainingDiverged, ValueError)
    assert len(learn.recorder.values) == 1  # stopped after the first epoch


@pytest.mark.parametrize('n_epoch, lr, exc, msg', [
    (0, 1., ValueError, 'n_epoch must be an integer >= 1, got 0'),
    (-2, 1., ValueError, 'n_epoch must be an integer >= 1, got -2'),
    (1.5, 1., TypeError, 'n_epoch must be an integer >= 1, got 1.5'),
    (True, 1., TypeError, 'n_epoch must be an integer >= 1, got True'),
    (1, 0., ValueError, 'lr must be a positive finite number, got 0.0'),
    (1, -0.1, ValueError, 'lr must be a positive finite number, got -0.1'),
    (1, float('nan'), ValueError, 'got nan'),
    (1, float('inf'), ValueError, 'got inf'),
    (1, '0.1', TypeError, "got '0.1' of type str"),
    (1, None, TypeError, 'got None'),
])
def test_fit_rejects_bad_arguments(data, n_epoch, lr, exc, msg):
    learn = quiet_linear(data)
    before = [p.detach().clone() for p in learn.model.parameters()]
    with pytest.raises(exc, match=re.escape(msg)): learn.fit(n_epoch, lr)
    assert all(torch.equal(a, b) for a, b in zip(before, learn.model.parameters()))  # nothing was trained


def test_other_bad_arguments(data):
    with pytest.raises(TypeError, match=r'must have \.train and \.valid'): Learner(data, nn.Linear(784, 1))
    with pytest.raises(TypeError, match='must be a torch nn.Module'): Learner(make_dls(data), lambda x: x)
    with pytest.raises(TypeError, match='must be Callback instances'): Learner(make_dls(data), nn.Linear(784, 1), cbs=[print])
    with pytest.raises(ValueError, match='params` is empty'): BasicOptim([], 0.1)
    with pytest.raises(ValueError, match='lr must be a positive finite number'): BasicOptim(nn.Linear(2, 1).parameters(), 0)
    with pytest.raises(ValueError, match='epochs must be an integer >= 1, got 0'): train_model(nn.Linear(784, 1), make_dls(data), 0, 1.)
    assert check_lr(2) == 2.0 and isinstance(check_lr(2), float) and check_epochs(3) == 3


# -- callbacks ------------------------------------------------------------------------------------

class EventLog(Callback):
    def __init__(self): self.log = []
for _e in EVENTS: setattr(EventLog, _e, (lambda e: lambda self: self.log.append(e))(_e))


def test_event_order_and_per_fit_callbacks(data):
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), cbs=[])
    log = EventLog()
    learn.fit(2, 0.1, cbs=log)
    assert log not in learn.cbs and not hasattr(learn, 'event_log')  # only for that fit
    assert log.log[:4] == ['before_fit', 'before_epoch', 'before_train', 'before_batch']
    n_tr, n_va = len(learn.dls.train), len(learn.dls.valid)
    assert log.log.count('after_loss') == 2*(n_tr + n_va) and log.log.count('before_epoch') == 2
    assert log.log[-3:] == ['after_validate', 'after_epoch', 'after_fit']


def test_metrics_list_and_plain_float_metric(data):
    frac_3 = lambda preds, yb: float((preds > 0).float().mean())  # a metric returning a Python float
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), metrics=[batch_accuracy, frac_3], cbs=[])
    learn.fit(1, 0.1)
    assert learn.recorder.metric_names == ['train_loss', 'valid_loss', 'batch_accuracy', '<lambda>']
    assert len(learn.recorder.values[0]) == 5 and len(learn.validate()) == 3


def test_cancel_fit_and_remove_cb(data):
    class StopAfterOne(Callback):
        order = 25
        def after_epoch(self): raise CancelFitException()
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1))
    assert isinstance(learn.progress, ProgressCallback) and isinstance(learn.recorder, Recorder)
    learn.remove_cb(ProgressCallback)
    assert not any(isinstance(c, ProgressCallback) for c in learn.cbs) and not hasattr(learn, 'progress')
    learn.fit(5, 0.1, cbs=StopAfterOne)
    assert len(learn.recorder.values) == 1


def test_progress_callback_draws_batches_and_table(data, capsys):
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), cbs=[ProgressCallback(show_times=True, refresh=0.)])
    learn.fit(2, 0.1)
    out = capsys.readouterr().out
    assert 'train_loss' in out and 'batch_accuracy' in out and 'time' in out
    assert len(learn.recorder.values) == 2 and not hasattr(learn.progress, 'mbar')  # bar closed after the fit


def test_default_learner_has_progress_but_no_fastai_import():
    code = ("import sys, digitlib.optimizer, digitlib.learner, digitlib.bench; "
            "assert not any(m == 'fastai' or m.startswith('fastai.') for m in sys.modules), 'fastai imported'")
    subprocess.run([sys.executable, '-c', code], check=True)


# -- bench ----------------------------------------------------------------------------------------

def test_bench_command_line(capsys):
    from digitlib.bench import main
    res = main(['--n-train', '1000', '--epochs', '2', '--device', 'cpu'])
    out = capsys.readouterr().out
    assert re.search(r'^ratio fastai/digitlib: \d+\.\d$', out, re.M), out
    assert len(res['digitlib']['epoch_times']) == len(res['fastai']['epoch_times']) == 2
    assert abs(res['digitlib']['accuracy'] - res['fastai']['accuracy']) < 0.02
    with pytest.raises(SystemExit): main(['--epochs', '0'])
    assert 'epochs must be an integer >= 1, got 0' in capsys.readouterr().err
