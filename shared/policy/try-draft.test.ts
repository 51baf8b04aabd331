import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyDraft } from '../schemas/api.ts';
import type { ApprovalRequest, Team } from '../schemas/index.ts';
import { evaluateAction } from './evaluate-action.ts';
import { REPLAY_EXAMPLES, replayDraft } from './replay.ts';
import { binding, environment, MONDAY_10_UTC, orgBinding, policy, user, usersById } from './testing.ts';
import { DRAFT_POLICY_ID, draftTouched, gateViews, verdictOf, withDraft } from './try-draft.ts';

const rick = user('rick', { name: 'Rick', teamIds: ['platform'] });
const sam = user('sam', { name: 'Sam', teamIds: ['security'] });
const sue = user('sue', { name: 'Sue', teamIds: ['security'] });
const pat = user('pat', { name: 'Pat', teamIds: ['platform'] });
const gone = user('gone', { name: 'Gone', teamIds: ['security'], active: false });
const users = usersById(rick, sam, sue, pat, gone);
const teams = new Map<string, Team>([
  ['platform', { id: 'platform', name: 'Platform' }],
  ['security', { id: 'security', name: 'Security' }],
]);
const names = { users, teams };
const prod = environment('env_prod', { name: 'production', projectId: 'proj_checkout' });
const staging = environment('env_staging', { name: 'staging', projectId: 'proj_checkout' });

// Seed 001's "Production Release Approval".
const PRA = PolicyDraft.parse({
  name: 'Production Release Approval',
  actions: ['release.deploy'],
  approvers: { userIds: [], teamIds: ['platform', 'security'], orgRoles: [] },
  quorum: { minApprovals: 2, requiredTeamIds: ['security'] },
  conditions: { environments: ['production'] },
  bindings: [{ scope: 'project', targetId: 'proj_checkout' }],
});

const saved = {
  policies: [policy('pol_old', { name: 'Old rule', approvers: { userIds: ['pat'], teamIds: [], orgRoles: [] } })],
  bindings: [orgBinding('pol_old')],
};

function judge(
  set: { policies: readonly ReturnType<typeof policy>[]; bindings: readonly ReturnType<typeof orgBinding>[] },
  env = prod,
  justification = 'ship',
) {
  return evaluateAction({
    action: 'release.deploy',
    resource: { environmentId: env.id, projectId: env.projectId, clusterId: 'cl_eu' },
    requester: rick,
    justification,
    now: MONDAY_10_UTC,
    environment: env,
    environments: [prod, staging],
    policies: set.policies,
    bindings: set.bindings,
    breakGlassSessions: [],
  });
}

describe('withDraft', () => {
  it('adds a new draft beside the saved policies, with its bindings', () => {
    const set = withDraft(saved, PRA);
    assert.equal(set.policy.id, DRAFT_POLICY_ID);
    assert.equal(set.policy.description, '');
    assert.equal(set.policy.requesterCanApprove, false);
    assert.deepEqual(
      set.policies.map((p) => p.id),
      ['pol_old', DRAFT_POLICY_ID],
    );
    assert.deepEqual(set.bindings, [orgBinding('pol_old'), { id: 'draft-binding-1', policyId: DRAFT_POLICY_ID, scope: 'project', targetId: 'proj_checkout' }]);
  });

  it('replaces the saved policy it edits, and that policy’s saved bindings with the draft’s', () => {
    const set = withDraft(saved, { ...PRA, id: 'pol_old', bindings: [] });
    assert.deepEqual(
      set.policies.map((p) => [p.id, p.name]),
      [['pol_old', 'Production Release Approval']],
    );
    assert.deepEqual(set.bindings, []);
    // the saved inputs are left alone
    assert.equal(saved.policies[0]!.name, 'Old rule');
    assert.equal(saved.bindings.length, 1);
  });
});

describe('verdicts for the draft', () => {
  it('a production deploy is gated by the draft: 2 approvals including Security, and who could give them', () => {
    const ev = judge(withDraft({ policies: [], bindings: [] }, PRA));
    assert.equal(ev.outcome, 'pending');
    const v = verdictOf(ev, 'rick', names, DRAFT_POLICY_ID);
    assert.equal(v.gates.length, 1);
    const g = v.gates[0]!;
    assert.equal(g.name, 'Production Release Approval');
    assert.equal(g.fromDraft, true);
    assert.deepEqual(g.needs, ['2 more approvals', 'approval from team Security']);
    // not the requester (separation of duties), not a deactivated user
    assert.deepEqual(
      g.whoCanApprove.map((u) => u.name),
      ['Pat', 'Sam', 'Sue'],
    );
    assert.equal(draftTouched(ev, DRAFT_POLICY_ID), 'gated');
  });

  it('a staging deploy is not gated by it', () => {
    const ev = judge(withDraft({ policies: [], bindings: [] }, PRA), staging);
    assert.equal(ev.outcome, 'allow');
    assert.equal(draftTouched(ev, DRAFT_POLICY_ID), undefined);
    assert.deepEqual(verdictOf(ev, 'rick', names, DRAFT_POLICY_ID), { outcome: 'allow', gates: [], bypassed: [], warnings: [], rules: [] });
  });

  it('a draft requiring a reason refuses a request without one (422, with the message)', () => {
    const strict = { ...PRA, conditions: { ...PRA.conditions, requireReason: true } };
    const ev = judge(withDraft({ policies: [], bindings: [] }, strict), prod, '  ');
    const v = verdictOf(ev, 'rick', names, DRAFT_POLICY_ID);
    assert.equal(v.outcome, 'deny');
    assert.deepEqual(v.refused, {
      status: 422,
      message: 'policy violations',
      details: ['Policy "Production Release Approval" requires a reason (justification)'],
    });
    assert.equal(draftTouched(ev, DRAFT_POLICY_ID), 'blocked');
  });

  it('a refusal made before the engine (403) is shown with its status and message', () => {
    const v = verdictOf({ outcome: 'deny', gates: [], bypassed: [], warnings: [], refusal: { status: 403, message: 'no' } }, 'rick', names, 'x');
    assert.deepEqual(v.refused, { status: 403, message: 'no', details: [] });
  });

  it('a gate the requester may approve lists them; a saved gate is not the draft’s', () => {
    const ev = judge({
      policies: [policy('pol_x', { approvers: { userIds: ['rick'], teamIds: [], orgRoles: [] }, requesterCanApprove: true })],
      bindings: [binding('pol_x', 'environment', 'env_prod')],
    });
    const [g] = gateViews(ev.gates, 'rick', names, DRAFT_POLICY_ID);
    assert.equal(g!.fromDraft, false);
    assert.deepEqual(g!.whoCanApprove, [{ id: 'rick', name: 'Rick' }]);
  });
});

describe('replayDraft', () => {
  const NOW = Date.parse('2026-03-10T08:00:00Z');
  function req(id: string, createdAt: string, over: Partial<ApprovalRequest> = {}): ApprovalRequest {
    return {
      id,
      action: 'release.deploy',
      resource: { environmentId: prod.id, projectId: prod.projectId, clusterId: 'cl_eu' },
      requesterId: 'rick',
      justification: 'ship',
      payload: { diffBytes: 0, diffLines: 0 },
      digest: 'd',
      gates: [],
      decisions: [],
      status: 'approved',
      warnings: [],
      nudges: [],
      createdAt,
      updatedAt: createdAt,
      expiresAt: createdAt,
      ...over,
    };
  }
  const requests = [
    req('r_old', '2026-01-01T10:00:00Z'), // outside 30 days
    req('r_prod1', '2026-03-01T10:00:00Z'),
    req('r_stage', '2026-03-02T10:00:00Z', { resource: { environmentId: staging.id, projectId: staging.projectId, clusterId: 'cl_eu' } }),
    req('r_prod2', '2026-03-03T10:00:00Z', { requesterId: 'sam' }),
    req('r_ghost', '2026-03-04T10:00:00Z', { requesterId: 'nobody' }),
    req('r_future', '2026-03-11T10:00:00Z'),
  ];
  const base = { saved: { policies: [], bindings: [] }, requests, users, teams, environments: [prod, staging], breakGlassSessions: [], nowMs: NOW, days: 30 };

  it('counts what the draft would have gated and tallies who could have approved', () => {
    const r = replayDraft({ ...base, draft: PRA });
    assert.equal(r.considered, 4);
    assert.equal(r.gated, 2);
    assert.equal(r.blocked, 0);
    assert.equal(r.skipped, 1);
    // rick's request: sam, sue, pat; sam's own: sue, pat, rick (not sam himself)
    assert.deepEqual(r.approvers, [
      { id: 'pat', name: 'Pat', count: 2 },
      { id: 'sue', name: 'Sue', count: 2 },
      { id: 'rick', name: 'Rick', count: 1 },
      { id: 'sam', name: 'Sam', count: 1 },
    ]);
    assert.deepEqual(
      r.examples.map((x) => [x.id, x.effect]),
      [
        ['r_prod1', 'gated'],
        ['r_prod2', 'gated'],
      ],
    );
    assert.equal(r.from, '2026-02-08T08:00:00.000Z');
    assert.equal(r.to, '2026-03-10T08:00:00.000Z');
  });

  it('a reason-requiring draft blocks the requests without one; examples are capped', () => {
    const strict = { ...PRA, conditions: { requireReason: true } };
    const many = Array.from({ length: REPLAY_EXAMPLES + 3 }, (_, i) => req(`r_${i}`, `2026-03-0${(i % 8) + 1}T09:00:00Z`, { justification: '' }));
    const r = replayDraft({ ...base, requests: many, draft: strict });
    assert.equal(r.blocked, many.length);
    assert.equal(r.examples.length, REPLAY_EXAMPLES);
    assert.ok(r.examples.every((x) => x.effect === 'blocked'));
  });

  it('stops when asked, after reporting progress', () => {
    const seen: number[] = [];
    const r = replayDraft({ ...base, draft: PRA }, (done, total) => {
      seen.push(done);
      assert.equal(total, 4);
      return done < 2;
    });
    assert.deepEqual(seen, [1, 2]);
    assert.equal(r.gated, 1);
    assert.equal(r.considered, 2);
  });
});
