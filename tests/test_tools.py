"""The project's own tools and first-run experience: `make` with no target, the install's messages,
the sync check (nbdev-clean + nbdev-export + git status, as nbdev's CI does it), the README's layout.

Everything runs in temporary folders with fakes where a real run would be slow (the install)."""
from __future__ import annotations
import json, os, re, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TORCH_CPU = 'torch torchvision --index-url https://download.pytorch.org/whl/cpu'
needs_make = pytest.mark.skipif(shutil.which('make') is None, reason='make is not installed')
needs_git = pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')


# ---------------------------------------------------------------- make
@needs_make
def test_make_without_target_prints_the_two_commands():
    r = subprocess.run(['make', '--no-print-directory'], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert re.search(r'^\s*make test\b', r.stdout, re.M) and re.search(r'^\s*make site\b', r.stdout, re.M)
    assert '2.7 GB' in r.stdout and f'TORCH="{TORCH_CPU}"' in r.stdout


def _fake_venv(tmp:Path) -> Path:
    "A copy of the Makefile and pyproject.toml, with a .venv whose python only logs what pip is asked to do."
    shutil.copy(ROOT/'Makefile', tmp); shutil.copy(ROOT/'pyproject.toml', tmp)
    (tmp/'.venv/bin').mkdir(parents=True)
    py = tmp/'.venv/bin/python'
    py.write_text('#!/bin/sh\necho "$@" >> "$(dirname "$0")/../pip.log"\n'
                  'case "$*" in *torch*) echo "Collecting torch"; echo "  Downloading torch-2.14.1-cp311-linux_x86_64.whl (900 MB)";; esac\n')
    py.chmod(0o755)
    return tmp

@needs_make
def test_install_says_what_is_coming_and_shows_each_step(tmp_path):
    d = _fake_venv(tmp_path)
    run = lambda *a: subprocess.run(['make', '--no-print-directory', 'venv', *a], cwd=d, capture_output=True, text=True, timeout=60)
    r = run()
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert '2.7 GB' in out and TORCH_CPU in out, "the first install names its size and the CPU-only alternative"
    steps = [l for l in out.splitlines() if l.startswith('->')]
    assert len(steps) >= 2 and 'PyTorch' in steps[0] and 'digitlib' in steps[1]
    assert 'Downloading torch' in out, "pip's download lines show progress"
    assert 'Collecting' not in out
    assert (d/'.venv/.installed').exists()
    log = (d/'.venv/pip.log').read_text()
    assert 'install torch==' in log and '-e .[dev]' in log
    assert run().stdout.strip() == '', "nothing to do once installed"
    (d/'.venv/.installed').unlink()
    r = run(f'TORCH={TORCH_CPU}')
    assert '2.7 GB' not in r.stdout and 'download.pytorch.org/whl/cpu' in (d/'.venv/pip.log').read_text()


# ---------------------------------------------------------------- the sync check
TOY_PYPROJECT = '''[project]
name = "toylib"
version = "0.0.1"
description = "toy"
requires-python = ">=3.10"

[tool.nbdev]
lib_path = "toylib"
nbs_path = "nbs"
jupyter_hooks = false
clean_ids = true
'''

def _toy_nb():
    cell = lambda i, src: {'cell_type': 'code', 'execution_count': None, 'id': i, 'metadata': {}, 'outputs': [], 'source': src}
    return {'cells': [cell('a1', '#| default_exp core'), cell('b2', '#| export\ndef f(): return 1')],
            'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 5}

def _git(d, *a): subprocess.run(['git', '-c', 'user.email=t@example.com', '-c', 'user.name=t', *a], cwd=d, check=True, capture_output=True)

@pytest.fixture
def toy_repo(tmp_path):
    "A tiny nbdev project in a git repository, committed in sync."
    d = tmp_path/'toy'
    (d/'nbs').mkdir(parents=True)
    (d/'pyproject.toml').write_text(TOY_PYPROJECT)
    (d/'nbs/00_core.ipynb').write_text(json.dumps(_toy_nb(), indent=1) + '\n')
    subprocess.run([str(BIN/'nbdev-export')], cwd=d, check=True, capture_output=True)
    subprocess.run([str(BIN/'nbdev-clean')], cwd=d, check=True, capture_output=True)
    _git(d, 'init', '-q'); _git(d, 'add', '-A'); _git(d, 'commit', '-q', '-m', 'toy')
    return d

def _check(d): return subprocess.run([sys.executable, str(ROOT/'tools/check_sync.py'), '--root', str(d)],
                                     capture_output=True, text=True, timeout=300)

@needs_git
def test_check_sync(toy_repo):
    d = toy_repo
    r = _check(d); assert r.returncode == 0, r.stdout + r.stderr
    assert 'git status is empty' in r.stdout
    # A change of the reader's own that nbdev leaves alone: still in sync, and said so.
    (d/'notes.txt').write_text('mine\n')
    r = _check(d); assert r.returncode == 0 and '1 files you changed were left as they were' in r.stdout
    # The library edited by hand: nbdev-export puts it back, and the check names the file.
    lib = d/'toylib/core.py'
    lib.write_text(lib.read_text() + '\nx = 2\n')
    r = _check(d); assert r.returncode == 1 and 'toylib/core.py' in r.stdout and 'notes.txt' not in r.stdout
    # A notebook with outputs and execution counts: nbdev-clean changes it, and the check names it.
    nb = json.loads((d/'nbs/00_core.ipynb').read_text())
    nb['cells'][1]['execution_count'] = 3
    (d/'nbs/00_core.ipynb').write_text(json.dumps(nb, indent=1) + '\n')
    r = _check(d); assert r.returncode == 1 and 'nbs/00_core.ipynb' in r.stdout


# ---------------------------------------------------------------- README
@needs_git
def test_readme_layout_names_every_top_level_entry():
    "The README's layout table names every top-level file and folder in git."
    tracked = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    top = {p.split('/')[0] for p in tracked}
    readme = (ROOT/'README.md').read_text()
    table = readme[readme.index('## Layout'):]
    cells = {c.split('/')[0] for c in re.findall(r'`([^`]+)`', table)}
    missing = sorted(t for t in top if t not in cells)
    assert not missing, f"README's layout table does not name: {missing}"


def test_readme_says_how_to_run_notebooks_and_the_cpu_build():
    readme = (ROOT/'README.md').read_text()
    assert 'jupyter lab' in readme and TORCH_CPU in readme and '2.7 GB' in readme
