import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessSize, computeDiff, LIMITS, MAX_LINE_CHARS, parseDiff, parseHunkHeader } from './parse.ts';

import { kubePrometheusDiff } from '../../test/data/index.ts';

const GIT = `diff --git a/deploy/app.yaml b/deploy/app.yaml
index 1111111..2222222 100644
--- a/deploy/app.yaml
+++ b/deploy/app.yaml
@@ -1,5 +1,5 @@ metadata:
 apiVersion: apps/v1
 kind: Deployment
-  replicas: 3
+  replicas: 5
 spec:
 
@@ -20,2 +20,3 @@ spec:
   image: a:1
+  image2: b:2
 end
\\ No newline at end of file
diff --git a/old name.txt b/new name.txt
similarity index 90%
rename from old name.txt
rename to new name.txt
index 3333333..4444444 100644
--- a/old name.txt
+++ b/new name.txt
@@ -1 +1 @@
-hello
+hello world
diff --git a/img.png b/img.png
new file mode 100644
index 0000000..5555555
Binary files /dev/null and b/img.png differ
diff --git a/gone.yaml b/gone.yaml
deleted file mode 100644
index 6666666..0000000
--- a/gone.yaml
+++ /dev/null
@@ -1,2 +0,0 @@
-kind: Secret
-data: {}
diff --git a/new.json b/new.json
new file mode 100644
index 0000000..7777777
--- /dev/null
+++ b/new.json
@@ -0,0 +1,2 @@
+{"a": 1,
+ "b": true}
diff --git a/moved.sh b/moved.sh
old mode 100644
new mode 100755
`;

describe('parseDiff', () => {
  const r = parseDiff(GIT);

  it('reads every file with its status and counts', () => {
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.files.map((f) => [f.oldPath, f.newPath, f.status, f.binary, f.added, f.removed]),
      [
        ['deploy/app.yaml', 'deploy/app.yaml', 'modified', false, 2, 1],
        ['old name.txt', 'new name.txt', 'renamed', false, 1, 1],
        ['img.png', 'img.png', 'added', true, 0, 0],
        ['gone.yaml', 'gone.yaml', 'deleted', false, 0, 2],
        ['new.json', 'new.json', 'added', false, 2, 0],
        ['moved.sh', 'moved.sh', 'modified', false, 0, 0],
      ],
    );
    assert.equal(r.added, 5);
    assert.equal(r.removed, 4);
  });

  it('numbers old and new lines, keeps blank context lines and "\\ No newline" as meta', () => {
    const [h1, h2] = r.files[0]!.hunks;
    assert.equal(h1!.header, '@@ -1,5 +1,5 @@ metadata:');
    assert.deepEqual(
      h1!.lines.map((l) => [l.kind, l.oldNo, l.newNo, l.text]),
      [
        ['ctx', 1, 1, 'apiVersion: apps/v1'],
        ['ctx', 2, 2, 'kind: Deployment'],
        ['del', 3, null, '  replicas: 3'],
        ['add', null, 3, '  replicas: 5'],
        ['ctx', 4, 4, 'spec:'],
        ['ctx', 5, 5, ''],
      ],
    );
    assert.deepEqual(
      h2!.lines.map((l) => [l.kind, l.oldNo, l.newNo]),
      [
        ['ctx', 20, 20],
        ['add', null, 21],
        ['ctx', 21, 22],
        ['meta', null, null],
      ],
    );
    assert.equal(h2!.lines[3]!.text, '\\ No newline at end of file');
  });

  it('starts numbering at 1 for a side that is empty', () => {
    const lines = r.files[4]!.hunks[0]!.lines;
    assert.deepEqual(
      lines.map((l) => l.newNo),
      [1, 2],
    );
    assert.deepEqual(
      r.files[3]!.hunks[0]!.lines.map((l) => l.oldNo),
      [1, 2],
    );
  });

  it('reads a plain unified diff (no git header) and CRLF line ends', () => {
    const text = '--- a.txt\t2024-01-01 00:00:00\r\n+++ b.txt\t2024-01-02 00:00:00\r\n@@ -1,2 +1,2 @@\r\n-one\r\n+uno\r\n two\r\n';
    const p = parseDiff(text);
    assert.equal(p.files.length, 1);
    assert.equal(p.files[0]!.oldPath, 'a.txt');
    assert.equal(p.files[0]!.newPath, 'b.txt');
    assert.deepEqual(
      p.files[0]!.hunks[0]!.lines.map((l) => [l.kind, l.text]),
      [
        ['del', 'one'],
        ['add', 'uno'],
        ['ctx', 'two'],
      ],
    );
  });

  it('keeps "--- " content lines inside a hunk as removals (counts decide, not prefixes)', () => {
    const text = 'diff --git a/x.md b/x.md\n--- a/x.md\n+++ b/x.md\n@@ -1,2 +1,1 @@\n--- not a header\n keep\n';
    const p = parseDiff(text);
    assert.equal(p.files.length, 1);
    assert.deepEqual(
      p.files[0]!.hunks[0]!.lines.map((l) => [l.kind, l.text]),
      [
        ['del', '-- not a header'],
        ['ctx', 'keep'],
      ],
    );
  });

  it('unquotes git-quoted paths', () => {
    const p = parseDiff('diff --git "a/sp ace\\"q.txt" "b/sp ace\\"q.txt"\n--- "a/sp ace\\"q.txt"\n+++ "b/sp ace\\"q.txt"\n@@ -1 +1 @@\n-a\n+b\n');
    assert.equal(p.files[0]!.newPath, 'sp ace"q.txt');
  });

  it('skips GIT binary patch payloads', () => {
    const p = parseDiff(
      'diff --git a/b.bin b/b.bin\nindex 1..2 100644\nGIT binary patch\nliteral 5\nMcmZ?d\n\nliteral 0\nHcmV?d00001\n\ndiff --git a/c.txt b/c.txt\n--- a/c.txt\n+++ b/c.txt\n@@ -1 +1 @@\n-x\n+y\n',
    );
    assert.equal(p.files.length, 2);
    assert.equal(p.files[0]!.binary, true);
    assert.equal(p.files[1]!.added, 1);
    assert.deepEqual(p.warnings, []);
  });

  it('never throws on garbage, and says what it could not read', () => {
    const inputs = [
      '',
      '\n\n\n',
      '@@ -1 +1 @@\n-a\n+b\n',
      'diff --git\n@@ garbage @@\n+++\n---\n',
      'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,10 +1,10 @@\n-only one line\n',
      'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -99999999999999999999,1 +1 @@\n',
      '\u0000\uffff\ud800'.repeat(1000),
      undefined as unknown as string,
    ];
    for (const input of inputs) {
      const p = parseDiff(input);
      assert.ok(Array.isArray(p.files));
      assert.ok(Array.isArray(p.warnings));
    }
    const early = parseDiff(inputs[4]!);
    assert.match(early.warnings.join('\n'), /ended early/);
  });

  it('shows text that is not a diff as plain lines (a pasted plan, say)', () => {
    const p = parseDiff(
      'Terraform will perform the following actions:\n  # aws_s3_bucket.logs will be destroyed\nPlan: 0 to add, 0 to change, 1 to destroy.\n',
    );
    assert.equal(p.files.length, 1);
    assert.equal(p.files[0]!.plain, true);
    assert.equal(p.files[0]!.hunks[0]!.lines.length, 3);
    assert.match(p.warnings[0]!, /no diff headers/);
  });

  it('keeps very long lines whole (a change past any cut must stay reviewable)', () => {
    const long = `${'x'.repeat(MAX_LINE_CHARS + 500)}changed`;
    const p = parseDiff(`--- a/f\n+++ b/f\n@@ -1 +1 @@\n-${long}\n+y\n`);
    assert.equal(p.files[0]!.hunks[0]!.lines[0]!.text, long);
  });

  it('is linear: 200k lines parse in well under a second', () => {
    const parts: string[] = [];
    for (let f = 0; f < 200; f++) {
      parts.push(`diff --git a/f${f}.yaml b/f${f}.yaml`, `--- a/f${f}.yaml`, `+++ b/f${f}.yaml`, '@@ -1,1000 +1,1000 @@');
      for (let i = 0; i < 500; i++) parts.push(`-  key${i}: old`, `+  key${i}: new`);
    }
    const text = parts.join('\n');
    // Speed is the benchmark's to judge (npm run bench: diff-viewer); this checks the result.
    const p = parseDiff(text);
    assert.equal(p.added, 100_000);
    assert.equal(p.removed, 100_000);
  });

  it('parses the real kube-prometheus diff', () => {
    const text = kubePrometheusDiff();
    const p = parseDiff(text);
    const s = assessSize(text);
    assert.equal(p.files.length, 92);
    assert.equal(p.lines, 118_637);
    assert.deepEqual(p.warnings, []);
    assert.equal(s.tooLarge, false);
    assert.equal(p.added, s.stats.added);
    assert.equal(p.removed, s.stats.removed);
    // every hunk's line counts match its header
    for (const f of p.files)
      for (const h of f.hunks) {
        assert.equal(h.lines.filter((l) => l.kind !== 'add' && l.kind !== 'meta').length, h.oldLines, h.header);
        assert.equal(h.lines.filter((l) => l.kind !== 'del' && l.kind !== 'meta').length, h.newLines, h.header);
      }
  });
});

describe('parseHunkHeader', () => {
  it('reads both forms and refuses the rest', () => {
    assert.deepEqual(parseHunkHeader('@@ -1,5 +2,6 @@ x'), { oldStart: 1, oldLines: 5, newStart: 2, newLines: 6 });
    assert.deepEqual(parseHunkHeader('@@ -3 +4 @@'), { oldStart: 3, oldLines: 1, newStart: 4, newLines: 1 });
    for (const bad of ['@@ -a +1 @@', '@@ -1 +1', '@@ -1, +1 @@', '@@@ -1 +1 @@@', `@@ -${'9'.repeat(50)} +1 @@`])
      assert.equal(parseHunkHeader(bad), null, bad);
  });
});

describe('assessSize', () => {
  it('counts without allocating lines, and refuses pathological input', () => {
    const ok = assessSize('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
    assert.deepEqual(ok, { tooLarge: false, stats: { chars: 53, lines: 6, longestLine: 18, files: 1, added: 1, removed: 1 } });
    const lines = assessSize('+\n'.repeat(LIMITS.maxLines + 1));
    assert.equal(lines.tooLarge, true);
    const long = assessSize(`+${'y'.repeat(LIMITS.maxLineChars + 1)}\n`);
    assert.equal(long.tooLarge, true);
    if (long.tooLarge) assert.match(long.reason, /One line is/);
    const small = assessSize('a\n'.repeat(100), { maxBytes: 100, maxLines: 1000, maxLineChars: 1000 });
    assert.equal(small.tooLarge, true);
  });
});

describe('computeDiff', () => {
  it('diffs two texts into a unified diff the parser reads back', () => {
    const r = computeDiff('a\nb\nc\n', 'a\nB\nc\nd\n', { oldName: 'x.txt', newName: 'x.txt' });
    assert.equal(r.tooLarge, false);
    if (r.tooLarge) return;
    assert.equal(r.added, 2);
    assert.equal(r.removed, 1);
    assert.equal(parseDiff(r.text).files[0]!.newPath, 'x.txt');
  });

  it('gives up on a 10k-line fully different pair instead of diffing it for seconds', () => {
    const a = Array.from({ length: 10_000 }, (_, i) => `old line ${i}`).join('\n');
    const b = Array.from({ length: 10_000 }, (_, i) => `new line ${i}`).join('\n');
    const r = computeDiff(a, b);
    assert.equal(r.tooLarge, true);
    if (r.tooLarge) assert.match(r.reason, /differ too much/);
  });

  it('refuses texts past the size limits without trying', () => {
    const r = computeDiff('x\n'.repeat(300_000), 'y\n'.repeat(300_000));
    assert.equal(r.tooLarge, true);
    if (r.tooLarge) assert.match(r.reason, /the limit is/, 'refused by size, not by giving up on the edit');
  });
});
