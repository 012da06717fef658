// Every widget module loads in Node (no syntax error, every import resolves), and does nothing
// without a page; and every import between the widgets' files is relative.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WIDGETS } from './helpers.mjs';

const NAMES = ['draw-digit', 'sgd-quadratic', 'broadcast', 'relu-sum'];

test('the four widget modules import cleanly without a DOM', async () => {
  for (const name of NAMES) await import(path.join(WIDGETS, `${name}.js`));
});

test('imports are relative and nothing is fetched from another site', () => {
  const files = [...NAMES.map(n => `${n}.js`), ...fs.readdirSync(path.join(WIDGETS, 'lib')).map(f => `lib/${f}`)];
  for (const f of files) {
    const src = fs.readFileSync(path.join(WIDGETS, f), 'utf8');
    for (const m of src.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) assert.match(m[1], /^\.\.?\//, `${f} imports ${m[1]}`);
    assert.doesNotMatch(src, /https?:\/\/(?!www\.w3\.org)/, `${f} mentions an absolute URL`);
  }
});
