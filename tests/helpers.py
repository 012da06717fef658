"""Readers the test files share: the site's pages, notebooks and front matter, read as nbdev and Quarto read them."""
from __future__ import annotations
import json, re
from functools import lru_cache
from pathlib import Path

import yaml

import proc_nbs  # tools/proc_nbs.py (conftest.py puts tools/ on sys.path)

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT/p for p in proc_nbs.pages(ROOT)]        # a glob: index.qmd, notebooks/ and chapters/ pages
NOTEBOOKS = [p for p in PAGES if p.suffix == '.ipynb']

def rel(p:Path) -> str: return p.relative_to(ROOT).as_posix()

@lru_cache(None)
def nb(path:Path) -> dict: return json.loads(Path(path).read_text(encoding='utf-8'))

def src(cell) -> str:
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s

def directives(s:str) -> dict:
    "The `#| name: value` lines that open a cell's source."
    d = {}
    for line in s.splitlines():
        m = re.match(r'#\|\s*([\w-]+)\s*:?\s*(.*)$', line)
        if not m: break
        d[m[1]] = m[2].strip()
    return d

@lru_cache(None)
def quarto_config() -> dict: return yaml.safe_load((ROOT/'_quarto.yml').read_text())

_FM = re.compile(r'\A\s*---\s*\n(.*?)\n---\s*(?:\n|\Z)', re.S)

def front_matter(path:Path) -> dict:
    "The YAML front matter of a .qmd, or of a notebook's first (raw or markdown) cell."
    if path.suffix == '.ipynb':
        c = nb(path)['cells'][:1]
        text = src(c[0]) if c and c[0]['cell_type'] in ('markdown', 'raw') else ''
    else: text = path.read_text(encoding='utf-8')
    m = _FM.match(text)
    return (yaml.safe_load(m[1]) or {}) if m else {}

def markdown_of(path:Path) -> str:
    "A page's Markdown (a notebook's markdown cells), without front matter and fenced code blocks."
    if path.suffix == '.ipynb': md = '\n\n'.join(src(c) for c in nb(path)['cells'] if c['cell_type'] == 'markdown')
    else: md = path.read_text(encoding='utf-8')
    out, fence = [], None
    for line in _FM.sub('', md, count=1).splitlines():
        m = re.match(r'\s*(`{3,}|~{3,})', line)
        if fence: fence = None if line.strip().startswith(fence) else fence
        elif m: fence = m[1]
        else: out.append(line)
    return '\n'.join(out)
