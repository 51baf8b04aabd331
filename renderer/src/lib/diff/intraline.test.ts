import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDiff } from '../../../../shared/diff/parse.ts';
import { changedRanges, defaultWindow, hasChangeIn, intraline, middleEllipsis, paint, partnerOf, WINDOW_CHARS } from './intraline.ts';

const pick = (s: string, rs: readonly (readonly [number, number])[]) => rs.map(([a, b]) => s.slice(a, b));

describe('intraline', () => {
  it('highlights the changed word whole', () => {
    const a = '  image: registry/app:1.4.2 # pinned';
    const b = '  image: registry/app:1.5.0 # pinned';
    const r = intraline(a, b);
    assert.deepEqual(pick(a, r.old), ['4', '2']);
    assert.deepEqual(pick(b, r.new), ['5', '0']);
    const c = intraline('  track: stable', '  track: canary');
    assert.deepEqual(c, { old: [[9, 15]], new: [[9, 15]] });
  });
  it('finds several changed words', () => {
    const a = 'replicas: 3 and cpu: 100m';
    const b = 'replicas: 5 and cpu: 250m';
    assert.deepEqual(pick(b, intraline(a, b).new), ['5', '250m']);
  });
  it('marks nothing when the lines have little in common', () => {
    assert.deepEqual(intraline('kind: Deployment', 'spec:'), { old: [], new: [] });
    assert.deepEqual(intraline('same', 'same'), { old: [], new: [] });
  });
  // Its speed is the diff bench's to measure; here, that a 50,000-character line gives one range.
  it('is one range in a huge line', () => {
    const a = `${'x'.repeat(45_000)}old${'y'.repeat(5_000)}`;
    const b = `${'x'.repeat(45_000)}new${'y'.repeat(5_000)}`;
    const r = intraline(a, b);
    assert.equal(r.new.length, 1);
    assert.ok(b.slice(r.new[0]![0], r.new[0]![1]).includes('new'));
  });
  it('pairs the k-th removal with the k-th addition of a block', () => {
    const p = parseDiff('--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n ctx\n-a 1\n-b 1\n+a 2\n+b 2\n');
    const h = p.files[0]!.hunks[0]!;
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => partnerOf(h, i)),
      [-1, 3, 4, 1, 2],
    );
    assert.deepEqual(pick(h.lines[3]!.text, changedRanges(h.lines[3]!, h.lines[1]!)), ['2']);
  });
});

describe('long lines', () => {
  it('opens the window of a long line on its first change, never hiding it', () => {
    const w = defaultWindow(50_000, [[45_000, 45_003]]);
    assert.ok(w.from <= 45_000 && w.to >= 45_003);
    assert.equal(w.to - w.from, WINDOW_CHARS);
    assert.equal(hasChangeIn([[45_000, 45_003]], 0, w.from), false);
    assert.equal(
      hasChangeIn(
        [
          [10, 12],
          [45_000, 45_003],
        ],
        w.to,
        50_000,
      ),
      false,
    );
    assert.equal(hasChangeIn([[48_000, 48_003]], w.to, 50_000), true);
  });
  it('renders short lines whole', () => {
    assert.deepEqual(defaultWindow(300, [[100, 110]]), { from: 0, to: 300 });
  });
});

describe('middleEllipsis', () => {
  it('keeps the file name and the first directories', () => {
    const p = 'deploy/kube-prometheus/manifests/node-exporter/daemonsets-0.yaml';
    const s = middleEllipsis(p, 30);
    assert.equal(s, 'deploy/…/daemonsets-0.yaml');
    assert.ok(s.length <= 30);
    assert.equal(middleEllipsis(p, 45), 'deploy/kube-prometheus/…/daemonsets-0.yaml');
  });
  it('leaves short paths alone', () => {
    assert.equal(middleEllipsis('a/b.yaml', 30), 'a/b.yaml');
  });
  it('cuts a file name longer than the room in its middle', () => {
    const s = middleEllipsis('dir/a-very-long-file-name-that-does-not-fit.yaml', 20);
    assert.equal(s.length, 20);
    assert.ok(s.startsWith('dir/a-ve') && s.endsWith('fit.yaml') && s.includes('…'));
  });
});

describe('paint', () => {
  it('cuts tokens at the changed ranges, keeping their classes', () => {
    const segs = paint(
      [
        { text: 'key', cls: 'a' },
        { text: ': ', cls: '' },
        { text: 'value', cls: 's' },
      ],
      [[7, 9]],
      2,
    );
    assert.deepEqual(segs, [
      { text: 'key', cls: 'a', hl: false },
      { text: ': ', cls: '', hl: false },
      { text: 'va', cls: 's', hl: true },
      { text: 'lue', cls: 's', hl: false },
    ]);
  });
});
