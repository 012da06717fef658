"""The course site, checked where Quarto would not complain: links to anchors, alt text, front matter, the home
page's listings and cards, the navigation's reading order, the Colab cells, and nbdev's processing. Pages are found
by glob, so a page added later is checked too. What `quarto render` reports itself (a link to a missing file, a
missing nav page) is left to test_quarto_render, which renders where Quarto is installed and fails on any warning.
"""
from __future__ import annotations
import base64, gzip, hashlib, re, shutil, subprocess, sys
from pathlib import Path

import pytest
import yaml

import colab  # tools/colab.py
from helpers import NOTEBOOKS, PAGES, ROOT, front_matter, markdown_of, nb, quarto_config, rel, src, train_live_by_keyboard

def prose(page:Path) -> str: return re.sub(r'(`+).+?\1', '', markdown_of(page))  # what is in code is not a link

# ---------------------------------------------------------------- anchors and alt text
def heading_ids(page:Path) -> set:
    "The section ids a page has: every explicit `{#id}` (headings, divs, a notebook's Markdown outputs), and pandoc's auto id of every other heading."
    text = markdown_of(page)
    if page.suffix == '.ipynb':
        text += '\n'.join(src({'source': o.get('data', {}).get('text/markdown', '')})
                          for c in nb(page)['cells'] for o in c.get('outputs', []))
    ids = set(re.findall(r'\{#([\w.:-]+)', text))
    for h in re.findall(r'^#{1,6}\s+(.*?)\s*$', text, re.M):
        if '{#' in h: continue
        s = re.sub(r'\s', '-', re.sub(r'[^\w\s.-]', '', h).strip().lower())   # pandoc: keep letters, digits, _-. ; spaces to -
        ids.add(re.sub(r'^[^a-z\u00c0-\uffff]+', '', s) or 'section')           # ... from the first letter on
    return ids

@pytest.mark.parametrize('page', PAGES, ids=rel)
def test_links_to_anchors_resolve(page):
    "A link to `page#anchor` (or `#anchor`) lands on a heading that exists: Quarto does not check anchors."
    bad = []
    for t in re.findall(r'\]\(\s*<?([^)\s>]*#[^)\s>]+)', prose(page)):
        if re.match(r'[a-z][\w+.-]*:|//', t, re.I): continue
        path, _, anchor = t.partition('#')
        target = page.parent/path if path else page
        if not target.exists(): bad.append(f"{t}: no such file")
        elif anchor not in heading_ids(target): bad.append(f"{t}: no heading with id #{anchor} in {rel(target)}")
    assert not bad, '\n'.join(bad)

def fig_alt(cell):
    "The cell's `#| fig-alt:` option, read like Quarto reads the `#|` lines that open a cell (YAML)."
    for line in src(cell).splitlines():
        if not line.startswith('#|'): break
        try: o = yaml.safe_load(line[2:])
        except yaml.YAMLError: continue
        if isinstance(o, dict) and 'fig-alt' in o: return o['fig-alt']

@pytest.mark.parametrize('page', PAGES, ids=rel)
def test_images_have_alt_text(page):
    "Markdown and HTML images have alt text, and every code cell that draws a figure has a non-empty `#| fig-alt:`."
    md = prose(page)
    bad = [m[0] for m in re.finditer(r'!\[\s*\]\([^)]*\)(\{[^}]*\})?', md) if 'fig-alt=' not in (m[1] or '')]
    bad += [t for t in re.findall(r'<img\b[^>]*>', md, re.I) if not re.search(r'\balt="[^"]+"', t)]
    for c in nb(page)['cells'] if page.suffix == '.ipynb' else []:
        if any(k.startswith('image/') for o in c.get('outputs', []) for k in o.get('data', {})):
            alt = fig_alt(c)
            if not all(str(a or '').strip() for a in (alt if isinstance(alt, list) else [alt])): bad.append(f"figure in cell {c.get('id')}")
    assert not bad, f"no alt text: {bad}"

# ---------------------------------------------------------------- front matter, listings, cards
# A card's text that Pandoc would read as the start of a block (a list item, a heading, a quote, a fence,
# a table, a code block) closes the listing's generated <div>s early: the broken grid of issue 11.
BLOCK_START = re.compile(r'^(?:\s{4}|\s{0,3}(?:[-+*](?:\s|$)|\(?(?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+|#|@\w*)[.)](?:\s|$)'
                         r'|#{1,6}(?:\s|$)|>|:{3}|`{3}|~{3}|\||[-*_](?:\s*[-*_]){2,}\s*$))')

def order(p:Path) -> float:
    o = front_matter(p).get('order')
    return o if isinstance(o, (int, float)) and not isinstance(o, bool) else float('inf')

def card(page:Path) -> Path | None:
    img = front_matter(page).get('image')
    return (page.parent/img).resolve() if img else None

@pytest.mark.parametrize('page', PAGES, ids=rel)
def test_front_matter(page):
    "Title and description; card text that cannot break the listing's Markdown or JavaScript; an `order` and a card picture."
    fm = front_matter(page)
    for k in ('title', 'description'): assert str(fm.get(k) or '').strip(), f"front matter has no {k}"
    for k in ('title', 'subtitle', 'description'):
        v = str(fm.get(k, ''))
        assert '\n' not in v.strip() and not any(BLOCK_START.match(l) for l in v.splitlines()), \
            f"{k} {v!r} starts like a Markdown block or spans lines; reword it (or escape it: `1\\.`)"
        assert ':::' not in v and '{{<' not in v, f"{k} holds a fence or shortcode"
    for c in fm.get('categories') or []: assert re.fullmatch(r"\w[\w .+-]*", str(c)), f"category {c!r}: letters, digits, spaces, . + -"
    assert card(page) and card(page).exists(), f"front-matter image {fm.get('image')} missing"
    if page.name == 'index.qmd': return
    assert order(page) != float('inf'), "no numeric `order:` (the listings and the navigation sort by it)"
    data = card(page).read_bytes()
    assert card(page).parent == ROOT/'assets/cards' and data[:8] == b'\x89PNG\r\n\x1a\n', "the card is a PNG in assets/cards/"
    assert len(data) < 80_000, f"card is {len(data)/1000:.0f} KB; keep it under 80 KB"

def listing(lid:str) -> list:
    "The pages a home-page listing shows, found as Quarto finds them (its `contents` paths and globs), sorted by `order`."
    l = next(l for l in front_matter(ROOT/'index.qmd')['listing'] if l['id'] == lid)
    pats = l['contents'] if isinstance(l['contents'], list) else [l['contents']]
    found = dict.fromkeys(p for pat in pats for p in sorted(ROOT.glob(pat)) if not p.name.startswith(('_', '.')))
    return sorted(found, key=lambda p: (order(p), p.name))

def nav(items) -> list:
    "The hrefs of navbar or sidebar items, depth first."
    out = []
    for it in items or []:
        if isinstance(it, str): out.append(it)
        elif isinstance(it, dict): out += ([it['href']] if it.get('href') else []) + nav(it.get('menu')) + nav(it.get('contents'))
    return out

def test_categories_filter_something():
    "A reader can filter the cards by category: a dozen at most, each on two pages or more. One publication date for all."
    pages = {}
    assert len({str(front_matter(page).get('date')) for page in PAGES if page.name != 'index.qmd'}) == 1
    for page in PAGES:
        for c in front_matter(page).get('categories') or []: pages.setdefault(c, []).append(page.name)
    assert len(pages) <= 12, f"{len(pages)} categories: {sorted(pages)}"
    lonely = {c: ps for c, ps in pages.items() if len(ps) < 2}
    assert not lonely, f"categories on one page only: {lonely}"

def test_listings_and_navigation_follow_the_reading_order():
    "Every page but the home page is one card, in `order`, with its own picture; the sidebar and the navbar list them in the same order."
    course, appendix = listing('course-pages'), listing('appendix-pages')
    listed = course + appendix
    assert sorted(map(rel, listed)) == sorted(rel(p) for p in PAGES if p.name != 'index.qmd'), "each page is in exactly one listing"
    assert len({order(p) for p in listed}) == len(listed), "two pages share an `order`"
    assert course[0].name == 'key-concepts.qmd' and course[-1].name == 'questions.ipynb' and min(map(order, appendix)) > 100
    digests = [hashlib.sha1(card(p).read_bytes()).hexdigest() for p in listed]
    assert len(set(digests)) == len(digests), "two cards show the same picture"
    chapters = [rel(p) for p in course if p.parent.name == 'notebooks']
    w = quarto_config()['website']
    assert nav(w['sidebar']['contents']) == ['index.qmd', 'chapters/key-concepts.qmd', *chapters, *map(rel, appendix), 'chapters/questions.ipynb']
    menu = next(it['menu'] for it in w['navbar']['left'] if isinstance(it, dict) and it.get('text') == 'Notebooks')
    assert nav(menu) == chapters + list(map(rel, appendix)), "the navbar's Notebooks menu: the chapter's notebooks, then the appendix"

def test_quarto_config():
    "What Quarto cannot check: only HTML, files used without a link ship, pyproject's repository in the generated config."
    q = quarto_config()
    w, html = q['website'], q['format']['html']
    assert q['project']['type'] == 'website' and {'nbdev.yml', 'repo.yml'} <= set(q['metadata-files'])
    assert list(q['format']) == ['html'], "only HTML: a `commonmark` copy of each page turned TeX math into warnings (issue 11)"
    assert {'assets/cards/*.png', 'assets/widgets/**'} <= set(q['project']['resources'])
    assert w['page-navigation'] and w['search'] and w['open-graph'] and w['twitter-card'] and html['code-copy'] and html['toc']
    thumb = (ROOT/w['image']).read_bytes()
    assert thumb[:8] == b'\x89PNG\r\n\x1a\n' and len(thumb) < 200_000, "the social-media preview image"
    for l in front_matter(ROOT/'index.qmd')['listing']: assert (ROOT/l['image-placeholder']).exists()
    r = subprocess.run([sys.executable, str(ROOT/'tools/proc_nbs.py'), '--check'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    slug = colab.repo_info(ROOT)['slug']
    for f in [ROOT/'_quarto.yml', ROOT/'index.qmd', *(ROOT/'chapters').glob('*.qmd')]:
        assert slug not in f.read_text(), f"{f.name} types the repository URL; it comes from pyproject.toml (repo.yml)"

@pytest.mark.parametrize('page', NOTEBOOKS, ids=rel)
def test_colab_cells(page):
    "The badge cell (opening this notebook, in pyproject's repository) right after the front matter, then the one setup cell."
    issues = colab.problems(nb(page), rel(page), colab.repo_info(ROOT))
    assert not issues, f"{'; '.join(issues)} -- run python tools/colab.py --write"

# ---------------------------------------------------------------- nbdev processing and Quarto
def test_proc_nbs(processed_site):
    """Every page is processed, from a checkout under a dot-folder, without a warning (e.g. a cell mixing imports and code), to a
    file of its own on the site; hidden cells stay out."""
    proc = processed_site/'_proc'
    for f in ['_quarto.yml', 'nbdev.yml', 'repo.yml', 'assets/thumbnail.png', 'assets/styles.css', *map(rel, PAGES)]:
        assert (proc/f).exists(), f"_proc/{f} missing"
    for page in NOTEBOOKS:
        assert not any(src(c).lstrip().startswith('#| hide') for c in nb(proc/rel(page))['cells']), f"{rel(page)}: a #| hide cell survived"
    assert not any((proc/d).exists() for d in ('tests', 'digitlib', 'tools'))
    files = {}                      # where Quarto writes each page: nbdev names a notebook's page (06_optimizer -> optimizer.html)
    for page in PAGES: files.setdefault(page.parent/(front_matter(proc/rel(page)).get('output-file') or page.with_suffix('.html').name), []).append(rel(page))
    same = [ps for ps in files.values() if len(ps) > 1]
    assert not same, f"pages written to one file on the site, the last one rendered hiding the others: {same}"
    log = (processed_site/'proc.log').read_text()
    assert not re.search(r'warn', log, re.I), f"nbdev warned while processing (keep imports in cells of their own):\n{log[-3000:]}"

def sent(data:bytes, name:str) -> int:
    "Bytes a server sends for a file: text gzipped, as GitHub Pages does; PNGs and the deflated digits as they are."
    return len(data) if name.endswith(('.png', '.bin')) else len(gzip.compress(data, 9))

def widget_files(script:Path, seen:set=None) -> set:
    "A widget's module and everything it loads: the modules it imports (and its worker's), and the data files it names."
    seen = set() if seen is None else seen
    if script in seen: return seen
    seen.add(script)
    code = '\n'.join(l for l in script.read_text().splitlines() if not l.lstrip().startswith('//'))
    for m in re.findall(r"from '(\./[^']+)'|new URL\('(\./[^']+\.js)'", code): widget_files((script.parent/(m[0] or m[1])).resolve(), seen)
    seen |= {ROOT/'assets/widgets/data'/f for f in re.findall(r"'([\w-]+\.(?:json|bin))'", code)}
    return seen

def test_pages_with_widgets_weigh_under_1_mb(processed_site):
    """Each processed page as a reader downloads it: its figures, its text, its widgets and all their data, under 1 MB
    (Quarto's own scripts and styles, shared by every page and cached, come on top: about 250 KB the first time)."""
    proc, heavy = processed_site/'_proc', {}
    for page in NOTEBOOKS:
        cells = nb(proc/rel(page))['cells']
        outs = [o for c in cells for o in c.get('outputs', [])]
        figures = sum(len(base64.b64decode(''.join(o['data']['image/png']))) for o in outs if 'image/png' in o.get('data', {}))
        text = '\n'.join([src(c) for c in cells] + [src({'source': v}) for o in outs for k, v in o.get('data', {}).items() if k.startswith('text/')])
        files = set().union(*[widget_files(ROOT/'assets/widgets'/w) for w in set(re.findall(r'assets/widgets/([\w-]+\.js)', text))])
        total = figures + sent(text.encode(), 'page.html') + sum(sent(f.read_bytes(), f.name) for f in files)
        if files: heavy[rel(page)] = total
        assert total < 1_000_000, f"{rel(page)}: {total/1e3:,.0f} KB (figures {figures/1e3:,.0f} KB)"
    assert all(heavy.get(f'notebooks/{p}.ipynb', 0) > 500_000 for p in ('06_optimizer', '08_nonlinearity')), heavy   # train-live's data counted

def rendered(out:Path, page:Path) -> Path:
    "Where Quarto writes a page: nbdev names a notebook with a raw front matter after its module (02_tensors -> tensors.html)."
    from nbdev.config import nbpath2html
    cands = [out/nbpath2html(Path(rel(page))), out/Path(rel(page)).with_suffix('.html')]
    return next((c for c in cands if c.exists()), cands[-1])

@pytest.mark.skipif(shutil.which('quarto') is None, reason="quarto is not on PATH (install it, e.g. `make quarto`, to render the site)")
def test_quarto_render(processed_site):
    """Render with Quarto: no warning, every page, one card per page in `order` with its own image, badges, folds; train-live
    trains both models past 0.97 on notebooks 6 and 8 from the keyboard; then audit it."""
    import a11y_audit
    out = processed_site/'_site_test'
    r = subprocess.run(['quarto', 'render', '--output-dir', str(out)], cwd=processed_site/'_proc', capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    warnings = [l for l in (r.stdout + r.stderr).splitlines() if re.search(r'WARN|Warning', l)]
    assert not warnings, "Quarto warned while rendering:\n" + "\n".join(warnings)
    index = (out/'index.html').read_text()
    assert '{{<' not in index and '{{&lt;' not in index and '<p>:::' not in index, "an unexpanded shortcode or a stray fence"
    assert f"git+{colab.repo_info(ROOT)['url']}" in index and 'og:image' in index and 'twitter:card' in index
    for page in PAGES: assert rendered(out, page).exists(), f"{rel(page)} was not rendered"
    for lid in ('course-pages', 'appendix-pages'):
        block = index.split(f'id="listing-{lid}"', 1)[1].split('id="listing-', 1)[0]
        cards = re.findall(r'<a href="([^"]+)" class="quarto-grid-link"', block)
        assert [Path(c).name for c in cards] == [rendered(out, p).name for p in listing(lid)], f"{lid}: one card per page, in `order`"
    imgs = re.findall(r'<img[^>]*src="([^"]+)"[^>]*class="thumbnail-image', index)
    assert len({hashlib.sha1((out/i.lstrip('/')).read_bytes()).hexdigest() for i in imgs}) == len(PAGES) - 1, "each card its own image"
    for page in NOTEBOOKS:
        html = rendered(out, page).read_text()
        assert 'alt="Open in Colab"' in html and 'google.colab' not in html, f"{page.name}: no accessible badge, or the setup cell shows"
        n = sum(src(c).count('<details class="answer"') for c in nb(page)['cells'] if c['cell_type'] == 'markdown')
        assert html.count('<details class="answer"') == n, f"{page.name}: not all {n} answers are folds"
    if not a11y_audit.tools_missing(axe=False):   # train-live on the rendered pages, from the keyboard: both models past 0.97
        pages = [rendered(out, ROOT/f'notebooks/{p}.ipynb').relative_to(out).as_posix() for p in ('06_optimizer', '08_nonlinearity')]
        print('train-live on the rendered site (accuracy, epoch, seconds):', train_live_by_keyboard(out, pages))
    why = a11y_audit.tools_missing()
    if why: pytest.skip(f"rendered fine; accessibility audit skipped: {why}")
    bad = a11y_audit.failures(a11y_audit.audit(out))
    assert not bad, "accessibility audit:\n" + '\n'.join(bad)
