"""The interactive widgets (assets/widgets/): their data, their JavaScript, and the pages they are on.

1. Python: the JSON the widgets load is what digitlib computes and notebook 10 trains; the broadcasting table the
   Node tests share equals torch.broadcast_shapes; every page places a widget with exactly the course's snippet.
2. Node (`node --test tests/js/`), on digitlib's answers (tests/js/fixtures.py): the widgets' code gives digitlib's
   scores, SGD paths, ReLU sums and broadcasting answers, and real digits drawn through the canvas path its predictions.
3. Chromium, with tools/a11y_audit.py's browser and server: tests/widgets/index.html, served one folder below assets/
   like a notebook page, is drawn on with pointer events and driven from the keyboard; axe-core finds no serious or
   critical WCAG 2.1 A/AA violation and nothing scrolls sideways. Each layer skips, saying why, when its tool is missing.
"""
from __future__ import annotations
import base64, json, re, shutil, subprocess, time

import pytest
import torch

import a11y_audit  # tools/a11y_audit.py
import colab  # tools/colab.py
from helpers import ROOT, markdown_of, rel, widgets_site
from js import fixtures  # tests/js/fixtures.py

DATA = ROOT/'assets/widgets/data'
JS_TESTS = ROOT/'tests/js'
WHERE = {'broadcast': 'notebooks/03_broadcasting.ipynb', 'sgd-quadratic': 'notebooks/04_sgd.ipynb',
         'relu-sum': 'notebooks/08_nonlinearity.ipynb', 'draw-digit': 'notebooks/10_recap.ipynb',
         'train-live': 'notebooks/06_optimizer.ipynb'}

def snippet(name:str, page:str|None=None) -> str:
    """The markdown that places widget `name`: on the notebook `page` (its path from the root) its container as tools/colab.py
    writes it (a line for Colab and Jupyter, a link to the page on the site), on the home page (None) an empty one; then its script."""
    if page is None: return f'<div class="widget" data-widget="{name}"></div>\n<script type="module" src="assets/widgets/{name}.js"></script>'
    return f'{colab.widget_source(name, page, colab.repo_info(ROOT))}\n<script type="module" src="../assets/widgets/{name}.js"></script>'

def _json(name): return json.loads((DATA/name).read_text())

# ---------------------------------------------------------------- 1. the data, against digitlib
def test_ideal_digits_are_the_mean_training_digits(digits):
    from digitlib.tensors import mean_digit
    for k in (3, 7): torch.testing.assert_close(torch.tensor(_json('ideal.json')[f'ideal{k}']).view(28, 28), mean_digit(digits.train[k]), atol=1e-6, rtol=0)

def test_real_digits_are_validation_digits(digits):
    ds = _json('digits.json')['digits']
    assert len(ds) == 50 and sorted(d['label'] for d in ds) == [3]*25 + [7]*25
    for d in ds:
        pixels = torch.frombuffer(bytearray(base64.b64decode(d['pixels'])), dtype=torch.uint8).view(28, 28)
        torch.testing.assert_close(pixels.float()/255, digits.valid[d['label']][d['index']], atol=1e-7, rtol=0)

def test_quadratic_is_notebook_4s_roller_coaster():
    from digitlib.sgd import quadratic, mse, roller_coaster
    time_, speed = roller_coaster()
    params = torch.randn(3)
    q = _json('quadratic.json')
    torch.testing.assert_close(torch.tensor(q['time']), time_)
    torch.testing.assert_close(torch.tensor(q['speed']), speed, atol=1e-5, rtol=1e-6)
    torch.testing.assert_close(torch.tensor(q['params']), params, atol=1e-6, rtol=1e-6)
    assert abs(mse(quadratic(time_, torch.tensor(q['params'])), torch.tensor(q['speed'])).item() - 25823.8) < 0.1

def test_data_files_are_small():
    "What a page with a widget downloads: the five data files, under 400 KB together; train-live's digits under 600 KB."
    sizes = {f.name: f.stat().st_size for f in DATA.glob('*.json')}
    assert set(sizes) == {'ideal.json', 'linear.json', 'simple_net.json', 'digits.json', 'quadratic.json'}
    assert sum(sizes.values()) < 400_000, sizes
    assert (DATA/'mnist_sample.bin').stat().st_size < 600_000

def test_train_live_digits_are_mnist_sample_digits(digits):
    "mnist_sample.bin: 2,000 training and 1,000 validation digits, each exactly the MNIST_SAMPLE digit its label and index name, the 50 the draw widget shows among them."
    d = fixtures.read_train_digits()
    for split, (x, y, index) in d.items():
        assert len(x) == {'train': 2000, 'valid': 1000}[split] and y.sum() == len(x)/2
        for k, label in ((1, 3), (0, 7)):
            torch.testing.assert_close(x[y[:, 0] == k], getattr(digits, split)[label][index[y[:, 0] == k]].view(-1, 28*28), atol=1e-7, rtol=0)
    vy, vi = d['valid'][1][:, 0], d['valid'][2]
    assert {(3 if l else 7, int(i)) for l, i in zip(vy, vi)} >= {(g['label'], g['index']) for g in _json('digits.json')['digits']}

@pytest.mark.parametrize('case', json.loads((JS_TESTS/'broadcast_cases.json').read_text())['cases'],
                         ids=lambda c: ' with '.join(map(str, map(tuple, c['shapes']))))
def test_broadcast_table_matches_torch_and_digitlib(case):
    from digitlib.broadcasting import broadcast_shape
    shapes = [tuple(s) for s in case['shapes']]
    if case['result'] is None:
        with pytest.raises(RuntimeError): torch.broadcast_shapes(*shapes)
        with pytest.raises(ValueError) as e: broadcast_shape(*shapes)
        assert str(e.value) == case['message'] and f"dimension {case['dim']} " in case['message']
    else: assert tuple(torch.broadcast_shapes(*shapes)) == tuple(case['result']) == broadcast_shape(*shapes)

def test_pages_place_widgets_with_the_exact_snippet():
    "Every widget container on a page is the course's snippet with the right paths; each widget is on its notebook and the test page."
    pages = {p: markdown_of(p) for p in [ROOT/'index.qmd', *sorted((ROOT/'notebooks').glob('*.ipynb'))]}
    for p, text in pages.items():
        for name in re.findall(r'data-widget="([^"]+)"', text):
            assert name in WHERE, f'{p.name}: unknown widget {name!r}'
            want = snippet(name, None if p.name == 'index.qmd' else rel(p))
            assert want in text, f'{p.name}: the {name} container is not followed by its script tag\n{want}'
    test_page = (ROOT/'tests/widgets/index.html').read_text()
    for name, page in WHERE.items(): assert snippet(name, page) in pages[ROOT/page] and snippet(name, page) in test_page, name

# ---------------------------------------------------------------- 2. Node
@pytest.mark.skipif(shutil.which('node') is None, reason="Node.js is not installed: the widgets' JavaScript tests need `node` (20 or later)")
def test_node_tests_pass(digits):
    "Write digitlib's answers for the Node tests, then run them all: `node --test tests/js/`."
    fixtures.write_fixtures(digits=digits)
    r = subprocess.run(['node', '--test', *sorted(map(str, JS_TESTS.glob('*.test.mjs')))], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"node --test failed:\n{r.stdout[-6000:]}\n{r.stderr[-2000:]}"
    assert '# fail 0' in r.stdout and '# skipped 0' in r.stdout, '\n'.join(l for l in r.stdout.splitlines() if l.startswith(('# ', 'not ok')))

# ---------------------------------------------------------------- 3. a real browser
needs_browser = pytest.mark.skipif(bool(a11y_audit.tools_missing(axe=False)), reason=f'browser tests skipped: {a11y_audit.tools_missing(axe=False)}')

@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    "Chromium on the test page, served (with assets/) from 127.0.0.1 at widgets-test/index.html."
    srv, base = a11y_audit.serve(widgets_site(tmp_path_factory.mktemp('widgets-site')))
    d = a11y_audit.start_browser(str(tmp_path_factory.mktemp('chromium-profile')))
    d.base_url = base + 'widgets-test/index.html'
    try: yield d
    finally: d.quit(); srv.shutdown(); srv.server_close()

def _open(d, width=1280):
    "Load the test page at `width` CSS pixels and wait until all four widgets are ready."
    from selenium.webdriver.support.ui import WebDriverWait
    d.set_window_size(width, 900)
    d.get(d.base_url)
    WebDriverWait(d, 20).until(lambda d: d.execute_script(
        'return [...document.querySelectorAll("[data-widget]")].every(w => w.dataset.ready === "true")'))
    return d

def _widget(d, name): return d.find_element('css selector', f'[data-widget="{name}"]')
def _out(w, key): return w.find_element('css selector', f'[data-out="{key}"]')

def _draw(d, canvas, points, kind='mouse', release=True):
    "Draw a stroke through `points` (fractions of the canvas, (0, 0) top left) with a mouse, pen or finger; lift it if `release`."
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput
    from selenium.webdriver.common.actions import interaction
    kinds = {'mouse': interaction.POINTER_MOUSE, 'pen': interaction.POINTER_PEN, 'touch': interaction.POINTER_TOUCH}
    r = d.execute_script('arguments[0].scrollIntoView({block: "center"}); const r = arguments[0].getBoundingClientRect();'
                         'return [r.left, r.top, r.width, r.height];', canvas)
    pts = [(r[0] + x*r[2], r[1] + y*r[3]) for x, y in points]
    dense = [pts[0]] + [(a[0] + (b[0]-a[0])*t/6, a[1] + (b[1]-a[1])*t/6) for a, b in zip(pts, pts[1:]) for t in range(1, 7)]
    ab = ActionBuilder(d, mouse=PointerInput(kinds[kind], kind), duration=10)  # 10 ms per move, not 250
    ab.pointer_action.move_to_location(int(dense[0][0]), int(dense[0][1])).pointer_down()
    for x, y in dense[1:]: ab.pointer_action.move_to_location(int(x), int(y))
    if release: ab.pointer_action.pointer_up()
    ab.perform()
    return ab

SEVEN = [(0.2, 0.15), (0.8, 0.15), (0.42, 0.88)]
THREE = [(0.25, 0.2), (0.45, 0.1), (0.7, 0.17), (0.72, 0.33), (0.45, 0.47), (0.73, 0.6), (0.73, 0.78), (0.5, 0.9), (0.25, 0.82)]

@needs_browser
@pytest.mark.parametrize('kind', ['mouse', 'pen', 'touch'])
def test_draw_a_seven_and_a_three(browser, kind):
    "The page loads without console errors; strokes drawn with each kind of pointer reach the models, which read a drawn 7 and 3 as such."
    d = _open(browser, 1280 if kind == 'mouse' else 375)
    errors = [e['message'] for e in d.get_log('browser') if e['level'] == 'SEVERE' and 'favicon' not in e['message']]
    assert not errors, errors
    w = _widget(d, 'draw-digit')
    pad = w.find_element('css selector', 'canvas.dw-pad')
    for shape, digit in ((SEVEN, '7'), (THREE, '3')):
        w.find_element('xpath', './/button[normalize-space()="Clear"]').click()
        assert _out(w, 'linear-verdict').text == ''
        _draw(d, pad, shape, kind)
        time.sleep(0.2)
        assert 'P(3) = ' in _out(w, 'linear-text').text
        got = {k: _out(w, f'{k}-verdict').text for k in ('linear', 'net')}
        assert got == {'linear': digit, 'net': digit}, (kind, digit, got, _out(w, 'summary').get_attribute('textContent'))
        assert 'Mean distance to the ideal 3' in _out(w, 'pixel-text').text
        assert f'so {digit}' in _out(w, 'summary').get_attribute('textContent')
    ink = d.execute_script('const c = arguments[0].getContext("2d").getImageData(0, 0, 28, 28).data;'
                           'let s = 0; for (let i = 0; i < c.length; i += 4) s += 255 - c[i]; return s / 255;', _out(w, 'seen'))
    assert 20 < ink < 300, ink   # the 28x28 image holds the preprocessed ink

@needs_browser
def test_models_answer_while_the_pen_is_down(browser):
    d = _open(browser)
    w = _widget(d, 'draw-digit')
    w.find_element('xpath', './/button[normalize-space()="Clear"]').click()
    ab = _draw(d, w.find_element('css selector', 'canvas.dw-pad'), SEVEN[:2], release=False)  # the top bar, still drawing
    time.sleep(0.2)
    assert 'P(3) = ' in _out(w, 'linear-text').text and _out(w, 'net-verdict').text in ('3', '7')
    assert _out(w, 'summary').get_attribute('textContent') == 'Cleared.'  # the spoken summary waits for the pen to lift
    ab.clear_actions()  # WebDriver "release actions": the pen goes up
    time.sleep(0.1)
    assert 'Your drawing: ' in _out(w, 'summary').get_attribute('textContent')

@needs_browser
def test_real_digits_from_the_keyboard_match_the_drawing_path(browser):
    "The button works from the keyboard; what the page shows for a real digit is what the Node-tested path computes."
    from selenium.webdriver.common.keys import Keys
    d = _open(browser)
    w = _widget(d, 'draw-digit')
    button = w.find_element('xpath', './/button[normalize-space()="Show me a real test digit"]')
    expected = d.execute_async_script('''
        const done = arguments[arguments.length - 1];
        const base = new URL('../assets/widgets/', location.href);
        Promise.all(['lib/preprocess.js', 'lib/classifiers.js', 'lib/data.js'].map(f => import(new URL(f, base))))
          .then(async ([P, C, D]) => {
            const [i, l, n, r] = await Promise.all(['ideal.json', 'linear.json', 'simple_net.json', 'digits.json'].map(D.loadData));
            const m = D.modelsFromJSON(i, l, n);
            done(D.digitsFromJSON(r).slice(0, 5).map(dg => {
              const res = C.classify(P.realDigitThroughCanvas(P.bytesToInk(dg.bytes), 280), m);
              return [dg.label, res.linear.p3.toFixed(3), res.net.p3.toFixed(3)];
            }));
          }).catch(e => done(String(e)));''')
    assert isinstance(expected, list), expected
    right = 0
    for k, (label, p_lin, p_net) in enumerate(expected):
        button.send_keys(Keys.ENTER if k % 2 == 0 else Keys.SPACE)
        time.sleep(0.1)
        assert _out(w, 'which').text.startswith(f'Real digit {k + 1} of 50: a {label} ')
        assert f'P(3) = {p_lin}' in _out(w, 'linear-text').text and f'P(3) = {p_net}' in _out(w, 'net-text').text
        right += _out(w, 'net-verdict').text == str(label)
    assert right >= 4

@needs_browser
def test_sgd_learning_rate_slider_from_the_keyboard(browser):
    from selenium.webdriver.common.keys import Keys
    w = _widget(_open(browser), 'sgd-quadratic')
    lr = w.find_element('css selector', 'input[type=range]')
    status = lambda: _out(w, 'status').text
    assert 'creeps towards the minimum' in status() and w.get_attribute('data-diverged') == 'false'
    lr.send_keys(Keys.END)                                   # lr 1.2 on w**2: flies off
    assert 'diverges' in status() and w.get_attribute('data-diverged') == 'true' and lr.get_attribute('aria-valuetext') == '1.2'
    w.find_element('xpath', './/label[contains(., "Roller coaster")]').click()
    assert 'MSE 25824 at the start, 677 at the end' in status(), status()   # notebook 4: 25823.8 -> 676.95
    lr.send_keys(Keys.END)                                   # lr 1e-4: diverges
    assert 'diverged' in status() and w.get_attribute('data-diverged') == 'true'
    for _ in range(60): lr.send_keys(Keys.ARROW_LEFT)        # back below the critical rate
    assert 'diverged' not in status() and w.get_attribute('data-diverged') == 'false', status()
    assert 'Loss per step' in _out(w, 'loss-plot').get_attribute('aria-label')

@needs_browser
def test_broadcast_playground(browser):
    from selenium.webdriver.common.keys import Keys
    w = _widget(_open(browser), 'broadcast')
    first, second = w.find_elements('css selector', 'input[type=text]')
    result = lambda: _out(w, 'result').text
    assert result() == '(5, 1, 28, 28) with (4, 28, 28) broadcasts to (5, 4, 28, 28).'
    for box, text in ((first, '2, 3, 4'), (second, '(3, 1)')): box.send_keys(Keys.CONTROL, 'a'); box.send_keys(text)
    assert result() == '(2, 3, 4) with (3, 1) broadcasts to (2, 3, 4).'
    second.send_keys(Keys.CONTROL, 'a'); second.send_keys('2, 4')
    assert 'does not broadcast: dimension -2 has sizes 3 and 2' in result() and len(w.find_elements('css selector', 'td.dw-clash')) >= 2
    second.send_keys(Keys.CONTROL, 'a'); second.send_keys('2, x')
    assert '"x" is not a size' in w.text
    w.find_element('xpath', './/button[contains(., "(256, 1) with (256)")]').click()
    assert result() == '(256, 1) with (256,) broadcasts to (256, 256).'

@needs_browser
def test_relu_sum_sliders_and_fit(browser):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
    w = _widget(_open(browser), 'relu-sum')
    err = lambda: float(w.get_attribute('data-error'))
    slopes = lambda: w.find_elements('xpath', './/label[normalize-space()="slope change"]/following-sibling::input')
    flat = err()
    assert len(slopes()) == 3
    for _ in range(10): slopes()[1].send_keys(Keys.ARROW_RIGHT)   # a rising hinge at -0.75: closer to the wave
    assert err() < flat
    Select(w.find_element('xpath', './/label[.="Number of ReLUs"]/following-sibling::select')).select_by_visible_text('5')
    assert len(slopes()) == 5
    w.find_element('xpath', './/button[.="Fit the slopes for me"]').click()
    assert err() < 0.01, err()
    assert 'Fit error' in _out(w, 'status').text and 'with 5 ReLUs' in _out(w, 'plot').get_attribute('aria-label')

@needs_browser
@pytest.mark.parametrize('width', [1280, 375])
def test_train_live(browser, width):
    """train-live trains in a worker, from the mouse (1280 px) or the keyboard alone (375 px): accuracy passes 0.9, the weight
    image changes, the picture of what training added starts white and fills in everywhere but the never-inked corner, the
    live region speaks exactly once per epoch, Pause stops the curves, a batch size of 0 gets a clear message, "Step one
    batch" walks through the steps, "Draw with this model" changes the draw widget's model, and step 1 shows the init std in use."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    d = _open(browser, width)
    w, keys = _widget(d, 'train-live'), width < 800
    press = lambda text: (lambda b: b.send_keys(Keys.ENTER) if keys else b.click())(w.find_element('xpath', f'.//button[.="{text}"]'))
    below = lambda: d.execute_script('return arguments[0].getBoundingClientRect().top + scrollY', _widget(d, 'draw-digit'))
    top = below()
    d.execute_script('arguments[0].scrollIntoView()', w)
    WebDriverWait(d, 20).until(lambda _: w.get_attribute('data-loaded') == 'true')
    assert below() == top   # nothing below moves when the digits arrive
    attr = lambda k: w.get_attribute(f'data-{k}')
    pixels = lambda: d.execute_script('const c = arguments[0]; return c.toDataURL()', _out(w, 'weights'))
    d.execute_script('window.spoken = []; new MutationObserver(rs => rs.forEach(() => spoken.push(arguments[0].textContent)))'
                     '.observe(arguments[0], {childList: true, characterData: true, subtree: true})', _out(w, 'live'))
    pixel = lambda out, x, y: d.execute_script('return Array.from(arguments[0].getContext("2d").getImageData(arguments[1], arguments[2], 1, 1).data)',
                                               _out(w, out), x, y)
    white = [247, 247, 247, 255]                                   # RdBu_r's 0
    before = pixels()
    assert pixel('added', 14, 14) == white
    press('Train')
    WebDriverWait(d, 20).until(lambda _: float(attr('accuracy') or 0) > 0.9 and attr('state') == 'running')
    press('Pause')
    WebDriverWait(d, 5).until(lambda _: attr('state') == 'paused')
    n, epoch = attr('batches'), int(attr('epoch'))
    time.sleep(0.5)
    assert attr('batches') == n and pixels() != before
    assert pixel('added', 14, 14) != white and pixel('added', 0, 0) == white and pixel('weights', 0, 0) != white
    spoken = d.execute_script('return spoken')
    assert len(spoken) == epoch and spoken[-1].startswith(f'Epoch {epoch}: training loss 0.'), spoken
    bs = w.find_element('css selector', 'input[type=number]')
    bs.send_keys(Keys.CONTROL, 'a'); bs.send_keys('0', Keys.ENTER)
    WebDriverWait(d, 5).until(lambda _: 'batch size must be a whole number from 1 to 2,000' in _out(w, 'error').text)
    bs.send_keys(Keys.CONTROL, 'a'); bs.send_keys('256', Keys.ENTER)
    press('Step one batch')
    WebDriverWait(d, 5).until(lambda _: attr('step') == 'repeat')
    assert int(attr('batches')) == int(n) + 1 and _out(w, 'error').text == ''
    epoch = int(attr('epoch'))   # the step may have ended an epoch
    assert w.find_element('css selector', 'li[aria-current=step]').get_attribute('data-step') == 'repeat'
    dd = _widget(d, 'draw-digit')
    dd.find_element('xpath', './/button[normalize-space()="Show me a real test digit"]').click()
    answer = _out(dd, 'linear-text').text
    press('Draw with this model')
    WebDriverWait(d, 5).until(lambda _: 'trained on this page' in _out(dd, 'linear-title').text)
    title = _out(dd, 'linear-title').text
    assert _out(dd, 'linear-text').text != answer and 'P(3) = ' in answer
    assert title.startswith(f'Linear model trained on this page ({epoch} epochs') and d.execute_script('return spoken.length') == epoch
    w.find_element('css selector', 'input[value=linear]').send_keys(Keys.ARROW_DOWN)          # the radios, by keyboard: simple_net
    WebDriverWait(d, 5).until(lambda _: attr('epoch') == '0' and _out(w, 'weights').get_attribute('width') == str(6*28 + 5))
    step1 = w.find_element('css selector', 'li[data-step=init] code').text                  # step 1 as it runs: std 0.02
    assert step1.startswith('w1 = init_params((28*28,30), std=0.02);') and step1.endswith('b2 = init_params(1, std=0.02)'), step1
    press('Step one batch')
    WebDriverWait(d, 5).until(lambda _: attr('batches') == '1' and 'simple_net' in _out(w, 'weights').get_attribute('aria-label'))
    w.find_element('css selector', 'input[type=range]').send_keys(Keys.END)                  # lr 10: it says it diverged
    press('Train')
    WebDriverWait(d, 30).until(lambda _: attr('state') == 'diverged')
    assert _out(w, 'error').text.startswith('Diverged') and 'learning rate of 10 ' in _out(w, 'error').text
    errors = [e['message'] for e in d.get_log('browser') if e['level'] == 'SEVERE' and 'favicon' not in e['message']]
    assert not errors, errors

@needs_browser
@pytest.mark.skipif(bool(a11y_audit.tools_missing()), reason=f'{a11y_audit.tools_missing()}')
@pytest.mark.parametrize('width', [1280, 375])
def test_axe_and_no_sideways_scrolling(browser, width):
    "tools/a11y_audit.py's check on the test page: no serious or critical axe violation, no sideways scrolling, no widget past the edge."
    from selenium.webdriver.support.ui import WebDriverWait
    d = _open(browser, width)
    d.execute_script('arguments[0].scrollIntoView()', _widget(d, 'train-live'))   # train-live loads its digits when seen
    WebDriverWait(d, 20).until(lambda _: _widget(d, 'train-live').get_attribute('data-loaded') == 'true')
    inner = d.execute_script('return document.documentElement.clientWidth')
    for w in d.find_elements('css selector', '[data-widget]'): assert d.execute_script('return arguments[0].getBoundingClientRect().right', w) <= inner, w.get_attribute('data-widget')
    found = a11y_audit.audit_page(d, d.base_url, width, a11y_audit.find_axe().read_text(), load=False)
    bad = a11y_audit.failures([dict(page='widgets-test/index.html', width=width, **found)])
    assert not bad, '\n'.join(bad)
