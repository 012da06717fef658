"""Write what digitlib computes, for the Node tests of the widgets to compare against.

The widgets' JavaScript must give the same answers as the course's Python. This script runs
digitlib on the same inputs the Node tests use and writes the results into tests/js/.data/
(ignored by git): every MNIST_SAMPLE validation digit as bytes, digitlib's scores for them with
the weights the widgets load (assets/widgets/data/*.json), SGD runs on notebook 4's quadratic
and sums of ReLUs computed by `simple_net`. (The train-live widget's reference, digitlib's loop batch
by batch, is written by notebook 10 into tests/js/train_reference.json.gz.)

    python tests/js/fixtures.py        # then: node --test tests/js/

tests/test_widgets.py runs it before it runs Node, so `pytest tests/test_widgets.py` needs no
extra step. Node tests that need these files skip, saying so, when they are missing.
"""
from __future__ import annotations
import json, struct, sys, zlib
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT/'assets'/'widgets'/'data'
OUT = Path(__file__).resolve().parent/'.data'


def load_widget_models() -> dict:
    "The widgets' JSON files as torch objects: ideal digits, the linear model and simple_net."
    from digitlib.nonlinearity import simple_net
    j = {n: json.loads((DATA/f'{n}.json').read_text()) for n in ('ideal', 'linear', 'simple_net')}
    lin, net = nn.Linear(28*28, 1), simple_net()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(j['linear']['weight']).view(1, 784)); lin.bias.fill_(j['linear']['bias'])
        net[0].weight.copy_(torch.tensor(j['simple_net']['w1']).view(30, 784)); net[0].bias.copy_(torch.tensor(j['simple_net']['b1']))
        net[2].weight.copy_(torch.tensor(j['simple_net']['w2']).view(1, 30)); net[2].bias.fill_(j['simple_net']['b2'])
    ideal = {k: torch.tensor(j['ideal'][f'ideal{k}']).view(28, 28) for k in (3, 7)}
    return {'ideal': ideal, 'linear': lin, 'net': net}


def digit_fixtures(digits) -> tuple:
    "(bytes of every validation digit, dict of digitlib's answers for each) with the widgets' weights."
    from digitlib.data import binary_xy
    from digitlib.tensors import mnist_distance, is_3
    m = load_widget_models()
    x, y = binary_xy(digits.valid)
    imgs = x.view(-1, 28, 28)
    with torch.no_grad():
        lin, net = m['linear'](x).flatten(), m['net'](x).flatten()
    scores = {
        'n': len(x), 'is3': [bool(v) for v in y.flatten().tolist()],
        'd3': mnist_distance(imgs, m['ideal'][3]).tolist(), 'd7': mnist_distance(imgs, m['ideal'][7]).tolist(),
        'pixel_is3': is_3(imgs, m['ideal'][3], m['ideal'][7]).tolist(),
        'linear': lin.tolist(), 'net': net.tolist(),
        'linear_p3': torch.sigmoid(lin).tolist(), 'net_p3': torch.sigmoid(net).tolist(),
    }
    return (x*255).round().to(torch.uint8).numpy().tobytes(), scores


def sgd_fixtures() -> dict:
    "digitlib.sgd on the widget's problems: sgd_fit on notebook 4's quadratic, gd_path on w**2."
    from digitlib.sgd import sgd_fit, quadratic, gd_path
    q = json.loads((DATA/'quadratic.json').read_text())
    time, speed = torch.tensor(q['time']), torch.tensor(q['speed'])
    runs = []
    for lr, steps in ((1e-5, 10), (2e-5, 25), (3.5e-5, 40), (1e-6, 5)):
        params = torch.tensor(q['params']).requires_grad_()
        losses, history = sgd_fit(params, quadratic, time, speed, lr=lr, steps=steps)
        runs.append({'lr': lr, 'steps': steps, 'losses': losses, 'params': [h.tolist() for h in history]})
    paths = [{'lr': lr, 'w0': -4.0, 'steps': 8, 'path': gd_path(lambda w: w**2, -4.0, lr, 8).tolist()}
             for lr in (0.05, 0.3, 0.9, 1.05)]
    return {'quadratic': runs, 'parabola': paths}


def relu_fixtures() -> dict:
    "Sums of ReLUs computed by `simple_net(1, k, 1)` with hand-set weights, and their least-squares fits."
    from digitlib.nonlinearity import simple_net
    g = torch.Generator().manual_seed(0)
    xs = torch.linspace(-2, 2, 200).unsqueeze(1)
    target = torch.sin(3*xs) + 0.4*torch.cos(9*xs)
    cases = []
    for k in (3, 4, 5):
        bends, heights, bias = torch.rand(k, generator=g)*4 - 2, torch.randn(k, generator=g), torch.randn(1, generator=g)
        net = simple_net(1, k, 1)
        with torch.no_grad():
            net[0].weight.fill_(1.); net[0].bias.copy_(-bends)
            net[2].weight.copy_(heights.view(1, k)); net[2].bias.copy_(bias)
            ys = net(xs).flatten()
            feats = torch.cat([torch.relu(xs - bends), torch.ones_like(xs)], 1).double()
            sol = torch.linalg.lstsq(feats, target.double()).solution.flatten()
        cases.append({'bends': bends.tolist(), 'heights': heights.tolist(), 'bias': bias.item(), 'ys': ys.tolist(),
                      'fit_heights': sol[:-1].tolist(), 'fit_bias': sol[-1].item()})
    return {'xs': xs.flatten().tolist(), 'target': target.flatten().tolist(), 'cases': cases}


def read_train_digits(path:Path=DATA/'mnist_sample.bin') -> dict:
    "The train-live widget's digits (notebook 10 writes them): {'train': (x, y, index), 'valid': ...}, x in [0, 1] like digitlib's."
    raw = zlib.decompress(path.read_bytes())
    assert raw[:4] == b'TL37', 'not the train-live digits file'
    n_train, n_valid, size = struct.unpack('<3I', raw[4:16])
    n = n_train + n_valid
    labels = torch.frombuffer(bytearray(raw[16:16+n]), dtype=torch.uint8)
    index = torch.tensor(struct.unpack(f'<{n}H', raw[16+n:16+3*n]))
    pixels = torch.frombuffer(bytearray(raw[16+3*n:]), dtype=torch.uint8).view(n, size).float()/255
    part = lambda s: (pixels[s], labels[s].float().unsqueeze(1), index[s])
    return {'train': part(slice(0, n_train)), 'valid': part(slice(n_train, n))}


def write_fixtures(out:Path=OUT, digits=None) -> Path:
    "Write every fixture into `out`; `digits` defaults to the copy of MNIST_SAMPLE digitlib ships."
    from digitlib.data import load_mnist_sample
    out.mkdir(parents=True, exist_ok=True)
    digits = load_mnist_sample('shipped', verbose=False) if digits is None else digits
    pixels, scores = digit_fixtures(digits)
    (out/'valid_pixels.bin').write_bytes(pixels)
    (out/'digitlib_scores.json').write_text(json.dumps(scores))
    (out/'sgd.json').write_text(json.dumps(sgd_fixtures()))
    (out/'relu.json').write_text(json.dumps(relu_fixtures()))
    return out


if __name__ == '__main__':
    torch.set_num_threads(1)
    print(f"fixtures written to {write_fixtures()}", file=sys.stderr)
