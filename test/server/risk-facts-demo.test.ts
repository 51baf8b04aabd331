// The risk facts of every diff the demo seeds: what the demo's content rules read equals what the
// console's diff viewer counts for the same request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configChange, deploymentImageBump, largeManifestChange, rbacAndSecretChange, terraformPlan } from '../../server/demo/diffs.ts';
import { parseDiff } from '../../shared/diff/parse.ts';
import { summarizeRisk } from '../../shared/diff/risk.ts';
import { riskFacts } from '../../shared/diff/risk-facts.ts';
import type { RiskFacts } from '../../shared/schemas/index.ts';

// the arguments server/demo/org.ts seeds its requests with
const DEMO: [string, string, Partial<RiskFacts>][] = [
  ['image bump', deploymentImageBump('checkout-api', 'v2.14.3', 'v2.15.0'), { imageChanges: 1, untaggedImages: 0 }],
  ['release candidate', deploymentImageBump('checkout-web', 'v2.14.3', 'v2.15.0-rc.3'), { imageChanges: 1 }],
  ['rollback', deploymentImageBump('search-api', 'v3.8.0', 'v3.7.1'), { imageChanges: 1 }],
  ['scale-up', deploymentImageBump('checkout-api', 'v2.14.3', 'v2.14.3', [6, 12]), { replicaChanges: 1 }],
  ['config', configChange(), { deletedResources: 0, imageChanges: 0 }],
  ['RBAC and Secret', rbacAndSecretChange(), { rbacChanges: 1, secretChanges: 1, deletedResources: 1, deletedKinds: ['Secret'] }],
  ['Terraform plan', terraformPlan(), { terraformDestroys: 3 }],
  ['large manifests (7)', largeManifestChange(7, 12, 480), { filesChanged: 12 }],
  ['large manifests (11)', largeManifestChange(11, 16, 520), { filesChanged: 16 }],
];

describe('risk facts of the demo diffs', () => {
  for (const [name, diff, some] of DEMO) {
    it(name, () => {
      const f = riskFacts(diff);
      const parsed = parseDiff(diff);
      const s = summarizeRisk(parsed.files);
      assert.equal(f.complete, true);
      assert.deepEqual(
        {
          deletedResources: f.deletedResources,
          imageChanges: f.imageChanges,
          replicaChanges: f.replicaChanges,
          rbacChanges: f.rbacChanges,
          secretChanges: f.secretChanges,
          terraformDestroys: f.terraformDestroys,
          untaggedImages: f.untaggedImages,
          deletedKinds: f.deletedKinds,
          filesChanged: f.filesChanged,
          linesAdded: f.linesAdded,
          linesRemoved: f.linesRemoved,
        },
        {
          deletedResources: s.counts['deleted-resource'],
          imageChanges: s.counts.image,
          replicaChanges: s.counts.replicas,
          rbacChanges: s.counts.rbac,
          secretChanges: s.counts.secret,
          terraformDestroys: s.counts['terraform-destroy'],
          untaggedImages: s.untaggedImages,
          deletedKinds: s.deletedKinds,
          filesChanged: parsed.files.length,
          linesAdded: parsed.added,
          linesRemoved: parsed.removed,
        },
      );
      for (const [k, v] of Object.entries(some)) assert.deepEqual(f[k as keyof RiskFacts], v, k);
    });
  }
});
