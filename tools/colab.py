"""Make every course notebook work where it is opened alone (Colab, Jupyter): the same three opening cells,
front matter, Colab badge and Colab setup, and a stand-in for each interactive figure.

1. The front matter as a *raw* cell (`---` YAML `---`), the form nbdev reads: it then names the page
   after the module (notebooks/02_tensors.ipynb -> notebooks/tensors.html), the address its links
   to `names` in backticks point at. A front matter in a markdown cell is converted, text unchanged.
2. The "Open in Colab" badge as raw HTML, so the image keeps its alt text inside its link (Quarto
   turns a lone Markdown image into a figure and moves the alt text out of the link), followed by a
   link to the notebook's entries in the API reference when the notebook exports a module.
3. The Colab setup: one `#| hide` code cell, the same text in every notebook. On Colab it installs
   digitlib from the repository; anywhere else it does nothing.
4. Each widget's container (`<div class="widget" data-widget="NAME">`) holds one line saying that the
   figure runs on the course website, with a link to it on this notebook's page there. Colab and
   Jupyter do not run the figure's script, so that line is all they show; on the site the stylesheet
   hides it and the figure replaces it.

The repository URL comes from pyproject.toml [project.urls] Repository, the site's from [project.urls]
Documentation, the branch from [tool.nbdev] branch (default "main").

Usage (from the repository root):
    python tools/colab.py --write [NOTEBOOK ...]   # fix the three cells and the widget containers
    python tools/colab.py --check [NOTEBOOK ...]   # exit 1, listing the notebooks that need --write
Without NOTEBOOK it handles every notebooks/*.ipynb and chapters/*.ipynb under --root.
"""
from __future__ import annotations
import argparse, json, os, re, sys, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NB_DIRS = ('notebooks', 'chapters')
BADGE_SVG = 'https://colab.research.google.com/assets/colab-badge.svg'
API_PAGE = 'notebooks/A3_api.ipynb'
BADGE_ID, SETUP_ID = 'colab-badge', 'colab-setup'


def repo_info(root:Path=ROOT) -> dict:
    "Repository URL, OWNER/REPO and branch, read from `root`/pyproject.toml."
    pp = tomllib.loads((root/'pyproject.toml').read_text())
    url = (pp.get('project', {}).get('urls', {}).get('Repository') or '').rstrip('/')
    m = re.fullmatch(r'https://github\.com/([^/]+)/([^/]+?)(?:\.git)?', url)
    if not m: raise ValueError(f"pyproject.toml [project.urls] Repository must be https://github.com/OWNER/REPO, got {url!r}")
    branch = pp.get('tool', {}).get('nbdev', {}).get('branch', 'main')
    site = (pp.get('project', {}).get('urls', {}).get('Documentation') or '').rstrip('/')
    if not site.startswith('https://'): raise ValueError(f"pyproject.toml [project.urls] Documentation must be the site's https URL, got {site!r}")
    return dict(url=url, slug=f"{m[1]}/{m[2]}", branch=branch, site=site)


def colab_url(rel_path:str, info:dict) -> str:
    "The Colab URL that opens the notebook at `rel_path` (relative to the repository root)."
    return f"https://colab.research.google.com/github/{info['slug']}/blob/{info['branch']}/{rel_path}"


def _src(cell) -> str:
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s


def default_exp(nb:dict):
    "The module a notebook exports (`#| default_exp name`), or None."
    for c in nb['cells']:
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', _src(c), re.M) if c['cell_type'] == 'code' else None
        if m: return m[1]


def badge_source(rel_path:str, info:dict, module:str|None=None) -> str:
    "The badge cell: a link around an image with alt text, as raw HTML; then the API reference link."
    s = f'<a class="colab-badge" href="{colab_url(rel_path, info)}"><img src="{BADGE_SVG}" alt="Open in Colab"></a>'
    if module and not module.startswith('_') and rel_path != API_PAGE:
        api = os.path.relpath(API_PAGE, os.path.dirname(rel_path) or '.').replace(os.sep, '/')
        s += f" · [digitlib.{module} in the API reference]({api}#digitlib-{module})"
    return s


def setup_source(info:dict) -> str:
    "The Colab setup cell: the same text in every notebook. It installs what Colab lacks (digitlib) and says so in one line."
    return f"""#| hide
# On Google Colab, install digitlib from the course repository; anywhere else this cell does nothing.
import sys, subprocess
if 'google.colab' in sys.modules:
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'git+{info['url']}'], check=True)
    print('Colab setup: installed digitlib from {info['url']}')"""


WIDGET = re.compile(r'<div class="widget" data-widget="([\w-]+)"[^>]*>.*?</div>', re.S)


def widget_source(name:str, rel_path:str, info:dict) -> str:
    "Widget `name`'s container on the notebook at `rel_path`: on the site its script fills it; elsewhere it says where the figure is."
    from nbdev.config import nbpath2html   # the site's name for the page: notebooks/06_optimizer.ipynb -> notebooks/optimizer.html
    url = f"{info['site']}/{nbpath2html(Path(rel_path)).as_posix()}#{name}"
    return (f'<div class="widget" data-widget="{name}" id="{name}"><p class="widget-elsewhere">This interactive figure runs on the '
            f'course website, not in Colab or Jupyter: <a href="{url}">try it there</a>.</p></div>')


def with_widgets(text:str, rel_path:str, info:dict) -> str:
    "`text` with every widget container up to date."
    return WIDGET.sub(lambda m: widget_source(m[1], rel_path, info), text)


def has_front_matter(cell) -> bool: return cell['cell_type'] in ('markdown', 'raw') and _src(cell).lstrip().startswith('---')
def is_badge(cell) -> bool: return cell['cell_type'] == 'markdown' and BADGE_SVG in _src(cell)
def is_setup(cell) -> bool:
    s = _src(cell)
    return cell['cell_type'] == 'code' and "'google.colab' in sys.modules" in s and 'pip' in s


def problems(nb:dict, rel_path:str, info:dict) -> list:
    "What is wrong with the three opening cells of `nb` (empty list: up to date)."
    cells = nb['cells']
    if not cells or not has_front_matter(cells[0]): return ["first cell is not a `---` front-matter cell"]
    out = []
    if cells[0]['cell_type'] != 'raw': out.append("front matter is a markdown cell, not a raw cell (nbdev reads only raw)")
    if len(cells) < 2 or not is_badge(cells[1]): out.append("no Colab badge cell right after the front matter")
    elif _src(cells[1]) != badge_source(rel_path, info, default_exp(nb)): out.append("Colab badge cell is out of date")
    if len(cells) < 3 or not is_setup(cells[2]): out.append("no Colab setup cell right after the badge")
    elif _src(cells[2]) != setup_source(info): out.append("Colab setup cell is out of date")
    n_badges, n_setups = sum(map(is_badge, cells)), sum(map(is_setup, cells))
    if n_badges > 1 or n_setups > 1: out.append(f"{n_badges} badge cells and {n_setups} setup cells (expected one each)")
    stale = [m[1] for c in cells if c['cell_type'] == 'markdown' for m in WIDGET.finditer(_src(c)) if m[0] != widget_source(m[1], rel_path, info)]
    if stale: out.append(f"widget container out of date: {', '.join(stale)}")
    return out


def _lines(text:str) -> list: return text.splitlines(keepends=True)


def fix(nb:dict, rel_path:str, info:dict) -> dict:
    "Return `nb` with a raw front matter, then exactly one up-to-date badge cell and setup cell, and its widget containers up to date."
    cells = nb['cells']
    if not cells or not has_front_matter(cells[0]): raise ValueError(f"{rel_path}: first cell is not a `---` front-matter cell")
    fm = cells[0]
    if fm['cell_type'] != 'raw':
        fm = {k: v for k, v in fm.items() if k not in ('attachments',)}
        fm['cell_type'] = 'raw'
    rest = [c for c in cells[1:] if not (is_badge(c) or is_setup(c))]
    for c in rest:
        if c['cell_type'] == 'markdown' and WIDGET.search(_src(c)): c['source'] = _lines(with_widgets(_src(c), rel_path, info))
    badge = dict(cell_type='markdown', id=BADGE_ID, metadata={}, source=_lines(badge_source(rel_path, info, default_exp(nb))))
    setup = dict(cell_type='code', execution_count=None, id=SETUP_ID, metadata={}, outputs=[], source=_lines(setup_source(info)))
    if nb.get('nbformat_minor', 0) < 5 and 'id' not in cells[0]:  # cell ids only exist from nbformat 4.5
        del badge['id'], setup['id']
    nb['cells'] = [fm, badge, setup] + rest
    return nb


def read_nb(p:Path) -> dict: return json.loads(p.read_text(encoding='utf-8'))
def write_nb(nb:dict, p:Path): p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')


def notebooks(root:Path) -> list:
    return sorted(p for d in NB_DIRS for p in (root/d).glob('*.ipynb') if not p.name.startswith(('.', '_')))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--write', action='store_true', help='fix the front matter, badge and setup cells and the widget containers')
    g.add_argument('--check', action='store_true', help='exit 1 if any notebook needs --write')
    ap.add_argument('--root', type=Path, default=ROOT, help='repository root (holds pyproject.toml)')
    ap.add_argument('paths', nargs='*', type=Path, help='notebooks (default: all under notebooks/ and chapters/)')
    a = ap.parse_args(argv)
    root = a.root.resolve()
    info = repo_info(root)
    bad = []
    for p in [p.resolve() for p in a.paths] or notebooks(root):
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
