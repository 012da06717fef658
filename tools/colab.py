"""Put an "Open in Colab" badge and a Colab setup cell into every course notebook.

Colab opens the raw .ipynb from GitHub, so both must live inside each notebook:

- a markdown cell right after the front-matter cell: the badge, linking to
  https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/<path of the notebook>;
- a `#| hide` code cell right after it: on Colab ('google.colab' in sys.modules), when digitlib
  cannot be imported, `pip install git+<repository URL>` (plus fastcore, which the notebooks'
  tests use); anywhere else it does nothing. `#| hide` keeps it off the website.

OWNER/REPO and the URL come from pyproject.toml [project.urls] Repository (the one place the URL
is written); BRANCH from [tool.nbdev] branch (default "main").

Usage (from the repository root):
    python tools/colab.py --write [NOTEBOOK ...]   # insert or update the two cells
    python tools/colab.py --check [NOTEBOOK ...]   # exit 1, listing notebooks that lack them or are out of date
Without NOTEBOOK arguments it handles every notebooks/*.ipynb and chapters/*.ipynb under --root
(default: the repository this script is in).
"""
from __future__ import annotations
import argparse, json, re, sys, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NB_DIRS = ('notebooks', 'chapters')
BADGE_SVG = 'https://colab.research.google.com/assets/colab-badge.svg'
SETUP_MARK = '# Colab setup (written by tools/colab.py)'
BADGE_ID, SETUP_ID = 'colab-badge', 'colab-setup'


def repo_info(root:Path=ROOT) -> dict:
    "Repository URL, OWNER/REPO and branch, read from `root`/pyproject.toml."
    pp = tomllib.loads((root/'pyproject.toml').read_text())
    url = (pp.get('project', {}).get('urls', {}).get('Repository') or '').rstrip('/')
    m = re.fullmatch(r'https://github\.com/([^/]+)/([^/]+?)(?:\.git)?', url)
    if not m: raise ValueError(f"pyproject.toml [project.urls] Repository must be https://github.com/OWNER/REPO, got {url!r}")
    branch = pp.get('tool', {}).get('nbdev', {}).get('branch', 'main')
    return dict(url=url, slug=f"{m[1]}/{m[2]}", branch=branch)


def colab_url(rel_path:str, info:dict) -> str:
    "The Colab URL that opens the notebook at `rel_path` (relative to the repository root)."
    return f"https://colab.research.google.com/github/{info['slug']}/blob/{info['branch']}/{rel_path}"


def badge_source(rel_path:str, info:dict) -> str:
    return f"[![Open In Colab]({BADGE_SVG})]({colab_url(rel_path, info)})"


def setup_source(info:dict) -> str:
    return f"""#| hide
{SETUP_MARK}: on Google Colab, install digitlib from the repository; elsewhere do nothing.
import sys
if 'google.colab' in sys.modules:
    try: import digitlib
    except ImportError:
        import subprocess
        subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'git+{info['url']}', 'fastcore'], check=True)"""


def _src(cell) -> str:
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s


def _lines(text:str) -> list:
    "Source as nbformat stores it: a list of lines, each but the last ending in a newline."
    return text.splitlines(keepends=True)


def is_badge(cell) -> bool: return cell['cell_type'] == 'markdown' and BADGE_SVG in _src(cell)
def is_setup(cell) -> bool: return cell['cell_type'] == 'code' and SETUP_MARK in _src(cell)
def has_front_matter(cell) -> bool: return cell['cell_type'] in ('markdown', 'raw') and _src(cell).lstrip().startswith('---')


def problems(nb:dict, rel_path:str, info:dict) -> list:
    "What is wrong with the badge/setup cells of `nb` (empty list: up to date)."
    cells = nb['cells']
    if not cells or not has_front_matter(cells[0]): return ["first cell is not a `---` front-matter cell"]
    out = []
    if len(cells) < 2 or not is_badge(cells[1]): out.append("no Colab badge cell right after the front matter")
    elif _src(cells[1]) != badge_source(rel_path, info): out.append("Colab badge is out of date")
    if len(cells) < 3 or not is_setup(cells[2]): out.append("no Colab setup cell right after the badge")
    elif _src(cells[2]) != setup_source(info): out.append("Colab setup cell is out of date")
    n_badges, n_setups = sum(map(is_badge, cells)), sum(map(is_setup, cells))
    if n_badges > 1 or n_setups > 1: out.append(f"{n_badges} badge cells and {n_setups} setup cells (expected one each)")
    return out


def fix(nb:dict, rel_path:str, info:dict) -> dict:
    "Return `nb` with exactly one up-to-date badge cell and setup cell after the front matter."
    cells = nb['cells']
    if not cells or not has_front_matter(cells[0]): raise ValueError(f"{rel_path}: first cell is not a `---` front-matter cell")
    rest = [c for c in cells[1:] if not (is_badge(c) or is_setup(c))]
    badge = dict(cell_type='markdown', id=BADGE_ID, metadata={}, source=_lines(badge_source(rel_path, info)))
    setup = dict(cell_type='code', execution_count=None, id=SETUP_ID, metadata={}, outputs=[],
                 source=_lines(setup_source(info)))
    if nb.get('nbformat_minor', 0) < 5 and 'id' not in cells[0]:  # ids only exist from nbformat 4.5
        del badge['id'], setup['id']
    nb['cells'] = [cells[0], badge, setup] + rest
    return nb


def read_nb(p:Path) -> dict: return json.loads(p.read_text(encoding='utf-8'))
def write_nb(nb:dict, p:Path): p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')


def notebooks(root:Path) -> list:
    return sorted(p for d in NB_DIRS for p in (root/d).glob('*.ipynb') if not p.name.startswith(('.', '_')))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--write', action='store_true', help='insert or update the badge and setup cells')
    g.add_argument('--check', action='store_true', help='exit 1 if any notebook lacks them or has stale ones')
    ap.add_argument('--root', type=Path, default=ROOT, help='repository root (holds pyproject.toml)')
    ap.add_argument('paths', nargs='*', type=Path, help='notebooks to handle (default: all under notebooks/ and chapters/)')
    a = ap.parse_args(argv)
    root = a.root.resolve()
    info = repo_info(root)
    paths = [p.resolve() for p in a.paths] or notebooks(root)
    bad = []
    for p in paths:
        rel = p.relative_to(root).as_posix()
        nb = read_nb(p)
        issues = problems(nb, rel, info)
        if not issues: continue
        if a.write:
            write_nb(fix(nb, rel, info), p)
            print(f"updated {rel}")
        else: bad.append((rel, issues))
    for rel, issues in bad: print(f"{rel}: {'; '.join(issues)}")
    if bad: print(f"{len(bad)} notebook(s) need `python tools/colab.py --write`", file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__': sys.exit(main())
