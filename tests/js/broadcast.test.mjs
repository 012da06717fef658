// The broadcasting playground's rule gives torch's answers (and digitlib's messages) on a
// shared table of cases, tests/js/broadcast_cases.json, which pytest checks against torch.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { HERE, readJSON } from './helpers.mjs';
import { broadcastShape, parseShape, formatShape, alignShapes } from '../../assets/widgets/lib/broadcast.js';

const table = readJSON(path.join(HERE, 'broadcast_cases.json')).cases;

test('the table has cases that broadcast and cases that clash', () => {
  assert.ok(table.length >= 30);
  assert.ok(table.filter(c => c.result === null).length >= 5);
});

test('every case in the table: result shape, or the clashing dimension and message', () => {
  for (const c of table) {
    const r = broadcastShape(...c.shapes);
    const name = c.shapes.map(formatShape).join(' with ');
    if (c.result === null) {
      assert.equal(r.ok, false, `${name} should not broadcast`);
      assert.equal(r.dim, c.dim, name);
      assert.equal(r.message, c.message, name);
    } else {
      assert.equal(r.ok, true, `${name} should broadcast: ${r.message}`);
      assert.deepEqual(r.shape, c.result, name);
    }
  }
});

test('the aligned picture agrees with the rule on every case', () => {
  for (const c of table) {
    const { rows, columns } = alignShapes(...c.shapes);
    const n = Math.max(1, ...c.shapes.map(s => s.length));
    assert.ok(rows.every(r => r.length === n));
    const clash = columns.findLast(col => col.clash);  // the rule reports the first clash from the right
    if (c.result === null) assert.equal(clash.dim, c.dim);
    else {
      assert.equal(clash, undefined);
      if (c.result.length) assert.deepEqual(columns.map(col => col.result), c.result);
    }
  }
});

test('typed shapes: brackets, commas, spaces, torch.Size and mistakes', () => {
  assert.deepEqual(parseShape('(5, 1, 28)').shape, [5, 1, 28]);
  assert.deepEqual(parseShape('5,1,28').shape, [5, 1, 28]);
  assert.deepEqual(parseShape('[5 1 28]').shape, [5, 1, 28]);
  assert.deepEqual(parseShape('torch.Size([1010, 28, 28])').shape, [1010, 28, 28]);
  assert.deepEqual(parseShape('(3,)').shape, [3]);
  assert.deepEqual(parseShape('()').shape, []);
  assert.deepEqual(parseShape('  ').shape, []);
  assert.match(parseShape('5, x').error, /"x" is not a size/);
  assert.match(parseShape('5, -1').error, /"-1" is not a size/);
  assert.match(parseShape('2.5').error, /not a size/);
});

test('shapes print as Python tuples', () => {
  assert.equal(formatShape([]), '()');
  assert.equal(formatShape([3]), '(3,)');
  assert.equal(formatShape([5, 28]), '(5, 28)');
});
