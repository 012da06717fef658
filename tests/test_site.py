"""Checks of the Quarto course site that need no Quarto: config, pages, links, anchors, badges.

Tests over pages are parametrized over whatever pages exist when pytest collects them, so
notebooks added later are checked automatically. The one test that renders with Quarto is
skipped (with the reason) when `quarto` is not on PATH.
"""
from __future__ import annotations
import json, os, re, shutil, subprocess, sys, tomllib
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import colab  # noqa: E402  (tools/colab.py)

PYPROJECT = tomllib.loads((ROOT/'pyproject.toml').read_text())
REPO_URL = PYPROJECT['project']['urls']['Repository'].rstrip('/')
QUARTO = yaml.safe_load((ROOT/'_quarto.yml').read_text())


def _pages():
    "Every page of the site: index.qmd, chapters/*.qmd|ipynb, notebooks/*.ipynb."
    pages = [ROOT/'index.qmd'] + sorted((ROOT/'chapters').glob('*.qmd'))
    pages += sorted(p for d in ('notebooks', 'chapters') for p in (ROOT/d).glob('*.ipynb') if not p.name.startswith(('.', '_')))
    return [p for p in pages if p.exists()]

PAGES = _pages()
NOTEBOOKS = [p for p in PAGES if p.suffix == '.ipynb']
ids = lambda ps: [p.relative_to(ROOT).as_posix() for p in ps]


# ---------------------------------------------------------------- reading pages
@lru_cache(None)
def _nb(path:Path) -> dict: return json.loads(path.read_text(encoding='utf-8'))

def _src(cell) -> str:
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s

_FM_RE = re.compile(r'\A\s*---\s*\n(.*?)\n---\s*(?:\n|\Z)', re.S)

def front_matter(path:Path) -> dict:
    "The YAML front matter of a .qmd, or of a notebook's first (markdown or raw) cell."
    if path.suffix == '.ipynb':
        cells = _nb(path)['cells']
        text = _src(cells[0]) if cells and cells[0]['cell_type'] in ('markdown', 'raw') else ''
    else: text = path.read_text(encoding='utf-8')
    m = _FM_RE.match(text)
    return (yaml.safe_load(m[1]) or {}) if m else {}

def markdown_of(path:Path, inline_code:bool=False) -> str:
    "The page's markdown (notebooks: markdown cells joined, front-matter cell dropped), without code blocks."
    if path.suffix == '.ipynb':
        cells = [c for c in _nb(path)['cells'] if c['cell_type'] == 'markdown']
        md = '\n\n'.join(_src(c) for c in cells)
    else: md = path.read_text(encoding='utf-8')
    md = _FM_RE.sub('', md, count=1)
    return _strip_code(md, inline_code)

def _strip_code(md:str, inline_code:bool=False) -> str:
    "Drop fenced code blocks and inline code spans (links inside them are not links)."
    out, fence = [], None
    for line in md.splitlines():
        m = re.match(r'\s*(`{3,}|~{3,})', line)
        if fence is None and m: fence = m[1][0]*len(m[1]); continue
        if fence is not None:
            if line.strip().startswith(fence): fence = None
            continue
        out.append(line if inline_code else re.sub(r'(`+)(.+?)\1', '', line))
    return '\n'.join(out)


# ---------------------------------------------------------------- pandoc auto-identifiers
def _plain(inline:str) -> str:
    "Heading text as pandoc sees it for identifiers: formatting, links and images reduced to their text."
    s = re.sub(r'!\[([^\]]*)\]\([^)]*\)', r'\1', inline)          # images -> alt
    s = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', s)                # links -> text
    s = re.sub(r'(`+)(.+?)\1', lambda m: m[2].strip(), s)         # code spans -> content
    s = re.sub(r'<[^>]+>', '', s)                                  # raw html tags
    s = re.sub(r'(\*\*|\*)(.+?)\1', r'\2', s)                      # *emph*, **strong**
    s = re.sub(r'(?<!\w)(__|_)(.+?)\1(?!\w)', r'\2', s)            # _emph_ (not intraword)
    return s

def pandoc_id(text:str) -> str:
    "Pandoc's default auto_identifiers rule (what Quarto uses for section anchors)."
    s = ''.join(c for c in _plain(text) if c.isalnum() or c in '_-. \t\n')
    s = re.sub(r'\s', '-', s.strip()).lower()
    s = re.sub(r'^[^a-z\u00c0-\uffff]+', '', s)                   # drop everything up to the first letter
    return s or 'section'

_HEAD_RE = re.compile(r'^(#{1,6})\s+(.*?)\s*(?:\{([^}]*)\})?\s*#*\s*$')

def heading_ids(path:Path) -> set:
    "The ids pandoc gives the headings of a page (explicit {#id} first, auto ids de-duplicated with -1, -2...)."
    seen, out = {}, set()
    for line in markdown_of(path, inline_code=True).splitlines():
        m = _HEAD_RE.match(line)
        if not m: continue
        attrs = m[3] or ''
        explicit = re.search(r'#([\w.:-]+)', attrs)
        if explicit: out.add(explicit[1]); continue
        base = pandoc_id(m[2]); hid = base
        n = seen.get(base, 0)
        while hid in out: n += 1; hid = f"{base}-{n}"
        seen[base] = n
        out.add(hid)
    # Quarto also gives ids to divs like ::: {#course-pages}
    out |= set(re.findall(r'^:::+\s*\{#([\w.:-]+)', markdown_of(path), re.M))
    return out


def test_pandoc_id_rules():
    "Spot checks against pandoc's documented examples and cases the course uses."
    assert pandoc_id('Heading identifiers in HTML') == 'heading-identifiers-in-html'
    assert pandoc_id('Maître d\'hôtel') == 'maître-dhôtel'
    assert pandoc_id('*Dogs*?--in *my* house?') == 'dogs--in-my-house'
    assert pandoc_id('[HTML], [S5], or [RTF]?') == 'html-s5-or-rtf'
    assert pandoc_id('3. Applications') == 'applications'
    assert pandoc_id('33') == 'section'
    assert pandoc_id('What we load: `Digits`') == 'what-we-load-digits'
    assert pandoc_id("Is `BasicOptim` really PyTorch's SGD?") == 'is-basicoptim-really-pytorchs-sgd'
    assert pandoc_id('The `mnist_loss` function') == 'the-mnist_loss-function'
    assert pandoc_id('A 3×3 tensor') == 'a-33-tensor'


# ---------------------------------------------------------------- links
_IMG_RE = re.compile(r'!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)(\{[^}]*\})?')
_LINK_RE = re.compile(r'\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
_HTML_IMG_RE = re.compile(r'<img\b[^>]*>', re.I)

def links(path:Path) -> list:
    "Every link and image target in the page's markdown."
    md = markdown_of(path)
    return _LINK_RE.findall(md) + re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', md, re.I)

def _is_external(t:str) -> bool: return bool(re.match(r'[a-z][a-z0-9+.-]*:', t, re.I)) or t.startswith('//') or '{{<' in t

def _target_file(page:Path, target:str) -> Path:
    t = target.split('#')[0].split('?')[0]
    return (ROOT/t.lstrip('/')) if t.startswith('/') else (page.parent/t)


@pytest.mark.parametrize('page', PAGES, ids=ids(PAGES))
def test_links_resolve(page):
    "Relative links and images point at files that exist, and #anchors at headings that exist."
    bad = []
    for t in links(page):
        if _is_external(t): continue
        path_part, _, anchor = t.partition('#')
        target = _target_file(page, t) if path_part else page
        if not target.exists(): bad.append(f"{t}: no file {os.path.relpath(target, ROOT)}"); continue
        if anchor and target.suffix in ('.qmd', '.ipynb', '.md') and anchor not in heading_ids(target):
            bad.append(f"{t}: no heading with id #{anchor} in {os.path.relpath(target, ROOT)}")
    assert not bad, '\n'.join(bad)


@pytest.mark.parametrize('page', PAGES, ids=ids(PAGES))
def test_images_have_alt_text(page):
    md = markdown_of(page)
    bad = [m[0] for m in _IMG_RE.finditer(md) if not m[1].strip() and 'fig-alt=' not in (m[3] or '')]
    bad += [tag for tag in _HTML_IMG_RE.findall(md) if not re.search(r'\balt="[^"]+"', tag)]
    assert not bad, f"images without alt text: {bad}"


def cell_options(cell) -> dict:
    "The `#| key: value` options at the top of a code cell, read as YAML the way Quarto reads them."
    opts = {}
    for line in _src(cell).splitlines():
        if not line.startswith('#|'): break          # Quarto only reads the leading `#|` lines
        try: o = yaml.safe_load(line[2:])
        except yaml.YAMLError: continue
        if isinstance(o, dict): opts.update(o)       # bare nbdev directives (`#| export`) are not options
    return opts

def figures_without_alt(nb:dict) -> list:
    "Code cells whose saved outputs include an image but that have no non-empty `#| fig-alt:` option."
    def ok(alt): return all(str(a or '').strip() for a in alt) if isinstance(alt, list) else bool(str(alt or '').strip())
    return [f"cell {i} (id {c.get('id')})" for i, c in enumerate(nb['cells']) if c['cell_type'] == 'code'
            and any(k.startswith('image/') for o in c.get('outputs', []) for k in o.get('data', {}))
            and not ok(cell_options(c).get('fig-alt'))]


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_figures_have_alt_text(nb):
    "Every code cell that draws a figure says what it shows in a `#| fig-alt: \"...\"` option (Quarto's alt text)."
    bad = figures_without_alt(_nb(nb))
    assert not bad, f"figures without `#| fig-alt:` alt text: {bad}"


def test_figure_alt_check():
    "The check above catches a missing, empty or misplaced fig-alt, and accepts one among other options."
    img = [{'output_type': 'display_data', 'metadata': {}, 'data': {'image/png': 'iVBORw0KGgo=', 'text/plain': ['<Figure>']}}]
    cell = lambda src, outs=img: {'cell_type': 'code', 'id': src[:8], 'metadata': {}, 'outputs': outs, 'source': src}
    good = ['#| code-fold: true\n#| fig-alt: "A line: it rises."\nplt.plot([1, 2]);', '#| export\n#| fig-alt: "x"\nplot()',
            '#| fig-alt: ["first", "second"]\nplot(); plot()']
    bad = ['plt.plot([1, 2]);', '#| fig-alt: ""\nplot()', '#| fig-alt:\nplot()', 'plot()\n#| fig-alt: "too late"',
           '#| fig-alt: ["first", ""]\nplot(); plot()']
    assert figures_without_alt({'cells': [cell(s) for s in good]}) == []
    assert len(figures_without_alt({'cells': [cell(s) for s in bad]})) == len(bad)
    assert figures_without_alt({'cells': [cell('plot()', [])]}) == []  # no image output, nothing to describe


@pytest.mark.parametrize('page', PAGES, ids=ids(PAGES))
def test_front_matter(page):
    "Every page has a title and a description; images named in front matter exist."
    fm = front_matter(page)
    assert str(fm.get('title') or '').strip(), "front matter has no title"
    assert str(fm.get('description') or '').strip(), "front matter has no description"
    if fm.get('image'): assert _target_file(page, fm['image']).exists(), f"front-matter image {fm['image']} missing"


def test_posts_have_listing_metadata():
    "The posts (the site's own pages) carry what the home page's listing shows."
    for p in [ROOT/'chapters/key-concepts.qmd', ROOT/'chapters/questions.ipynb']:
        fm = front_matter(p)
        for k in ('date', 'categories', 'image'): assert fm.get(k), f"{p.name}: no {k}"
    fm = front_matter(ROOT/'chapters/key-concepts.qmd')
    assert fm.get('toc') is True
    assert {'fastai', 'deeplearning', 'self-study'} <= set(fm['categories'])


# ---------------------------------------------------------------- _quarto.yml
def _nav_hrefs(items) -> list:
    out = []
    for it in items or []:
        if isinstance(it, str): out.append(it)
        elif isinstance(it, dict):
            if it.get('href'): out.append(it['href'])
            out += _nav_hrefs(it.get('menu')) + _nav_hrefs(it.get('contents'))
    return out

def _site_hrefs() -> list:
    w = QUARTO['website']
    nav = w.get('navbar', {})
    sb = w.get('sidebar', {})
    sbs = sb if isinstance(sb, list) else [sb]
    hrefs = _nav_hrefs(nav.get('left')) + _nav_hrefs(nav.get('right'))
    for s in sbs: hrefs += _nav_hrefs(s.get('contents'))
    return [h for h in hrefs if not _is_external(h)]

SITE_HREFS = sorted(set(_site_hrefs()))

@pytest.mark.parametrize('href', SITE_HREFS)
def test_nav_pages_exist(href):
    "Every page named in the navbar or sidebar exists."
    assert (ROOT/href).exists(), f"{href} is in _quarto.yml but does not exist"


def test_sidebar_reading_order():
    sb = QUARTO['website']['sidebar']
    order = [h for h in _nav_hrefs(sb['contents']) if h != 'index.qmd']
    nbs = [h for h in order if h.startswith('notebooks/')]
    assert order[0] == 'chapters/key-concepts.qmd' and order[-1] == 'chapters/questions.ipynb'
    assert nbs == sorted(nbs) and len(nbs) == 11
    assert order == ['chapters/key-concepts.qmd'] + nbs + ['chapters/questions.ipynb']


def test_every_page_is_in_the_sidebar():
    "A page that exists but is missing from the sidebar would be unreachable by page navigation."
    listed = set(_nav_hrefs(QUARTO['website']['sidebar']['contents']))
    missing = [p for p in ids(PAGES) if p not in listed]
    assert not missing, f"pages not in the sidebar: {missing}"


def test_quarto_config():
    q, w, html = QUARTO, QUARTO['website'], QUARTO['format']['html']
    assert q['project']['type'] == 'website'
    assert 'nbdev.yml' in q['metadata-files'] and 'repo.yml' in q['metadata-files']
    assert w['page-navigation'] is True and html['code-copy'] is True and html['toc'] is True
    assert w['search'] and w.get('open-graph') and w.get('twitter-card')
    assert (ROOT/w['image']).exists() and (ROOT/html['css']).exists()
    assert 'output-dir' not in q['project'] or q['project']['output-dir'] == '_site'
    for pat in q['project']['render']: assert list(ROOT.glob(pat)), f"project.render entry {pat} matches nothing"


def test_repo_url_written_only_in_pyproject():
    "The repository URL is not typed into the site's hand-written files (nbdev.yml/repo.yml are generated)."
    slug = colab.repo_info(ROOT)['slug']
    for f in [ROOT/'_quarto.yml', ROOT/'index.qmd', *sorted((ROOT/'chapters').glob('*.qmd'))]:
        assert slug not in f.read_text(), f"{f.name} contains the repository URL; use nbdev.yml/repo.yml metadata"


def test_generated_config_up_to_date():
    "nbdev.yml and repo.yml match pyproject.toml (regenerate with python tools/proc_nbs.py)."
    r = subprocess.run([sys.executable, str(ROOT/'tools/proc_nbs.py'), '--check'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert yaml.safe_load((ROOT/'repo.yml').read_text())['website']['navbar']['tools'][0]['href'] == REPO_URL
    assert yaml.safe_load((ROOT/'nbdev.yml').read_text())['website']['repo-url'] == REPO_URL


def test_thumbnail():
    p = ROOT/'assets/thumbnail.png'
    assert p.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and p.stat().st_size < 200_000


# ---------------------------------------------------------------- Colab
_COLAB_RE = re.compile(r'https://colab\.research\.google\.com/github/([^/\s)]+/[^/\s)]+)/blob/([^/\s)]+)/([^\s)#?]+)')

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_colab_badges_point_at_this_notebook(nb):
    "Any Colab link in a notebook opens a notebook that exists, in the repository named in pyproject."
    info = colab.repo_info(ROOT)
    for slug, branch, path in _COLAB_RE.findall(markdown_of(nb) + '\n'.join(_src(c) for c in _nb(nb)['cells'] if c['cell_type'] == 'markdown')):
        assert slug == info['slug'], f"badge points at {slug}, pyproject says {info['slug']}"
        assert branch == info['branch']
        assert (ROOT/path).exists(), f"badge points at {path}, which does not exist"


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_colab_cells_present(nb):
    "Badge cell right after the front matter, then the setup cell (fix: python tools/colab.py --write)."
    issues = colab.problems(_nb(nb), nb.relative_to(ROOT).as_posix(), colab.repo_info(ROOT))
    assert not issues, f"{'; '.join(issues)} -- run python tools/colab.py --write"


def test_colab_tool(tmp_path):
    "tools/colab.py --check fails on a notebook without the cells, --write fixes it, and is idempotent."
    (tmp_path/'notebooks').mkdir()
    shutil.copy(ROOT/'pyproject.toml', tmp_path)
    nb = {'cells': [{'cell_type': 'markdown', 'id': 'a', 'metadata': {}, 'source': ['---\n', 'title: t\n', 'description: d\n', '---']},
                    {'cell_type': 'code', 'id': 'b', 'metadata': {}, 'execution_count': None, 'outputs': [], 'source': ['1+1']}],
          'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    p = tmp_path/'notebooks'/'99_x.ipynb'
    p.write_text(json.dumps(nb, indent=1) + '\n')
    run = lambda *a: subprocess.run([sys.executable, str(ROOT/'tools/colab.py'), *a, '--root', str(tmp_path)], capture_output=True, text=True)
    r = run('--check'); assert r.returncode == 1 and 'notebooks/99_x.ipynb' in r.stdout
    assert run('--write').returncode == 0
    once = p.read_text()
    assert run('--check').returncode == 0
    run('--write'); assert p.read_text() == once
    cells = json.loads(once)['cells']
    assert [c['cell_type'] for c in cells] == ['markdown', 'markdown', 'code', 'code']
    assert f"github/{colab.repo_info(ROOT)['slug']}/blob/main/notebooks/99_x.ipynb" in _src(cells[1])
    assert _src(cells[2]).startswith('#| hide') and f"git+{REPO_URL}" in _src(cells[2])
    ns = {}; exec(_src(cells[2]), ns)   # off Colab the setup cell does nothing (and must not fail)


# ---------------------------------------------------------------- nbdev processing and Quarto
SITE_FILES = ['pyproject.toml', '_quarto.yml', 'nbdev.yml', 'repo.yml', 'index.qmd', 'chapters', 'notebooks', 'assets', 'tools', 'digitlib']

def _copy_site(dest:Path):
    for f in SITE_FILES:
        s = ROOT/f
        if s.is_dir(): shutil.copytree(s, dest/f, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints'))
        elif s.exists(): shutil.copy2(s, dest/f)

@pytest.fixture(scope='module')
def proc_dir(tmp_path_factory):
    "A copy of the site processed by tools/proc_nbs.py (in a temp dir, so the real tree is untouched)."
    d = tmp_path_factory.mktemp('site')
    _copy_site(d)
    r = subprocess.run([sys.executable, 'tools/proc_nbs.py', '--n-workers', '2'], cwd=d, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return d


def test_proc_nbs(proc_dir):
    proc = proc_dir/'_proc'
    for f in ['_quarto.yml', 'nbdev.yml', 'repo.yml', 'index.qmd', 'chapters/key-concepts.qmd', 'assets/thumbnail.png']:
        assert (proc/f).exists(), f"_proc/{f} missing"
    for nb in NOTEBOOKS:
        rel = nb.relative_to(ROOT)
        assert (proc/rel).exists(), f"_proc/{rel} missing"
        cells = json.loads((proc/rel).read_text())['cells']
        srcs = [_src(c) for c in cells]
        assert not any(s.lstrip().startswith('#| hide') for s in srcs), f"{rel}: a #| hide cell survived processing"
    assert not (proc/'tests').exists() and not (proc/'digitlib').exists()


@pytest.mark.skipif(shutil.which('quarto') is None, reason="quarto is not on PATH (install it, e.g. `make quarto`, to render the site)")
def test_quarto_render(proc_dir):
    "Render the processed site with Quarto and look at the HTML."
    out = proc_dir/'_site_test'
    r = subprocess.run(['quarto', 'render', '--output-dir', str(out)], cwd=proc_dir/'_proc', capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    warnings = [l for l in r.stderr.splitlines() if 'WARN' in l]
    assert not warnings, "Quarto warned while rendering:\n" + "\n".join(warnings)
    index = (out/'index.html').read_text()
    assert '{{&lt;' not in index and '{{<' not in index, "a shortcode was left unexpanded on the home page"
    assert f"git+{REPO_URL}" in index, "the pip install line lacks the repository URL"
    assert 'og:image' in index and 'twitter:card' in index
    assert REPO_URL in index, "navbar repository link missing"
    for h in SITE_HREFS:
        assert (out/Path(h).with_suffix('.html')).exists(), f"{h} was not rendered"
    for nb in NOTEBOOKS:
        html = (out/nb.relative_to(ROOT).with_suffix('.html')).read_text()
        assert 'colab-badge.svg' in html, f"{nb.name}: no Colab badge on the page"
        assert "google.colab" not in html, f"{nb.name}: the hidden setup cell is visible"
    q = (out/'chapters/questions.html').read_text()
    assert q.count('callout-tip') >= 37 and 'collapse' in q
    assert (out/'search.json').exists()


def test_missing_quarto_gives_one_clear_message(tmp_path):
    "`make site` without Quarto, where `pip install quarto-cli` cannot work: a message saying how to install it, no traceback."
    fake_bin = tmp_path/'bin'; fake_bin.mkdir()
    (fake_bin/'python').write_text('#!/bin/sh\necho "Traceback (most recent call last): pip failed" >&2\nexit 1\n')
    (fake_bin/'python').chmod(0o755)
    env = {**os.environ, 'PATH': '/usr/bin:/bin'}  # no quarto here
    if shutil.which('quarto', path=env['PATH']): pytest.skip('quarto is installed in /usr/bin, so it cannot be missing here')
    r = subprocess.run(['bash', str(ROOT/'tools/ensure_quarto.sh'), str(fake_bin)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1
    assert 'Quarto is needed to render the site' in r.stderr and 'https://quarto.org/docs/get-started/' in r.stderr
    assert 'Traceback' not in r.stderr + r.stdout
