import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caretAt } from './caret.ts';

test('one line: the caret sits under the offset', () => {
  assert.deepEqual(caretAt('risk.deleted > 0', 5), { line: 1, column: 6, text: 'risk.deleted > 0', caret: '     ^' });
});

test('later lines: counted from 1, the column from the start of that line', () => {
  const src = 'has_cost &&\n  cost.total > 5';
  assert.deepEqual(caretAt(src, src.indexOf('total')), { line: 2, column: 8, text: '  cost.total > 5', caret: '       ^' });
});

test('an offset on a newline points at the end of its line', () => {
  assert.deepEqual(caretAt('a &&\nb', 4), { line: 1, column: 5, text: 'a &&', caret: '    ^' });
});

test('tabs are kept so the caret lines up', () => {
  assert.equal(caretAt('\tx > ', 4).caret, '\t   ^');
});

test('out of range: clamped to the text', () => {
  assert.deepEqual(caretAt('x >', 99), { line: 1, column: 4, text: 'x >', caret: '   ^' });
  assert.deepEqual(caretAt('x >', -3), { line: 1, column: 1, text: 'x >', caret: '^' });
});
