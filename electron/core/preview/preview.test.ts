import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateAction, evaluateProgress } from '../../../shared/policy/index.ts';
import { approve, binding, environment, gate, MONDAY_10_UTC, orgBinding, policy, reject, session, user, usersById } from '../../../shared/policy/testing.ts';
import type { ApprovalRequest, Gate, Team } from '../../../shared/schemas/index.ts';
import { PreviewInputError, previewAction, previewRequest } from './index.ts';

const alice = user('alice', { name: 'Alice', teamIds: ['platform'] });
const bob = user('bob', { name: 'Bob', teamIds: ['sre'] });
const carol = user('carol', { name: 'Carol', teamIds: ['platform', 'sre'], roles: ['release-manager'] });
const rick = user('rick', { name: 'Rick', teamIds: ['platform'] });
const admin = user('ada', { name: 'Ada', orgRole: 'admin' });
const users = usersById(alice, bob, carol, rick, admin);
const teams = new Map<string, Team>([
  ['platform', { id: 'platform', name: 'Platform' }],
  ['sre', { id: 'sre', name: 'SRE' }],
]);

function req(gates: Gate[], over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: 'req_1',
    action: 'release.deploy',
    resource: { environmentId: 'prod' },
    requesterId: 'rick',
    justification: 'ship it',
    payload: { diffBytes: 0, diffLines: 0 },
    digest: 'd',
    gates,
    decisions: [],
    status: 'pending',
    warnings: [],
    nudges: [],
    createdAt: '2024-06-03T09:00:00Z',
    updatedAt: '2024-06-03T09:00:00Z',
    expiresAt: '2024-06-04T09:00:00Z',
    ...over,
  };
}

const twoTeams = gate('two-teams', {
  name: 'Two teams',
  approvers: { userIds: [], teamIds: ['platform', 'sre'], orgRoles: [] },
  quorum: { minApprovals: 2, minDistinctTeams: 2, requiredUserIds: [], requiredTeamIds: ['sre'], requiredOrgRoles: [] },
});
const rm = gate('rm', {
  name: 'Release manager',
  approvers: { userIds: [], teamIds: [], orgRoles: ['release-manager'] },
  quorum: { minApprovals: 1, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
});

describe('previewRequest', () => {
  test('matches the engine (and so the server) for progress and canApprove', () => {
    const r = req([twoTeams, rm], { decisions: [approve('alice')] });
    const p = previewRequest(r, bob, users, teams);
    const expected = evaluateProgress(r, users, { user: (id) => users.get(id)?.name, team: (id) => teams.get(id)?.name });
    assert.deepEqual(p.progress, expected);
    assert.equal(p.canApprove, true);
    assert.equal(p.progress.status, 'pending');
    assert.deepEqual(p.missing, [
      'Two teams: 1 more approval',
      'Two teams: 2 distinct teams (have 1)',
      'Two teams: approval from team SRE',
      'Release manager: 1 more approval',
    ]);
    // rick is the requester; alice decided already; carol is eligible for both gates (listed once).
    assert.deepEqual(p.whoCanStillApprove, [
      { id: 'bob', name: 'Bob' },
      { id: 'carol', name: 'Carol' },
    ]);
  });

  test('the requester cannot approve their own request (separation of duties)', () => {
    const p = previewRequest(req([twoTeams]), rick, users, teams);
    assert.equal(p.canApprove, false);
    assert.ok(!p.whoCanStillApprove.some((u) => u.id === 'rick'));
  });

  test('someone who already decided cannot approve again; a non-approver cannot approve', () => {
    const r = req([twoTeams], { decisions: [approve('alice')] });
    assert.equal(previewRequest(r, alice, users, teams).canApprove, false);
    assert.equal(previewRequest(r, admin, users, teams).canApprove, false);
  });

  test('single gate: missing phrases are not prefixed', () => {
    const p = previewRequest(req([rm]), alice, users, teams);
    assert.deepEqual(p.missing, ['1 more approval']);
    assert.deepEqual(p.whoCanStillApprove, [{ id: 'carol', name: 'Carol' }]);
  });

  test('approved and rejected: nothing missing, nobody left, not approvable', () => {
    const approved = req([rm], { decisions: [approve('carol')], status: 'approved' });
    const a = previewRequest(approved, bob, users, teams);
    assert.equal(a.progress.status, 'approved');
    assert.deepEqual([a.canApprove, a.missing, a.whoCanStillApprove], [false, [], []]);
    const rejected = req([twoTeams], { decisions: [reject('bob')], status: 'rejected' });
    const b = previewRequest(rejected, alice, users, teams);
    assert.equal(b.progress.status, 'rejected');
    assert.deepEqual([b.canApprove, b.missing, b.whoCanStillApprove], [false, [], []]);
  });

  test('unknown users are shown by id; a past expiresAt is not approvable when now is given', () => {
    const g = gate('named', { approvers: { userIds: ['ghost', 'bob'], teamIds: [], orgRoles: [] }, quorum: { ...rm.quorum, requiredUserIds: ['ghost'] } });
    const r = req([g]);
    const p = previewRequest(r, bob, users, teams);
    assert.deepEqual(p.missing, ['1 more approval', 'approval from ghost']);
    assert.equal(p.canApprove, true);
    assert.equal(previewRequest(r, bob, users, teams, { now: new Date('2024-06-04T09:00:00Z') }).canApprove, false);
    assert.equal(previewRequest(r, bob, users, teams, { now: new Date('2024-06-04T08:59:59Z') }).canApprove, true);
  });
});

describe('previewAction', () => {
  const prod = environment('prod', { name: 'production', protection: 'restricted', reviewers: { userIds: ['alice'], teamIds: [] } });
  const frozen = environment('frozen', {
    name: 'frozen-env',
    protection: 'locked',
    freeze: { by: 'carol', at: '2024-06-03T08:00:00Z', reason: 'incident', previousProtection: 'restricted' },
  });
  const twoPerson = policy('two-person', { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] }, conditions: { requireReason: true } });
  const envOnly = policy('env-only', { approvers: { userIds: ['bob'], teamIds: [], orgRoles: [] } });
  const directory = {
    environments: [prod, frozen],
    policies: [twoPerson, envOnly],
    bindings: [orgBinding('two-person'), binding('env-only', 'environment', 'prod')],
    breakGlassSessions: [session('bg_1', { userId: 'bob' }), session('bg_2', { userId: 'carol', endedAt: '2024-06-03T09:30:00Z' })],
  };

  test('resolves the environment as the server does and returns the engine evaluation', () => {
    const ev = previewAction({ action: 'release.deploy', resource: { environmentId: 'prod' }, justification: 'fix' }, rick, directory, MONDAY_10_UTC);
    const expected = evaluateAction({
      action: 'release.deploy',
      resource: { environmentId: 'prod', projectId: 'proj_api', clusterId: 'cl_eu' },
      requester: rick,
      justification: 'fix',
      now: MONDAY_10_UTC,
      environment: prod,
      policies: directory.policies,
      bindings: directory.bindings,
      breakGlassSessions: directory.breakGlassSessions,
    });
    assert.deepEqual(ev, expected);
    assert.equal(ev.outcome, 'pending');
    assert.deepEqual(
      ev.gates.map((g) => g.kind),
      ['restricted', 'policy', 'policy'],
    );
  });

  test('a missing reason is a 422 with the violations', () => {
    const ev = previewAction({ action: 'release.deploy', resource: { environmentId: 'prod' } }, rick, directory, MONDAY_10_UTC);
    assert.equal(ev.outcome, 'deny');
    assert.equal(ev.deny?.status, 422);
    assert.deepEqual(ev.deny?.details, [{ policyId: 'two-person', message: 'Policy "two-person" requires a reason (justification)' }]);
  });

  test('a locked environment is a 423 with the exact message for members; admins pass', () => {
    const ev = previewAction({ action: 'release.deploy', resource: { environmentId: 'frozen' }, justification: 'x' }, rick, directory, MONDAY_10_UTC);
    assert.equal(ev.deny?.status, 423);
    assert.equal(ev.deny?.message, 'Environment "frozen-env" is locked. Only Admins and Owners can deploy.');
    const asAdmin = previewAction({ action: 'release.deploy', resource: { environmentId: 'frozen' }, justification: 'x' }, admin, directory, MONDAY_10_UTC);
    assert.notEqual(asAdmin.outcome, 'deny');
  });

  test("only the requester's own active break-glass session counts", () => {
    const asBob = previewAction({ action: 'release.deploy', resource: { environmentId: 'frozen' } }, bob, directory, MONDAY_10_UTC);
    assert.equal(asBob.outcome, 'warn');
    assert.equal(asBob.breakGlassSessionId, 'bg_1');
    // carol's session has ended; rick has none.
    const asCarol = previewAction({ action: 'release.deploy', resource: { environmentId: 'frozen' } }, carol, directory, MONDAY_10_UTC);
    assert.equal(asCarol.outcome, 'deny');
    // bob's session has expired by 11:00.
    const later = previewAction({ action: 'release.deploy', resource: { environmentId: 'frozen' } }, bob, directory, new Date('2024-06-03T11:00:00Z'));
    assert.equal(later.outcome, 'deny');
  });

  test('an admin bypasses the Restricted gate but not plain policies', () => {
    const ev = previewAction(
      { action: 'release.deploy', resource: { environmentId: 'prod' }, justification: 'x' },
      admin,
      { ...directory, environments: new Map([['prod', prod]]) },
      MONDAY_10_UTC,
    );
    assert.equal(ev.outcome, 'pending');
    assert.deepEqual(
      ev.bypassed.map((b) => b.gate.kind),
      ['restricted'],
    );
  });

  test('no gates: allowed', () => {
    const ev = previewAction({ action: 'cluster.scale', resource: { clusterId: 'cl_us' } }, rick, { ...directory, bindings: [] }, MONDAY_10_UTC);
    assert.deepEqual(ev, { outcome: 'allow', gates: [], bypassed: [], warnings: [] });
  });

  test('inputs the server refuses with 400 throw with its message', () => {
    assert.throws(
      () => previewAction({ action: 'release.deploy', resource: { environmentId: 'nope' } }, rick, directory, MONDAY_10_UTC),
      (e: unknown) => e instanceof PreviewInputError && e.message === 'resource.environmentId: unknown environment "nope"',
    );
    assert.throws(
      () => previewAction({ action: 'release.deploy', resource: { environmentId: 'prod', projectId: 'other' } }, rick, directory, MONDAY_10_UTC),
      /belongs to project "proj_api"/,
    );
    assert.throws(
      () => previewAction({ action: 'release.deploy', resource: { projectId: 'proj_api' } }, rick, directory, MONDAY_10_UTC),
      /resource.environmentId: release.deploy needs an environment/,
    );
    assert.throws(
      () => previewAction({ action: 'release.deploy', resource: { environmentId: 'prod', clusterId: 'cl_us' } }, rick, directory, MONDAY_10_UTC),
      /resource.clusterId: environment "production" is on cluster "cl_eu"/,
    );
    assert.throws(() => previewAction({ action: 'cluster.restart', resource: {} }, rick, directory, MONDAY_10_UTC), /cluster.restart needs a cluster/);
    assert.throws(
      () =>
        previewAction(
          { action: 'cluster.restart', resource: { clusterId: 'ghost' } },
          rick,
          { ...directory, clusters: [{ id: 'cl_eu', name: 'eu' }] },
          MONDAY_10_UTC,
        ),
      /unknown cluster "ghost"/,
    );
  });

  // The attack the server already refuses: a cluster action named by a harmless environment on
  // the cluster, or by the cluster alone, is judged against every environment on that cluster.
  test('a cluster action is judged against every environment on its cluster, as the server judges it', () => {
    const dev = environment('dev', { name: 'dev' });
    const dir = { ...directory, environments: [dev, prod, frozen] };
    for (const resource of [{ clusterId: 'cl_eu' }, { environmentId: 'dev' }]) {
      const ev = previewAction({ action: 'cluster.restart', resource, justification: 'x' }, rick, dir, MONDAY_10_UTC);
      assert.equal(ev.outcome, 'deny', JSON.stringify(resource));
      assert.equal(ev.deny?.status, 423);
      assert.equal(ev.deny?.message, 'Environment "frozen-env" is locked. Only Admins and Owners can deploy.');
      assert.deepEqual(
        ev,
        evaluateAction({
          action: 'cluster.restart',
          resource: { ...resource, clusterId: 'cl_eu', ...(resource.environmentId ? { projectId: 'proj_api' } : {}) },
          requester: rick,
          justification: 'x',
          now: MONDAY_10_UTC,
          ...(resource.environmentId ? { environment: dev } : {}),
          environments: dir.environments,
          policies: dir.policies,
          bindings: dir.bindings,
          breakGlassSessions: dir.breakGlassSessions,
        }),
      );
    }
    // unlocked, the same action goes on to the gates
    const unlocked = previewAction(
      { action: 'cluster.restart', resource: { environmentId: 'dev' }, justification: 'x' },
      rick,
      { ...dir, environments: [dev, prod] },
      MONDAY_10_UTC,
    );
    assert.notEqual(unlocked.outcome, 'deny');
    // another cluster's lock does not count
    const elsewhere = previewAction({ action: 'cluster.restart', resource: { clusterId: 'cl_us' }, justification: 'x' }, rick, dir, MONDAY_10_UTC);
    assert.notEqual(elsewhere.outcome, 'deny');
  });

  test('freeze and unfreeze by someone without freeze authority preview as the 403 the server answers', () => {
    for (const action of ['environment.freeze', 'environment.unfreeze'] as const) {
      const target = action === 'environment.freeze' ? 'prod' : 'frozen';
      const ev = previewAction({ action, resource: { environmentId: target }, justification: 'x' }, rick, directory, MONDAY_10_UTC);
      assert.equal(ev.outcome, 'deny');
      assert.deepEqual(ev.refusal, {
        status: 403,
        code: 'forbidden',
        message: 'only owners, admins and release managers can freeze or unfreeze an environment',
      });
      // even with an active break-glass session: it never grants authority
      const asBob = previewAction({ action, resource: { environmentId: target }, justification: 'x' }, bob, directory, MONDAY_10_UTC);
      assert.equal(asBob.refusal?.status, 403);
      // a release manager and an admin get the engine's answer
      for (const who of [carol, admin]) {
        const ok = previewAction({ action, resource: { environmentId: target }, justification: 'x' }, who, directory, MONDAY_10_UTC);
        assert.equal(ok.refusal, undefined, `${who.name} ${action}`);
      }
    }
    assert.equal(
      previewAction({ action: 'environment.freeze', resource: { environmentId: 'frozen' }, justification: 'x' }, carol, directory, MONDAY_10_UTC).refusal?.code,
      'already_frozen',
    );
    assert.equal(
      previewAction({ action: 'environment.unfreeze', resource: { environmentId: 'prod' } }, carol, directory, MONDAY_10_UTC).refusal?.code,
      'not_frozen',
    );
  });
});
