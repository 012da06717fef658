"""Draw the site's thumbnail / social card: assets/thumbnail.png (1200x630 px, the Open Graph ratio).

Left: a grid of real handwritten 3s and 7s from `digitlib.data.load_mnist_sample`.
Right: the "ideal" 3 and 7, the pixel-wise mean of every training 3 and 7 (notebook 2's first model).
Deterministic (fixed seed, fixed metadata), so re-running it gives the same file.

Usage: python tools/make_thumbnail.py [--out assets/thumbnail.png]
"""
from __future__ import annotations
import argparse
from pathlib import Path

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import torch

from digitlib.core import set_seed
from digitlib.data import load_mnist_sample
from digitlib.tensors import mean_digit

ROOT = Path(__file__).resolve().parents[1]


def make_thumbnail(out:Path, n_rows:int=5, n_cols:int=8):
    "Save the card to `out` and return its path."
    set_seed(0)
    digits = load_mnist_sample(verbose=False)
    threes, sevens = digits.train[3], digits.train[7]
    pick = lambda imgs, n: imgs[torch.randperm(len(imgs))[:n]]
    half = n_rows * n_cols // 2
    grid = torch.cat([pick(threes, half), pick(sevens, half)])[torch.randperm(2*half)]
    ideal3, ideal7 = mean_digit(threes), mean_digit(sevens)   # the "ideal" digits of the pixel-similarity model

    fig = plt.figure(figsize=(12, 6.3), dpi=100, facecolor='white')
    gs = fig.add_gridspec(n_rows, n_cols + 5, left=0.03, right=0.97, top=0.80, bottom=0.04, wspace=0.08, hspace=0.08)
    for i, img in enumerate(grid):
        ax = fig.add_subplot(gs[i // n_cols, i % n_cols])
        ax.imshow(img, cmap='Greys', vmin=0, vmax=1); ax.set_axis_off()
    for j, (img, name) in enumerate([(ideal3, 'ideal 3'), (ideal7, 'ideal 7')]):
        ax = fig.add_subplot(gs[:n_rows-1, n_cols+1+2*j:n_cols+3+2*j])
        ax.imshow(img, cmap='magma'); ax.set_axis_off()
        ax.set_title(name, fontsize=20)
    fig.text(0.03, 0.90, 'Under the hood: training a digit classifier', fontsize=30, weight='bold', va='center')
    fig.text(0.03, 0.835, 'Chapter 4 of the fastai book, from pixels to SGD, as notebooks and a small library',
             fontsize=15, color='#444444', va='center')
    fig.text(0.70, 0.10, 'real 3s and 7s (left)\nvs their pixel-wise means', fontsize=13, color='#444444')
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, metadata={'Software': None})
    plt.close(fig)
    return out


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', type=Path, default=ROOT/'assets'/'thumbnail.png')
    out = make_thumbnail(ap.parse_args().out)
    print(f"wrote {out} ({out.stat().st_size/1024:.0f} KB)")
