import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorityGate, canApprove, collectGates, evaluateAction, isEligible, OWNER_OR_ADMIN_APPROVAL } from './index.ts';
import { actionInput, environment, orgBinding, policy, request, session, user } from './testing.ts';

const prod = environment('env_prod', { name: 'production', protection: 'restricted', reviewers: { userIds: ['sam'], teamIds: [] } });
const onProd = { action: 'environment.policyUpdate' as const, resource: { environmentId: 'env_prod' }, environment: prod };
const rhea = user('rhea', { roles: ['release-manager'] });
const adam = user('adam', { orgRole: 'admin' });
const olivia = user('olivia', { orgRole: 'owner' });
const sam = user('sam');

describe('authorityGate: a protection change asked for by a release manager', () => {
  it('is an implicit gate for one owner or admin who is not the requester', () => {
    assert.deepEqual(authorityGate('env_prod'), {
      id: 'authority:env_prod',
      kind: 'authority',
      environmentId: 'env_prod',
      name: OWNER_OR_ADMIN_APPROVAL,
      approvers: { userIds: [], teamIds: [], orgRoles: ['owner', 'admin'] },
      quorum: { minApprovals: 1, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
      requesterCanApprove: false,
      adminBypass: false,
      requireReason: false,
    });
  });

  it('holds the change even when no policy gates environment.policyUpdate', () => {
    const result = evaluateAction(actionInput({ requester: rhea, ...onProd }));
    assert.equal(result.outcome, 'pending');
    assert.deepEqual(
      result.gates.map((g) => g.id),
      ['authority:env_prod'],
    );
  });

  it('adds to the policies that gate the change, it does not replace them', () => {
    const p = policy('pol_env', { actions: ['environment.policyUpdate'] });
    const result = evaluateAction(actionInput({ requester: rhea, ...onProd, policies: [p], bindings: [orgBinding('pol_env')] }));
    assert.deepEqual(
      result.gates.map((g) => g.id),
      ['authority:env_prod', 'pol_env'],
    );
  });

  it('is not there for owners and admins: with no policy their change applies at once', () => {
    for (const who of [adam, olivia]) {
      assert.deepEqual(collectGates(actionInput({ requester: who, ...onProd })), [], who.id);
      assert.equal(evaluateAction(actionInput({ requester: who, ...onProd })).outcome, 'allow', who.id);
    }
  });

  it('is only about environment.policyUpdate: a release manager freezing or deploying meets no such gate', () => {
    for (const action of ['environment.freeze', 'environment.unfreeze', 'release.deploy'] as const) {
      const gates = collectGates(actionInput({ requester: rhea, ...onProd, action }));
      assert.ok(!gates.some((g) => g.kind === 'authority'), action);
    }
  });

  it('only an owner or admin other than the requester may approve it', () => {
    const gate = authorityGate('env_prod');
    assert.equal(isEligible(adam, gate, 'rhea'), true);
    assert.equal(isEligible(olivia, gate, 'rhea'), true);
    assert.equal(isEligible(rhea, gate, 'rhea'), false, 'the requester');
    assert.equal(isEligible(user('rm2', { roles: ['release-manager'] }), gate, 'rhea'), false, 'another release manager');
    assert.equal(isEligible(sam, gate, 'rhea'), false, "the environment's reviewer");
    assert.equal(canApprove(request([gate], [], { requesterId: 'rhea' }), rhea), false);
  });

  it('a break-glass session covering the action bypasses it, and names it', () => {
    const now = new Date('2024-06-03T10:00:00Z');
    const s = session('bg_1', { userId: 'rhea', scope: { actions: ['environment.policyUpdate'] } });
    const result = evaluateAction(actionInput({ requester: rhea, ...onProd, now, breakGlassSessions: [s] }));
    assert.equal(result.outcome, 'warn');
    assert.deepEqual(result.gates, []);
    assert.deepEqual(
      result.bypassed.map((b) => [b.gate.id, b.by]),
      [['authority:env_prod', 'breakglass']],
    );
    assert.match(result.warnings[0]!, /Owner or admin approval/);
  });
});
