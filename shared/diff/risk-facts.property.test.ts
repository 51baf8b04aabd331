// riskFacts against a model: diffs are generated from a list of changes whose risk is known
// (deleted files and documents, image edits, replicas, RBAC, Secrets, Terraform destroys), and the
// facts must equal what the model says and what the viewer's summary counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RiskFacts } from '../schemas/index.ts';
import { parseDiff } from './parse.ts';
import { summarizeRisk } from './risk.ts';
import { riskFacts } from './risk-facts.ts';

const RBAC = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];
const DELETABLE = ['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Namespace', 'Service', 'Secret', 'ClusterRole'];
const PLAIN_KINDS = ['Deployment', 'PersistentVolumeClaim', 'Namespace', 'Service', 'StatefulSet'];

type Change =
  | { t: 'deleteFile'; kinds: string[] }
  | { t: 'removeDoc'; kind: string; readded: boolean }
  | { t: 'image'; from: string | null; to: string; untagged: boolean; asArg: boolean }
  | { t: 'replicas'; from: number | null; to: number | null }
  | { t: 'rbac'; kind: string }
  | { t: 'secret' }
  | { t: 'tfDestroy'; n: number };

const imageRef = fc
  .record({
    registry: fc.constantFrom('', 'quay.io/', 'registry:5000/', 'ghcr.io/org/'),
    name: fc.constantFrom('app', 'nginx', 'api-server'),
    pin: fc.constantFrom('none', 'latest', 'tag', 'digest'),
  })
  .map(({ registry, name, pin }) => {
    const suffix = { none: '', latest: ':latest', tag: ':v1.2.3', digest: `@sha256:${'ab12'.repeat(16)}` }[pin];
    return { ref: `${registry}${name}${suffix}`, untagged: pin === 'none' || pin === 'latest', pinned: pin === 'tag' || pin === 'digest' };
  });

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ t: fc.constant('deleteFile' as const), kinds: fc.array(fc.constantFrom(...DELETABLE), { minLength: 0, maxLength: 5 }) }),
  fc.record({ t: fc.constant('removeDoc' as const), kind: fc.constantFrom(...PLAIN_KINDS), readded: fc.boolean() }),
  fc
    .record({ from: fc.option(fc.constantFrom('registry.example.com/app:v1', 'nginx:1.25'), { nil: null }), to: imageRef, asArg: fc.boolean() })
    // a --flag=image argument is only recognised with a tag or digest: the analyzer's rule for flags
    .map(({ from, to, asArg }) => ({ t: 'image' as const, from, to: to.ref, untagged: to.untagged, asArg: asArg && to.pinned && to.ref.includes('/') })),
  fc
    .record({ from: fc.option(fc.nat(20), { nil: null }), to: fc.option(fc.nat(20), { nil: null }) })
    .filter((r) => r.from !== null || r.to !== null)
    .map((r) => ({ t: 'replicas' as const, ...r })),
  fc.record({ t: fc.constant('rbac' as const), kind: fc.constantFrom(...RBAC) }),
  fc.constant({ t: 'secret' as const }),
  fc.record({ t: fc.constant('tfDestroy' as const), n: fc.integer({ min: 1, max: 4 }) }),
);

/** The changes as a git diff, and the facts the model says it has. */
function render(changes: Change[]): { diff: string; expected: RiskFacts } {
  const e = { deletedResources: 0, imageChanges: 0, replicaChanges: 0, rbacChanges: 0, secretChanges: 0, terraformDestroys: 0, untaggedImages: 0 };
  const kinds = new Set<string>();
  let linesAdded = 0;
  let linesRemoved = 0;
  const out: string[] = [];
  changes.forEach((c, i) => {
    let path = `manifests/m${i}.yaml`;
    let lines: string[];
    let deleted = false;
    switch (c.t) {
      case 'deleteFile':
        deleted = true;
        lines = c.kinds.flatMap((k, j) => [...(j > 0 ? ['----'] : []), '-apiVersion: v1', `-kind: ${k}`, '-metadata:', `-  name: x${j}`]);
        if (lines.length === 0) lines = ['-# empty'];
        e.deletedResources++;
        for (const k of c.kinds) kinds.add(k);
        if (c.kinds.some((k) => RBAC.includes(k))) e.rbacChanges++;
        if (c.kinds.includes('Secret')) e.secretChanges++;
        break;
      case 'removeDoc':
        lines = [' apiVersion: v1', ' kind: ConfigMap', ' metadata:', '----', '-apiVersion: apps/v1', `-kind: ${c.kind}`, '-metadata:', '-  name: gone'];
        if (c.readded) lines.push('+---', `+kind: ${c.kind}`, '+metadata:', '+  name: back');
        else {
          e.deletedResources++;
          kinds.add(c.kind);
        }
        break;
      case 'image': {
        const line = (ref: string) => (c.asArg ? `        - --sidecar-image=${ref}` : `      - image: ${ref}`);
        lines = ['     spec:', ...(c.from ? [`-${line(c.from)}`] : []), `+${line(c.to)}`, '         name: app'];
        e.imageChanges++;
        if (c.untagged) e.untaggedImages++;
        break;
      }
      case 'replicas':
        lines = [' spec:', ...(c.from !== null ? [`-  replicas: ${c.from}`] : []), ...(c.to !== null ? [`+  replicas: ${c.to}`] : []), '   template:'];
        e.replicaChanges++;
        break;
      case 'rbac':
        lines = [' apiVersion: rbac.authorization.k8s.io/v1', ` kind: ${c.kind}`, ' rules:', '-  verbs: ["get"]', '+  verbs: ["*"]'];
        e.rbacChanges++;
        break;
      case 'secret':
        lines = [' apiVersion: v1', ' kind: Secret', ' data:', '-  password: aHVudGVyMg==', '+  password: c3VwZXJzZWNyZXQ='];
        e.secretChanges++;
        break;
      case 'tfDestroy':
        path = `infra/m${i}.tf`;
        lines = [' }', ...Array.from({ length: c.n }, (_, j) => [`-resource "aws_s3_bucket" "b${j}" {`, '-  bucket = "logs"', '-}']).flat()];
        e.terraformDestroys += c.n;
        break;
    }
    const old = lines.filter((l) => !l.startsWith('+')).length;
    const neu = lines.filter((l) => !l.startsWith('-')).length;
    linesAdded += lines.length - old;
    linesRemoved += lines.length - neu;
    out.push(`diff --git a/${path} b/${path}`);
    if (deleted) out.push('deleted file mode 100644', `--- a/${path}`, '+++ /dev/null', `@@ -1,${old} +0,0 @@`);
    else out.push(`--- a/${path}`, `+++ b/${path}`, `@@ -10,${old} +10,${neu} @@`);
    out.push(...lines);
  });
  return {
    diff: `${out.join('\n')}\n`,
    expected: { ...e, filesChanged: changes.length, linesAdded, linesRemoved, deletedKinds: [...kinds].sort(), complete: true },
  };
}

describe('riskFacts (property)', () => {
  it('equals the model and the viewer summary for generated manifest and Terraform diffs', () => {
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 12 }), (changes) => {
        const { diff, expected } = render(changes);
        const facts = riskFacts(diff, { budgetMs: 60_000 });
        assert.deepEqual(facts, expected);
        const parsed = parseDiff(diff);
        const s = summarizeRisk(parsed.files);
        assert.deepEqual(
          [facts.deletedResources, facts.imageChanges, facts.replicaChanges, facts.rbacChanges, facts.secretChanges, facts.terraformDestroys],
          [s.counts['deleted-resource'], s.counts.image, s.counts.replicas, s.counts.rbac, s.counts.secret, s.counts['terraform-destroy']],
        );
        assert.deepEqual([facts.untaggedImages, facts.deletedKinds], [s.untaggedImages, s.deletedKinds]);
        assert.deepEqual([facts.filesChanged, facts.linesAdded, facts.linesRemoved], [parsed.files.length, parsed.added, parsed.removed]);
      }),
      { numRuns: 300 },
    );
  });
});
