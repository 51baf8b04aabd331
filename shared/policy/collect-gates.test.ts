import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Binding } from '../schemas/index.ts';
import { collectGates, gateFromPolicy, restrictedGate } from './index.ts';
import { actionInput, binding, environment, orgBinding, policy } from './testing.ts';

const prod = environment('env_prod', { name: 'production', projectId: 'proj_api', clusterId: 'cl_eu' });
const ids = (input: Parameters<typeof collectGates>[0]) => collectGates(input).map((g) => g.id);

describe('gateFromPolicy / restrictedGate', () => {
  it('snapshots a policy as a gate', () => {
    const p = policy('pol_prod', {
      name: 'Production Deploy Gate',
      approvers: { userIds: ['u1'], teamIds: ['sre'], orgRoles: ['tech-lead'] },
      quorum: { minApprovals: 2, minDistinctTeams: 1, requiredUserIds: ['u1'], requiredTeamIds: ['sre'], requiredOrgRoles: ['tech-lead'] },
      conditions: { requireReason: true, environments: ['production'] },
      requesterCanApprove: true,
      adminBypass: true,
    });
    assert.deepEqual(gateFromPolicy(p), {
      id: 'pol_prod',
      kind: 'policy',
      policyId: 'pol_prod',
      name: 'Production Deploy Gate',
      approvers: { userIds: ['u1'], teamIds: ['sre'], orgRoles: ['tech-lead'] },
      quorum: { minApprovals: 2, minDistinctTeams: 1, requiredUserIds: ['u1'], requiredTeamIds: ['sre'], requiredOrgRoles: ['tech-lead'] },
      requesterCanApprove: true,
      adminBypass: true,
      requireReason: true,
    });
    assert.equal(gateFromPolicy(policy('p', { conditions: {} })).requireReason, false);
  });

  it('makes the Restricted level an implicit policy of the environment reviewers', () => {
    const env = environment('env_prod', { name: 'production', protection: 'restricted', reviewers: { userIds: ['alice'], teamIds: ['sre'] } });
    assert.deepEqual(restrictedGate(env), {
      id: 'restricted:env_prod',
      kind: 'restricted',
      environmentId: 'env_prod',
      name: 'Restricted: production',
      approvers: { userIds: ['alice'], teamIds: ['sre'], orgRoles: [] },
      quorum: { minApprovals: 1, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
      requesterCanApprove: false,
      adminBypass: true,
      requireReason: false,
    });
  });
});

describe('collectGates: bindings', () => {
  const p = policy('pol');

  it('an organization binding covers everything, even a request without a resource', () => {
    assert.deepEqual(ids(actionInput({ policies: [p], bindings: [orgBinding('pol')] })), ['pol']);
    assert.deepEqual(ids(actionInput({ policies: [p], bindings: [orgBinding('pol')], environment: prod, resource: { environmentId: 'env_prod' } })), ['pol']);
  });

  it('a project binding covers the resource project or the environment project', () => {
    const bindings = [binding('pol', 'project', 'proj_api')];
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { projectId: 'proj_api' } })), ['pol']);
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { environmentId: 'env_prod' }, environment: prod })), ['pol']);
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { projectId: 'proj_web' } })), []);
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: {} })), []);
  });

  it('a cluster binding covers the resource cluster or the environment cluster', () => {
    const bindings = [binding('pol', 'cluster', 'cl_eu')];
    assert.deepEqual(
      ids(actionInput({ action: 'cluster.restart', policies: [policy('pol', { actions: ['cluster.restart'] })], bindings, resource: { clusterId: 'cl_eu' } })),
      ['pol'],
    );
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { environmentId: 'env_prod' }, environment: prod })), ['pol']);
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { clusterId: 'cl_us' } })), []);
  });

  it('an environment binding covers that environment only', () => {
    const bindings = [binding('pol', 'environment', 'env_prod')];
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { environmentId: 'env_prod' }, environment: prod })), ['pol']);
    const staging = environment('env_stg', { name: 'staging' });
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { environmentId: 'env_stg' }, environment: staging })), []);
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { projectId: 'proj_api' } })), []);
  });

  it('a binding without a target never matches a resource without that id', () => {
    const loose: Binding[] = [
      { id: 'b1', policyId: 'pol', scope: 'project' },
      { id: 'b2', policyId: 'pol', scope: 'cluster' },
      { id: 'b3', policyId: 'pol', scope: 'environment' },
    ];
    assert.deepEqual(ids(actionInput({ policies: [p], bindings: loose, resource: {} })), []);
  });

  it('an unbound policy, or a binding of another policy, yields nothing', () => {
    assert.deepEqual(ids(actionInput({ policies: [p], bindings: [] })), []);
    assert.deepEqual(ids(actionInput({ policies: [p], bindings: [orgBinding('other')] })), []);
  });

  it('a policy bound at several levels is one gate', () => {
    const bindings = [orgBinding('pol'), binding('pol', 'environment', 'env_prod'), binding('pol', 'project', 'proj_api')];
    assert.deepEqual(ids(actionInput({ policies: [p], bindings, resource: { environmentId: 'env_prod' }, environment: prod })), ['pol']);
  });

  it('stacks several policies in the order of `policies`', () => {
    const policies = [policy('b'), policy('a'), policy('c')];
    const bindings = [binding('c', 'environment', 'env_prod'), orgBinding('a'), binding('b', 'project', 'proj_api')];
    assert.deepEqual(ids(actionInput({ policies, bindings, resource: { environmentId: 'env_prod' }, environment: prod })), ['b', 'a', 'c']);
  });
});

describe('collectGates: actions and conditions', () => {
  it('only policies whose actions include the action', () => {
    const policies = [policy('deploys', { actions: ['release.deploy', 'rollback.execute'] }), policy('tokens', { actions: ['token.issue'] })];
    const bindings = [orgBinding('deploys'), orgBinding('tokens')];
    assert.deepEqual(ids(actionInput({ action: 'rollback.execute', policies, bindings })), ['deploys']);
    assert.deepEqual(ids(actionInput({ action: 'token.issue', policies, bindings })), ['tokens']);
    assert.deepEqual(ids(actionInput({ action: 'cluster.scale', policies, bindings })), []);
  });

  it('only policies whose conditions hold now, matched by environment name', () => {
    const policies = [policy('prod_only', { conditions: { environments: ['production'] } }), policy('evenings', { conditions: { startHour: 18, endHour: 9 } })];
    const bindings = [orgBinding('prod_only'), orgBinding('evenings')];
    const base = { policies, bindings, resource: { environmentId: 'env_prod' }, environment: prod };
    assert.deepEqual(ids(actionInput({ ...base, now: new Date('2024-06-03T10:00:00Z') })), ['prod_only']);
    assert.deepEqual(ids(actionInput({ ...base, now: new Date('2024-06-03T19:00:00Z') })), ['prod_only', 'evenings']);
    const staging = environment('env_stg', { name: 'staging' });
    assert.deepEqual(ids(actionInput({ ...base, environment: staging, resource: { environmentId: 'env_stg' }, now: new Date('2024-06-03T10:00:00Z') })), []);
    assert.deepEqual(ids(actionInput({ policies, bindings, now: new Date('2024-06-03T10:00:00Z') })), []);
  });
});

describe('collectGates: the Restricted gate', () => {
  const restricted = environment('env_prod', { name: 'production', protection: 'restricted', reviewers: { userIds: ['alice'], teamIds: [] } });

  it('comes first, for deploy-like actions in a restricted environment', () => {
    for (const action of ['release.deploy', 'promotion.execute', 'rollback.execute', 'manifest.apply'] as const) {
      const input = actionInput({
        action,
        environment: restricted,
        resource: { environmentId: 'env_prod' },
        policies: [policy('pol', { actions: [action] })],
        bindings: [orgBinding('pol')],
      });
      assert.deepEqual(ids(input), ['restricted:env_prod', 'pol'], action);
    }
  });

  it('not for other actions (Restricted is about deployments)', () => {
    for (const action of ['cluster.restart', 'environment.freeze', 'token.issue'] as const) {
      assert.deepEqual(ids(actionInput({ action, environment: restricted, resource: { environmentId: 'env_prod' } })), [], action);
    }
  });

  it('not in an environment at none or locked', () => {
    assert.deepEqual(ids(actionInput({ environment: { ...restricted, protection: 'none' }, resource: { environmentId: 'env_prod' } })), []);
    assert.deepEqual(ids(actionInput({ environment: { ...restricted, protection: 'locked' }, resource: { environmentId: 'env_prod' } })), []);
  });
});
