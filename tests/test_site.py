"""Checks of the Quarto course site that need no Quarto: config, pages, links, anchors, badges,
the home page's listings, card images, and nbdev's processing (from a checkout under a dot-folder).

Notebooks are found by glob (the home page's listing patterns), never by a list, so a notebook
added later is checked automatically. The test that renders with Quarto is skipped (with the
reason) when `quarto` is not on PATH; where Chromium and axe-core are installed too, it also runs
the accessibility audit (tools/a11y_audit.py) on the rendered site.
"""
from __future__ import annotations
import ast, hashlib, json, os, re, shutil, subprocess, sys, tomllib
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
    # ... and to headings in a notebook's Markdown outputs (the API reference is one), explicit ids only
    if path.suffix == '.ipynb':
        md = lambda o: o.get('data', {}).get('text/markdown', '')
        outs = [''.join(md(o)) if isinstance(md(o), list) else md(o)
                for c in _nb(path)['cells'] if c['cell_type'] == 'code' for o in c.get('outputs', [])]
        out |= set(re.findall(r'^#{1,6} .*\{#([\w.:-]+)[^}]*\}\s*$', '\n'.join(outs), re.M))
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


# ---------------------------------------------------------------- the home page's listings
LISTINGS = front_matter(ROOT/'index.qmd')['listing']
LISTING = {l['id']: l for l in LISTINGS}

def listing_pages(listing:dict) -> list:
    "The pages a listing shows, found the way Quarto finds them (its `contents` paths and globs), sorted by `order`."
    contents = listing['contents'] if isinstance(listing['contents'], list) else [listing['contents']]
    found = []
    for pat in contents:
        for p in sorted(ROOT.glob(pat)):
            if not p.name.startswith(('_', '.')) and p not in found: found.append(p)
    return sorted(found, key=lambda p: (_order(p), p.name))

def _order(p:Path) -> float:
    o = front_matter(p).get('order')
    return o if isinstance(o, (int, float)) and not isinstance(o, bool) else float('inf')

COURSE = listing_pages(LISTING['course-pages'])
APPENDIX = listing_pages(LISTING['appendix-pages'])
CHAPTER_NBS = [p for p in COURSE if p.parent.name == 'notebooks']
LISTED = COURSE + APPENDIX
rel = lambda ps: [p.relative_to(ROOT).as_posix() for p in ps]


def test_listings_show_every_page_once():
    "Every page but the home page is a card, in exactly one listing."
    assert len(set(LISTED)) == len(LISTED), "a page is in both listings"
    assert set(rel(LISTED)) == set(ids(PAGES)) - {'index.qmd'}


@pytest.mark.parametrize('page', LISTED, ids=ids(LISTED))
def test_listed_pages_have_an_order(page):
    "The listings sort by `order` (a number in the front matter): key concepts first, then the notebooks, the questions last."
    assert _order(page) != float('inf'), f"{page.name}: no numeric `order:` in the front matter"


def test_orders_are_distinct_and_in_reading_order():
    orders = [_order(p) for p in LISTED if _order(p) != float('inf')]
    assert len(orders) == len(set(orders)), f"two pages share an `order`: {sorted(orders)}"
    assert COURSE[0].name == 'key-concepts.qmd' and COURSE[-1].name == 'questions.ipynb'
    assert all(_order(p) > 100 for p in APPENDIX), "appendix pages have `order` above 100"


# A value that Pandoc would read as the start of a block (a list item, a heading, a quote, a fence,
# a table, a code block) closes the listing's generated <div>s early: the broken grid of issue 11.
_BLOCK_START = re.compile(r'^(?:\s{4}|\s{0,3}(?:[-+*](?:\s|$)|\(?(?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+|#|@\w*)[.)](?:\s|$)'
                          r'|#{1,6}(?:\s|$)|>|:{3}|`{3}|~{3}|\||[-*_](?:\s*[-*_]){2,}\s*$))')

def block_start(text) -> bool:
    "Would this value start a Markdown block (instead of a paragraph of text)?"
    return any(_BLOCK_START.match(l) for l in str(text).splitlines() or [''])

def test_block_start_rule():
    for bad in ['1. The data', '12) x', 'A. Intro', 'iv. four', '(1) one', '- a', '* a', '# h', '> q', '::: x',
                '```', '| a |', '    code', '---', '#. next']:
        assert block_start(bad), bad
    for ok in ['The data: digits as numbers', 'A Learner from scratch', "How fast? digitlib's Learner",
               'Recap: the jargon', '3s and 7s', 'I am here', 'MNIST_SAMPLE', '1\\. The data']:
        assert not block_start(ok), ok


@pytest.mark.parametrize('page', LISTED, ids=ids(LISTED))
def test_listing_fields_are_safe_in_markdown(page):
    "Card text cannot break the listing's generated Markdown, and categories cannot break its onclick JavaScript."
    fm = front_matter(page)
    for k in ('title', 'subtitle', 'description'):
        v = fm.get(k)
        if v is None: continue
        assert '\n' not in str(v).strip(), f"{k} spans lines"
        assert not block_start(v), f"{k} {v!r} starts like a Markdown block; reword it (or escape it: `1\\.`)"
        assert ':::' not in str(v) and '{{<' not in str(v), f"{k} holds a fence or shortcode"
    for c in fm.get('categories') or []:
        assert re.fullmatch(r"\w[\w .+-]*", str(c)), f"category {c!r}: letters, digits, spaces, . + - only"


# ---------------------------------------------------------------- card images
def _card(page:Path):
    img = front_matter(page).get('image')
    return _target_file(page, img) if img else None

@pytest.mark.parametrize('page', LISTED, ids=ids(LISTED))
def test_card_image(page):
    "Each card has its own picture (made by the page's notebook): a small PNG under assets/cards/."
    card = _card(page)
    assert card is not None, "no `image:` in the front matter (the card would show the placeholder)"
    assert card.exists(), f"{os.path.relpath(card, ROOT)} does not exist yet (the notebook's hidden card cell makes it)"
    data = card.read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', "not a PNG"
    assert len(data) < 80_000, f"{len(data)/1000:.0f} KB; keep cards under 80 KB"
    assert card.resolve().parent == ROOT/'assets/cards', "card images live in assets/cards/"


def test_card_images_differ():
    "No two cards show the same picture (the old site showed the thumbnail on every card)."
    by_hash = {}
    for page in LISTED:
        card = _card(page)
        if card and card.exists(): by_hash.setdefault(hashlib.sha1(card.read_bytes()).hexdigest(), []).append(page.name)
    same = [names for names in by_hash.values() if len(names) > 1]
    assert not same, f"pages sharing one card image: {same}"


# ---------------------------------------------------------------- sidebar and navbar
def test_sidebar_reading_order():
    "Home, key concepts, the chapter's notebooks in `order`, an Appendix section, then the questions."
    contents = QUARTO['website']['sidebar']['contents']
    sections = {it['section']: _nav_hrefs(it['contents']) for it in contents if isinstance(it, dict) and 'section' in it}
    assert sections.get('Notebooks') == rel(CHAPTER_NBS), "sidebar 'Notebooks' section: every chapter notebook, in `order`"
    assert sections.get('Appendix') == rel(APPENDIX), "sidebar 'Appendix' section: every appendix notebook, in `order`"
    assert _nav_hrefs(contents) == ['index.qmd', 'chapters/key-concepts.qmd'] + rel(CHAPTER_NBS) + rel(APPENDIX) \
        + ['chapters/questions.ipynb']


def test_navbar_notebooks_menu():
    "The navbar's Notebooks menu: the chapter's notebooks in `order`, a divider, an 'Appendix' header, the appendix."
    menu = next(it['menu'] for it in QUARTO['website']['navbar']['left'] if isinstance(it, dict) and it.get('text') == 'Notebooks')
    assert _nav_hrefs(menu) == rel(CHAPTER_NBS) + rel(APPENDIX)
    assert [it.get('text') for it in menu if isinstance(it, dict) and not it.get('href')] == ['---', 'Appendix']
    assert menu.index({'text': 'Appendix'}) == len(CHAPTER_NBS) + 1


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
    # Only HTML: a `commonmark` copy of each page turned TeX math into warnings (issue 11).
    assert list(q['format']) == ['html'], f"formats other than html: {list(q['format'])}"
    # Files pages use without a link Quarto can see must ship: the cards, the widgets' modules and data.
    res = q['project']['resources']
    assert 'assets/cards/*.png' in res and 'assets/widgets/**' in res
    for l in LISTINGS: assert _target_file(ROOT/'index.qmd', l['image-placeholder']).exists()


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
_COLAB_RE = re.compile(r'https://colab\.research\.google\.com/github/([^/\s)"]+/[^/\s)"]+)/blob/([^/\s)"]+)/([^\s)#?"]+)')

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
    "tools/colab.py --check fails on a notebook without the three cells, --write fixes it, and is idempotent."
    (tmp_path/'notebooks').mkdir()
    shutil.copy(ROOT/'pyproject.toml', tmp_path)
    nb = {'cells': [{'cell_type': 'markdown', 'id': 'a', 'metadata': {}, 'source': ['---\n', 'title: t\n', 'description: d\n', '---']},
                    {'cell_type': 'code', 'id': 'e', 'metadata': {}, 'execution_count': None, 'outputs': [], 'source': ['#| default_exp toy']},
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
    assert [c['cell_type'] for c in cells] == ['raw', 'markdown', 'code', 'code', 'code']
    assert [c['id'] for c in cells] == ['a', colab.BADGE_ID, colab.SETUP_ID, 'e', 'b']
    assert _src(cells[0]) == '---\ntitle: t\ndescription: d\n---'       # the front matter's text is kept
    badge = _src(cells[1])
    assert f"github/{colab.repo_info(ROOT)['slug']}/blob/main/notebooks/99_x.ipynb" in badge
    assert re.match(r'<a class="colab-badge" href="[^"]+"><img src="[^"]+" alt="Open in Colab"></a>', badge)
    assert '(A3_api.ipynb#digitlib-toy)' in badge                         # the module's entry in the API reference
    assert _src(cells[2]) == colab.setup_source(colab.repo_info(ROOT)) and f"git+{REPO_URL}" in _src(cells[2])
    ns = {}; exec(_src(cells[2]), ns)   # off Colab the setup cell does nothing (and must not fail)


def test_colab_setup_is_one_constant_cell():
    "The setup cell is the same text in every notebook; each badge names its own notebook."
    info = colab.repo_info(ROOT)
    setups = {_src(c) for nb in NOTEBOOKS for c in _nb(nb)['cells'] if colab.is_setup(c)}
    assert setups <= {colab.setup_source(info)}
    assert colab.badge_source('chapters/q.ipynb', info, 'x').endswith('(../notebooks/A3_api.ipynb#digitlib-x)')
    assert 'API reference' not in colab.badge_source('notebooks/A2_checks.ipynb', info, '_checks')


# ---------------------------------------------------------------- nbdev's processing: the cells it runs
_EXEC_DIRS = {'export', 'exports', 'exporti', 'exec_doc'}

def _directives(src:str) -> dict:
    d = {}
    for line in src.splitlines():
        m = re.match(r'#\|\s*([\w-]+)\s*:?\s*(.*)$', line)
        if not m: break
        d[m[1]] = m[2].strip()
    return d

def _top_level(src:str):
    "The top-level statements of a code cell (IPython magics dropped), or None if it is not Python."
    code = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!')))
    try: return ast.parse(code).body
    except SyntaxError: return None

def mixed_import_cells(nb:dict) -> list:
    """Cells nbdev's docs processor runs that mix imports with other code (what makes it warn "Found cells
    containing imports and other code", and run the whole cell while it renders the page).

    nbdev runs, in notebooks that document anything (an export or a show_doc), every code cell with an
    import unless it is exported or `#| eval: false`; it warns when the cell has a top-level import AND a
    top-level expression or assignment. Keep imports in cells of their own."""
    cells = [c for c in nb['cells'] if c['cell_type'] == 'code']
    documents = any(_directives(_src(c)).keys() & {'export', 'exports', 'exec_doc'} for c in cells) or \
        any(isinstance(t, ast.Expr) and isinstance(t.value, ast.Call) and getattr(t.value.func, 'id', '') == 'show_doc'
            for c in cells for t in (_top_level(_src(c)) or []))
    if not documents: return []
    out = []
    for c in cells:
        src, d = _src(c), _directives(_src(c))
        if d.keys() & _EXEC_DIRS or d.get('eval', '').lower() == 'false' or 'nbdev_export()' in src: continue
        body = _top_level(src)
        if not body: continue
        if any(isinstance(t, (ast.Import, ast.ImportFrom)) for t in body) and any(isinstance(t, (ast.Expr, ast.Assign)) for t in body):
            out.append(f"cell id {c.get('id')}: {src.strip().splitlines()[0][:70]!r}")
    return out


def test_mixed_import_check():
    cell = lambda src: {'cell_type': 'code', 'id': src[:6], 'metadata': {}, 'outputs': [], 'source': src}
    exported = cell('#| exports\ndef f(): pass')
    nb = lambda *srcs: {'cells': [exported] + [cell(s) for s in srcs]}
    assert mixed_import_cells(nb('import os\nx = 1')) != []
    assert mixed_import_cells(nb('#| hide\nfrom pathlib import Path\nPath("x").mkdir(exist_ok=True)')) != []
    assert mixed_import_cells(nb('import os\nimport sys', 'x = 1', '#| eval: false\nimport os\nos.getcwd()',
                                 'import sys\nif sys: pass', '#| export\nimport os\nX = 1')) == []
    assert mixed_import_cells({'cells': [cell('import os\nx = 1')]}) == []   # nothing documented: nbdev runs nothing


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_no_cell_mixes_imports_and_code(nb):
    "No render warning from nbdev: imports live in cells of their own (issue 11)."
    bad = mixed_import_cells(_nb(nb))
    assert not bad, "move the imports to a cell of their own (nbdev runs and warns about these):\n" + '\n'.join(bad)


# ---------------------------------------------------------------- nbdev processing and Quarto
_NOT_COPIED = shutil.ignore_patterns('.venv', '.venv-colab', '.git', '_proc', '_site', '__pycache__', '.ipynb_checkpoints', '*.egg-info',
                                     '.pytest_cache', '.hypothesis', 'node_modules')

@pytest.fixture(scope='module')
def proc_dir(tmp_path_factory):
    """A copy of the repository (without .venv) in a folder under a dot-folder (`.hidden/course`, like a
    checkout in ~/.local/src), processed there by tools/proc_nbs.py with this venv's Python."""
    d = tmp_path_factory.mktemp('site')/'.hidden'/'course'
    shutil.copytree(ROOT, d, ignore=_NOT_COPIED)
    r = subprocess.run([sys.executable, 'tools/proc_nbs.py', '--n-workers', '2'], cwd=d, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (d/'proc.log').write_text(r.stdout + r.stderr)
    return d


def test_proc_nbs(proc_dir):
    "Every page is processed, from a checkout under a dot-folder; hidden cells and tests stay out."
    assert '.hidden' in proc_dir.parts
    proc = proc_dir/'_proc'
    for f in ['_quarto.yml', 'nbdev.yml', 'repo.yml', 'index.qmd', 'assets/thumbnail.png', 'assets/styles.css']:
        assert (proc/f).exists(), f"_proc/{f} missing"
    for page in PAGES:
        rel_ = page.relative_to(ROOT)
        assert (proc/rel_).exists(), f"_proc/{rel_} missing: nbdev did not process it"
        if page.suffix != '.ipynb': continue
        srcs = [_src(c) for c in json.loads((proc/rel_).read_text())['cells']]
        assert not any(s.lstrip().startswith('#| hide') for s in srcs), f"{rel_}: a #| hide cell survived processing"
    assert not (proc/'tests').exists() and not (proc/'digitlib').exists() and not (proc/'tools').exists()
    warned = [l for l in (proc_dir/'proc.log').read_text().splitlines() if re.search(r'warn', l, re.I)]
    assert not warned, "nbdev warned while processing:\n" + '\n'.join(warned[:20])


def rendered_html(out:Path, page:Path) -> Path:
    "Where Quarto writes a page: nbdev names a notebook with a raw front matter after its module (02_tensors -> tensors.html)."
    from nbdev.config import nbpath2html
    rel_ = page.relative_to(ROOT)
    cands = [out/nbpath2html(rel_), out/rel_.with_suffix('.html')] if page.suffix == '.ipynb' else [out/rel_.with_suffix('.html')]
    return next((c for c in cands if c.exists()), cands[0])


@pytest.mark.skipif(shutil.which('quarto') is None, reason="quarto is not on PATH (install it, e.g. `make quarto`, to render the site)")
def test_quarto_render(proc_dir):
    "Render the processed site with Quarto: no warning, every page, one card per page each with its own image; then audit it."
    out = proc_dir/'_site_test'
    r = subprocess.run(['quarto', 'render', '--output-dir', str(out)], cwd=proc_dir/'_proc', capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    warnings = [l for l in (r.stdout + r.stderr).splitlines() if re.search(r'WARN|Warning', l)]
    assert not warnings, "Quarto warned while rendering:\n" + "\n".join(warnings)
    index = (out/'index.html').read_text()
    assert '{{&lt;' not in index and '{{<' not in index, "a shortcode was left unexpanded on the home page"
    assert f"git+{REPO_URL}" in index, "the pip install line lacks the repository URL"
    assert 'og:image' in index and 'twitter:card' in index
    assert REPO_URL in index, "navbar repository link missing"
    assert '\n:::' not in index and '<p>:::' not in index, "a stray fence on the home page"
    for page in PAGES:
        assert rendered_html(out, page).exists(), f"{page.relative_to(ROOT)} was not rendered"
    # The listings: one card per page, in `order`, each with its own image.
    for lid, pages in [('listing-course-pages', COURSE), ('listing-appendix-pages', APPENDIX)]:
        block = index.split(f'id="{lid}"', 1)[1].split('id="listing-', 1)[0]
        cards = re.findall(r'<a href="([^"]+)" class="quarto-grid-link"', block)
        assert len(cards) == len(pages), f"{lid}: {len(cards)} cards for {len(pages)} pages"
        assert [Path(c).name for c in cards] == [rendered_html(out, p).name for p in pages], f"{lid}: cards not in `order`"
    imgs = re.findall(r'<img[^>]*src="([^"]+)"[^>]*class="thumbnail-image', index)
    assert len(imgs) == len(LISTED)
    digests = [hashlib.sha1((out/i.lstrip('/')).read_bytes()).hexdigest() for i in imgs]
    assert len(set(digests)) == len(digests), "two cards show the same image"
    for nb in NOTEBOOKS:
        html = rendered_html(out, nb).read_text()
        assert 'colab-badge.svg' in html and 'alt="Open in Colab"' in html, f"{nb.name}: no accessible Colab badge"
        assert "google.colab" not in html, f"{nb.name}: the hidden setup cell is visible"
    assert (out/'search.json').exists()
    q = rendered_html(out, ROOT/'chapters'/'questions.ipynb').read_text()
    assert q.count('<details class="answer">') == 37 and q.count('</details>') >= 37, "the 37 answers are not all folds"
    # Accessibility: axe-core (WCAG 2.1 A/AA) on every page at 1280 and 375 px, where the tools exist.
    sys.path.insert(0, str(ROOT/'tools'))
    import a11y_audit
    why = a11y_audit.tools_missing()
    if why: pytest.skip(f"rendered fine; accessibility audit skipped: {why}")
    bad = a11y_audit.failures(a11y_audit.audit(out))
    assert not bad, "accessibility audit:\n" + '\n'.join(bad)


@pytest.mark.parametrize('target', ['site', 'preview'])
def test_missing_quarto_gives_one_clear_message(tmp_path, target):
    "`make site`/`make preview` without Quarto, where `pip install quarto-cli` cannot work: one clear message, no traceback, no temp file left."
    fake_bin = tmp_path/'bin'; fake_bin.mkdir()
    (fake_bin/'python').write_text('#!/bin/sh\necho "Traceback (most recent call last): pip failed" >&2\nexit 1\n')
    (fake_bin/'python').chmod(0o755)
    tmp = tmp_path/'tmp'; tmp.mkdir()
    env = {**os.environ, 'PATH': '/usr/bin:/bin', 'TMPDIR': str(tmp)}  # no quarto here
    if shutil.which('quarto', path=env['PATH']): pytest.skip('quarto is installed in /usr/bin, so it cannot be missing here')
    r = subprocess.run(['bash', str(ROOT/'tools/ensure_quarto.sh'), str(fake_bin), target], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1
    assert 'Quarto is needed to render the site' in r.stderr and 'https://quarto.org/docs/get-started/' in r.stderr
    assert f"then run 'make {target}' again" in r.stderr
    assert 'Traceback' not in r.stderr + r.stdout
    assert list(tmp.iterdir()) == [], "a temporary file was left behind"
