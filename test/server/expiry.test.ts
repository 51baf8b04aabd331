// Time-driven behaviour on a server started with `--request-ttl 2s`: pending requests expire by
// themselves, an expired request refuses decisions, and `deploy --wait` reports it (exit 1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditResponse, RequestDetailResponse, RequestResponse } from '../../shared/schemas/index.ts';
import { cleanupTempDirs, expectError, expectOk, initDir, killAll, runCli, startServer, waitFor, type ServerProcess } from './harness.ts';
import { setupOrg, type Org } from './fixtures.ts';
import { nowMs } from '../clock.ts';

let server: ServerProcess;
let org: Org;

before(async () => {
  const { dir, ownerToken } = await initDir();
  server = await startServer(dir, ['--request-ttl', '2s']);
  org = await setupOrg(() => server.url, ownerToken);
});
after(async () => {
  await server?.stop();
  killAll();
  cleanupTempDirs();
});

test('a pending request expires after the TTL; decisions on it are 409 not_pending; audited as system', async () => {
  const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
  const r = await org.request(org.m3, env.id, 'pending');
  const ttl = Date.parse(r.expiresAt) - Date.parse(r.createdAt);
  assert.equal(ttl, 2000, 'expiresAt = createdAt + --request-ttl');
  const expired = await waitFor(
    async () => {
      const d = expectOk(await org.m1.api.get(`/api/requests/${r.id}`), 200, RequestDetailResponse);
      return d.request.status === 'expired' ? d : undefined;
    },
    6000,
    200,
  );
  assert.ok(expired, 'expired within ~4 s without anyone calling it');
  assert.equal(expired.canApprove, false);
  expectError(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 409, 'not_pending');
  expectError(await org.m3.api.post(`/api/requests/${r.id}/cancel`), 409, 'not_pending');
  const events = expectOk(await org.owner.api.get('/api/audit?after=0&limit=5000'), 200, AuditResponse).events.filter((e) => e.subject === r.id);
  const ev = events.find((e) => e.type === 'request.expired');
  assert.ok(ev, 'request.expired audited');
  assert.equal(ev.actorId, 'system');
});

test('approving right at the deadline never approves an expired request', async () => {
  const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
  const r = await org.request(org.m3, env.id, 'pending');
  await new Promise((res) => setTimeout(res, Math.max(0, Date.parse(r.expiresAt) - nowMs() + 50)));
  const res = await org.m1.api.post(`/api/requests/${r.id}/approve`, {});
  expectError(res, 409, 'not_pending');
  const d = expectOk(await org.m1.api.get(`/api/requests/${r.id}`), 200, RequestDetailResponse);
  assert.equal(d.request.status, 'expired');
  assert.equal(d.request.decisions.length, 0);
});

test('an approved request does not expire later', async () => {
  const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
  const r = await org.request(org.m3, env.id, 'pending');
  expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse);
  // A sibling filed after it, left pending: once the sweeper has expired it, it has been past r's
  // deadline too, so waiting for that (not for a fixed time) proves r was passed over.
  const later = await org.request(org.m3, env.id, 'pending');
  const swept = await waitFor(
    async () => expectOk(await org.m1.api.get(`/api/requests/${later.id}`), 200, RequestDetailResponse).request.status === 'expired',
    10_000,
    100,
  );
  assert.ok(swept, 'the later request expired');
  assert.equal(expectOk(await org.m1.api.get(`/api/requests/${r.id}`), 200, RequestDetailResponse).request.status, 'approved');
});

test('deploy --wait on a request that expires → exit 1', async () => {
  const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] }, name: 'expiring' });
  const r = await runCli(
    ['deploy', '--server', server.url, '--token', org.m3.token, '--project', 'checkout', '--env', env.name, '--revision', 'abc', '--wait', '--timeout', '15s'],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 1, `stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.match(r.stdout, /created \(pending approval\)/);
  assert.match(r.stdout, /expired/);
});
