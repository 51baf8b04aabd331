import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubePrometheusDiff } from '../../test/data/index.ts';
import { parseDiff } from './parse.ts';
import { summarizeRisk } from './risk.ts';
import { NO_RISK, riskFacts } from './risk-facts.ts';

/** A git diff of one file from its lines with their +/-/space prefixes. */
function fileDiff(path: string, lines: string[], status: 'modified' | 'deleted' | 'added' = 'modified'): string {
  const old = lines.filter((l) => !l.startsWith('+')).length;
  const neu = lines.filter((l) => !l.startsWith('-')).length;
  const head = [`diff --git a/${path} b/${path}`];
  if (status === 'deleted') head.push('deleted file mode 100644', `--- a/${path}`, '+++ /dev/null', `@@ -1,${old} +0,0 @@`);
  else if (status === 'added') head.push('new file mode 100644', '--- /dev/null', `+++ b/${path}`, `@@ -0,0 +1,${neu} @@`);
  else head.push(`--- a/${path}`, `+++ b/${path}`, `@@ -1,${old} +1,${neu} @@`);
  return `${[...head, ...lines].join('\n')}\n`;
}

/** A clock that moves `step` ms every time it is read. */
function fakeClock(step: number): () => number {
  let t = 0;
  return () => (t += step);
}

describe('riskFacts: untagged images', () => {
  const images = (refs: string[]) => fileDiff('app.yaml', ['-  image: registry.example.com/app:v1', ...refs.map((r) => `+  image: ${r}`)]);

  it('counts added references with no tag and no digest, or tagged latest', () => {
    const f = riskFacts(images(['nginx', 'quay.io/x/y:latest', 'registry:5000/app', 'registry:5000/app:latest']));
    assert.equal(f.imageChanges, 4);
    assert.equal(f.untaggedImages, 4);
  });

  it('does not count pinned references, a registry port, templates or removed lines', () => {
    const f = riskFacts(images(['nginx:1.27', 'registry:5000/app:v2', 'ghcr.io/x/y@sha256:0123456789abcdef0123', '"{{ .Values.image }}"', '$(IMAGE)']));
    assert.equal(f.imageChanges, 5);
    assert.equal(f.untaggedImages, 0);
    assert.equal(riskFacts(fileDiff('app.yaml', ['-  image: nginx', '+  image: nginx:1.27'])).untaggedImages, 0);
  });

  it('reads kustomize: newTag latest counts, a newName (its tag is apart) does not', () => {
    const f = riskFacts(fileDiff('kustomization.yaml', ['-  newTag: v1', '+  newTag: latest', '+  newName: ghcr.io/x/app']));
    assert.equal(f.untaggedImages, 1);
  });

  it('marks the viewer items, so the console and the facts read one truth', () => {
    const s = summarizeRisk(parseDiff(images(['nginx', 'nginx:1'])).files);
    assert.deepEqual(
      s.items.map((i) => [i.text, i.untagged ?? false]),
      [
        ['registry.example.com/app:v1 → nginx', true],
        ['nginx:1 (new)', false],
      ],
    );
  });
});

describe('riskFacts: deleted kinds', () => {
  it('lists the distinct kinds of deleted files and removed documents, sorted', () => {
    const diff =
      fileDiff('old.yaml', ['-apiVersion: v1', '-kind: PersistentVolumeClaim', '----', '-kind: Namespace', '----', '-kind: PersistentVolumeClaim'], 'deleted') +
      fileDiff('app.yaml', [' kind: ConfigMap', '----', '-kind: Deployment', '-metadata:', '-  name: w']) +
      // removed and re-added: a move within the file, not a deletion
      fileDiff('svc.yaml', ['-kind: Service', '+kind: Service']);
    const f = riskFacts(diff);
    assert.equal(f.deletedResources, 2);
    assert.deepEqual(f.deletedKinds, ['Deployment', 'Namespace', 'PersistentVolumeClaim']);
    const item = summarizeRisk(parseDiff(diff).files).items.find((i) => i.file === 'old.yaml')!;
    assert.deepEqual(item.resourceKinds, ['PersistentVolumeClaim', 'Namespace']);
    assert.equal(item.text, 'File deleted (2× PersistentVolumeClaim, Namespace)');
  });

  it('keeps at most 50 kinds', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `-kind: Kind${String(i).padStart(2, '0')}`);
    const f = riskFacts(fileDiff('many.yaml', lines));
    assert.equal(f.deletedResources, 60);
    assert.equal(f.deletedKinds.length, 50);
    assert.deepEqual(f.deletedKinds.slice(0, 2), ['Kind00', 'Kind01']);
  });
});

describe('riskFacts: bounds', () => {
  it('is NO_RISK for no diff', () => {
    assert.deepEqual(riskFacts(''), NO_RISK);
  });

  it('stops at its budget and says the counts are lower bounds', () => {
    const diff = Array.from({ length: 300 }, (_, i) => fileDiff(`f${i}.yaml`, ['-  replicas: 3', '+  replicas: 1'])).join('');
    const whole = riskFacts(diff, { clock: fakeClock(0) });
    assert.equal(whole.complete, true);
    assert.equal(whole.replicaChanges, 300);
    // every read of this clock is 1 ms on: a 20 ms budget runs out after about 20 looks at it
    const cut = riskFacts(diff, { budgetMs: 20, clock: fakeClock(1) });
    assert.equal(cut.complete, false);
    assert.ok(cut.replicaChanges < 300, `${cut.replicaChanges} replica changes`);
    for (const key of ['replicaChanges', 'filesChanged', 'linesAdded', 'linesRemoved'] as const) assert.ok(cut[key] <= whole[key], key);
  });

  it('a file the parse was cut off in counts nothing (its removed kinds may come back further down)', () => {
    const body = ['-kind: Deployment', ...Array.from({ length: 10_000 }, (_, i) => ` line ${i}`), '+kind: Deployment'];
    const diff = fileDiff('moved.yaml', body);
    assert.equal(riskFacts(diff).deletedResources, 0);
    const cut = riskFacts(diff, { budgetMs: 0, clock: fakeClock(1) });
    assert.deepEqual([cut.complete, cut.deletedResources, cut.filesChanged], [false, 0, 0]);
  });

  it('finishes pathological input quickly: a 10 MB line, 200,000 tiny files', () => {
    const long = fileDiff('big.yaml', [`+  image: ${'a'.repeat(10_000_000)}`, '-  replicas: 2', '+  replicas: 0']);
    let t = performance.now();
    const f = riskFacts(long);
    assert.ok(performance.now() - t < 2000, `${performance.now() - t} ms`);
    assert.equal(f.replicaChanges, 1);
    const tiny = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n'.repeat(200_000);
    t = performance.now();
    const g = riskFacts(tiny, { budgetMs: 100 });
    assert.ok(performance.now() - t < 3000, `${performance.now() - t} ms`);
    assert.ok(g.filesChanged <= 200_000);
  });

  it('equals the viewer summary on the kube-prometheus diff', () => {
    const text = kubePrometheusDiff();
    const parsed = parseDiff(text);
    const s = summarizeRisk(parsed.files);
    const f = riskFacts(text, { budgetMs: 60_000 });
    assert.equal(f.complete, true);
    assert.deepEqual(
      [f.imageChanges, f.rbacChanges, f.secretChanges, f.deletedResources, f.untaggedImages, f.filesChanged, f.linesAdded, f.linesRemoved],
      [s.counts.image, s.counts.rbac, s.counts.secret, s.counts['deleted-resource'], s.untaggedImages, parsed.files.length, parsed.added, parsed.removed],
    );
    assert.deepEqual([f.imageChanges, f.secretChanges, f.filesChanged], [15, 1, 92]);
  });
});
