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

def widgets_site(folder:Path) -> Path:
    "`folder` as the site serves a notebook page: the widgets' test page at widgets-test/index.html, one folder below assets/."
    (folder/'widgets-test').symlink_to(ROOT/'tests/widgets', target_is_directory=True)
    (folder/'assets').symlink_to(ROOT/'assets', target_is_directory=True)
    return folder

def train_live_by_keyboard(site:Path, pages:list, width:int=375, past:float=0.97, timeout:float=60) -> dict:
    """Serve `site` on 127.0.0.1 and, on each of `pages` (paths under it) in headless Chromium at `width` px, drive the
    train-live widget from the keyboard alone: for each model, Space on its radio, Enter on Reset, Enter on Train, until the
    validation accuracy passes `past`, then Enter on Pause. Returns {page: {model: (accuracy, epoch, seconds)}}; raises
    AssertionError naming the page and model that did not get there (it stopped, diverged, failed or ran out of time), or
    a page whose figures did not replace their lines for Colab and Jupyter."""
    import tempfile, time
    import a11y_audit  # tools/a11y_audit.py
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    srv, base = a11y_audit.serve(site)
    d = a11y_audit.start_browser(tempfile.mkdtemp(prefix='chromium-profile-'))
    out = {}
    try:
        for page in pages:
            d.set_window_size(width, 900); d.get(base + page)
            w = d.find_element('css selector', '[data-widget="train-live"]')
            attr = lambda k: w.get_attribute(f'data-{k}')
            button = lambda text: w.find_element('xpath', f'.//button[.="{text}"]')
            d.execute_script('arguments[0].scrollIntoView()', w)      # it loads its digits when seen
            WebDriverWait(d, 30).until(lambda _: attr('loaded') == 'true' or attr('state') == 'failed')
            assert attr('loaded') == 'true', f"{page}: train-live did not load: {w.find_element('css selector', '[data-out=error]').text}"
            assert not d.find_elements('css selector', '.widget-elsewhere'), f"{page}: a figure did not replace its line for Colab and Jupyter"
            for model in ('linear', 'simple_net'):
                w.find_element('css selector', f'input[value={model}]').send_keys(Keys.SPACE)
                button('Reset').send_keys(Keys.ENTER)
                WebDriverWait(d, 5).until(lambda _: attr('model') == model and attr('epoch') == '0' and attr('state') == 'idle')
                t0 = time.perf_counter()
                button('Train').send_keys(Keys.ENTER)
                try: WebDriverWait(d, timeout).until(lambda _: float(attr('accuracy') or 0) > past or attr('state') not in ('idle', 'running'))
                except TimeoutException: pass   # the assert below says how far it got
                seconds, acc, epoch = time.perf_counter() - t0, float(attr('accuracy')), int(attr('epoch'))
                error = w.find_element('css selector', '[data-out="error"]').text
                assert acc > past, f"{page}, {model}: validation accuracy {acc} after {epoch} epochs, {seconds:.0f} s ({attr('state')}) {error}".strip()
                button('Pause').send_keys(Keys.ENTER)
                WebDriverWait(d, 5).until(lambda _: attr('state') == 'paused')
                out.setdefault(page, {})[model] = (acc, epoch, round(seconds, 1))
        errors = [e['message'] for e in d.get_log('browser') if e['level'] == 'SEVERE' and 'favicon' not in e['message']]
        assert not errors, errors
        return out
    finally: d.quit(); srv.shutdown(); srv.server_close()
