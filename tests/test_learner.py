"Tests for digitlib.learner: training, callbacks, recorder, progress bar, divergence, checks."
import math, re, subprocess, sys

import pytest
import torch
from torch import nn

from digitlib.data import load_mnist_sample, binary_xy, set_seed, is_mnist_sample
from digitlib.loss import DataLoaders, mnist_loss, batch_accuracy
from digitlib.sgd import mse
from digitlib.optimizer import BasicOptim
from digitlib.learner import (Learner, Callback, Recorder, ProgressCallback, DivergenceCheck, TrainingDiverged,
                              CancelFitException)

pytestmark = [pytest.mark.shared_cache, pytest.mark.usefixtures('one_thread')]  # the user's data cache; one thread
EVENTS = ('before_fit', 'before_epoch', 'before_batch', 'after_batch', 'after_epoch', 'after_fit')




def make_dls(data, seed=42, bs=256, n=None):
    tx, ty, vx, vy = data
    if n is not None:  # a quick slice with both digits, for tests of mechanics
        keep = torch.randperm(len(tx), generator=torch.Generator().manual_seed(0))[:n]
        tx, ty = tx[keep], ty[keep]
    return DataLoaders.from_tensors(tx, ty, vx, vy, bs=bs, seed=seed, device='cpu')


def quiet_linear(data, seed=42, **kw):
    set_seed(seed)
    return Learner(make_dls(data, seed), nn.Linear(28*28, 1), cbs=[], **kw)


class EventLog(Callback):
    def __init__(self): self.log = []
for _e in EVENTS: setattr(EventLog, _e, (lambda e: lambda self: self.log.append(e))(_e))


# -- training ------------------------------------------------------------------------------------

def test_learner_trains_linear_model(digits, data):
    learn = quiet_linear(data)
    learn.fit(3, lr=1.)
    vals = learn.recorder.values
    assert [v[0] for v in vals] == [0, 1, 2] and all(len(v) == 4 for v in vals)
    assert vals[-1][1] < vals[0][1]
    if is_mnist_sample(digits): assert vals[-1][3] > 0.95
    loss, acc = learn.validate()
    assert math.isclose(loss, vals[-1][2], rel_tol=1e-4) and math.isclose(acc, vals[-1][3], rel_tol=1e-4)
    preds, targs = learn.get_preds()
    assert preds.shape == targs.shape == (len(data[2]), 1)
    assert len(learn.recorder.batch_losses) == 3*len(learn.dls.train) and len(learn.recorder.times) == 3


def test_recorder_weights_batches_by_size(data):
    learn = quiet_linear(data)
    learn.fit(1, lr=1.)
    preds, targs = learn.get_preds()
    assert math.isclose(learn.recorder.values[0][3], float(batch_accuracy(preds, targs)), rel_tol=1e-5)


def test_same_seed_same_numbers(data):
    def run():
        learn = quiet_linear(data, seed=7)
        learn.fit(2, lr=1.)
        return learn.recorder.values, [p.detach().clone() for p in learn.model.parameters()]
    (v1, p1), (v2, p2) = run(), run()
    assert v1 == v2
    assert all(torch.equal(a, b) for a, b in zip(p1, p2))


def test_basic_optim_and_sgd_via_learner_agree(data):
    runs = []
    for opt_func in (BasicOptim, torch.optim.SGD):
        learn = quiet_linear(data, opt_func=opt_func)
        learn.fit(2, 0.5)
        runs.append([p.detach().clone() for p in learn.model.parameters()])
    assert all(torch.allclose(p, q, atol=1e-5) for p, q in zip(*runs))


def test_learner_lr_is_the_default_for_fit(data):
    learn = quiet_linear(data, lr=0.5)
    assert learn.lr == 0.5
    learn.fit(1)
    assert learn.lr == 0.5 and learn.opt.lr == 0.5
    learn.fit(1, lr=0.2)
    assert learn.lr == 0.2 and learn.opt.lr == 0.2


def test_training_diverged(data):
    set_seed(42)
    log = EventLog()
    learn = Learner(make_dls(data), nn.Linear(28*28, 1), loss_func=mse, cbs=[log])
    with pytest.raises(TrainingDiverged, match=r'diverged in epoch 0 \(of 3\) with lr=10\.0'):
        learn.fit(3, lr=10.)
    assert issubclass(TrainingDiverged, ValueError)
    assert len(learn.recorder.values) == 1  # stopped after the first epoch
    assert log.log[-1] == 'after_fit'       # and still closed the run


# -- checks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('n_epoch, lr, msg', [
    (0, 1., '`n_epoch` must be a positive integer, got 0'),
    (-2, 1., '`n_epoch` must be a positive integer, got -2'),
    (1.5, 1., '`n_epoch` must be a positive integer, got 1.5'),
    (True, 1., '`n_epoch` must be a positive integer, got True'),
    (1, 0., '`lr` must be a positive finite number, got 0.0'),
    (1, -0.1, '`lr` must be a positive finite number, got -0.1'),
    (1, float('nan'), 'got nan'),
    (1, float('inf'), 'got inf'),
    (1, '0.1', "got '0.1'"),
])
def test_fit_rejects_bad_arguments(data, n_epoch, lr, msg):
    learn = quiet_linear(data)
    before = [p.detach().clone() for p in learn.model.parameters()]
    with pytest.raises(ValueError, match=re.escape(msg)) as e: learn.fit(n_epoch, lr)
    assert str(e.value).startswith('Learner.fit: ')
    assert all(torch.equal(a, b) for a, b in zip(before, learn.model.parameters()))  # nothing was trained


@pytest.mark.parametrize('lr', [0, -1., float('nan'), '1'])
def test_learner_rejects_a_bad_lr(data, lr):
    with pytest.raises(ValueError, match='`lr` must be a positive finite number'): Learner(make_dls(data), nn.Linear(784, 1), lr=lr)


def test_basic_optim_does_not_check_again():
    "One check per call path: the entry points (Learner, fit, train_model) check lr; BasicOptim takes what it is given."
    opt = BasicOptim(nn.Linear(2, 1).parameters(), 0.1)
    assert opt.lr == 0.1 and len(opt.params) == 2


# -- callbacks ------------------------------------------------------------------------------------

def test_callback_names():
    class StopAtAccuracy(Callback): pass
    assert Recorder().name == 'recorder' and ProgressCallback().name == 'progress'
    assert DivergenceCheck().name == 'divergence_check' and StopAtAccuracy().name == 'stop_at_accuracy'


def test_default_callbacks(data):
    dls = make_dls(data, n=600)
    names = lambda learn: [type(cb).__name__ for cb in learn.cbs]
    assert names(Learner(dls, nn.Linear(784, 1))) == ['Recorder', 'DivergenceCheck', 'ProgressCallback']
    assert names(Learner(dls, nn.Linear(784, 1), cbs=[])) == ['Recorder', 'DivergenceCheck']
    learn = Learner(dls, nn.Linear(784, 1), cbs=[EventLog])  # a class is instantiated
    assert names(learn) == ['Recorder', 'DivergenceCheck', 'EventLog'] and learn.event_log.learn is learn


def test_event_order(data):
    log = EventLog()
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), cbs=[log])
    learn.fit(2, 0.1)
    n_tr, n_va = len(learn.dls.train), len(learn.dls.valid)
    assert log.log[:3] == ['before_fit', 'before_epoch', 'before_batch']
    assert log.log.count('after_batch') == log.log.count('before_batch') == 2*(n_tr + n_va)
    assert log.log.count('before_epoch') == log.log.count('after_epoch') == 2
    assert log.log[-2:] == ['after_epoch', 'after_fit']


def test_callbacks_run_in_order(data):
    seen = []
    class Late(Callback):
        order = 50
        def after_epoch(self): seen.append(('late', len(self.learn.recorder.values)))
    class Early(Callback):
        order = -5
        def after_epoch(self): seen.append(('early', len(self.learn.recorder.values)))
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), cbs=[Late(), Early()])
    learn.fit(1, 0.1)
    assert seen == [('early', 0), ('late', 1)]  # the recorder (order 10) writes its row in between


def test_metrics_list_and_plain_float_metric(data):
    frac_3 = lambda preds, yb: float((preds > 0).float().mean())  # a metric returning a Python float
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), metrics=[batch_accuracy, frac_3], cbs=[])
    learn.fit(1, 0.1)
    assert learn.recorder.metric_names == ['train_loss', 'valid_loss', 'batch_accuracy', '<lambda>']
    assert len(learn.recorder.values[0]) == 5 and all(isinstance(v, float) for v in learn.recorder.values[0][1:])
    assert len(learn.validate()) == 3


def test_cancel_fit(data):
    class StopAfterOne(Callback):
        order = 25
        def after_epoch(self): raise CancelFitException()
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), cbs=[StopAfterOne()])
    learn.fit(5, 0.1)
    assert len(learn.recorder.values) == 1


def test_recorder_plot_returns_its_figure(data):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), cbs=[])
    learn.fit(2, 0.1)
    fig = learn.recorder.plot(title='t')
    assert len(fig.axes) == 2 and fig.axes[1].get_legend() is not None
    plt.close(fig)


def test_progress_callback_draws_a_table(data, capsys):
    learn = Learner(make_dls(data, n=600), nn.Linear(784, 1), cbs=[ProgressCallback(show_times=True)])
    learn.fit(2, 0.1)
    out = capsys.readouterr().out
    assert 'train_loss' in out and 'batch_accuracy' in out and 'time' in out
    assert len(learn.recorder.values) == 2


def test_learner_does_not_import_fastai():
    code = ("import sys, digitlib.optimizer, digitlib.learner; "
            "assert not any(m == 'fastai' or m.startswith('fastai.') for m in sys.modules), 'fastai imported'")
    subprocess.run([sys.executable, '-c', code], check=True)
