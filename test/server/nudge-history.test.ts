// Beyond the basic request routes (docs/api.md): POST /api/requests/:id/nudge (recorded on the request, so it
// syncs to the approvers' desktops, and in the audit log; once per person per request per ten
// minutes), and the audit log's subject filter and newest-first paging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestResponse } from '../../shared/schemas/index.ts';
import { expectError, expectOk } from './harness.ts';
import { useOrgServer, type Org } from './fixtures.ts';

let org: Org;
useOrgServer((_server, o) => (org = o));

test('the requester nudges everyone who can still approve; the nudge is on the request and in the audit log', async () => {
  const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
  const req = await org.request(org.m3, env.id, 'pending');
  const res = expectOk(await org.m3.api.post(`/api/requests/${req.id}/nudge`, { message: 'the release train leaves at 5' }), 200, RequestResponse);
  assert.equal(res.request.nudges.length, 1);
  const n = res.request.nudges[0]!;
  assert.equal(n.by, org.m3.id);
  assert.ok(n.userIds.includes(org.m1.id) && n.userIds.includes(org.m2.id), 'both Alpha reviewers are pinged');
  assert.ok(!n.userIds.includes(org.m3.id), 'never the requester');
  assert.equal(n.message, 'the release train leaves at 5');
  const audit = await org.owner.api.get('/api/audit?after=0&limit=5000');
  assert.ok(audit.body.events.some((e: { type: string; subject: string }) => e.type === 'request.nudged' && e.subject === req.id));

  expectError(await org.m3.api.post(`/api/requests/${req.id}/nudge`, {}), 429, 'too_many_nudges', /nudge again in \d+ min/);
});

test('only people who can still approve may be named; outsiders may not nudge; decided requests cannot be nudged', async () => {
  const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
  const req = await org.request(org.m3, env.id, 'pending');
  expectError(await org.m3.api.post(`/api/requests/${req.id}/nudge`, { userIds: [org.plain.id] }), 400, 'invalid_request', /cannot approve this request now/);
  expectError(await org.plain.api.post(`/api/requests/${req.id}/nudge`, {}), 403, 'forbidden');
  const named = expectOk(await org.rm.api.post(`/api/requests/${req.id}/nudge`, { userIds: [org.m1.id] }), 200, RequestResponse);
  assert.deepEqual(named.request.nudges.at(-1)!.userIds, [org.m1.id]);
  expectOk(await org.m1.api.post(`/api/requests/${req.id}/approve`, {}), 200, RequestResponse);
  expectError(await org.m3.api.post(`/api/requests/${req.id}/nudge`, {}), 409, 'not_pending');
  expectError(await org.m3.api.post('/api/requests/req_nope/nudge', {}), 404, 'not_found', 'request not found');
});

test('GET /api/audit?subject= gives one request its own history, oldest first', async () => {
  const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
  const req = await org.request(org.m3, env.id, 'pending');
  expectOk(await org.m3.api.post(`/api/requests/${req.id}/nudge`, {}), 200, RequestResponse);
  expectOk(await org.m1.api.post(`/api/requests/${req.id}/approve`, { comment: 'ok' }), 200, RequestResponse);
  const res = await org.m2.api.get(`/api/audit?subject=${req.id}`);
  assert.equal(res.status, 200);
  const events = res.body.events as { type: string; subject: string; seq: number }[];
  assert.deepEqual(
    events.map((e) => e.type),
    ['request.created', 'request.nudged', 'request.approval', 'request.approved'],
  );
  assert.ok(events.every((e) => e.subject === req.id));
  assert.ok(events.every((e, i) => i === 0 || e.seq > events[i - 1]!.seq));
  expectError(await org.m2.api.get('/api/audit?subject='), 400, 'invalid_request');
});

test('GET /api/audit?before= pages newest first, and can not be combined with after', async () => {
  const all: { seq: number }[] = [];
  for (let after = 0; ; ) {
    const r = await org.owner.api.get(`/api/audit?after=${after}&limit=1000`);
    all.push(...r.body.events);
    if (r.body.next === null) break;
    after = r.body.next;
  }
  const newest = all.at(-1)!.seq;
  const first = await org.owner.api.get(`/api/audit?before=${newest + 1}&limit=3`);
  assert.deepEqual(
    first.body.events.map((e: { seq: number }) => e.seq),
    [newest, newest - 1, newest - 2],
  );
  assert.equal(first.body.next, newest - 2);
  const second = await org.owner.api.get(`/api/audit?before=${first.body.next}&limit=3`);
  assert.deepEqual(
    second.body.events.map((e: { seq: number }) => e.seq),
    [newest - 3, newest - 4, newest - 5],
  );
  const tail = await org.owner.api.get('/api/audit?before=3&limit=10');
  assert.deepEqual(
    tail.body.events.map((e: { seq: number }) => e.seq),
    [2, 1],
  );
  assert.equal(tail.body.next, null);
  expectError(await org.owner.api.get('/api/audit?after=5&before=10'), 400, 'invalid_request');
});
