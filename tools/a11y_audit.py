"""Accessibility audit of the rendered site: axe-core (WCAG 2.1 A and AA rules) in headless Chromium.

Serves SITE (default `_site/`) on 127.0.0.1, opens every page (or the PAGES given, relative to SITE)
in Debian's Chromium through chromium-driver (selenium), at 1280 px and at 375 px wide, and runs
axe-core from npm on it. Also reports a page that scrolls sideways. Exits 1 on any serious or
critical violation, or on sideways scrolling; 2 when a tool is missing (the message says which).

Needs: `chromium` and `chromedriver` (Debian: apt-get install chromium chromium-driver), the Python
package `selenium`, and axe-core's `axe.min.js` (npm install axe-core; found in $AXE_JS,
./node_modules, .venv/npm/node_modules (where .ci/run puts it) or npm's global root).

Usage: python tools/a11y_audit.py [--site _site] [--widths 1280 375] [--json report.json] [PAGES ...]
"""
from __future__ import annotations
import argparse, functools, http.server, json, os, shutil, subprocess, sys, tempfile, threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']
FAIL_IMPACTS = ('serious', 'critical')
CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']


class Missing(RuntimeError): "A tool the audit needs is not installed."


def find_axe() -> Path:
    "Path of axe-core's axe.min.js."
    cands = [os.environ.get('AXE_JS')] if os.environ.get('AXE_JS') else []
    cands += [ROOT/'node_modules/axe-core/axe.min.js', ROOT/'.venv/npm/node_modules/axe-core/axe.min.js']
    if shutil.which('npm'):
        try:
            g = subprocess.run(['npm', 'root', '-g'], capture_output=True, text=True, timeout=30).stdout.strip()
            if g: cands.append(Path(g)/'axe-core/axe.min.js')
        except (OSError, subprocess.SubprocessError): pass
    for c in cands:
        if c and Path(c).is_file(): return Path(c)
    raise Missing("axe-core not found: run `npm install --prefix .venv/npm axe-core` (or set AXE_JS to axe.min.js)")


def find_browser() -> tuple:
    "(chromium binary, chromedriver binary)."
    chrome = next((shutil.which(b) for b in ('chromium', 'chromium-browser', 'google-chrome') if shutil.which(b)), None)
    driver = shutil.which('chromedriver')
    if not chrome or not driver:
        raise Missing("Chromium and chromedriver are needed (Debian/Ubuntu: apt-get install chromium chromium-driver)")
    return chrome, driver


def tools_missing(axe:bool=True) -> str | None:
    "Why the audit (with axe=False: just the browser) cannot run here, or None when everything it needs is installed."
    try:
        import selenium  # noqa: F401
        find_browser()
        if axe: find_axe()
    except ImportError: return "the Python package selenium is not installed (pip install selenium)"
    except Missing as e: return str(e)
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass


def serve(site:Path):
    "Start an HTTP server for `site` on 127.0.0.1 (a free port); returns (server, base URL)."
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/"


def start_browser(profile:str):
    "Headless Chromium through chromedriver, its profile in the folder `profile`, its console kept for get_log('browser')."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    chrome, driver = find_browser()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for f in CHROME_FLAGS + [f'--user-data-dir={profile}']: opts.add_argument(f)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    d = webdriver.Chrome(service=Service(driver), options=opts)
    d.set_page_load_timeout(60); d.set_script_timeout(120)
    return d


def site_pages(site:Path) -> list:
    "Every HTML page of a rendered site (not Quarto's libraries)."
    return sorted(p.relative_to(site).as_posix() for p in site.rglob('*.html')
                  if 'site_libs' not in p.parts and not p.name.startswith('_'))


def audit_page(driver, url:str, width:int, axe_js:str, load:bool=True) -> dict:
    "axe violations (serious and critical) and the sideways overflow of one page at one width (load=False: of the page open now)."
    if load: _load(driver, url, width)
    driver.execute_script(axe_js)
    res = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
           .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                           summary: n.failureSummary}))}))),
                 e => done({error: String(e)}));""", TAGS)
    if isinstance(res, dict) and 'error' in res: raise RuntimeError(f"axe failed on {url}: {res['error']}")
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    return dict(violations=[v for v in res if v['impact'] in FAIL_IMPACTS], overflow=int(overflow))


def _load(driver, url:str, width:int):
    "Open `url` at `width` px; wait until it has loaded and MathJax has typeset it."
    driver.set_window_size(width, 900)
    driver.get(url)
    driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const ready = () => document.readyState === 'complete';
        const typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve();
        const mj = () => Promise.race([typeset, new Promise(r => setTimeout(r, 10000))]);
        const wait = () => ready() ? mj().then(() => setTimeout(done, 300), () => done()) : setTimeout(wait, 50);
        wait();""")


def audit(site:Path, pages:list|None=None, widths=(1280, 375)) -> list:
    "Audit `pages` of `site` (default: all) at each width; a list of findings, one per page and width."
    site = Path(site).resolve()
    axe_js = find_axe().read_text(encoding='utf-8')
    pages = pages or site_pages(site)
    srv, base = serve(site)
    profile = tempfile.mkdtemp(prefix='a11y-chromium-')
    driver = None
    try:
        driver = start_browser(profile)
        out = []
        for page in pages:
            for w in widths:
                r = audit_page(driver, base + page, w, axe_js)
                out.append(dict(page=page, width=w, **r))
        return out
    finally:
        if driver is not None: driver.quit()
        srv.shutdown(); srv.server_close()
        shutil.rmtree(profile, ignore_errors=True)


def failures(findings:list) -> list:
    "One line per problem: a serious/critical axe violation, or a page that scrolls sideways."
    lines = []
    for f in findings:
        where = f"{f['page']} @ {f['width']}px"
        for v in f['violations']:
            ex = v['nodes'][0]['target'] if v['nodes'] else ''
            lines.append(f"{where}: {v['id']} ({v['impact']}, {len(v['nodes'])} nodes) {v['help']}; e.g. {ex}")
        if f['overflow'] > 0: lines.append(f"{where}: scrolls sideways by {f['overflow']} px")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--site', type=Path, default=ROOT/'_site')
    ap.add_argument('--widths', type=int, nargs='+', default=[1280, 375])
    ap.add_argument('--json', type=Path, help='write every finding to this file')
    ap.add_argument('pages', nargs='*', help='pages relative to --site (default: every page)')
    a = ap.parse_args(argv)
    why = tools_missing()
    if why: print(f"a11y audit skipped: {why}", file=sys.stderr); return 2
    if not a.site.is_dir(): print(f"no site at {a.site} (run make site)", file=sys.stderr); return 2
    findings = audit(a.site, a.pages or None, tuple(a.widths))
    if a.json: a.json.write_text(json.dumps(findings, indent=1))
    bad = failures(findings)
    for l in bad: print(l)
    n = len({f['page'] for f in findings})
    print(f"a11y audit: {n} page(s) at {', '.join(map(str, a.widths))} px: "
          + (f"{len(bad)} problem(s)" if bad else "no serious or critical violation, no sideways scrolling"))
    return 1 if bad else 0


if __name__ == '__main__': sys.exit(main())
