// Attacks on authority, resource consistency, schemas and tokens, each performed over HTTP as an
// ordinary member (or a careless admin) would, and the refusal that must meet it. Every one of
// these succeeded before the authorization table, the resource checks, strict schemas and
// revocable tokens existed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterResponse, EnvironmentResponse, RequestResponse, SessionResponse } from '../../shared/schemas/index.ts';
import { apiFor, expectError, expectOk, uniq } from './harness.ts';
import { useOrgServer, type Org } from './fixtures.ts';
import { withDb } from '../tamper.ts';

let org: Org;
let dataDir = '';
let base = '';

useOrgServer((server, o) => {
  org = o;
  dataDir = server.dir;
  base = server.url;
});

async function cluster(): Promise<string> {
  return expectOk(await org.owner.api.post('/api/clusters', { name: uniq('cls') }), 201, ClusterResponse).cluster.id;
}

async function envOn(clusterId: string, extra: Record<string, unknown> = {}) {
  return expectOk(await org.owner.api.post('/api/environments', { projectId: org.projectId, name: uniq('env'), clusterId, ...extra }), 201, EnvironmentResponse)
    .environment;
}

describe('attack: walking around gates by making your own environment', () => {
  test('a member creating an unprotected environment on the production cluster: 403', async () => {
    const prod = await cluster();
    expectError(
      await org.m1.api.post('/api/environments', { projectId: org.projectId, name: uniq('my-prod'), clusterId: prod, protection: 'none' }),
      403,
      'forbidden',
    );
  });
  test('a member creating teams, projects, clusters, policies or bindings: 403', async () => {
    expectError(await org.m1.api.post('/api/teams', { name: uniq('t') }), 403, 'forbidden');
    expectError(await org.m1.api.post('/api/projects', { name: uniq('p') }), 403, 'forbidden');
    expectError(await org.m1.api.post('/api/clusters', { name: uniq('c') }), 403, 'forbidden');
    expectError(
      await org.rm.api.post('/api/policies', { name: 'x', actions: ['release.deploy'], approvers: {}, quorum: { minApprovals: 0 } }),
      403,
      'forbidden',
    );
    expectError(await org.bg.api.post('/api/bindings', { policyId: 'pol_x', scope: 'organization' }), 403, 'forbidden');
  });
});

describe('attack: naming resources inconsistently', () => {
  test("a deploy to dev naming the production cluster: 400 invalid_resource, so the production cluster's gates can't be dodged", async () => {
    const prod = await cluster();
    const devCluster = await cluster();
    const dev = await envOn(devCluster);
    const r = await org.m1.api.post('/api/requests', { action: 'release.deploy', resource: { environmentId: dev.id, clusterId: prod }, justification: 'x' });
    expectError(r, 400, 'invalid_resource');
  });
  test('a request naming another project than its environment: 400 invalid_resource', async () => {
    const other = await org.project();
    const env = await org.env();
    expectError(
      await org.m1.api.post('/api/requests', { action: 'release.deploy', resource: { environmentId: env.id, projectId: other }, justification: 'x' }),
      400,
      'invalid_resource',
    );
  });
  test('a deploy without an environment, a cluster action without a cluster: 400 invalid_resource', async () => {
    expectError(
      await org.m1.api.post('/api/requests', { action: 'release.deploy', resource: { projectId: org.projectId }, justification: 'x' }),
      400,
      'invalid_resource',
    );
    expectError(await org.m1.api.post('/api/requests', { action: 'cluster.restart', resource: {}, justification: 'x' }), 400, 'invalid_resource');
  });
  test('a cluster action while an environment on that cluster is frozen: 423 naming it', async () => {
    const c = await cluster();
    await envOn(c);
    const frozen = await envOn(c);
    expectOk(await org.owner.api.post(`/api/environments/${frozen.id}/freeze`, { reason: 'incident' }), 200, EnvironmentResponse);
    expectError(
      await org.m1.api.post('/api/requests', { action: 'cluster.restart', resource: { clusterId: c }, justification: 'restart' }),
      423,
      'environment_locked',
      `Environment "${frozen.name}" is locked. Only Admins and Owners can deploy.`,
    );
  });
  test('a cluster action is gated by a policy bound to any environment on the cluster', async () => {
    const c = await cluster();
    const quiet = await envOn(c);
    await envOn(c);
    const { policyId } = await org.policyOn(quiet.id, { actions: ['cluster.restart'], userIds: [org.owner.id] });
    const r = expectOk(
      await org.m1.api.post('/api/requests', { action: 'cluster.restart', resource: { clusterId: c }, justification: 'restart' }),
      201,
      RequestResponse,
    ).request;
    assert.equal(r.status, 'pending');
    assert.deepEqual(
      r.gates.map((g) => g.policyId),
      [policyId],
    );
  });
  test('break-glass scoped to a dev environment does not approve a restart of the production cluster', async () => {
    const prod = await cluster();
    const prodEnv = await envOn(prod);
    await org.policyOn(prodEnv.id, { actions: ['cluster.restart'], userIds: [org.owner.id] });
    const devEnv = await envOn(await cluster());
    const session = expectOk(
      await org.bg.api.post('/api/breakglass', {
        reason: 'incident on dev, honestly',
        scope: { actions: ['cluster.restart'], environmentIds: [devEnv.id] },
        durationMinutes: 30,
      }),
      201,
      SessionResponse,
    ).session;
    try {
      const r = await org.bg.api.post('/api/requests', { action: 'cluster.restart', resource: { clusterId: prod }, justification: 'restart' });
      assert.equal(r.status, 201, r.text);
      assert.equal((r.body as { request: { status: string } }).request.status, 'pending', 'the session does not cover the production cluster');
      // Naming the dev environment with the production cluster is refused outright.
      expectError(
        await org.bg.api.post('/api/requests', {
          action: 'cluster.restart',
          resource: { environmentId: devEnv.id, clusterId: prod },
          justification: 'restart',
        }),
        400,
        'invalid_resource',
      );
    } finally {
      await org.bg.api.post(`/api/breakglass/${session.id}/revoke`);
    }
  });
});

describe('attack: freezing without freeze authority', () => {
  test('a member asking to unfreeze production where a policy gates unfreezing: 403, not a pending request', async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['environment.unfreeze', 'environment.freeze'], userIds: [org.owner.id] });
    expectError(await org.m1.api.post(`/api/environments/${env.id}/freeze`, { reason: 'I want to' }), 403, 'forbidden');
    expectOk(await org.admin.api.post(`/api/environments/${env.id}/freeze`, { reason: 'incident' }), 202, RequestResponse);
  });
  test('a break-glass holder without release-manager cannot freeze, even with a session covering it', async () => {
    const env = await org.env();
    const session = expectOk(
      await org.bg.api.post('/api/breakglass', {
        reason: 'incident, need to freeze',
        scope: { actions: ['environment.freeze', 'environment.unfreeze'] },
        durationMinutes: 30,
      }),
      201,
      SessionResponse,
    ).session;
    try {
      expectError(await org.bg.api.post(`/api/environments/${env.id}/freeze`, { reason: 'break glass freeze' }), 403, 'forbidden');
    } finally {
      await org.bg.api.post(`/api/breakglass/${session.id}/revoke`);
    }
  });
});

describe('attack: smuggling through lenient schemas', () => {
  test('a misspelt quorum key is refused, not silently turned into one approval', async () => {
    expectError(
      await org.owner.api.post('/api/policies', {
        name: uniq('p'),
        actions: ['release.deploy'],
        approvers: { userIds: [org.owner.id] },
        quorum: { minApprovalz: 5 },
      }),
      400,
      'invalid_request',
    );
    for (const body of [
      { approvers: { userIds: [], teamz: [] }, quorum: {} },
      { approvers: {}, quorum: {}, conditions: { requireReasons: true } },
    ]) {
      expectError(await org.owner.api.post('/api/policies', { name: uniq('p'), actions: ['release.deploy'], ...body }), 400, 'invalid_request');
    }
    expectError(
      await org.owner.api.post('/api/environments', { projectId: org.projectId, name: uniq('e'), reviewers: { userIds: [], teamIds: [], users: ['x'] } }),
      400,
      'invalid_request',
    );
  });
  test('an admin naming a custom role "owner" (or admin, member): 400', async () => {
    for (const role of ['owner', 'admin', 'member', 'Owner']) {
      expectError(
        await org.admin.api.post('/api/users', { name: 'Sneaky', email: `${uniq('s')}@example.com`, orgRole: 'member', roles: [role] }),
        400,
        'invalid_request',
      );
      expectError(await org.admin.api.patch(`/api/users/${org.plain.id}`, { roles: [role] }), 400, 'invalid_request');
    }
  });
  test('an admin editing an owner: 403', async () => {
    expectError(await org.admin.api.patch(`/api/users/${org.owner.id}`, { email: `${uniq('takeover')}@example.com` }), 403, 'forbidden');
  });
});

describe('attack: tokens that cannot be taken back', () => {
  test('a revoked token is refused at once', async () => {
    const u = await org.user(uniq('Leaky'), 'member');
    const made = await u.api.post('/api/tokens', { name: 'laptop' });
    assert.equal(made.status, 201, made.text);
    const { token, secret } = made.body as { token: { id: string }; secret: string };
    const laptop = apiFor(base, secret);
    assert.equal((await laptop.get('/api/me')).status, 200);
    assert.equal((await u.api.del(`/api/tokens/${token.id}`)).status, 200);
    expectError(await laptop.get('/api/me'), 401, 'unauthorized');
    assert.equal((await u.api.get('/api/me')).status, 200, 'the other token still works');
  });
  test("a deactivated user's tokens are refused at once; their decisions stay", async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], userIds: [org.m2.id, org.m3.id], minApprovals: 2 });
    const r = await org.request(org.m1, env.id, 'pending');
    const leaver = await org.user(uniq('Leaver'), 'member');
    const env2 = await org.env();
    await org.policyOn(env2.id, { actions: ['release.deploy'], userIds: [leaver.id, org.m2.id], minApprovals: 2 });
    const r2 = await org.request(org.m1, env2.id, 'pending');
    assert.equal((await leaver.api.post(`/api/requests/${r2.id}/approve`, {})).status, 200);
    assert.equal((await org.admin.api.post(`/api/users/${leaver.id}/deactivate`)).status, 200);
    expectError(await leaver.api.get('/api/me'), 401, 'unauthorized');
    const after = expectOk(await org.owner.api.get(`/api/requests/${r2.id}`), 200, RequestResponse.pick({ request: true })).request;
    assert.deepEqual(
      after.decisions.map((d) => d.userId),
      [leaver.id],
    );
    assert.ok(r.id);
  });
  test('POST /api/users with an Idempotency-Key never stores or replays the secret', async () => {
    const key = uniq('key');
    const body = { name: 'Replayed', email: `${uniq('r')}@example.com`, orgRole: 'member' };
    const first = await org.owner.api.post('/api/users', body, { 'idempotency-key': key });
    assert.equal(first.status, 201, first.text);
    const secret = (first.body as { token: string }).token;
    assert.match(secret, /^ghs_/);
    const replay = await org.owner.api.post('/api/users', body, { 'idempotency-key': key });
    assert.equal(replay.status, 201);
    assert.equal((replay.body as { token?: unknown }).token, undefined, 'the replay carries no secret');
    assert.ok(!replay.text.includes(secret));
    const rows = await withDb(dataDir, (db) => db.all<{ body: string }>('SELECT body FROM idempotency'));
    assert.ok(rows.length > 0);
    assert.ok(!rows.some((r) => r.body.includes(secret)), 'no idempotency record holds the secret');
  });
});
