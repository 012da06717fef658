"""The course as a reader meets it: the code each notebook teaches is on its page, ideas come before
machinery, and guard rails stay out of the reading path (issue 9's "done when")."""
import ast, importlib, inspect, re

import pytest

from helpers import ROOT, directives, nb, src

NBS = ROOT/'notebooks'
CHAPTER_NBS = sorted(NBS.glob('[0-9][0-9]_*.ipynb'))

def hidden(s:str) -> bool: d = directives(s); return 'hide' in d or d.get('echo') == 'false' or d.get('include') == 'false'

def module_of(path):
    "The module a notebook exports (its `#| default_exp`), or None."
    return next((m[1] for c in nb(path)['cells'] if (m := re.match(r'#\|\s*default_exp\s+(\S+)', src(c)))), None)

TEACHING = [(p, module_of(p)) for p in CHAPTER_NBS if module_of(p)]

def test_every_chapter_notebook_names_its_module():
    "Notebook and module names match: NN_name.ipynb exports digitlib.name."
    for p, mod in TEACHING: assert p.stem.split('_', 1)[1] == mod, f"{p.name} exports digitlib.{mod}"

@pytest.mark.parametrize('path', CHAPTER_NBS + sorted(NBS.glob('00?_*.ipynb')) + sorted(NBS.glob('A*.ipynb')), ids=lambda p: p.name)
def test_at_most_one_visible_test_fail(path):
    n = sum(src(c).count('test_fail(') for c in nb(path)['cells'] if c['cell_type'] == 'code' and not hidden(src(c)))
    assert n <= 1, f"{path.name}: {n} test_fail calls in visible cells (move edge cases to #| hide cells or tests/)"

def test_notebook_1_shows_a_digit_early():
    "The first notebook opens with the data itself: an image output within its first 10 cells."
    cells = nb(NBS/'01_pixels.ipynb')['cells'][:10]
    assert any('image/png' in o.get('data', {}) for c in cells for o in c.get('outputs', [])), "no image in 01_pixels's first 10 cells"

@pytest.mark.parametrize('mod', sorted(p.stem for p in (ROOT/'digitlib').glob('*.py') if p.stem not in ('__init__', '_modidx')))
def test_module_has_one_line_docstring(mod):
    doc = importlib.import_module(f'digitlib.{mod}').__doc__
    assert doc and len(doc.strip().splitlines()) == 1, f"digitlib.{mod} needs a one-line module docstring"

def test_no_private_names_imported_across_modules():
    "No module reaches into another's private helpers: what modules share is public (the guard rails are digitlib.core's)."
    bad = [f"{f.name}: from {'.'*n.level}{n.module} import {a.name}"
           for f in (ROOT/'digitlib').glob('*.py') for n in ast.walk(ast.parse(f.read_text()))
           if isinstance(n, ast.ImportFrom) and (n.level or (n.module or '').startswith('digitlib'))
           for a in n.names if a.name.startswith('_')]
    assert not bad, "private helpers imported across modules:\n" + '\n'.join(bad)

@pytest.mark.parametrize('path,mod', TEACHING, ids=[p.name for p, _ in TEACHING])
def test_teaching_code_is_on_the_page(processed_site, path, mod):
    "The last line of every public function and class a chapter notebook exports is in a visible cell of its processed page."
    shown = '\n'.join(src(c) for c in nb(processed_site/'_proc/notebooks'/path.name)['cells'] if c['cell_type'] == 'code' and not hidden(src(c)))
    m = importlib.import_module(f'digitlib.{mod}')
    objs = {n: inspect.unwrap(getattr(m, n)) for n in getattr(m, '__all__', [])}
    missing = [n for n, o in objs.items() if (inspect.isfunction(o) or inspect.isclass(o)) and o.__module__ == m.__name__
               and [l.strip() for l in inspect.getsource(o).splitlines() if l.strip()][-1] not in shown]
    assert not missing, f"{path.name}: the source of {missing} is not visible on the page (use `#| exports`)"

# ------------------------------------------------------------------ folded answers
@pytest.mark.parametrize('path', sorted(CHAPTER_NBS + [ROOT/'chapters/questions.ipynb']), ids=lambda p: p.name)
def test_answers_are_folded(path):
    "Every <details> fold opens and closes in order; each question of the questions page has one, each chapter notebook 2 or more."
    depth, opened, outside = 0, 0, []
    for i, c in enumerate(nb(path)['cells']):
        s = src(c)
        if c['cell_type'] == 'markdown':
            opened += len(re.findall(r'<details\b', s)); depth += len(re.findall(r'<details\b', s)) - s.count('</details>')
            assert depth >= 0, f"cell {i} closes a <details> that is not open"
        elif c.get('outputs') and not hidden(s) and depth == 0: outside.append(i)
    assert depth == 0, f"{depth} <details> left open"
    if path.name == 'questions.ipynb':
        questions = sum(len(re.findall(r'^#+ \d+\.', src(c), re.M)) for c in nb(path)['cells'] if c['cell_type'] == 'markdown')
        assert opened == questions, f"{opened} folded answers for {questions} questions"
        assert not outside, f"code cells with output outside any answer: {outside}"
    elif path.name != '10_recap.ipynb' or opened: assert opened >= 2, f"{opened} folded exercise answers, want 2 to 4"

# ------------------------------------------------------------------ the lesson in front
TEACHING_PAGES = CHAPTER_NBS + [ROOT/'chapters/questions.ipynb']
TEST_LINE = re.compile(r'\b(assert|test_(eq|ne|close|fail|is|eq_type|shuffled|stdout|warns))\b')

def visible_test_lines(path) -> int:
    "Lines of visible code cells that assert (`assert`, fastcore's `test_*`), comments aside."
    return sum(bool(TEST_LINE.search(l)) for c in nb(path)['cells'] if c['cell_type'] == 'code' and not hidden(src(c))
               for l in src(c).splitlines() if not l.lstrip().startswith('#'))

def test_visible_test_code_is_short():
    "At most 40 visible lines of test code on all the teaching pages together: only the checks that teach stay in sight."
    counts = {p.name: n for p in TEACHING_PAGES if (n := visible_test_lines(p))}
    assert sum(counts.values()) <= 40, f"{sum(counts.values())} visible test lines: {counts}"

BOOK_DEFS = ['mnist_distance', 'is_3', 'mse', 'mnist_loss', 'init_params', 'linear1', 'sigmoid', 'calc_grad', 'train_epoch',
             'batch_accuracy', 'validate_epoch', 'train_model', 'BasicOptim', 'simple_net', 'apply_step', 'f', 'mean_digit',
             'rmse_distance', 'l1', 'rmse']

def test_book_definitions_carry_no_decorator():
    "The book's functions read as the book writes them: no decorator line above their `def` or `class` on the page."
    bad = [f"{p.name}: {m[1].strip()} above {m[2]}" for p in TEACHING_PAGES for c in nb(p)['cells'] if c['cell_type'] == 'code' and not hidden(src(c))
           for m in re.finditer(r'^(@.*)\n(?:@.*\n)*(?:def|class) (\w+)', src(c), re.M) if m[2] in BOOK_DEFS]
    assert not bad, '\n'.join(bad)

def test_saved_outputs_show_a_readers_run():
    "The outputs on the pages are a reader's run: no temporary folder of the machine that ran them, no test-run setting."
    bad = [f"{p.name} cell {i}: {m[0]}" for p in sorted(NBS.glob('*.ipynb')) + [ROOT/'chapters/questions.ipynb']
           for i, c in enumerate(nb(p)['cells']) for o in c.get('outputs', [])
           for m in re.finditer(r"/tmp/\S*|DIGITLIB_DATA=shipped", ''.join(o.get('text', '')) + ''.join(o.get('data', {}).get('text/plain', '')))]
    assert not bad, '\n'.join(bad)
