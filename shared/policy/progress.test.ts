import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Decision, Gate, Quorum, User } from '../schemas/index.ts';
import { evaluateProgress, progressLine } from './index.ts';
import type { NameLookup } from './index.ts';
import { approve, gate, reject, request, user, usersById } from './testing.ts';

const alice = user('alice', { name: 'Alice Ng', teamIds: ['sre'] });
const sam = user('sam', { name: 'Sam Ode', teamIds: ['sre'] });
const bob = user('bob', { name: 'Bob Two-Hats', teamIds: ['sre', 'platform'] });
const carol = user('carol', { name: 'Carol Di', teamIds: ['platform'] });
const dave = user('dave', { name: 'Dave Lead', roles: ['tech-lead'], teamIds: ['security'] });
const adam = user('adam', { name: 'Adam Admin', orgRole: 'admin' });
const rick = user('rick', { name: 'Rick Requester', teamIds: ['sre', 'platform'] });
const users = usersById(alice, sam, bob, carol, dave, adam, rick);
const names: NameLookup = { team: (id) => ({ sre: 'SRE', platform: 'Platform', security: 'Security' })[id] };

const EVERYONE = { userIds: [], teamIds: ['sre', 'platform', 'security'], orgRoles: ['admin'] };
function quorum(q: Partial<Quorum>): Quorum {
  return { minApprovals: 0, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [], ...q };
}
function g(id: string, q: Partial<Quorum>, over: Partial<Gate> = {}): Gate {
  return gate(id, { name: id, approvers: EVERYONE, quorum: quorum(q), ...over });
}
const progress = (gates: Gate[], decisions: Decision[]) => evaluateProgress(request(gates, decisions), users, names);
const only = (gates: Gate[], decisions: Decision[]) => progress(gates, decisions).gates[0]!;

describe('evaluateProgress: status', () => {
  it('no gates is approved', () => {
    assert.deepEqual(progress([], []), { status: 'approved', gates: [], summary: 'approved' });
  });

  it('pending until every gate passes; stacked gates must all pass', () => {
    const orgGate = g('Any deploy', { minApprovals: 1 });
    const envGate = g('Production', { minApprovals: 1, requiredTeamIds: ['platform'] });
    assert.equal(progress([orgGate, envGate], []).status, 'pending');
    const one = progress([orgGate, envGate], [approve('alice')]);
    assert.deepEqual(
      one.gates.map((x) => x.passed),
      [true, false],
    );
    assert.equal(one.status, 'pending');
    assert.equal(one.summary, 'Production: 1 of 1 · missing: approval from team Platform');
    assert.equal(progress([orgGate, envGate], [approve('alice'), approve('carol')]).status, 'approved');
    assert.equal(progress([orgGate, envGate], [approve('carol')]).status, 'approved');
  });

  it('rejected by a user eligible for any gate, whatever the approvals', () => {
    const gates = [g('A', { minApprovals: 1 }), g('B', { minApprovals: 1 }, { approvers: { userIds: ['dave'], teamIds: [], orgRoles: [] } })];
    const result = progress(gates, [approve('alice'), approve('dave'), reject('carol')]);
    assert.equal(result.status, 'rejected');
    assert.equal(result.summary, 'rejected');
    assert.equal(progress(gates, [reject('dave')]).status, 'rejected'); // eligible for B only
  });

  it('a reject by a user not eligible for any gate is ignored', () => {
    const gates = [g('A', { minApprovals: 1 }, { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } })];
    assert.equal(progress(gates, [reject('carol'), approve('alice')]).status, 'approved');
    assert.equal(progress(gates, [reject('rick')]).status, 'pending'); // the requester, excluded by default
    assert.equal(progress(gates, [reject('ghost')]).status, 'pending'); // unknown user
  });

  it("a user's first decision stands; a duplicate approval counts once", () => {
    const gates = [g('A', { minApprovals: 2 })];
    assert.equal(progress(gates, [approve('alice'), approve('alice')]).gates[0]!.approvals, 1);
    assert.equal(progress(gates, [approve('alice'), reject('alice'), approve('bob')]).status, 'approved');
    assert.equal(progress(gates, [reject('alice'), approve('alice'), approve('bob')]).status, 'rejected');
  });
});

describe('evaluateProgress: minApprovals', () => {
  const two = g('Two', { minApprovals: 2 });

  it('counts approvals by eligible users against the minimum', () => {
    assert.deepEqual(only([two], [approve('alice')]), {
      gateId: 'Two',
      name: 'Two',
      passed: false,
      approvals: 1,
      required: 2,
      met: [],
      missing: ['1 more approval'],
      canStillApprove: ['sam', 'bob', 'carol', 'dave', 'adam'],
    });
    assert.deepEqual(only([two], []).missing, ['2 more approvals']);
    const done = only([two], [approve('alice'), approve('bob')]);
    assert.equal(done.passed, true);
    assert.deepEqual(done.met, ['2 of 2 approvals']);
    assert.deepEqual(done.missing, []);
    assert.deepEqual(only([g('One', { minApprovals: 1 })], [approve('alice'), approve('bob')]).met, ['2 of 1 approval']);
  });

  it('ignores approvals by ineligible and unknown users', () => {
    const sreOnly = g('SRE', { minApprovals: 2 }, { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } });
    const result = only([sreOnly], [approve('carol'), approve('ghost'), approve('alice')]);
    assert.equal(result.approvals, 1);
    assert.equal(result.passed, false);
  });

  it("the requester's approval counts only with requesterCanApprove", () => {
    assert.equal(only([g('A', { minApprovals: 1 })], [approve('rick')]).passed, false);
    assert.equal(only([g('A', { minApprovals: 1 }, { requesterCanApprove: true })], [approve('rick')]).passed, true);
    assert.deepEqual(only([g('A', { minApprovals: 1 }, { requesterCanApprove: true })], []).canStillApprove.includes('rick'), true);
    assert.deepEqual(only([g('A', { minApprovals: 1 })], []).canStillApprove.includes('rick'), false);
  });

  it('minApprovals 0 with nothing else required passes at once', () => {
    assert.equal(only([g('Zero', {})], []).passed, true);
  });
});

describe('evaluateProgress: minDistinctTeams', () => {
  const cross = g('Cross', { minDistinctTeams: 2 });

  it('one person in two teams counts for one team', () => {
    const result = only([cross], [approve('bob')]);
    assert.equal(result.passed, false);
    assert.deepEqual(result.missing, ['2 distinct teams (have 1)']);
  });

  it('two people of one team count for one team', () => {
    assert.deepEqual(only([cross], [approve('alice'), approve('sam')]).missing, ['2 distinct teams (have 1)']);
  });

  it('passes once the approvers can stand for different teams (matching, not greedy)', () => {
    const result = only([cross], [approve('bob'), approve('alice')]); // bob → platform, alice → sre
    assert.equal(result.passed, true);
    assert.deepEqual(result.met, ['2 distinct teams']);
    assert.equal(only([cross], [approve('alice'), approve('carol')]).passed, true);
  });

  it('approvers without teams add none', () => {
    assert.deepEqual(only([cross], [approve('adam')]).missing, ['2 distinct teams (have 0)']);
  });
});

describe('evaluateProgress: requiredUserIds', () => {
  const needsAlice = g('Alice', { requiredUserIds: ['alice'] });

  it('the user must approve; named from the users map or the lookup', () => {
    assert.deepEqual(only([needsAlice], [approve('bob')]).missing, ['approval from Alice Ng']);
    const result = only([needsAlice], [approve('alice')]);
    assert.equal(result.passed, true);
    assert.deepEqual(result.met, ['approval from Alice Ng']);
    const named = evaluateProgress(request([needsAlice], []), users, { user: (id) => (id === 'alice' ? 'A. Ng (SRE lead)' : undefined) });
    assert.deepEqual(named.gates[0]!.missing, ['approval from A. Ng (SRE lead)']);
    assert.deepEqual(evaluateProgress(request([g('X', { requiredUserIds: ['nobody'] })], []), users).gates[0]!.missing, ['approval from nobody']);
  });

  it('must be an eligible approver for the approval to count', () => {
    const sreOnly = g('Dave', { requiredUserIds: ['dave'] }, { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } });
    assert.equal(only([sreOnly], [approve('dave')]).passed, false);
  });
});

describe('evaluateProgress: requiredTeamIds', () => {
  const needsSre = g('SRE', { requiredTeamIds: ['sre', 'security'] });

  it('each listed team needs an approver in it', () => {
    const result = only([needsSre], [approve('bob')]);
    assert.deepEqual(result.met, ['approval from team SRE']);
    assert.deepEqual(result.missing, ['approval from team Security']);
    assert.equal(only([needsSre], [approve('bob'), approve('dave')]).passed, true);
  });

  it('shows the id when no team name is known', () => {
    assert.deepEqual(evaluateProgress(request([needsSre], []), users).gates[0]!.missing, ['approval from team sre', 'approval from team security']);
  });
});

describe('evaluateProgress: requiredOrgRoles', () => {
  it('is satisfied by a custom role', () => {
    const needsLead = g('Lead', { requiredOrgRoles: ['tech-lead'] });
    assert.deepEqual(only([needsLead], [approve('alice')]).missing, ['a tech-lead']);
    const result = only([needsLead], [approve('dave')]);
    assert.equal(result.passed, true);
    assert.deepEqual(result.met, ['a tech-lead']);
  });

  it('is satisfied by the org role itself', () => {
    const needsAdmin = g('Admin', { requiredOrgRoles: ['admin'] });
    assert.deepEqual(only([needsAdmin], []).missing, ['an admin']);
    assert.equal(only([needsAdmin], [approve('adam')]).passed, true);
  });
});

describe('evaluateProgress: quorum fields combined (the documented example)', () => {
  const prod = g('Production', { minApprovals: 2, minDistinctTeams: 2, requiredTeamIds: ['sre'], requiredOrgRoles: ['tech-lead'] });

  it('every field must hold', () => {
    const cases: [string[], boolean, string[]][] = [
      [[], false, ['2 more approvals', '2 distinct teams (have 0)', 'approval from team SRE', 'a tech-lead']],
      [['alice'], false, ['1 more approval', '2 distinct teams (have 1)', 'a tech-lead']],
      [['alice', 'sam'], false, ['2 distinct teams (have 1)', 'a tech-lead']],
      [['alice', 'carol'], false, ['a tech-lead']],
      [['carol', 'dave'], false, ['approval from team SRE']],
      [['alice', 'dave'], true, []],
      [['bob', 'dave'], true, []],
    ];
    for (const [approvers, passed, missing] of cases) {
      const result = only([prod], approvers.map(approve));
      assert.equal(result.passed, passed, approvers.join('+'));
      assert.deepEqual(result.missing, missing, approvers.join('+'));
    }
  });

  it('summarises the first unmet gate', () => {
    assert.equal(progress([prod], [approve('alice')]).summary, '1 of 2 · missing: 1 more approval, 2 distinct teams (have 1), a tech-lead');
    const two = progress([prod, g('Other', { minApprovals: 1 }, { approvers: { userIds: ['adam'], teamIds: [], orgRoles: [] } })], [approve('alice')]);
    assert.equal(two.summary, 'Production: 1 of 2 · missing: 1 more approval, 2 distinct teams (have 1), a tech-lead (+1 more gate)');
  });
});

describe('evaluateProgress: canStillApprove', () => {
  it('lists eligible users who have not decided, in the order of the users map', () => {
    const sreGate = g('SRE', { minApprovals: 2 }, { approvers: { userIds: ['dave'], teamIds: ['sre'], orgRoles: [] } });
    assert.deepEqual(only([sreGate], []).canStillApprove, ['alice', 'sam', 'bob', 'dave']);
    assert.deepEqual(only([sreGate], [approve('alice'), reject('carol'), approve('ghost')]).canStillApprove, ['sam', 'bob', 'dave']);
  });
});

describe('evaluateProgress: adding an approval never breaks a passing gate (property)', () => {
  const TEAMS = ['t1', 't2', 't3'];
  const ROLES = ['tech-lead', 'release-manager', 'admin'];
  const IDS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
  const subset = <T>(xs: readonly T[]) => fc.subarray([...xs]);

  const arbUsers = fc.tuple(
    ...IDS.map((id) =>
      fc.record({ orgRole: fc.constantFrom('owner', 'admin', 'member' as const), roles: subset(ROLES), teamIds: subset(TEAMS) }).map((r): User => user(id, r)),
    ),
  );
  const arbGate = fc
    .record({
      approvers: fc.record({ userIds: subset(IDS), teamIds: subset(TEAMS), orgRoles: subset(ROLES) }),
      quorum: fc.record({
        minApprovals: fc.integer({ min: 0, max: 4 }),
        minDistinctTeams: fc.integer({ min: 0, max: 3 }),
        requiredUserIds: subset(IDS).map((xs) => xs.slice(0, 2)),
        requiredTeamIds: subset(TEAMS).map((xs) => xs.slice(0, 2)),
        requiredOrgRoles: subset(ROLES).map((xs) => xs.slice(0, 1)),
      }),
      requesterCanApprove: fc.boolean(),
    })
    .map((r) => gate('g', r));
  const arbDecision = fc
    .record({ userId: fc.constantFrom(...IDS, 'ghost'), kind: fc.constantFrom('approve', 'reject' as const) })
    .map((d): Decision => ({ ...d, at: '2024-06-03T10:00:00Z' }));

  it('per gate and for the request status', () => {
    fc.assert(
      fc.property(
        arbUsers,
        fc.array(arbGate, { minLength: 1, maxLength: 3 }),
        fc.array(arbDecision, { maxLength: 8 }),
        fc.constantFrom(...IDS),
        fc.constantFrom(...IDS, 'ghost'),
        (userList, gates, decisions, requesterId, extra) => {
          const map = usersById(...userList);
          const before = evaluateProgress({ gates, decisions, requesterId }, map);
          const after = evaluateProgress({ gates, decisions: [...decisions, approve(extra)], requesterId }, map);
          before.gates.forEach((gp, i) => {
            if (gp.passed) assert.equal(after.gates[i]!.passed, true, `gate ${i}`);
            assert.ok(after.gates[i]!.approvals >= gp.approvals);
          });
          if (before.status === 'approved') assert.equal(after.status, 'approved');
          if (before.status === 'rejected') assert.equal(after.status, 'rejected');
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('progressLine', () => {
  const line = (gates: Gate[], decisions: Decision[]) => progressLine(progress(gates, decisions));
  it('counts every gate of a 3-gate request and names each one still missing', () => {
    const gates = [g('Release', { minApprovals: 1 }), g('SRE', { requiredTeamIds: ['sre'] }), g('Security', { requiredTeamIds: ['security'] })];
    assert.equal(line(gates, [approve('carol')]), '1 of 3 gates · missing: SRE (approval from team SRE), Security (approval from team Security)');
    assert.equal(line(gates, [approve('carol'), approve('alice')]), '2 of 3 gates · missing: Security (approval from team Security)');
    assert.equal(line(gates, [approve('carol'), approve('alice'), approve('dave')]), 'approved');
  });
  it('keeps the one-gate form and says rejected when rejected', () => {
    assert.equal(line([g('Prod', { minApprovals: 2 })], [approve('alice')]), '1 of 2 · missing: 1 more approval');
    assert.equal(line([g('Prod', { minApprovals: 2 })], [reject('alice')]), 'rejected');
  });
});

describe('evaluateProgress: escalation', () => {
  const escalation = { afterMinutes: 30, approvers: { userIds: [], teamIds: ['security'], orgRoles: [] } };
  const sreOnly = { userIds: [], teamIds: ['sre'], orgRoles: [] };

  it('says who may approve too, and after how long; nothing without an escalation', () => {
    const p = only([g('Prod', { minApprovals: 1 }, { approvers: sreOnly, escalation })], []);
    assert.equal(p.escalation, 'after 30 min short of its quorum, team Security may approve too');
    assert.equal(p.escalatedAt, undefined);
    assert.deepEqual(p.canStillApprove, ['alice', 'sam', 'bob']);
    const plain = only([g('Prod', { minApprovals: 1 }, { approvers: sreOnly })], []);
    assert.ok(!('escalation' in plain) && !('escalatedAt' in plain));
  });

  it('once escalated: says so with the time, and the widened approvers count', () => {
    const at = '2026-03-09T10:30:00.000Z';
    const escalated = g('Prod', { minApprovals: 1 }, { approvers: { ...sreOnly, teamIds: ['sre', 'security'] }, escalation, escalatedAt: at });
    const p = only([escalated], [approve('dave')]);
    assert.equal(p.escalation, 'escalated: after 30 min short of its quorum, team Security may approve too');
    assert.equal(p.escalatedAt, at);
    assert.equal(p.passed, true);
  });
});
