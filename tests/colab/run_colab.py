"""Open in Colab, Run all: every notebook, alone in an empty folder, on Colab's packages.

What a learner meets, as closely as this machine can copy it:
- a virtualenv with the versions Colab's runtime has (tests/colab/requirements.txt) and no digitlib, nbdev
  or hypothesis in it: each notebook starts from a fresh runtime, so whatever its setup cell installed for
  the previous notebook is uninstalled first;
- a stand-in `google.colab` module, imported when Python starts as on Colab, so the setup cell takes its
  Colab branch;
- the repository's GitHub URL redirected to this checkout's committed HEAD (`url.<path>.insteadOf` in a
  git config only this run reads), so the setup cell's `pip install git+https://github.com/...` installs
  what is committed here;
- the notebook copied alone into an empty `content/` folder and executed top to bottom from there, with
  HOME in a temporary folder; afterwards nothing may exist outside `content/` but the caches a notebook
  names (fastai's data folder, digitlib's cache) and the dot-folders where pip, git and Python keep their state.

Usage: python tests/colab/run_colab.py VENV [NOTEBOOK ...]   (VENV: built from requirements.txt by `make test-colab`)
Prints a table: notebook, wall time, what the setup cell said; exits 1 if any notebook stopped.
"""
from __future__ import annotations
import os, re, shutil, subprocess, sys, tempfile, time, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

def notebooks() -> list:
    return sorted(ROOT.glob('notebooks/*.ipynb')) + sorted(ROOT.glob('chapters/*.ipynb'))

def repo_url() -> str:
    return tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['urls']['Repository'].rstrip('/')

def stand_in_colab(venv:Path):
    "A `google.colab` package in the venv, imported at start-up (a .pth line) as Colab's own is."
    site = Path(subprocess.run([venv/'bin/python', '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site/'google'/'colab').mkdir(parents=True, exist_ok=True)
    (site/'google'/'colab'/'__init__.py').write_text('"Stand-in for Colab\'s google.colab: only its presence matters."\n')
    (site/'zz_colab_stand_in.pth').write_text('import google.colab\n')

def fresh_runtime(venv:Path, env:dict):
    "Uninstall what a setup cell may have installed, then put Colab's versions back (pip's cache makes this quick)."
    py = str(venv/'bin/python')
    subprocess.run([py, '-m', 'pip', 'uninstall', '-q', '-y', 'digitlib', 'nbdev', 'execnb', 'ghapi', 'hypothesis'],
                   env=env, capture_output=True)
    subprocess.run([py, '-m', 'pip', 'install', '-q', '-r', str(ROOT/'tests/colab/requirements.txt')], env=env, check=True,
                   capture_output=True)

EXECUTE = r'''
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, timeout=900, kernel_name='python3', resources={'metadata': {'path': sys.argv[2]}})
try: client.execute()
finally:
    setup = [c for c in nb.cells if c.get('id') == 'colab-setup']
    out = ''.join(o.get('text', '') for c in setup for o in c.get('outputs', []) if o.get('output_type') == 'stream')
    open(sys.argv[3], 'w').write(out)
'''

def run_one(nb_path:Path, venv:Path, work:Path) -> tuple:
    "Execute one notebook as Colab would; return (ok, seconds, setup cell's output, error text)."
    sim = work/nb_path.stem
    content, home = sim/'content', sim/'root'
    content.mkdir(parents=True); home.mkdir()
    shutil.copy(nb_path, content/nb_path.name)
    gitconfig = home/'.gitconfig'
    gitconfig.write_text(f'[url "file://{ROOT}"]\n\tinsteadOf = {repo_url()}\n[safe]\n\tdirectory = *\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(('DIGITLIB_', 'FASTAI_', 'VIRTUAL_ENV', 'PYTHON'))}
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(gitconfig), PATH=f"{venv/'bin'}:{env.get('PATH', '')}",
               MPLBACKEND='Agg', PIP_DISABLE_PIP_VERSION_CHECK='1')
    fresh_runtime(venv, env)
    t0 = time.perf_counter()
    r = subprocess.run([str(venv/'bin/python'), '-c', EXECUTE, str(content/nb_path.name), str(content), str(sim/'setup.txt')],
                       cwd=content, env=env, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    said = (sim/'setup.txt').read_text().strip() if (sim/'setup.txt').exists() else ''
    err = '' if r.returncode == 0 else re.sub(r'\x1b\[[0-9;]*m', '', r.stderr or r.stdout)[-3000:]   # without the colour codes
    stray = sorted(str(p.relative_to(sim)) for p in sim.iterdir() if p.name not in ('content', 'root', 'setup.txt'))
    stray += sorted(f'root/{p.name}' for p in home.iterdir() if not p.name.startswith('.'))
    if stray and not err: err = f"wrote outside its folder: {stray}"
    return not err, secs, said, err

def main(argv:list) -> int:
    venv = Path(argv[0]).resolve()
    nbs = [Path(a).resolve() for a in argv[1:]] or notebooks()
    stand_in_colab(venv)
    work = Path(tempfile.mkdtemp(prefix='colab-sim-'))
    rows, failed = [], []
    try:
        for nb in nbs:
            ok, secs, said, err = run_one(nb, venv, work)
            rows.append((nb.relative_to(ROOT).as_posix(), secs, said.splitlines()[-1] if said else '(nothing)', 'ok' if ok else 'FAILED'))
            print(f"{rows[-1][3]:6} {secs:6.1f} s  {rows[-1][0]}", flush=True)
            if not ok: failed.append((nb.name, err))
    finally: shutil.rmtree(work, ignore_errors=True)
    print('\n| notebook | wall time | setup cell said | result |\n|---|---|---|---|')
    for name, secs, said, res in rows: print(f"| {name} | {secs:.0f} s | {said} | {res} |")
    for name, err in failed: print(f"\n{name} stopped:\n{err}")
    print(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
