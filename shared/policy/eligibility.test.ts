import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canApprove, holdsOrgRole, isAdmin, isEligible, isEligibleForAny } from './index.ts';
import { approve, gate, reject, request, user } from './testing.ts';

const alice = user('alice', { teamIds: ['sre'] });
const dave = user('dave', { roles: ['tech-lead'], teamIds: ['security'] });
const adam = user('adam', { orgRole: 'admin' });
const olga = user('olga', { orgRole: 'owner' });
const rick = user('rick', { teamIds: ['platform'] });
const eve = user('eve');

describe('holdsOrgRole / isAdmin', () => {
  it('a role is held as the org role or as a custom role', () => {
    assert.equal(holdsOrgRole(adam, 'admin'), true);
    assert.equal(holdsOrgRole(olga, 'owner'), true);
    assert.equal(holdsOrgRole(eve, 'member'), true);
    assert.equal(holdsOrgRole(dave, 'tech-lead'), true);
    assert.equal(holdsOrgRole(dave, 'release-manager'), false);
    assert.equal(holdsOrgRole(adam, 'owner'), false);
  });

  it('admins are owners and admins, by org role only', () => {
    assert.equal(isAdmin(olga), true);
    assert.equal(isAdmin(adam), true);
    assert.equal(isAdmin(eve), false);
    assert.equal(isAdmin(user('x', { roles: ['admin', 'owner'] })), false);
  });
});

describe('isEligible', () => {
  const g = gate('g', { approvers: { userIds: ['eve'], teamIds: ['sre'], orgRoles: ['tech-lead', 'admin'] } });

  it('through the user list, a team, an org role or a custom role', () => {
    assert.equal(isEligible(eve, g, 'rick'), true);
    assert.equal(isEligible(alice, g, 'rick'), true);
    assert.equal(isEligible(adam, g, 'rick'), true);
    assert.equal(isEligible(dave, g, 'rick'), true);
  });

  it('nobody else, owners included', () => {
    assert.equal(isEligible(rick, g, 'someone'), false);
    assert.equal(isEligible(olga, g, 'rick'), false);
    assert.equal(isEligible(user('z', { teamIds: ['platform'], roles: ['release-manager'] }), g, 'rick'), false);
  });

  it('the requester is excluded by default (requesterCanApprove false)', () => {
    assert.equal(isEligible(alice, g, 'alice'), false);
    assert.equal(isEligible(eve, g, 'eve'), false);
  });

  it('the requester may approve when the gate says requesterCanApprove true', () => {
    const self = { ...g, requesterCanApprove: true };
    assert.equal(isEligible(alice, self, 'alice'), true);
    assert.equal(isEligible(rick, self, 'rick'), false); // still has to be an approver
  });

  it('a gate with no approvers has no eligible users', () => {
    assert.equal(isEligible(olga, gate('empty'), 'rick'), false);
  });
});

describe('isEligibleForAny / canApprove', () => {
  const gates = [
    gate('a', { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } }),
    gate('b', { approvers: { userIds: ['eve'], teamIds: [], orgRoles: [] } }),
  ];

  it('eligible for one gate is enough', () => {
    assert.equal(isEligibleForAny(request(gates), alice), true);
    assert.equal(isEligibleForAny(request(gates), eve), true);
    assert.equal(isEligibleForAny(request(gates), dave), false);
    assert.equal(isEligibleForAny(request([]), alice), false);
  });

  it('pending, eligible and undecided', () => {
    assert.equal(canApprove(request(gates), alice), true);
    assert.equal(canApprove(request(gates), dave), false);
    assert.equal(canApprove(request(gates, [approve('alice')]), alice), false);
    assert.equal(canApprove(request(gates, [reject('alice')]), alice), false);
    assert.equal(canApprove(request(gates, [approve('eve')]), alice), true);
    for (const status of ['approved', 'rejected', 'cancelled', 'expired'] as const) {
      assert.equal(canApprove(request(gates, [], { status }), alice), false, status);
    }
    assert.equal(canApprove(request(gates, [], { requesterId: 'alice' }), alice), false);
  });
});
