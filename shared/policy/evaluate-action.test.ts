import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEPLOY_LIKE_ACTIONS } from '../schemas/index.ts';
import { evaluateAction, gateFromPolicy, restrictedGate } from './index.ts';
import { actionInput, binding, environment, orgBinding, policy, session, user } from './testing.ts';

const rick = user('rick', { name: 'Rick Member', teamIds: ['platform'] });
const olga = user('olga', { name: 'Olga Owner', orgRole: 'owner' });
const adam = user('adam', { name: 'Adam Admin', orgRole: 'admin' });

const prodLocked = environment('env_prod', { name: 'production', protection: 'locked' });
const prodRestricted = environment('env_prod', { name: 'production', protection: 'restricted', reviewers: { userIds: ['alice'], teamIds: [] } });
const onProd = { resource: { environmentId: 'env_prod' } };
const LOCKED = 'Environment "production" is locked. Only Admins and Owners can deploy.';

const sre = policy('pol_sre', { name: 'SRE sign-off', approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } });
const bypassable = policy('pol_soft', { name: 'Soft gate', adminBypass: true });
const needsReason = policy('pol_reason', { name: 'Change reason', conditions: { requireReason: true } });

describe('evaluateAction: nothing applies', () => {
  it('allows at once with nothing recorded', () => {
    assert.deepEqual(evaluateAction(actionInput({ requester: rick })), { outcome: 'allow', gates: [], bypassed: [], warnings: [] });
  });

  it('an unbound policy or another action changes nothing', () => {
    const result = evaluateAction(
      actionInput({ requester: rick, policies: [sre, policy('tok', { actions: ['token.issue'] })], bindings: [orgBinding('tok')] }),
    );
    assert.equal(result.outcome, 'allow');
  });
});

describe('evaluateAction: locked environments', () => {
  it('refuses a member a deploy with 423 and the exact message', () => {
    assert.deepEqual(evaluateAction(actionInput({ requester: rick, environment: prodLocked, ...onProd })), {
      outcome: 'deny',
      deny: { status: 423, code: 'environment_locked', message: LOCKED },
      gates: [],
      bypassed: [],
      warnings: [],
    });
  });

  it('refuses every deploy-like action, before any gate is looked at', () => {
    for (const action of DEPLOY_LIKE_ACTIONS) {
      const result = evaluateAction(
        actionInput({
          action,
          requester: rick,
          environment: prodLocked,
          ...onProd,
          policies: [policy('p', { actions: [action], conditions: { requireReason: true } })],
          bindings: [orgBinding('p')],
          justification: '',
        }),
      );
      assert.equal(result.deny?.status, 423, action);
      assert.equal(result.deny?.message, LOCKED, action);
    }
  });

  it('does not refuse an owner or an admin', () => {
    assert.deepEqual(evaluateAction(actionInput({ requester: olga, environment: prodLocked, ...onProd })), {
      outcome: 'allow',
      gates: [],
      bypassed: [],
      warnings: [],
    });
    assert.deepEqual(evaluateAction(actionInput({ requester: adam, environment: prodLocked, ...onProd })), {
      outcome: 'allow',
      gates: [],
      bypassed: [],
      warnings: [],
    });
  });

  it('an admin past the lock still meets policies without adminBypass', () => {
    const result = evaluateAction(actionInput({ requester: adam, environment: prodLocked, ...onProd, policies: [sre], bindings: [orgBinding('pol_sre')] }));
    assert.equal(result.outcome, 'pending');
    assert.deepEqual(result.gates, [gateFromPolicy(sre)]);
  });

  it('does not refuse actions that are neither deploy-like nor cluster actions', () => {
    for (const action of ['environment.unfreeze', 'environment.freeze', 'project.delete'] as const) {
      assert.equal(evaluateAction(actionInput({ action, requester: rick, environment: prodLocked, ...onProd })).outcome, 'allow', action);
    }
    const gated = evaluateAction(
      actionInput({
        action: 'project.delete',
        requester: rick,
        environment: prodLocked,
        ...onProd,
        policies: [policy('p', { actions: ['project.delete'] })],
        bindings: [orgBinding('p')],
      }),
    );
    assert.equal(gated.outcome, 'pending');
  });

  it('refuses a cluster action while an environment on its cluster is locked, naming that environment', () => {
    for (const action of ['cluster.restart', 'token.issue', 'command.execute'] as const) {
      const result = evaluateAction(actionInput({ action, requester: rick, environment: prodLocked, ...onProd }));
      assert.equal(result.outcome, 'deny', action);
      assert.equal(result.deny?.status, 423);
      assert.equal(result.deny?.message, `Environment "${prodLocked.name}" is locked. Only Admins and Owners can deploy.`);
    }
  });
});

describe('evaluateAction: break-glass', () => {
  const active = session('bg_1', { userId: 'rick' });
  const now = new Date('2024-06-03T10:00:00Z');

  it('passes a lock and every gate, with a warning naming the session, the lock and the gates', () => {
    const result = evaluateAction(
      actionInput({
        requester: rick,
        now,
        environment: prodLocked,
        ...onProd,
        breakGlassSessions: [active],
        policies: [sre, bypassable],
        bindings: [orgBinding('pol_sre'), binding('pol_soft', 'environment', 'env_prod')],
      }),
    );
    assert.deepEqual(result, {
      outcome: 'warn',
      gates: [],
      bypassed: [
        { gate: gateFromPolicy(sre), by: 'breakglass' },
        { gate: gateFromPolicy(bypassable), by: 'breakglass' },
      ],
      warnings: ['Break-glass session bg_1 bypassed the lock on environment "production" and 2 gates: "SRE sign-off", "Soft gate".'],
      breakGlassSessionId: 'bg_1',
    });
  });

  it('bypasses the Restricted gate too', () => {
    const result = evaluateAction(actionInput({ requester: rick, now, environment: prodRestricted, ...onProd, breakGlassSessions: [active] }));
    assert.deepEqual(result.bypassed, [{ gate: restrictedGate(prodRestricted), by: 'breakglass' }]);
    assert.deepEqual(result.warnings, ['Break-glass session bg_1 bypassed 1 gate: "Restricted: production".']);
    assert.equal(result.outcome, 'warn');
  });

  it('passes the reason check', () => {
    const result = evaluateAction(
      actionInput({ requester: rick, now, justification: '', breakGlassSessions: [active], policies: [needsReason], bindings: [orgBinding('pol_reason')] }),
    );
    assert.equal(result.outcome, 'warn');
    assert.equal(result.deny, undefined);
    assert.deepEqual(
      result.bypassed.map((b) => b.gate.id),
      ['pol_reason'],
    );
  });

  it('warns even when there was nothing to bypass', () => {
    const result = evaluateAction(actionInput({ requester: rick, now, breakGlassSessions: [active] }));
    assert.deepEqual(result, {
      outcome: 'warn',
      gates: [],
      bypassed: [],
      warnings: ['Break-glass session bg_1 was active; nothing needed bypassing.'],
      breakGlassSessionId: 'bg_1',
    });
  });

  it('a session scoped to another environment does not cover this one', () => {
    const stagingOnly = session('bg_stg', { scope: { actions: ['release.deploy'], environmentIds: ['env_stg'] } });
    const result = evaluateAction(actionInput({ requester: rick, now, environment: prodLocked, ...onProd, breakGlassSessions: [stagingOnly] }));
    assert.equal(result.outcome, 'deny');
    assert.equal(result.deny?.status, 423);
    assert.equal(result.breakGlassSessionId, undefined);
    const prodScoped = session('bg_prod', { scope: { actions: ['release.deploy'], environmentIds: ['env_prod'] } });
    assert.equal(
      evaluateAction(actionInput({ requester: rick, now, environment: prodLocked, ...onProd, breakGlassSessions: [stagingOnly, prodScoped] }))
        .breakGlassSessionId,
      'bg_prod',
    );
  });

  it('a session for other actions does not cover this one', () => {
    const tokens = session('bg_tok', { scope: { actions: ['token.issue'] } });
    assert.equal(evaluateAction(actionInput({ requester: rick, now, environment: prodLocked, ...onProd, breakGlassSessions: [tokens] })).outcome, 'deny');
  });

  it('expired, ended and not-yet-started sessions do not count', () => {
    const expired = session('bg_old', { startedAt: '2024-06-03T08:00:00Z', expiresAt: '2024-06-03T10:00:00Z' });
    const ended = session('bg_end', { endedAt: '2024-06-03T09:30:00Z', endedBy: 'rick' });
    const future = session('bg_new', { startedAt: '2024-06-03T10:00:00.001Z' });
    for (const s of [expired, ended, future]) {
      const result = evaluateAction(actionInput({ requester: rick, now, environment: prodLocked, ...onProd, breakGlassSessions: [s] }));
      assert.equal(result.deny?.status, 423, s.id);
    }
  });

  it("someone else's session does not count", () => {
    const adamsSession = session('bg_adam', { userId: 'adam' });
    assert.equal(evaluateAction(actionInput({ requester: rick, now, environment: prodLocked, ...onProd, breakGlassSessions: [adamsSession] })).outcome, 'deny');
  });
});

describe('evaluateAction: reason (requireReason)', () => {
  const policies = [needsReason, sre, policy('pol_reason2', { name: 'Second reason', conditions: { requireReason: true } })];
  const bindings = [orgBinding('pol_reason'), orgBinding('pol_sre'), orgBinding('pol_reason2')];
  const violation = {
    outcome: 'deny',
    deny: {
      status: 422,
      code: 'policy_violations',
      message: 'policy violations',
      details: [
        { policyId: 'pol_reason', message: 'Policy "Change reason" requires a reason (justification)' },
        { policyId: 'pol_reason2', message: 'Policy "Second reason" requires a reason (justification)' },
      ],
    },
    gates: [],
    bypassed: [],
    warnings: [],
  };

  it('an empty justification is 422 with one violation per gate that wants a reason', () => {
    assert.deepEqual(evaluateAction(actionInput({ requester: rick, justification: '', policies, bindings })), violation);
  });

  it('a whitespace-only justification is blank too', () => {
    assert.deepEqual(evaluateAction(actionInput({ requester: rick, justification: '  \n\t ', policies, bindings })), violation);
  });

  it('any non-blank justification passes the check and leaves the gates pending', () => {
    const result = evaluateAction(actionInput({ requester: rick, justification: ' hotfix ', policies, bindings }));
    assert.equal(result.outcome, 'pending');
    assert.deepEqual(
      result.gates.map((g) => g.id),
      ['pol_reason', 'pol_sre', 'pol_reason2'],
    );
  });

  it('no gate wants a reason: a blank justification is fine', () => {
    assert.equal(evaluateAction(actionInput({ requester: rick, justification: '', policies: [sre], bindings: [orgBinding('pol_sre')] })).outcome, 'pending');
  });

  it('deny beats pending (strictest wins)', () => {
    const result = evaluateAction(
      actionInput({ requester: rick, justification: '', policies: [sre, needsReason], bindings: [orgBinding('pol_sre'), orgBinding('pol_reason')] }),
    );
    assert.equal(result.outcome, 'deny');
    assert.deepEqual(result.gates, []);
  });

  it('is checked before admin bypass, so an admin must give a reason too', () => {
    const soft = policy('pol_soft_reason', { name: 'Soft reason', adminBypass: true, conditions: { requireReason: true } });
    const input = actionInput({ requester: adam, justification: '', policies: [soft], bindings: [orgBinding('pol_soft_reason')] });
    assert.equal(evaluateAction(input).deny?.status, 422);
    assert.equal(evaluateAction({ ...input, justification: 'incident' }).outcome, 'warn');
  });

  it('a reason-requiring policy that does not apply now asks for nothing (the off-hours policy)', () => {
    const offHours = policy('pol_off', {
      name: 'Off-Hours Change Gate',
      conditions: { startHour: 18, endHour: 9, weekdays: ['saturday', 'sunday'], timezone: 'Europe/Istanbul', requireReason: true },
    });
    const base = { requester: rick, justification: '', policies: [offHours], bindings: [orgBinding('pol_off')] };
    assert.equal(evaluateAction(actionInput({ ...base, now: new Date('2024-06-03T10:00:00Z') })).outcome, 'allow'); // Monday 13:00 Istanbul
    assert.equal(evaluateAction(actionInput({ ...base, now: new Date('2024-06-03T15:00:00Z') })).deny?.status, 422); // Monday 18:00 Istanbul
    assert.equal(evaluateAction(actionInput({ ...base, now: new Date('2024-06-08T10:00:00Z') })).deny?.status, 422); // Saturday
    const withReason = evaluateAction(actionInput({ ...base, justification: 'weekend hotfix', now: new Date('2024-06-08T10:00:00Z') }));
    assert.equal(withReason.outcome, 'pending');
    assert.deepEqual(
      withReason.gates.map((g) => g.id),
      ['pol_off'],
    );
  });
});

describe('evaluateAction: bypass by owners and admins', () => {
  it('a member deploying to a Restricted environment waits for a reviewer', () => {
    const result = evaluateAction(actionInput({ requester: rick, environment: prodRestricted, ...onProd }));
    assert.deepEqual(result, { outcome: 'pending', gates: [restrictedGate(prodRestricted)], bypassed: [], warnings: [] });
  });

  it('an admin or owner skips the Restricted gate: allowed with a warning', () => {
    assert.deepEqual(evaluateAction(actionInput({ requester: adam, environment: prodRestricted, ...onProd })), {
      outcome: 'warn',
      gates: [],
      bypassed: [{ gate: restrictedGate(prodRestricted), by: 'admin' }],
      warnings: ['Admin bypass: Adam Admin (admin) skipped "Restricted: production".'],
    });
    assert.equal(evaluateAction(actionInput({ requester: olga, environment: prodRestricted, ...onProd })).outcome, 'warn');
  });

  it('but not a policy without adminBypass: pending on that policy alone', () => {
    const result = evaluateAction(actionInput({ requester: adam, environment: prodRestricted, ...onProd, policies: [sre], bindings: [orgBinding('pol_sre')] }));
    assert.deepEqual(result, {
      outcome: 'pending',
      gates: [gateFromPolicy(sre)],
      bypassed: [{ gate: restrictedGate(prodRestricted), by: 'admin' }],
      warnings: ['Admin bypass: Adam Admin (admin) skipped "Restricted: production".'],
    });
  });

  it('a policy with adminBypass: true is skipped by an admin, not by a member', () => {
    const input = actionInput({ policies: [bypassable, sre], bindings: [orgBinding('pol_soft'), orgBinding('pol_sre')] });
    const byOwner = evaluateAction({ ...input, requester: olga, policies: [bypassable], bindings: [orgBinding('pol_soft')] });
    assert.deepEqual(byOwner, {
      outcome: 'warn',
      gates: [],
      bypassed: [{ gate: gateFromPolicy(bypassable), by: 'admin' }],
      warnings: ['Admin bypass: Olga Owner (owner) skipped "Soft gate".'],
    });
    const byAdmin = evaluateAction({ ...input, requester: adam });
    assert.equal(byAdmin.outcome, 'pending');
    assert.deepEqual(
      byAdmin.gates.map((g) => g.id),
      ['pol_sre'],
    );
    assert.deepEqual(
      byAdmin.bypassed.map((b) => [b.gate.id, b.by]),
      [['pol_soft', 'admin']],
    );
    const byMember = evaluateAction({ ...input, requester: rick });
    assert.equal(byMember.outcome, 'pending');
    assert.deepEqual(
      byMember.gates.map((g) => g.id),
      ['pol_soft', 'pol_sre'],
    );
    assert.deepEqual(byMember.bypassed, []);
  });

  it('a custom role is not an admin', () => {
    const lead = user('lead', { roles: ['admin-ish', 'release-manager'] });
    assert.equal(evaluateAction(actionInput({ requester: lead, environment: prodRestricted, ...onProd })).outcome, 'pending');
  });
});

describe('evaluateAction: stacking', () => {
  it('an org-level and an environment-level policy are both gates of the request', () => {
    const org = policy('pol_org', { name: 'Any deploy' });
    const env = policy('pol_env', {
      name: 'Production Deploy Gate',
      quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: ['sre'], requiredOrgRoles: [] },
    });
    const result = evaluateAction(
      actionInput({
        requester: rick,
        environment: prodRestricted,
        ...onProd,
        policies: [org, env],
        bindings: [orgBinding('pol_org'), binding('pol_env', 'environment', 'env_prod')],
      }),
    );
    assert.equal(result.outcome, 'pending');
    assert.deepEqual(result.gates, [restrictedGate(prodRestricted), gateFromPolicy(org), gateFromPolicy(env)]);
  });
});
