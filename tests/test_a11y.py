"""Accessibility of the site's own parts, without Quarto (issue 13): the contrast of the theme's colours, computed
from assets/theme.scss and styles.css; and tools/a11y_audit.py's axe-core audit (test_quarto_render runs it on the
rendered site, test_widgets.py on the widgets) on a page built by hand with the structure Quarto renders, styled by
our CSS and fixed up by our script; and the train-live widget trained from the keyboard alone. The browser tests
skip, saying what is missing, without Chromium, chromedriver, selenium or axe-core (.ci/run installs them).
"""
from __future__ import annotations
import re, shutil
from pathlib import Path

import pytest

import a11y_audit  # tools/a11y_audit.py
from helpers import ROOT, quarto_config, train_live_by_keyboard, widgets_site

needs_browser = pytest.mark.skipif(bool(a11y_audit.tools_missing()), reason=f"browser audit not possible here: {a11y_audit.tools_missing()}")

def html_option(key): return quarto_config()['format']['html'][key]
def css() -> str: return (ROOT/'assets/styles.css').read_text()

# ---------------------------------------------------------------- contrast, computed
def luminance(hex_colour:str) -> float:
    h = hex_colour.lstrip('#')
    if len(h) == 3: h = ''.join(c*2 for c in h)
    lin = lambda c: c/12.92 if c <= 0.03928 else ((c + 0.055)/1.055)**2.4
    r, g, b = (lin(int(h[i:i+2], 16)/255) for i in (0, 2, 4))
    return 0.2126*r + 0.7152*g + 0.0722*b

def contrast(a:str, b:str='#ffffff') -> float:
    la, lb = sorted([luminance(a), luminance(b)], reverse=True)
    return (la + 0.05)/(lb + 0.05)

def scss_var(name:str) -> str:
    m = re.search(rf'^\${name}:\s*(#[0-9a-fA-F]{{3,6}})\s*;', (ROOT/'assets/theme.scss').read_text(), re.M)
    assert m, f"${name} is not set to a hex colour in assets/theme.scss"
    return m[1]

def test_theme_contrast():
    "White navbar text on the primary colour, the primary colour as link text on white, and muted text pass AA (4.5:1)."
    primary = scss_var('primary')
    assert contrast(primary) >= 4.5, f"white on {primary}: {contrast(primary):.2f}:1"
    assert scss_var('navbar-fg').lower() in ('#fff', '#ffffff')
    assert contrast(scss_var('text-muted')) >= 4.5

def test_css_colours_have_contrast():
    "Every text colour set in styles.css reads on white (AA); focus rings are visible (3:1 against white)."
    colours = set(re.findall(r'(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})', css())) - {'#ffffff', '#fff'}
    assert colours, "styles.css sets no text colour"
    for c in colours: assert contrast(c) >= 4.5, f"text colour {c} is {contrast(c):.2f}:1 on white"
    for c in re.findall(r'outline:\s*\d+px solid (#[0-9a-fA-F]{3,6})', css()): assert contrast(c) >= 3, f"focus ring {c}: {contrast(c):.2f}:1"
    assert ':focus-visible' in css() and '.navbar a:focus-visible' in css()

def test_site_wiring():
    "The theme, CSS, skip link and script are wired into _quarto.yml and exist."
    theme = html_option('theme')
    assert isinstance(theme, list) and theme[0] == 'cosmo' and (ROOT/theme[1]).exists()
    for key in ('css', 'include-before-body', 'include-after-body'): assert (ROOT/html_option(key)).exists(), f"{key} missing"
    assert 'class="skip-link"' in (ROOT/html_option('include-before-body')).read_text()
    script = (ROOT/html_option('include-after-body')).read_text()
    for needle in ('aa-DetachedSearchButton', 'aria-label', 'alt', 'tabindex', 'skip-link'): assert needle in script

# ---------------------------------------------------------------- the audit on a page built by hand
def _wide(n): return ' '.join(f'w{i}_x' for i in range(n))

def mock_page(d:Path) -> Path:
    "A page with the structure Quarto renders, styled with our CSS and fixed up by our script."
    primary = scss_var('primary')
    shutil.copy(ROOT/'assets/thumbnail.png', d/'card.png')
    (d/'badge.svg').write_text('<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20"><rect width="117" height="20" fill="#555"/></svg>')
    (d/'styles.css').write_text(css())
    cards = ''.join(f'''<div class="g-col-1" data-index="{i}"><a href="#c{i}" class="quarto-grid-link">
<div class="quarto-grid-item card h-100 card-left"><p class="card-img-top"><img src="card.png" class="thumbnail-image card-img" style="height: 150px;"></p>
<div class="card-body post-contents"><h5 class="no-anchor card-title listing-title">Page {i}: the data</h5>
<div class="listing-categories"><div class="listing-category" onclick="return false;">fastai</div></div>
<div class="card-text listing-description delink">Load the 3s and 7s of MNIST_SAMPLE.</div></div></div></a></div>''' for i in range(3))
    (d/'index.html').write_text(f'''<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A page like the rendered site</title>
<style>/* what the theme compiles to, for the parts the audit sees */
body {{ margin: 0; font-family: sans-serif; color: #373a3c; background: #fff; }} a {{ color: {primary}; }}
.navbar {{ background-color: {primary}; display: flex; flex-wrap: wrap; gap: 1rem; padding: .5rem 1rem; }}
.navbar a {{ text-decoration: none; }} .navbar-nav {{ display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }}
.aa-DetachedSearchButton {{ background: transparent; border: 0; color: #fff; }}
.list.grid {{ display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 1.5em; }}
@media (max-width: 576px) {{ .list.grid {{ grid-template-columns: minmax(0, 1fr); }} }}
.card {{ border: 1px solid #dee2e6; }} .quarto-grid-link {{ color: inherit; text-decoration: none; }}
#quarto-content {{ display: flex; flex-wrap: wrap; }} #quarto-sidebar {{ width: 250px; }} main {{ flex: 1; min-width: 0; padding: 0 1rem; }}
</style><link rel="stylesheet" href="styles.css"></head>
<body>
<header id="quarto-header"><nav class="navbar navbar-expand-lg navbar-dark bg-primary" aria-label="Main">
<a class="navbar-brand" href="#"><span class="navbar-title">Under the hood: training a digit classifier</span></a>
<ul class="navbar-nav"><li class="nav-item"><a class="nav-link" href="#">Home</a></li><li class="nav-item"><a class="nav-link" href="#">Questions</a></li></ul>
<div id="quarto-search"><div class="aa-Autocomplete" role="combobox" aria-expanded="false" aria-haspopup="listbox">
<button type="button" class="aa-DetachedSearchButton"><span class="aa-DetachedSearchButtonIcon">
<svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true"><circle cx="8" cy="8" r="6" stroke="#fff" fill="none"/></svg>
</span></button></div></div></nav></header>
{(ROOT/html_option('include-before-body')).read_text()}
<div id="quarto-content">
<nav id="quarto-sidebar" class="sidebar" aria-label="Pages"><ul><li><a class="sidebar-link" href="#"><span class="menu-text">
A loss for the digits: sigmoid, mnist_loss and mini-batches</span></a></li></ul></nav>
<main class="content" id="quarto-document-content">
<h1 class="title">Pixel similarity</h1>
<p><a class="colab-badge" href="https://colab.research.google.com/"><img src="badge.svg" alt="Open in Colab"></a> · <a href="#api">digitlib.tensors in the API reference</a></p>
<div id="listing-course-pages" class="quarto-listing quarto-listing-container-grid"><div class="list grid quarto-listing-cols-3">{cards}</div></div>
<div class="cell"><div class="cell-output cell-output-stdout"><pre><code>{_wide(60)}</code></pre></div></div>
<div class="cell"><div class="sourceCode cell-code"><pre class="sourceCode python code-with-copy"><code class="sourceCode python">x = {_wide(40)}</code></pre></div></div>
<table class="caption-top table"><thead><tr><th>term</th><th>meaning</th></tr></thead>
<tbody><tr><td><code>F.mse_loss(preds, targets).sqrt()</code></td><td>{_wide(30)}</td></tr></tbody></table>
<div class="quarto-figure"><figure class="figure"><p><img src="card.png" class="figure-img" alt="Handwritten 3s and 7s"></p>
<figcaption class="figure-caption">The ideal 3 and 7</figcaption></figure></div>
<p><mjx-container class="MathJax" jax="CHTML" display="true"><mjx-math style="display: inline-block; white-space: nowrap;">{_wide(40)}</mjx-math></mjx-container></p>
<details class="answer"><summary>Answer to exercise 1</summary><p>The answer.</p></details>
</main></div>
{(ROOT/html_option('include-after-body')).read_text()}
</body></html>''')
    return d/'index.html'

@needs_browser
def test_mock_page_passes_axe(tmp_path):
    "Our CSS and script on Quarto's structure: no serious/critical axe violation, no sideways scroll, at 1280 and 375 px."
    mock_page(tmp_path)
    findings = a11y_audit.audit(tmp_path, ['index.html'])
    assert len(findings) == 2
    bad = a11y_audit.failures(findings)
    assert not bad, '\n'.join(bad)

@needs_browser
def test_mock_page_keyboard_fixes(tmp_path):
    "The skip link is the first Tab stop and moves focus to the content; the search button and thumbnails are named/decorative."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    mock_page(tmp_path)
    srv, base = a11y_audit.serve(tmp_path)
    d = a11y_audit.start_browser(str(tmp_path/'profile'))
    try:
        d.set_window_size(1280, 900)
        d.get(base + 'index.html')
        d.find_element(By.TAG_NAME, 'body').send_keys(Keys.TAB)
        first = d.switch_to.active_element
        assert 'skip-link' in first.get_attribute('class') and first.text.strip() == 'Skip to main content'
        first.send_keys(Keys.ENTER)
        assert d.switch_to.active_element.get_attribute('id') == 'quarto-document-content'
        assert d.find_element(By.CSS_SELECTOR, '.aa-DetachedSearchButton').get_attribute('aria-label')
        assert d.find_element(By.CSS_SELECTOR, '.aa-Autocomplete').get_attribute('aria-label')
        assert [i.get_attribute('alt') for i in d.find_elements(By.CSS_SELECTOR, '.quarto-listing img')] == ['', '', '']
        # Closing the search overlay (what Esc does) gives focus back to the search button, not <body>.
        d.execute_script("""const o = document.createElement('div'); o.className = 'aa-DetachedOverlay';
            o.innerHTML = '<input class="aa-Input">'; document.body.append(o); o.querySelector('input').focus();""")
        d.execute_script("document.querySelector('.aa-DetachedOverlay').remove();")
        d.execute_async_script("setTimeout(arguments[arguments.length - 1], 100)")
        assert 'aa-DetachedSearchButton' in d.switch_to.active_element.get_attribute('class')
    finally:
        d.quit(); srv.shutdown(); srv.server_close()

@pytest.mark.skipif(bool(a11y_audit.tools_missing(axe=False)), reason=f'browser test not possible here: {a11y_audit.tools_missing(axe=False)}')
def test_train_live_past_097_from_the_keyboard(tmp_path):
    """train-live from the keyboard alone, on the widgets' test page (tests/widgets/index.html) at 375 px: each model past
    0.97 validation accuracy (test_quarto_render runs the same check on the rendered notebooks 6 and 8)."""
    train_live_by_keyboard(widgets_site(tmp_path), ['widgets-test/index.html'])
