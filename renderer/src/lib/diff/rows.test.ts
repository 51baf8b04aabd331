import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDiff } from '../../../../shared/diff/parse.ts';
import { buildRows, fileAt, FOLD_MIN, rowOfLine, type Row } from './rows.ts';

function diff(ctxBefore: number, ctxAfter: number): string {
  const lines: string[] = [];
  for (let i = 0; i < ctxBefore; i++) lines.push(` before ${i}`);
  lines.push('-old a', '-old b', '+new a');
  for (let i = 0; i < ctxAfter; i++) lines.push(` after ${i}`);
  const old = ctxBefore + 2 + ctxAfter;
  const neu = ctxBefore + 1 + ctxAfter;
  return (
    `diff --git a/a.yaml b/a.yaml\n--- a/a.yaml\n+++ b/a.yaml\n@@ -1,${old} +1,${neu} @@\n${lines.join('\n')}\n` +
    'diff --git a/b.png b/b.png\nBinary files a/b.png and b/b.png differ\n'
  );
}

const kinds = (rows: Row[]) => rows.map((r) => r.t);

describe('buildRows', () => {
  it('unified: a header per file and hunk, a row per line; short context is not folded', () => {
    const files = parseDiff(diff(3, 3)).files;
    const { rows, fileRows } = buildRows(files, 'unified', new Set());
    assert.deepEqual(kinds(rows), ['file', 'hunk', 'line', 'line', 'line', 'line', 'line', 'line', 'line', 'line', 'line', 'file', 'note']);
    assert.deepEqual(fileRows, [0, 11]);
    assert.equal((rows[12] as Extract<Row, { t: 'note' }>).text, 'Binary file not shown');
  });

  it('folds long unchanged runs, keeping 3 lines next to the change, and expands them', () => {
    const files = parseDiff(diff(30, 40)).files;
    const { rows } = buildRows(files, 'unified', new Set());
    const folds = rows.filter((r): r is Extract<Row, { t: 'fold' }> => r.t === 'fold');
    assert.deepEqual(
      folds.map((f) => [f.from, f.to, f.count]),
      [
        [0, 27, 27],
        [36, 73, 37],
      ],
    );
    assert.equal(rows.filter((r) => r.t === 'line').length, 3 + 3 + 3);
    const expanded = buildRows(files, 'unified', new Set([folds[0]!.id]));
    assert.equal(expanded.rows.filter((r) => r.t === 'fold').length, 1);
    assert.equal(expanded.rows.filter((r) => r.t === 'line').length, 9 + 27);
    assert.ok(FOLD_MIN > 6);
  });

  it('split: removals beside additions, context on both sides', () => {
    const files = parseDiff(diff(1, 1)).files;
    const { rows } = buildRows(files, 'split', new Set());
    const pairs = rows.filter((r): r is Extract<Row, { t: 'pair' }> => r.t === 'pair').map((r) => [r.left, r.right]);
    assert.deepEqual(pairs, [
      [0, 0],
      [1, 3],
      [2, -1],
      [4, 4],
    ]);
  });

  it('split: "\\ No newline" stays on its side', () => {
    const text = '--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n';
    const { rows } = buildRows(parseDiff(text).files, 'split', new Set());
    const pairs = rows.filter((r): r is Extract<Row, { t: 'pair' }> => r.t === 'pair').map((r) => [r.left, r.right]);
    assert.deepEqual(pairs, [
      [0, 2],
      [1, 3],
    ]);
  });

  it('finds rows of lines and files', () => {
    const files = parseDiff(diff(30, 40)).files;
    const index = buildRows(files, 'unified', new Set());
    const r = rowOfLine(index, 0, 0, 31); // "old b"
    const row = index.rows[r]!;
    assert.equal(row.t, 'line');
    assert.equal((row as Extract<Row, { t: 'line' }>).line, 31);
    assert.equal(index.rows[rowOfLine(index, 0, 0, 5)]!.t, 'fold');
    assert.equal(rowOfLine(index, 1, -1, -1), index.fileRows[1]);
    assert.equal(fileAt(index.fileRows, 0), 0);
    assert.equal(fileAt(index.fileRows, index.fileRows[1]!), 1);
    assert.equal(fileAt(index.fileRows, 999), 1);
  });

  it('builds 100k+ rows quickly', () => {
    const parts: string[] = [];
    for (let f = 0; f < 100; f++) {
      parts.push(`--- a/f${f}\n+++ b/f${f}\n@@ -1,1000 +1,1000 @@`);
      for (let i = 0; i < 1000; i++) parts.push(i % 10 === 0 ? `-x${i}\n+y${i}` : ` c${i}`);
    }
    const files = parseDiff(parts.join('\n')).files;
    for (const mode of ['unified', 'split'] as const) {
      const { rows } = buildRows(files, mode, new Set());
      assert.ok(rows.length > 100_000, `${rows.length}`);
    }
  });
});

describe('collapsed files', () => {
  it('shows a collapsed file as its header only', () => {
    const p = parseDiff('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n');
    const open = buildRows(p.files, 'unified', new Set());
    const shut = buildRows(p.files, 'unified', new Set(), new Set([0]));
    assert.equal(shut.rows.length, open.rows.length - 3);
    assert.deepEqual(shut.rows[0], { t: 'file', file: 0 });
    assert.deepEqual(shut.rows[1], { t: 'file', file: 1 });
    assert.deepEqual(shut.fileRows, [0, 1]);
  });
});
