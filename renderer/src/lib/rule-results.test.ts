import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalRequest, Gate, RiskFacts } from '../../../shared/schemas/index.ts';
import { riskRows, ruleRows, sizeWords } from './rule-results.ts';

const gate = (policyId: string, name: string, rules: Gate['rules']): Gate => ({
  id: `g-${policyId}`,
  kind: 'policy',
  policyId,
  name,
  approvers: { userIds: [], teamIds: [], orgRoles: [] },
  quorum: { minApprovals: 1, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
  requesterCanApprove: false,
  adminBypass: false,
  requireReason: false,
  ...(rules ? { rules } : {}),
});

test('rule rows: matched and failed first, strictest first, then matched allows, then the rest, with the snapshotted expression and message', () => {
  const request: Pick<ApprovalRequest, 'gates' | 'ruleResults'> = {
    gates: [
      gate('pol_a', 'Production', [
        { name: 'cost cap', when: 'cost.monthlyCostDiff > 500.0', outcome: 'deny', message: 'too expensive' },
        { name: 'destroys', when: 'risk.terraformDestroys > 0', outcome: 'pending' },
      ]),
    ],
    ruleResults: [
      { policyId: 'pol_a', rule: 'cost cap', matched: false, outcome: 'deny' },
      { policyId: 'pol_a', rule: 'destroys', matched: true, outcome: 'pending' },
      { policyId: 'pol_a', rule: 'otherwise', matched: true, outcome: 'allow' },
      { policyId: 'pol_gone', rule: 'warned', matched: false, outcome: 'warn', error: 'no such key: plan' },
    ],
  };
  const rows = ruleRows(request);
  assert.deepEqual(
    rows.map((r) => [r.rule, r.matched, r.policy, r.when, r.message, r.error]),
    [
      ['destroys', true, 'Production', 'risk.terraformDestroys > 0', undefined, undefined],
      ['warned', false, 'pol_gone', undefined, undefined, 'no such key: plan'],
      ['otherwise', true, 'Production', undefined, undefined, undefined],
      ['cost cap', false, 'Production', 'cost.monthlyCostDiff > 500.0', 'too expensive', undefined],
    ],
  );
});

test('rule rows: a policy that made no gate is named, and its rule read, from the cached policies', () => {
  const rows = ruleRows({ gates: [], ruleResults: [{ policyId: 'pol_org', rule: 'untagged image', matched: false, outcome: 'warn' }] }, [
    { id: 'pol_org', name: 'Image hygiene', rules: [{ name: 'untagged image', when: 'risk.untaggedImages > 0', outcome: 'warn', message: 'tag it' }] },
  ]);
  assert.deepEqual(
    rows.map((r) => [r.policy, r.when, r.message]),
    [['Image hygiene', 'risk.untaggedImages > 0', 'tag it']],
  );
});

test('rule rows: a request from before content rules has none', () => {
  assert.deepEqual(ruleRows({ gates: [], ruleResults: undefined }), []);
});

const facts: RiskFacts = {
  deletedResources: 2,
  imageChanges: 0,
  replicaChanges: 1,
  rbacChanges: 0,
  secretChanges: 0,
  terraformDestroys: 0,
  filesChanged: 1,
  linesAdded: 1200,
  linesRemoved: 4,
  untaggedImages: 3,
  deletedKinds: ['PersistentVolumeClaim'],
  complete: true,
};

test('risk rows: only what was found, labelled as the diff viewer labels it', () => {
  assert.deepEqual(riskRows(facts), [
    { label: 'Deleted resources', count: 2 },
    { label: 'Replica changes', count: 1 },
    { label: 'Untagged images', count: 3 },
  ]);
  assert.equal(sizeWords(facts), '1 file, +1,200 −4 lines');
});
