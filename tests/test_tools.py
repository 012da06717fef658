"""The project's own tools and first-run experience: `make` with no target, the install, the sync check
(nbdev-clean + nbdev-export + git status, as nbdev's CI does it), tools/colab.py, the message when Quarto
is missing, the README's layout. Everything runs in temporary folders, with fakes where a real run would be slow."""
from __future__ import annotations
import json, os, re, shutil, subprocess, sys
from pathlib import Path

import pytest

import colab  # tools/colab.py
from helpers import ROOT, src

BIN = Path(sys.executable).parent
TORCH_CPU = 'torch torchvision --index-url https://download.pytorch.org/whl/cpu'
needs_make = pytest.mark.skipif(shutil.which('make') is None, reason='make is not installed')
needs_git = pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')

def run(*cmd, **kw): return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)

# ---------------------------------------------------------------- make
@needs_make
def test_make_without_target_names_the_two_commands():
    r = run('make', '--no-print-directory', cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert re.search(r'^\s*make test\b', r.stdout, re.M) and re.search(r'^\s*make site\b', r.stdout, re.M), r.stdout

@needs_make
def test_install_names_the_cpu_build_and_shows_each_step(tmp_path):
    "`make venv` with a fake .venv whose python logs what pip is asked: it names the CPU-only build, shows its steps, runs once."
    shutil.copy(ROOT/'Makefile', tmp_path); shutil.copy(ROOT/'pyproject.toml', tmp_path)
    (tmp_path/'.venv/bin').mkdir(parents=True)
    py = tmp_path/'.venv/bin/python'
    py.write_text('#!/bin/sh\necho "$@" >> "$(dirname "$0")/../pip.log"\n'
                  'case "$*" in *torch*) echo "Collecting torch"; echo "  Downloading torch-2.14.1-cp311-linux_x86_64.whl (900 MB)";; esac\n')
    py.chmod(0o755)
    venv = lambda *a: run('make', '--no-print-directory', 'venv', *a, cwd=tmp_path)
    r = venv()
    assert r.returncode == 0, r.stdout + r.stderr
    assert TORCH_CPU in r.stdout, "the first install names the CPU-only alternative"
    steps = [l for l in r.stdout.splitlines() if l.startswith('->')]
    assert len(steps) >= 2 and 'PyTorch' in steps[0] and 'digitlib' in steps[1]
    assert 'Downloading torch' in r.stdout and 'Collecting' not in r.stdout, "pip's download lines, and only those, show progress"
    log = (tmp_path/'.venv/pip.log').read_text()
    assert 'install torch==' in log and '-e .[dev]' in log
    assert venv().stdout.strip() == '', "nothing to do once installed"
    (tmp_path/'.venv/.installed').unlink()
    venv(f'TORCH={TORCH_CPU}')
    assert 'download.pytorch.org/whl/cpu' in (tmp_path/'.venv/pip.log').read_text()

# ---------------------------------------------------------------- the sync check
TOY_PYPROJECT = ('[project]\nname = "toylib"\nversion = "0.0.1"\ndescription = "toy"\nrequires-python = ">=3.10"\n\n[tool.nbdev]\n'
                 'lib_path = "toylib"\nnbs_path = "nbs"\njupyter_hooks = false\nclean_ids = true\n')

def _notebook(*cells):
    code = {'execution_count': None, 'outputs': []}
    return {'cells': [{'cell_type': t, 'id': i, 'metadata': {}, 'source': s, **(code if t == 'code' else {})} for t, i, s in cells],
            'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}}, 'nbformat': 4, 'nbformat_minor': 5}

def _git(d, *a): subprocess.run(['git', '-c', 'user.email=t@example.com', '-c', 'user.name=t', *a], cwd=d, check=True, capture_output=True)

@needs_git
def test_check_sync(tmp_path):
    "A toy nbdev project, committed in sync: the check passes, leaves the reader's own changes alone, and names what nbdev would change."
    d = tmp_path/'toy'
    (d/'nbs').mkdir(parents=True)
    (d/'pyproject.toml').write_text(TOY_PYPROJECT)
    (d/'nbs/00_core.ipynb').write_text(json.dumps(_notebook(('code', 'a1', '#| default_exp core'), ('code', 'b2', '#| export\ndef f(): return 1')), indent=1) + '\n')
    for tool in ('nbdev-export', 'nbdev-clean'): subprocess.run([str(BIN/tool)], cwd=d, check=True, capture_output=True)
    _git(d, 'init', '-q'); _git(d, 'add', '-A'); _git(d, 'commit', '-q', '-m', 'toy')
    check = lambda: run(sys.executable, str(ROOT/'tools/check_sync.py'), '--root', str(d))
    r = check(); assert r.returncode == 0 and 'git status is empty' in r.stdout, r.stdout + r.stderr
    (d/'notes.txt').write_text('mine\n')                       # the reader's own change, which nbdev leaves alone
    r = check(); assert r.returncode == 0 and '1 files you changed were left as they were' in r.stdout
    lib = d/'toylib/core.py'
    lib.write_text(lib.read_text() + '\nx = 2\n')              # the library edited by hand: nbdev-export puts it back
    r = check(); assert r.returncode == 1 and 'toylib/core.py' in r.stdout and 'notes.txt' not in r.stdout
    nb = json.loads((d/'nbs/00_core.ipynb').read_text())
    nb['cells'][1]['execution_count'] = 3                      # a notebook nbdev-clean would change
    (d/'nbs/00_core.ipynb').write_text(json.dumps(nb, indent=1) + '\n')
    r = check(); assert r.returncode == 1 and 'nbs/00_core.ipynb' in r.stdout

# ---------------------------------------------------------------- tools/colab.py
def test_colab_tool(tmp_path):
    "--check fails on a notebook without the badge and setup cells or with an empty widget container, --write fixes them (front matter as a raw cell) and is idempotent."
    (tmp_path/'notebooks').mkdir()
    shutil.copy(ROOT/'pyproject.toml', tmp_path)
    p = tmp_path/'notebooks/99_x.ipynb'
    widget = '<div class="widget" data-widget="toy"></div>\n<script type="module" src="../assets/widgets/toy.js"></script>'
    p.write_text(json.dumps(_notebook(('markdown', 'a', '---\ntitle: t\ndescription: d\n---'), ('code', 'e', '#| default_exp toy'), ('code', 'b', '1+1'),
                                      ('markdown', 'w', widget))))
    tool = lambda a: run(sys.executable, str(ROOT/'tools/colab.py'), a, '--root', str(tmp_path))
    r = tool('--check'); assert r.returncode == 1 and 'notebooks/99_x.ipynb' in r.stdout
    assert tool('--write').returncode == 0
    once = p.read_text()
    assert tool('--check').returncode == 0
    tool('--write'); assert p.read_text() == once
    cells = json.loads(once)['cells']
    assert [c['cell_type'] for c in cells] == ['raw', 'markdown', 'code', 'code', 'code', 'markdown'] and src(cells[0]) == '---\ntitle: t\ndescription: d\n---'
    info = colab.repo_info(ROOT)
    assert f"github/{info['slug']}/blob/main/notebooks/99_x.ipynb" in src(cells[1]) and 'alt="Open in Colab"' in src(cells[1])
    assert '(A3_api.ipynb#digitlib-toy)' in src(cells[1]), "the badge links to the module's entry in the API reference"
    assert f"git+{info['url']}" in src(cells[2])
    exec(src(cells[2]), {})   # off Colab the setup cell does nothing, and must not fail
    w = src(cells[5])   # the widget's container: a line for Colab and Jupyter, linking to the figure on the page's address on the site
    assert w.startswith('<div class="widget" data-widget="toy" id="toy"><p class="widget-elsewhere">') and w.endswith('<script type="module" src="../assets/widgets/toy.js"></script>')
    assert f'<a href="{info["site"]}/notebooks/x.html#toy">' in w and info['site'] == 'https://digitlib-course.github.io/digitlib'

# ---------------------------------------------------------------- Quarto missing
@pytest.mark.parametrize('target', ['site', 'preview'])
def test_missing_quarto_gives_one_clear_message(tmp_path, target):
    "`make site`/`make preview` without Quarto, where `pip install quarto-cli` fails: one clear message, no traceback, no temp file left."
    fake_bin, tmp = tmp_path/'bin', tmp_path/'tmp'
    fake_bin.mkdir(); tmp.mkdir()
    (fake_bin/'python').write_text('#!/bin/sh\necho "Traceback (most recent call last): pip failed" >&2\nexit 1\n')
    (fake_bin/'python').chmod(0o755)
    env = {**os.environ, 'PATH': '/usr/bin:/bin', 'TMPDIR': str(tmp)}
    if shutil.which('quarto', path=env['PATH']): pytest.skip('quarto is installed in /usr/bin, so it cannot be missing here')
    r = run('bash', str(ROOT/'tools/ensure_quarto.sh'), str(fake_bin), target, env=env)
    assert r.returncode == 1 and 'https://quarto.org/docs/get-started/' in r.stderr and f"make {target}" in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr + r.stdout and list(tmp.iterdir()) == [], "a traceback, or a temporary file left behind"

# ---------------------------------------------------------------- README
@needs_git
def test_readme_layout_names_every_top_level_entry():
    "The README's layout table names every top-level file and folder in git."
    top = {p.split('/')[0] for p in run('git', 'ls-files', cwd=ROOT).stdout.split()}
    readme = (ROOT/'README.md').read_text()
    named = {c.split('/')[0] for c in re.findall(r'`([^`]+)`', readme[readme.index('## Layout'):])}
    assert not sorted(top - named), f"README's layout table does not name: {sorted(top - named)}"
