// Shared by the Node tests of the widgets: where things are, and the fixtures that
// tests/js/fixtures.py writes from digitlib (skipped, with the reason, when missing).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const WIDGETS = path.join(ROOT, 'assets', 'widgets');
export const FIXTURES = path.join(HERE, '.data');

export const readJSON = p => JSON.parse(fs.readFileSync(p, 'utf8'));
export const widgetData = name => readJSON(path.join(WIDGETS, 'data', name));

// The reason to skip a test that needs fixture `name`, or false when it is there.
export function needsFixture(name) {
  return fs.existsSync(path.join(FIXTURES, name)) ? false
    : `tests/js/.data/${name} is missing: run "python tests/js/fixtures.py" first (pytest tests/test_widgets.py does)`;
}
export const fixture = name => readJSON(path.join(FIXTURES, name));
export const fixtureBytes = name => fs.readFileSync(path.join(FIXTURES, name));

// |a - b| <= tol for every pair, or an error naming the first pair that is not.
export function assertClose(actual, expected, tol, what = 'value') {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol))
      throw new Error(`${what} ${i}: ${actual[i]} but digitlib gives ${expected[i]} (tolerance ${tol})`);
  }
}
