"""The course as a reader meets it: the code each notebook teaches is on its page, ideas come before
machinery, and guard rails stay out of the reading path (issue 9's "done when")."""
import ast, importlib, inspect, re, shutil, subprocess, sys
from pathlib import Path
import pytest

from test_site import _nb, _src, _directives  # the notebook readers the site tests already have

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'notebooks'
CHAPTER_NBS = sorted(p for p in NBS.glob('[0-9][0-9]_*.ipynb'))

def _cells(path: Path) -> list: return _nb(path)['cells']

def _hidden(src: str) -> bool:
    d = _directives(src)
    return 'hide' in d or d.get('echo') == 'false' or d.get('include') == 'false'

def module_of(nb: Path):
    "The module a notebook exports (its `#| default_exp`), or None."
    for c in _cells(nb):
        m = re.match(r'#\|\s*default_exp\s+(\S+)', _src(c))
        if m: return m[1]

TEACHING = [(nb, module_of(nb)) for nb in CHAPTER_NBS if module_of(nb)]

def test_every_chapter_notebook_names_its_module():
    "Notebook and module names match: NN_name.ipynb exports digitlib.name."
    for nb, mod in TEACHING: assert nb.stem.split('_', 1)[1] == mod, f"{nb.name} exports digitlib.{mod}"

@pytest.mark.parametrize('nb', CHAPTER_NBS + sorted(NBS.glob('A*.ipynb')), ids=lambda p: p.name)
def test_at_most_one_visible_test_fail(nb):
    n = sum(_src(c).count('test_fail(') for c in _cells(nb) if c['cell_type'] == 'code' and not _hidden(_src(c)))
    assert n <= 1, f"{nb.name}: {n} test_fail calls in visible cells (move edge cases to #| hide cells or tests/)"

def test_notebook_1_shows_a_digit_early():
    "The first notebook opens with the data itself: an image output within its first 10 cells."
    cells = _cells(NBS/'01_data.ipynb')[:10]
    assert any('image/png' in o.get('data', {}) for c in cells if c['cell_type'] == 'code' for o in c.get('outputs', [])), \
        "no image output in the first 10 cells of 01_data.ipynb"

@pytest.mark.parametrize('mod', sorted(p.stem for p in (ROOT/'digitlib').glob('*.py') if p.stem not in ('__init__', '_modidx')))
def test_module_has_one_line_docstring(mod):
    doc = importlib.import_module(f'digitlib.{mod}').__doc__
    assert doc and len(doc.strip().splitlines()) == 1, f"digitlib.{mod} needs a one-line module docstring"

def test_no_private_names_imported_across_modules():
    "Guard rails are written once: the only private module others import from is digitlib._checks."
    bad = []
    for f in (ROOT/'digitlib').glob('*.py'):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or '').lstrip('.') != '_checks' and 'digitlib' in f'digitlib.{node.module}':
                if node.level or (node.module or '').startswith('digitlib'):
                    bad += [f"{f.name}: from {'.'*node.level}{node.module} import {a.name}" for a in node.names if a.name.startswith('_')]
    assert not bad, "private helpers imported across modules:\n" + '\n'.join(bad)

# ------------------------------------------------------------------ what the processed pages show
@pytest.fixture(scope='module')
def proc(tmp_path_factory):
    "The pages as Quarto gets them: a copy of the tree processed by tools/proc_nbs.py."
    d = tmp_path_factory.mktemp('course')/'repo'
    shutil.copytree(ROOT, d, ignore=shutil.ignore_patterns('.venv', '.venv-colab', '.git', '_proc', '_site', 'node_modules', '.hypothesis', '__pycache__'))
    r = subprocess.run([sys.executable, 'tools/proc_nbs.py', '--n-workers', '2'], cwd=d, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return d/'_proc'

def visible_code(page: Path) -> str:
    "The source of every code cell a reader sees on a processed page."
    return '\n'.join(_src(c) for c in _cells(page) if c['cell_type'] == 'code' and not _hidden(_src(c)))

def _public_defs(mod: str) -> list:
    m = importlib.import_module(f'digitlib.{mod}')
    out = []
    for name in getattr(m, '__all__', []):
        obj = inspect.unwrap(getattr(m, name))
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == m.__name__: out.append((name, obj))
    return out

@pytest.mark.parametrize('nb,mod', TEACHING, ids=[nb.name for nb, _ in TEACHING])
def test_teaching_code_is_on_the_page(proc, nb, mod):
    "The last line of every public function and class a chapter notebook exports appears on its page."
    shown = visible_code(proc/'notebooks'/nb.name)
    missing = [name for name, obj in _public_defs(mod)
               if [l.strip() for l in inspect.getsource(obj).splitlines() if l.strip()][-1] not in shown]
    assert not missing, f"{nb.name}: the source of {missing} is not visible on the page (use `#| exports`)"

# ------------------------------------------------------------------ folded answers
FOLDED = sorted(CHAPTER_NBS + [ROOT/'chapters'/'questions.ipynb'])

def folds(nb: Path) -> int:
    "The number of <details> folds a notebook opens, checking that each is closed after it opens."
    depth, opened = 0, 0
    for i, c in enumerate(_cells(nb)):
        s = _src(c)
        if c['cell_type'] != 'markdown': continue
        o = len(re.findall(r'<details\b', s))
        opened += o; depth += o - s.count('</details>')
        assert depth >= 0, f"{nb.name}: cell {i} closes a <details> that is not open"
    assert depth == 0, f"{nb.name}: {depth} <details> left open"
    return opened

@pytest.mark.parametrize('nb', FOLDED, ids=lambda p: p.name)
def test_folds_open_and_close(nb):
    "Every <details> a page opens (an answer, code and output included) is closed, in order."
    n = folds(nb)
    if nb.name == 'questions.ipynb': assert n == 37, f"questions.ipynb: {n} folded answers, want 37"
    elif nb.name != '10_recap.ipynb' or n: assert n >= 2, f"{nb.name}: {n} folded exercise answers, want 2 to 4"

def test_question_answers_hold_their_code():
    "On the questions page every code cell with output sits inside an answer's fold."
    depth, outside = 0, []
    for i, c in enumerate(_cells(ROOT/'chapters'/'questions.ipynb')):
        s = _src(c)
        if c['cell_type'] == 'markdown': depth += len(re.findall(r'<details\b', s)) - s.count('</details>')
        elif c.get('outputs') and not _hidden(s) and depth == 0: outside.append(i)
    assert not outside, f"code cells with output outside any answer: {outside}"
