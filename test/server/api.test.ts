// The directory, policies and bindings, error handling, audit, sync and SSE over HTTP, against one
// real server for the whole file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import {
  AuditExportCheckpointLine,
  AuditResponse,
  AuditVerifyResponse,
  BindingResponse,
  BindingsResponse,
  ClusterResponse,
  ClustersResponse,
  CreatedUserResponse,
  EnvironmentResponse,
  EnvironmentsResponse,
  PoliciesResponse,
  PolicyResponse,
  ProjectResponse,
  ProjectsResponse,
  RequestResponse,
  SessionResponse,
  SyncResponse,
  SYNC_ENTITIES,
  TeamResponse,
  TeamsResponse,
  UserResponse,
  UsersResponse,
  AuditEvent,
} from '../../shared/schemas/index.ts';
import { apiFor, call, rawHttp, cleanupTempDirs, expectError, expectOk, initDir, killAll, startServer, uniq, type ServerProcess } from './harness.ts';
import { setupOrg, type Org } from './fixtures.ts';
import { nowMs } from '../clock.ts';

/** A small RFC 4180 parser: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let rec: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (field += ch), i++;
    } else if (ch === '"' && field === '') (quoted = true), i++;
    else if (ch === ',') rec.push(field), (field = ''), i++;
    else if (ch === '\r' && text[i + 1] === '\n') rec.push(field), records.push(rec), (rec = []), (field = ''), (i += 2);
    else (field += ch), i++;
  }
  if (field !== '' || rec.length) rec.push(field), records.push(rec);
  return records;
}

let server: ServerProcess;
let org: Org;
const base = () => server.url;

before(async () => {
  const { dir, ownerToken } = await initDir();
  server = await startServer(dir);
  org = await setupOrg(base, ownerToken);
});
after(async () => {
  await server?.stop();
  killAll();
  cleanupTempDirs();
});

describe('health and auth', () => {
  test('GET /healthz without auth → 200 {ok: true}', async () => {
    const res = await call(base(), undefined, 'GET', '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ok: true });
  });

  test('401 without a token, with an unknown token, with a malformed header', async () => {
    for (const path of ['/api/me', '/api/requests', '/api/sync', '/api/audit', '/api/events']) {
      expectError(await call(base(), undefined, 'GET', path), 401, 'unauthorized', undefined, `${path} no token`);
    }
    expectError(await call(base(), 'ghs_not-a-real-token', 'GET', '/api/me'), 401, 'unauthorized');
    expectError(await call(base(), undefined, 'GET', '/api/me', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, 'unauthorized');
    expectError(await call(base(), undefined, 'POST', '/api/teams', { json: { name: 'x' } }), 401, 'unauthorized');
  });

  test('GET /api/me → {user}', async () => {
    const me = expectOk(await org.m1.api.get('/api/me'), 200, UserResponse).user;
    assert.equal(me.id, org.m1.id);
    assert.equal(me.orgRole, 'member');
    assert.deepEqual(me.teamIds, [org.alpha.id]);
    const owner = expectOk(await org.owner.api.get('/api/me'), 200, UserResponse).user;
    assert.equal(owner.orgRole, 'owner');
    assert.equal(owner.email, 'owner@example.com');
  });
});

describe('directory', () => {
  test('users: create → 201 {user, token}, the token works; list; patch', async () => {
    const email = `${uniq('new')}@example.com`;
    const created = expectOk(
      await org.owner.api.post('/api/users', { name: 'New Person', email, orgRole: 'member', roles: ['tech-lead'], teamIds: [org.beta.id] }),
      201,
      CreatedUserResponse,
    );
    assert.equal(created.user.email, email);
    assert.deepEqual(created.user.roles, ['tech-lead']);
    assert.deepEqual(created.user.teamIds, [org.beta.id]);
    assert.ok(created.token.length >= 20);
    const me = expectOk(await apiFor(base, created.token).get('/api/me'), 200, UserResponse).user;
    assert.equal(me.id, created.user.id);

    const list = expectOk(await org.m1.api.get('/api/users'), 200, UsersResponse).users;
    assert.ok(list.some((u) => u.id === created.user.id));
    assert.ok(list.some((u) => u.id === org.owner.id));

    const patched = expectOk(
      await org.admin.api.patch(`/api/users/${created.user.id}`, { name: 'Renamed Person', roles: ['release-manager'] }),
      200,
      UserResponse,
    ).user;
    assert.equal(patched.name, 'Renamed Person');
    assert.deepEqual(patched.roles, ['release-manager']);
    assert.equal(patched.email, email);
    const after = expectOk(await apiFor(base, created.token).get('/api/me'), 200, UserResponse).user;
    assert.equal(after.name, 'Renamed Person');

    // duplicate email → 409; unknown team → 400; member may not create; unknown user patch → 404
    expectError(await org.owner.api.post('/api/users', { name: 'Dup', email, orgRole: 'member' }), 409);
    expectError(
      await org.owner.api.post('/api/users', { name: 'T', email: `${uniq('t')}@example.com`, orgRole: 'member', teamIds: ['team_nope'] }),
      400,
      'invalid_request',
    );
    expectError(await org.m1.api.post('/api/users', { name: 'Nope', email: `${uniq('n')}@example.com`, orgRole: 'member' }), 403);
    expectError(await org.m1.api.patch(`/api/users/${org.m2.id}`, { name: 'Hacked' }), 403);
    expectError(await org.owner.api.patch('/api/users/usr_nope', { name: 'x' }), 404, 'not_found');
    // an admin cannot mint owners
    expectError(await org.admin.api.post('/api/users', { name: 'Own', email: `${uniq('o')}@example.com`, orgRole: 'owner' }), 403);
  });

  test('teams, projects, clusters: create → 201, list', async () => {
    const t = expectOk(await org.admin.api.post('/api/teams', { name: uniq('Team') }), 201, TeamResponse).team;
    const p = expectOk(await org.admin.api.post('/api/projects', { name: uniq('proj') }), 201, ProjectResponse).project;
    const c = expectOk(await org.admin.api.post('/api/clusters', { name: uniq('cls') }), 201, ClusterResponse).cluster;
    assert.ok(expectOk(await org.m1.api.get('/api/teams'), 200, TeamsResponse).teams.some((x) => x.id === t.id));
    assert.ok(expectOk(await org.m1.api.get('/api/projects'), 200, ProjectsResponse).projects.some((x) => x.id === p.id));
    assert.ok(expectOk(await org.m1.api.get('/api/clusters'), 200, ClustersResponse).clusters.some((x) => x.id === c.id));
    expectError(await org.m1.api.post('/api/teams', { name: uniq('nope') }), 403);
    expectError(await org.admin.api.post('/api/teams', { name: t.name }), 409);
    expectError(await org.admin.api.post('/api/teams', { name: '' }), 400, 'invalid_request');
  });

  test('environments: create / list / get / patch', async () => {
    const env = expectOk(
      await org.owner.api.post('/api/environments', {
        projectId: org.projectId,
        clusterId: org.clusterId,
        name: uniq('staging'),
        protection: 'restricted',
        reviewers: { teamIds: [org.alpha.id] },
      }),
      201,
      EnvironmentResponse,
    ).environment;
    assert.equal(env.projectId, org.projectId);
    assert.equal(env.clusterId, org.clusterId);
    assert.equal(env.protection, 'restricted');
    assert.deepEqual(env.reviewers, { userIds: [], teamIds: [org.alpha.id] });
    assert.ok(expectOk(await org.m1.api.get('/api/environments'), 200, EnvironmentsResponse).environments.some((e) => e.id === env.id));
    assert.deepEqual(expectOk(await org.m1.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment, env);
    expectError(await org.m1.api.get('/api/environments/env_nope'), 404, 'not_found');

    const patched = expectOk(
      await org.owner.api.patch(`/api/environments/${env.id}`, { protection: 'none', reviewers: { userIds: [org.m1.id], teamIds: [] } }),
      200,
      EnvironmentResponse,
    ).environment;
    assert.equal(patched.protection, 'none');
    assert.deepEqual(patched.reviewers, { userIds: [org.m1.id], teamIds: [] });
    assert.equal(expectOk(await org.m1.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment.protection, 'none');
    expectError(await org.m1.api.patch(`/api/environments/${env.id}`, { protection: 'locked' }), 403);
    expectError(await org.owner.api.post('/api/environments', { projectId: 'prj_nope', name: 'x' }), 400, 'invalid_request');
    expectError(await org.owner.api.patch(`/api/environments/${env.id}`, { protection: 'sealed' }), 400, 'invalid_request');
  });

  test('PATCH /api/environments/:id gated by an environment.policyUpdate policy (no adminBypass) → 202 {request}; approval applies it', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    await org.policyOn(env.id, { actions: ['environment.policyUpdate'], userIds: [org.admin.id], adminBypass: false });
    const res = await org.owner.api.patch(`/api/environments/${env.id}`, { protection: 'none' });
    const { request } = expectOk(res, 202, RequestResponse);
    assert.equal(request.status, 'pending');
    assert.equal(request.action, 'environment.policyUpdate');
    assert.equal(request.resource.environmentId, env.id);
    assert.equal(
      expectOk(await org.owner.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment.protection,
      'restricted',
      'not applied yet',
    );
    const approved = expectOk(await org.admin.api.post(`/api/requests/${request.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(approved.status, 'approved');
    assert.equal(
      expectOk(await org.owner.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment.protection,
      'none',
      'applied on approval',
    );
  });
});

describe('policies and bindings', () => {
  test('policies CRUD', async () => {
    const created = expectOk(
      await org.owner.api.post('/api/policies', {
        name: uniq('Prod gate'),
        description: 'two approvals',
        actions: ['release.deploy', 'promotion.execute'],
        approvers: { teamIds: [org.alpha.id], orgRoles: ['release-manager'] },
        quorum: { minApprovals: 2, requiredTeamIds: [org.alpha.id] },
        conditions: { weekdays: ['saturday', 'sunday'], startHour: 18, endHour: 9, timezone: 'Europe/Istanbul', requireReason: true },
        requesterCanApprove: false,
        adminBypass: true,
      }),
      201,
      PolicyResponse,
    ).policy;
    assert.match(created.id, /\S/);
    assert.equal(created.quorum.minApprovals, 2);
    assert.equal(created.quorum.minDistinctTeams, 0, 'defaults filled');
    assert.deepEqual(created.approvers.userIds, []);
    assert.equal(created.adminBypass, true);
    assert.ok(expectOk(await org.m1.api.get('/api/policies'), 200, PoliciesResponse).policies.some((p) => p.id === created.id));
    assert.deepEqual(expectOk(await org.m1.api.get(`/api/policies/${created.id}`), 200, PolicyResponse).policy, created);

    const patched = expectOk(
      await org.admin.api.patch(`/api/policies/${created.id}`, { name: 'Renamed gate', quorum: { minApprovals: 1 } }),
      200,
      PolicyResponse,
    ).policy;
    assert.equal(patched.name, 'Renamed gate');
    assert.equal(patched.quorum.minApprovals, 1);
    assert.deepEqual(patched.actions, created.actions);

    expectError(await org.m1.api.patch(`/api/policies/${created.id}`, { name: 'x' }), 403);
    expectError(await org.owner.api.post('/api/policies', { name: 'bad', actions: ['launch.missiles'], approvers: {}, quorum: {} }), 400, 'invalid_request');
    expectError(
      await org.owner.api.post('/api/policies', { name: 'bad', actions: ['release.deploy'], approvers: { userIds: ['usr_nope'] }, quorum: {} }),
      400,
      'invalid_request',
    );
    expectError(
      await org.owner.api.post('/api/policies', {
        name: 'bad',
        actions: ['release.deploy'],
        approvers: { orgRoles: ['admin'] },
        quorum: {},
        conditions: { timezone: 'Mars/Olympus' },
      }),
      400,
      'invalid_request',
    );

    const deleted = await org.owner.api.del(`/api/policies/${created.id}`);
    assert.equal(deleted.status, 200, deleted.text);
    expectError(await org.m1.api.get(`/api/policies/${created.id}`), 404, 'not_found');
    assert.ok(!expectOk(await org.m1.api.get('/api/policies'), 200, PoliciesResponse).policies.some((p) => p.id === created.id));
    expectError(await org.owner.api.del(`/api/policies/${created.id}`), 404, 'not_found');
  });

  test('bindings create / list / delete', async () => {
    const env = await org.env();
    const policy = expectOk(
      await org.owner.api.post('/api/policies', {
        name: uniq('b'),
        actions: ['release.deploy'],
        approvers: { teamIds: [org.alpha.id] },
        quorum: { minApprovals: 1 },
      }),
      201,
      PolicyResponse,
    ).policy;
    const binding = expectOk(
      await org.owner.api.post('/api/bindings', { policyId: policy.id, scope: 'environment', targetId: env.id }),
      201,
      BindingResponse,
    ).binding;
    assert.equal(binding.policyId, policy.id);
    assert.equal(binding.scope, 'environment');
    assert.equal(binding.targetId, env.id);
    assert.ok(expectOk(await org.m1.api.get('/api/bindings'), 200, BindingsResponse).bindings.some((b) => b.id === binding.id));
    // the binding gates deploys there
    assert.equal(expectOk(await org.deploy(org.m3, env.id), 201, RequestResponse).request.status, 'pending');
    expectError(await org.owner.api.post('/api/bindings', { policyId: policy.id, scope: 'environment', targetId: env.id }), 409);
    expectError(await org.owner.api.post('/api/bindings', { policyId: policy.id, scope: 'environment' }), 400, 'invalid_request');
    expectError(await org.owner.api.post('/api/bindings', { policyId: policy.id, scope: 'organization', targetId: env.id }), 400, 'invalid_request');
    expectError(await org.owner.api.post('/api/bindings', { policyId: 'pol_nope', scope: 'organization' }), 400, 'invalid_request');
    expectError(await org.m1.api.post('/api/bindings', { policyId: policy.id, scope: 'project', targetId: org.projectId }), 403);
    const del = await org.owner.api.del(`/api/bindings/${binding.id}`);
    assert.equal(del.status, 200, del.text);
    expectOk(del, 200, BindingResponse);
    assert.ok(!expectOk(await org.m1.api.get('/api/bindings'), 200, BindingsResponse).bindings.some((b) => b.id === binding.id));
    assert.equal(expectOk(await org.deploy(org.m3, env.id), 201, RequestResponse).request.status, 'approved', 'no longer gated');
    expectError(await org.owner.api.del(`/api/bindings/${binding.id}`), 404, 'not_found');
  });
});

describe('errors', () => {
  test('body over 1 MiB on POST /api/teams → 413', async () => {
    const res = await org.owner.api.post('/api/teams', { name: 'x'.repeat(1024 * 1024 + 10) });
    expectError(res, 413);
  });

  test('~2 MiB diff on POST /api/requests → 201; > 16 MiB → 413', async () => {
    const env = await org.env();
    const line = `+${'a'.repeat(99)}\n`;
    const diff = line.repeat(Math.ceil((2 * 1024 * 1024) / line.length));
    const ok = expectOk(await org.deploy(org.m1, env.id, { payload: { revision: 'big', diff } }), 201, RequestResponse).request;
    assert.equal(ok.payload.diffBytes, diff.length);
    assert.equal(ok.payload.diffLines, diff.length / line.length);
    const got = await org.m1.api.get(`/api/requests/${ok.id}/diff`);
    assert.equal(got.text.length, diff.length);
    assert.ok(got.text === diff);
    const huge = 'x'.repeat(16 * 1024 * 1024 + 1024);
    const hugeBody = JSON.stringify({ action: 'release.deploy', resource: { environmentId: env.id }, payload: { revision: 'huge', diff: huge } });
    expectError(await rawHttp(base(), 'POST', '/api/requests', { authorization: `Bearer ${org.m1.token}`, 'content-type': 'application/json' }, hugeBody), 413);
    // just under 16 MiB is still accepted
    const under = 'y'.repeat(15 * 1024 * 1024);
    expectOk(await org.deploy(org.m1, env.id, { payload: { revision: 'under', diff: under } }), 201, RequestResponse);
    // the 1 MiB limit elsewhere, over raw http too
    const big = JSON.stringify({ name: 'z'.repeat(2 * 1024 * 1024) });
    expectError(await rawHttp(base(), 'POST', '/api/projects', { authorization: `Bearer ${org.owner.token}`, 'content-type': 'application/json' }, big), 413);
  });

  test('invalid JSON → 400; zod failure → 400 invalid_request with a details array', async () => {
    const bad = await org.owner.api.call('POST', '/api/teams', { raw: '{"name": "x",', contentType: 'application/json' });
    expectError(bad, 400);
    const zodFail = await org.owner.api.post('/api/teams', { name: 42 });
    const err = expectError(zodFail, 400, 'invalid_request');
    assert.ok(Array.isArray(err.details) && err.details.length > 0, 'zod issues in details');
    const unknownKey = await org.owner.api.post('/api/teams', { name: 'ok', extra: true });
    const err2 = expectError(unknownKey, 400, 'invalid_request');
    assert.ok(Array.isArray(err2.details));
    const bodyless = await org.owner.api.call('POST', '/api/projects', {});
    expectError(bodyless, 400, 'invalid_request');
  });

  test('deeply nested JSON under a known key with an Idempotency-Key → 4xx/2xx, never 500', async () => {
    const depth = 10_000;
    const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const raw = `{"name":"${uniq('deep')}","actions":["release.deploy"],"approvers":{"orgRoles":["admin"],"junk":${deep}},"quorum":{}}`;
    const res = await org.owner.api.call('POST', '/api/policies', { raw, headers: { 'idempotency-key': uniq('deep') } });
    assert.ok(res.status < 500, `got ${res.status}: ${res.text.slice(0, 200)}`);
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const r = await org.request(org.m3, env.id, 'pending');
    const cancel = await org.m3.api.call('POST', `/api/requests/${r.id}/cancel`, {
      raw: '['.repeat(depth) + ']'.repeat(depth),
      headers: { 'idempotency-key': uniq('deep') },
    });
    assert.ok(cancel.status < 500, `cancel with a deep body: ${cancel.status}: ${cancel.text.slice(0, 200)}`);
  });

  test('bad percent-encoding in a path id → 400 in the JSON error shape', async () => {
    expectError(await org.m1.api.get('/api/requests/%E0%A4%A'), 400);
    expectError(await org.m1.api.post('/api/requests/%E0%A4%A/approve', {}), 400);
  });

  test('ids up to the 200-char Id limit route normally (404 request not found); longer ones are a 4xx in the error shape', async () => {
    // Id allows 200 characters: a 150-char unknown id is a plain 404 not_found
    expectError(await org.m1.api.get(`/api/requests/req_${'x'.repeat(146)}`), 404, 'not_found', 'request not found');
    expectError(await org.m1.api.post(`/api/requests/req_${'x'.repeat(146)}/approve`, {}), 404, 'not_found', 'request not found');
    // far past any id: still a 4xx in the error shape
    const long = await org.m1.api.get(`/api/environments/${'x'.repeat(500)}`);
    assert.ok(long.status >= 400 && long.status < 500);
    expectError(long, long.status);
  });

  test('unknown route → 404 with the JSON error shape', async () => {
    expectError(await org.m1.api.get('/api/nope'), 404, 'not_found');
    expectError(await org.m1.api.post('/api/requests/req_x/launch', {}), 404, 'not_found');
    expectError(await org.m1.api.call('PUT', '/api/teams', { json: { name: 'x' } }), 404);
  });
});

describe('audit', () => {
  async function all() {
    const events: AuditEvent[] = [];
    let after = 0;
    for (;;) {
      const page = expectOk(await org.owner.api.get(`/api/audit?after=${after}&limit=500`), 200, AuditResponse);
      events.push(...page.events);
      if (page.next === null) return events;
      after = page.next;
    }
  }

  test('GET /api/audit pages with after/limit and next', async () => {
    const everything = await all();
    assert.ok(everything.length > 10);
    assert.deepEqual(
      everything.map((e) => e.seq),
      everything.map((_, i) => i + 1),
      'seq 1..n, no gaps',
    );
    const paged: number[] = [];
    let after = 0;
    let pages = 0;
    for (;;) {
      const page = expectOk(await org.m1.api.get(`/api/audit?after=${after}&limit=7`), 200, AuditResponse);
      assert.ok(page.events.length <= 7);
      paged.push(...page.events.map((e) => e.seq));
      pages++;
      if (page.next === null) break;
      assert.equal(page.next, page.events[page.events.length - 1]!.seq);
      after = page.next;
      assert.ok(pages < 1000);
    }
    assert.deepEqual(
      paged.slice(0, everything.length),
      everything.map((e) => e.seq),
    );
    for (let i = 1; i < everything.length; i++) assert.equal(everything[i]!.prevHash, everything[i - 1]!.hash, 'hash chain links');
    expectError(await org.m1.api.get('/api/audit?limit=0'), 400, 'invalid_request');
  });

  test('GET /api/audit/verify → {ok: true, count}', async () => {
    const v = expectOk(await org.m1.api.get('/api/audit/verify'), 200, AuditVerifyResponse);
    assert.equal(v.ok, true);
    const events = await all();
    if (v.ok) assert.ok(v.count >= events.length);
  });

  test('csv export is well-formed RFC 4180: awkward text round-trips, one record per event', async () => {
    const env = await org.env();
    const nasty = '=HYPERLINK("x"), "quoted", comma,\r\nsecond line\n-third @line \'apostrophe\'';
    const r = expectOk(await org.deploy(org.m1, env.id, { justification: nasty }), 201, RequestResponse).request;
    const events = await all();
    const csv = await org.owner.api.get('/api/audit/export?format=csv');
    const records = parseCsv(csv.text);
    const header = records[0]!;
    assert.deepEqual(header.slice(0, 1), ['seq']);
    for (const rec of records.slice(1)) assert.equal(rec.length, header.length, `record width: ${JSON.stringify(rec).slice(0, 200)}`);
    assert.deepEqual(
      records.slice(1, -1).map((rec) => Number(rec[0])),
      events.map((e) => e.seq),
    );
    // the last record carries the checkpoint of the last event
    const last = records[records.length - 1]!;
    assert.equal(last[header.indexOf('type')], 'checkpoint');
    assert.equal(Number(last[0]), events[events.length - 1]!.seq);
    assert.equal(last[header.indexOf('hash')], events[events.length - 1]!.hash);
    assert.match((JSON.parse(last[header.indexOf('details')]!) as { signature: string }).signature, /^[A-Za-z0-9+/]+=*$/);
    const col = (name: string) => header.indexOf(name);
    const row = records.slice(1, -1).find((rec) => rec[col('subject')] === r.id && rec[col('type')] === 'request.created');
    assert.ok(row, 'the request.created row');
    const details = JSON.parse(row[col('details')]!) as { justification: string };
    assert.equal(details.justification, nasty, 'details JSON survives the CSV quoting');
    assert.equal(row[col('hash')], events.find((e) => e.subject === r.id && e.type === 'request.created')!.hash);
  });

  test('export csv (header + one row per event) and jsonl (one JSON per line), with from/to', async () => {
    const events = await all();
    const csv = await org.owner.api.get('/api/audit/export?format=csv');
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    const rows = parseCsv(csv.text);
    const header = rows[0]!;
    assert.ok(header.includes('seq') && header.includes('hash') && header.includes('type'));
    assert.equal(rows.length - 2, events.length, 'one record per event, then the checkpoint');
    assert.deepEqual(
      rows.slice(1, -1).map((r) => Number(r[0])),
      events.map((e) => e.seq),
    );

    const jsonl = await org.owner.api.get('/api/audit/export?format=jsonl');
    assert.equal(jsonl.status, 200);
    assert.ok(jsonl.text.endsWith('\n'));
    const lines = jsonl.text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, events.length + 1, 'one line per event, then the checkpoint');
    const checkpoint = AuditExportCheckpointLine.parse(JSON.parse(lines.pop()!)).checkpoint;
    assert.deepEqual([checkpoint.seq, checkpoint.hash], [events[events.length - 1]!.seq, events[events.length - 1]!.hash]);
    const parsed = lines.map((l) => AuditEvent.parse(JSON.parse(l)));
    assert.deepEqual(
      parsed.map((e) => e.hash),
      events.map((e) => e.hash),
    );

    // from/to: a window around the middle event
    const mid = events[Math.floor(events.length / 2)]!;
    const from = mid.at;
    const to = mid.at;
    const window = await org.owner.api.get(`/api/audit/export?format=jsonl&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    const inWindow = window.text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('{"checkpoint"'))
      .map((l) => AuditEvent.parse(JSON.parse(l)));
    const expected = events.filter((e) => e.at >= from && e.at <= to);
    assert.ok(inWindow.length >= 1);
    assert.deepEqual(
      inWindow.map((e) => e.seq),
      expected.map((e) => e.seq),
    );
    const future = new Date(nowMs() + 3600_000).toISOString();
    const none = await org.owner.api.get(`/api/audit/export?format=csv&from=${encodeURIComponent(future)}`);
    assert.equal(parseCsv(none.text).length, 1, 'only the header');
    const csvWindow = parseCsv((await org.owner.api.get(`/api/audit/export?format=csv&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).text);
    assert.deepEqual(
      csvWindow
        .slice(1)
        .filter((r) => r[3] !== 'checkpoint')
        .map((r) => Number(r[0])),
      expected.map((e) => e.seq),
      'csv honours from/to too',
    );
    const past = '2000-01-01T00:00:00.000Z';
    const noneBefore = await org.owner.api.get(`/api/audit/export?format=jsonl&to=${encodeURIComponent(past)}`);
    assert.equal(noneBefore.text.trim(), '');
    expectError(await org.owner.api.get('/api/audit/export?format=xml'), 400, 'invalid_request');
  });
});

describe('sync and SSE', () => {
  test('GET /api/sync?cursor=0 returns every entity kind as upserts; hasMore paging; delete tombstones', async () => {
    // make sure a request and a break-glass session exist
    const env = await org.env();
    expectOk(await org.deploy(org.m1, env.id), 201, RequestResponse);
    const s = expectOk(
      await org.bg.api.post('/api/breakglass', { reason: 'sync test session', scope: { actions: ['cluster.restart'] }, durationMinutes: 30 }),
      201,
      SessionResponse,
    ).session;
    expectOk(await org.bg.api.post(`/api/breakglass/${s.id}/revoke`), 200, SessionResponse);

    const full = expectOk(await org.m1.api.get('/api/sync?cursor=0&limit=5000'), 200, SyncResponse);
    assert.equal(full.hasMore, false);
    const kinds = new Set(full.changes.filter((c) => c.op === 'upsert').map((c) => c.entity));
    for (const k of SYNC_ENTITIES) assert.ok(kinds.has(k), `sync has ${k}`);
    for (const c of full.changes) if (c.op === 'upsert') assert.ok(c.data && typeof c.data === 'object' && (c.data as { id: string }).id === c.id);
    const seqs = full.changes.map((c) => c.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'ordered by seq',
    );
    assert.equal(full.cursor, seqs[seqs.length - 1]);

    // small pages
    let cursor = 0;
    let pages = 0;
    const seen: number[] = [];
    for (;;) {
      const page = expectOk(await org.m1.api.get(`/api/sync?cursor=${cursor}&limit=5`), 200, SyncResponse);
      assert.ok(page.changes.length <= 5);
      if (page.changes.length) assert.ok(page.cursor > cursor, 'cursor increases');
      seen.push(...page.changes.map((c) => c.seq));
      cursor = page.cursor;
      pages++;
      if (!page.hasMore) break;
      assert.ok(pages < 1000);
    }
    assert.ok(pages > 1);
    assert.deepEqual(seen, seqs);
    assert.equal(cursor, full.cursor);
    const empty = expectOk(await org.m1.api.get(`/api/sync?cursor=${cursor}`), 200, SyncResponse);
    assert.deepEqual(empty.changes, []);
    assert.equal(empty.hasMore, false);
    assert.equal(empty.cursor, cursor);

    // tombstones
    const policy = expectOk(
      await org.owner.api.post('/api/policies', { name: uniq('tomb'), actions: ['cluster.sync'], approvers: { orgRoles: ['admin'] }, quorum: {} }),
      201,
      PolicyResponse,
    ).policy;
    const b1 = expectOk(await org.owner.api.post('/api/bindings', { policyId: policy.id, scope: 'organization' }), 201, BindingResponse).binding;
    const b2 = expectOk(
      await org.owner.api.post('/api/bindings', { policyId: policy.id, scope: 'project', targetId: org.projectId }),
      201,
      BindingResponse,
    ).binding;
    assert.equal((await org.owner.api.del(`/api/bindings/${b1.id}`)).status, 200);
    assert.equal((await org.owner.api.del(`/api/policies/${policy.id}`)).status, 200);
    const delta = expectOk(await org.m1.api.get(`/api/sync?cursor=${cursor}`), 200, SyncResponse);
    const tomb = (entity: string, id: string) => delta.changes.find((c) => c.entity === entity && c.id === id);
    assert.equal(tomb('binding', b1.id)?.op, 'delete');
    assert.equal(tomb('binding', b2.id)?.op, 'delete', 'bindings of a deleted policy are tombstoned');
    assert.equal(tomb('policy', policy.id)?.op, 'delete');
    assert.equal(tomb('policy', policy.id)?.data, undefined);
    assert.ok(delta.cursor > cursor);
    expectError(await org.m1.api.get('/api/sync?cursor=-1'), 400, 'invalid_request');
  });

  test('GET /api/events on the wire: every subscriber gets the one change frame, as well-formed chunks over HTTP/1.1 and raw over HTTP/1.0', async () => {
    // The fan-out writes pre-framed bytes to the sockets itself (routes/events.ts): read the
    // bytes as they arrive and check the framing a parser would, for three 1.1 streams and a 1.0 one.
    const url = new URL(base());
    const open = (version: '1.1' | '1.0') => {
      const socket = connect(Number(url.port), url.hostname);
      let raw = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => (raw = Buffer.concat([raw, d])));
      socket.write(`GET /api/events HTTP/${version}\r\nhost: ${url.host}\r\nauthorization: Bearer ${org.m1.token}\r\n\r\n`);
      /** The body so far, de-chunked when chunked (throwing on a malformed chunk); null before the head. */
      const body = (): { head: string; text: string } | null => {
        const sep = raw.indexOf('\r\n\r\n');
        if (sep === -1) return null;
        const head = raw.subarray(0, sep).toString('latin1');
        let rest = raw.subarray(sep + 4);
        if (!/^transfer-encoding: chunked$/im.test(head)) return { head, text: rest.toString('utf8') };
        let text = '';
        for (;;) {
          const eol = rest.indexOf('\r\n');
          if (eol === -1) break;
          const size = Number.parseInt(rest.subarray(0, eol).toString('latin1'), 16);
          assert.ok(Number.isInteger(size) && size > 0, `chunk size line ${JSON.stringify(rest.subarray(0, eol).toString())}`);
          if (rest.length < eol + 2 + size + 2) break; // this chunk is not complete yet
          assert.equal(rest.subarray(eol + 2 + size, eol + 4 + size).toString('latin1'), '\r\n', 'a chunk ends with CRLF right after its size');
          text += rest.subarray(eol + 2, eol + 2 + size).toString('utf8');
          rest = rest.subarray(eol + 4 + size);
        }
        return { head, text };
      };
      return { socket, body, version };
    };
    const cursorsOf = (text: string) => [...text.matchAll(/^event: change\ndata: \{"cursor":(\d+)\}$/gm)].map((m) => Number(m[1]));
    const until = async (pred: () => boolean, what: string) => {
      const deadline = nowMs() + 3000;
      while (!pred()) {
        if (nowMs() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const streams = [open('1.1'), open('1.1'), open('1.1'), open('1.0')];
    try {
      for (const s of streams) await until(() => cursorsOf(s.body()?.text ?? '').length === 1, `the first frame on HTTP/${s.version}`);
      const start = cursorsOf(streams[0]!.body()!.text)[0]!;
      expectOk(await org.deploy(org.m1, (await org.env()).id), 201, RequestResponse);
      const syncNow = expectOk(await org.m1.api.get(`/api/sync?cursor=${start}`), 200, SyncResponse).cursor;
      for (const s of streams) {
        await until(() => cursorsOf(s.body()!.text).some((c) => c >= syncNow), `a change frame reaching ${syncNow} on HTTP/${s.version}`);
        const { head, text } = s.body()!;
        assert.equal(/^transfer-encoding: chunked$/im.test(head), s.version === '1.1', head);
        // Nothing but SSE frames and heartbeats: no stray chunk framing inside the text.
        assert.match(text, /^retry: 2000\nevent: change\ndata: \{"cursor":\d+\}\n\n((event: change\ndata: \{"cursor":\d+\}|: heartbeat)\n\n)*$/);
      }
    } finally {
      for (const s of streams) s.socket.destroy();
    }
  });

  test('GET /api/events: `event: change` with {"cursor": N} after a commit', async () => {
    const controller = new AbortController();
    const res = await fetch(new URL('/api/events', base()), { headers: { authorization: `Bearer ${org.m1.token}` }, signal: controller.signal });
    try {
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const cursors: number[] = [];
      const readUntil = async (pred: () => boolean, ms: number) => {
        const deadline = performance.now() + ms;
        while (!pred()) {
          const left = deadline - performance.now();
          if (left <= 0) return false;
          const chunk = await Promise.race([reader.read(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left))]);
          if (chunk === 'timeout') return false;
          if (chunk.done) return false;
          buffer += decoder.decode(chunk.value, { stream: true });
          let idx: number;
          while ((idx = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, idx);
            buffer = buffer.slice(idx + 2);
            const lines = frame.split('\n');
            if (lines.includes('event: change')) {
              const data = lines.find((l) => l.startsWith('data: '));
              assert.ok(data, `frame has data: ${frame}`);
              const parsed = JSON.parse(data.slice(6)) as { cursor: number };
              assert.equal(typeof parsed.cursor, 'number');
              cursors.push(parsed.cursor);
            }
          }
        }
        return true;
      };
      assert.ok(await readUntil(() => cursors.length >= 1, 2000), 'initial change event');
      const start = cursors[cursors.length - 1]!;
      const env = await org.env();
      expectOk(await org.deploy(org.m1, env.id), 201, RequestResponse);
      const syncNow = expectOk(await org.m1.api.get(`/api/sync?cursor=${start}`), 200, SyncResponse).cursor;
      assert.ok(await readUntil(() => cursors.some((c) => c > start), 2000), 'a change event with a higher cursor within 2 s');
      assert.ok(await readUntil(() => cursors.some((c) => c >= syncNow), 2000), 'events catch up with the sync cursor');
      await reader.cancel().catch(() => undefined);
    } finally {
      controller.abort();
    }
  });
});
