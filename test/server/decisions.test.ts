// Requests and decisions over HTTP: creation outcomes (pending / approved / 422 / 423), listing and
// paging, detail, diffs with ETags, approve / reject / cancel with every refusal, idempotency,
// quorum, and 20 racing approvals. One real server for the whole file.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditResponse, RequestDetailResponse, RequestResponse, RequestsResponse, SyncResponse, type ApprovalRequest } from '../../shared/schemas/index.ts';
import { expectError, expectOk, uniq, waitFor } from './harness.ts';
import { useOrgServer, type Org } from './fixtures.ts';
import { nowMs, testClock } from '../clock.ts';

let org: Org;

useOrgServer((_server, o) => (org = o));

const LOCKED_MESSAGE = (name: string) => `Environment "${name}" is locked. Only Admins and Owners can deploy.`;

async function detail(as: Org['owner'], id: string) {
  return expectOk(await as.api.get(`/api/requests/${id}`), 200, RequestDetailResponse, 'GET /api/requests/:id');
}

async function auditFor(subject: string) {
  const events = [];
  let after = 0;
  for (;;) {
    const page = expectOk(await org.owner.api.get(`/api/audit?after=${after}&limit=500`), 200, AuditResponse, 'GET /api/audit');
    events.push(...page.events);
    if (page.next === null || page.events.length === 0) break;
    after = page.next;
  }
  return events.filter((e) => e.subject === subject);
}

describe('POST /api/requests outcomes', () => {
  test('no gates (protection none, nothing bound): 201 approved at once', async () => {
    const env = await org.env({ protection: 'none' });
    const res = await org.deploy(org.m1, env.id);
    const { request } = expectOk(res, 201, RequestResponse);
    assert.equal(request.status, 'approved');
    assert.equal(request.action, 'release.deploy');
    assert.equal(request.requesterId, org.m1.id);
    assert.equal(request.resource.environmentId, env.id);
    assert.equal(request.resource.projectId, org.projectId, 'projectId filled from the environment');
    assert.deepEqual(request.gates, []);
    assert.match(request.id, /^req_/);
    assert.equal(Date.parse(request.expiresAt) - Date.parse(request.createdAt), 7 * 24 * 3600 * 1000, 'default TTL 7 days');
  });

  test('restricted environment: 201 pending with the Restricted gate snapshotted', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const { request } = expectOk(await org.deploy(org.m3, env.id), 201, RequestResponse);
    assert.equal(request.status, 'pending');
    assert.equal(request.gates.length, 1);
    assert.equal(request.gates[0]!.kind, 'restricted');
    assert.deepEqual(request.decisions, []);
  });

  test('owner skips the Restricted gate: 201 approved with a warning', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const { request } = expectOk(await org.deploy(org.owner, env.id), 201, RequestResponse);
    assert.equal(request.status, 'approved');
    assert.ok(request.warnings.length >= 1, 'bypass recorded as a warning');
  });

  test('requireReason policy + blank justification: 422 policy_violations with details [{policyId, message}]', async () => {
    const env = await org.env();
    const { policyId } = await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], requireReason: true });
    const err = expectError(await org.deploy(org.m3, env.id, { justification: '   ' }), 422, 'policy_violations');
    assert.ok(Array.isArray(err.details), 'details is an array');
    const details = err.details as { policyId: string; message: string }[];
    assert.equal(details.length, 1);
    assert.equal(details[0]!.policyId, policyId);
    assert.equal(typeof details[0]!.message, 'string');
    assert.ok(details[0]!.message.length > 0);
    // Missing justification altogether is blank too.
    expectError(await org.m3.api.post('/api/requests', { action: 'release.deploy', resource: { environmentId: env.id } }), 422, 'policy_violations');
    // With a reason it goes through, gated.
    const { request } = expectOk(await org.deploy(org.m3, env.id, { justification: 'hotfix for INC-42' }), 201, RequestResponse);
    assert.equal(request.status, 'pending');
  });

  test('frozen environment: member gets 423 environment_locked with the exact message; owner and admin are not refused', async () => {
    const env = await org.env({ protection: 'none', name: uniq('frozen-prod') });
    expectOk(
      await org.owner.api.post(`/api/environments/${env.id}/freeze`, { reason: 'incident' }),
      200,
      (await import('../../shared/schemas/index.ts')).EnvironmentResponse,
    );
    expectError(await org.deploy(org.m1, env.id), 423, 'environment_locked', LOCKED_MESSAGE(env.name));
    // other deploy-like actions are refused too
    expectError(await org.deploy(org.m1, env.id, { action: 'rollback.execute' }), 423, 'environment_locked', LOCKED_MESSAGE(env.name));
    // a lock refuses deploy-like actions (and cluster actions on its cluster), not the others
    const cmd = await org.m1.api.post('/api/requests', { action: 'project.delete', resource: { environmentId: env.id }, justification: 'tidy up' });
    assert.equal(cmd.status, 201, `project.delete on a locked env: ${cmd.text}`);
    const byOwner = await org.deploy(org.owner, env.id);
    assert.equal(byOwner.status, 201, `owner deploy to a frozen env: ${byOwner.text}`);
    const byAdmin = await org.deploy(org.admin, env.id);
    assert.equal(byAdmin.status, 201, `admin deploy to a frozen env: ${byAdmin.text}`);
  });

  test('unknown environment is 400, not 500', async () => {
    expectError(await org.deploy(org.m1, 'env_doesnotexist'), 400, 'invalid_request');
  });
});

describe('GET /api/requests: filters and paging', () => {
  let projectId: string;
  let envA: string;
  let envB: string;
  const created: ApprovalRequest[] = [];

  before(async () => {
    projectId = await org.project();
    envA = (await org.env({ projectId, protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } })).id;
    envB = (await org.env({ projectId, protection: 'none' })).id;
    // 3 pending deploys on A, 2 approved deploys on B, 1 approved rollback on B
    for (let i = 0; i < 3; i++) created.push(await org.request(org.m3, envA, 'pending', { payload: { revision: `a${i}` } }));
    for (let i = 0; i < 2; i++) created.push(await org.request(org.m3, envB, 'approved', { payload: { revision: `b${i}` } }));
    const rb = expectOk(await org.deploy(org.m3, envB, { action: 'rollback.execute' }), 201, RequestResponse).request;
    created.push(rb);
  });

  test('projectId filter returns exactly that project, newest first', async () => {
    const list = expectOk(await org.m1.api.get(`/api/requests?projectId=${projectId}`), 200, RequestsResponse);
    assert.deepEqual(
      list.requests.map((r) => r.id),
      [...created].reverse().map((r) => r.id),
    );
    assert.equal(list.nextCursor, null);
  });

  test('environmentId, status and action filters', async () => {
    const a = expectOk(await org.m1.api.get(`/api/requests?environmentId=${envA}`), 200, RequestsResponse);
    assert.equal(a.requests.length, 3);
    assert.ok(a.requests.every((r) => r.resource.environmentId === envA));

    const approved = expectOk(await org.m1.api.get(`/api/requests?projectId=${projectId}&status=approved`), 200, RequestsResponse);
    assert.equal(approved.requests.length, 3);
    assert.ok(approved.requests.every((r) => r.status === 'approved'));

    const pending = expectOk(await org.m1.api.get(`/api/requests?environmentId=${envA}&status=pending`), 200, RequestsResponse);
    assert.equal(pending.requests.length, 3);

    const rollbacks = expectOk(await org.m1.api.get(`/api/requests?projectId=${projectId}&action=rollback.execute`), 200, RequestsResponse);
    assert.equal(rollbacks.requests.length, 1);
    assert.equal(rollbacks.requests[0]!.action, 'rollback.execute');

    const none = expectOk(await org.m1.api.get(`/api/requests?environmentId=${envB}&status=rejected`), 200, RequestsResponse);
    assert.equal(none.requests.length, 0);
  });

  test('limit + nextCursor pages through everything exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/api/requests?projectId=${projectId}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = expectOk(await org.m1.api.get(q), 200, RequestsResponse);
      assert.ok(page.requests.length <= 2);
      seen.push(...page.requests.map((r) => r.id));
      cursor = page.nextCursor;
      pages++;
      assert.ok(pages < 10, 'paging terminates');
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      [...created].reverse().map((r) => r.id),
    );
  });

  test('bad query values are 400 invalid_request', async () => {
    expectError(await org.m1.api.get('/api/requests?status=bogus'), 400, 'invalid_request');
    expectError(await org.m1.api.get('/api/requests?limit=0'), 400, 'invalid_request');
    expectError(await org.m1.api.get('/api/requests?cursor=notacursor'), 400, 'invalid_request');
  });
});

describe('request detail and diffs', () => {
  const DIFF = [
    '--- a/deploy.yaml',
    '+++ b/deploy.yaml',
    '@@ -1,3 +1,3 @@',
    ' apiVersion: apps/v1',
    '-image: checkout-api:v2.14.3',
    '+image: checkout-api:v2.15.0 # MARKER-ä-🚀',
    ' replicas: 6',
    '',
  ].join('\n');
  let request: ApprovalRequest;
  let envId: string;

  before(async () => {
    envId = (await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } })).id;
    request = await org.request(org.m3, envId, 'pending', { payload: { revision: 'r1', diff: DIFF, summary: 'bump' } });
  });

  test('created request carries diffBytes/diffLines, never the diff', async () => {
    assert.equal(request.payload.diffBytes, Buffer.byteLength(DIFF, 'utf8'));
    assert.equal(request.payload.diffLines, 7);
    assert.equal(request.payload.revision, 'r1');
    assert.equal(request.payload.summary, 'bump');
    assert.ok(!('diff' in request.payload));
  });

  test('GET /api/requests/:id → {request, progress, canApprove} for approver and requester', async () => {
    const forApprover = await detail(org.m1, request.id);
    assert.equal(forApprover.request.id, request.id);
    assert.equal(forApprover.canApprove, true);
    assert.equal(forApprover.progress.status, 'pending');
    assert.equal(forApprover.progress.gates.length, 1);
    assert.equal(forApprover.progress.gates[0]!.passed, false);
    assert.equal(forApprover.progress.gates[0]!.required, 1);
    assert.ok(forApprover.progress.gates[0]!.canStillApprove.includes(org.m1.id));
    assert.ok(!forApprover.progress.gates[0]!.canStillApprove.includes(org.m3.id), 'requester cannot approve');
    assert.ok(!('diff' in forApprover.request.payload));
    const forRequester = await detail(org.m3, request.id);
    assert.equal(forRequester.canApprove, false);
    const forOutsider = await detail(org.plain, request.id);
    assert.equal(forOutsider.canApprove, false);
  });

  test('GET /api/requests/:id/diff → text/plain equal to the upload, ETag "<digest>", 304 on If-None-Match', async () => {
    const res = await org.m1.api.get(`/api/requests/${request.id}/diff`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(res.text, DIFF);
    assert.equal(res.headers.get('etag'), `"${request.digest}"`);
    const again = await org.m1.api.get(`/api/requests/${request.id}/diff`, { 'if-none-match': `"${request.digest}"` });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    const stale = await org.m1.api.get(`/api/requests/${request.id}/diff`, { 'if-none-match': '"something-else"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.text, DIFF);
    expectError(await org.m1.api.get('/api/requests/req_nope/diff'), 404, 'not_found', 'request not found');
  });

  test('lists, detail and sync never carry the diff text', async () => {
    const list = await org.m1.api.get(`/api/requests?environmentId=${envId}`);
    const parsed = expectOk(list, 200, RequestsResponse);
    assert.equal(parsed.requests[0]!.payload.diffBytes, Buffer.byteLength(DIFF, 'utf8'));
    assert.ok(!list.text.includes('MARKER-'), 'list leaks the diff');
    const det = await org.m1.api.get(`/api/requests/${request.id}`);
    assert.ok(!det.text.includes('MARKER-'), 'detail leaks the diff');
    const sync = await org.m1.api.get('/api/sync?cursor=0&limit=5000');
    const s = expectOk(sync, 200, SyncResponse);
    const change = s.changes.find((c) => c.entity === 'request' && c.id === request.id);
    assert.ok(change, 'request in sync');
    const data = change.data as ApprovalRequest;
    assert.equal(data.payload.diffLines, 7);
    assert.ok(!sync.text.includes('MARKER-'), 'sync leaks the diff');
  });

  test('unknown request: 404 request not found', async () => {
    expectError(await org.m1.api.get('/api/requests/req_nope'), 404, 'not_found', 'request not found');
  });
});

describe('approve / reject / cancel', () => {
  test('approve → 200 approved; then 409 not_pending; 404 unknown id', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const r = await org.request(org.m3, env.id, 'pending');
    const { request } = expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, { comment: 'lgtm', reviewedDigest: r.digest }), 200, RequestResponse);
    assert.equal(request.status, 'approved');
    assert.equal(request.decisions.length, 1);
    assert.equal(request.decisions[0]!.userId, org.m1.id);
    assert.equal(request.decisions[0]!.kind, 'approve');
    assert.equal(request.decisions[0]!.comment, 'lgtm');
    const d = await detail(org.m1, r.id);
    assert.equal(d.request.status, 'approved');
    assert.equal(d.progress.status, 'approved');
    assert.equal(d.canApprove, false);
    // another eligible approver on a decided request
    expectError(await org.m2.api.post(`/api/requests/${r.id}/approve`, {}), 409, 'not_pending');
    expectError(await org.m2.api.post(`/api/requests/${r.id}/reject`, {}), 409, 'not_pending');
    expectError(await org.m2.api.post('/api/requests/req_doesnotexist/approve', {}), 404, 'not_found', 'request not found');
    expectError(await org.m2.api.post('/api/requests/req_doesnotexist/reject', {}), 404, 'not_found', 'request not found');
  });

  test('403 not_eligible for a non-approver, and for the requester when requesterCanApprove is false', async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], requesterCanApprove: false });
    const r = await org.request(org.m1, env.id, 'pending'); // m1 is in Alpha, the approver team
    const msg = 'you are not an eligible approver for this request';
    expectError(await org.m3.api.post(`/api/requests/${r.id}/approve`, {}), 403, 'not_eligible', msg);
    expectError(await org.plain.api.post(`/api/requests/${r.id}/reject`, {}), 403, 'not_eligible', msg);
    expectError(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 403, 'not_eligible', msg);
    assert.equal((await detail(org.m1, r.id)).canApprove, false);
    // still pending, nothing recorded
    const d = await detail(org.owner, r.id);
    assert.equal(d.request.status, 'pending');
    assert.equal(d.request.decisions.length, 0);
  });

  test('requesterCanApprove: true lets the requester approve their own request', async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], requesterCanApprove: true });
    const r = await org.request(org.m1, env.id, 'pending');
    const { request } = expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse);
    assert.equal(request.status, 'approved');
  });

  test('a 2-approval gate is approved only after the 2nd distinct eligible approval; 409 already_reviewed; 412 stale_review', async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id, org.beta.id], minApprovals: 2 });
    const r = await org.request(org.plain, env.id, 'pending', { payload: { revision: 'x', diff: '+a\n' } });
    expectError(await org.m1.api.post(`/api/requests/${r.id}/approve`, { reviewedDigest: 'not-the-digest' }), 412, 'stale_review');
    const first = expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, { reviewedDigest: r.digest }), 200, RequestResponse).request;
    assert.equal(first.status, 'pending', 'one approval of two');
    assert.equal(first.decisions.length, 1);
    const prog = (await detail(org.m2, r.id)).progress;
    assert.equal(prog.gates[0]!.approvals, 1);
    assert.equal(prog.gates[0]!.required, 2);
    expectError(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 409, 'already_reviewed', 'already reviewed');
    expectError(await org.m1.api.post(`/api/requests/${r.id}/reject`, {}), 409, 'already_reviewed', 'already reviewed');
    const second = expectOk(await org.m3.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(second.status, 'approved');
    assert.deepEqual(
      second.decisions.map((d) => d.userId),
      [org.m1.id, org.m3.id],
    );
  });

  test('approve with a review: stored on the decision and in the audit details; a malformed review is 400 and changes nothing', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const r = await org.request(org.m3, env.id, 'pending', { payload: { revision: 'x', diff: '+a\n' } });
    for (const review of [
      { diffShown: 'yes', filesViewed: 0, filesTotal: 1 },
      { diffShown: true, filesViewed: -1, filesTotal: 1 },
      { diffShown: true, filesViewed: 1, filesTotal: 1, extra: 1 },
      { diffShown: true },
    ]) {
      const res = await org.m1.api.post(`/api/requests/${r.id}/approve`, { review });
      assert.equal(res.status, 400, `${JSON.stringify(review)}: ${res.text}`);
    }
    assert.equal((await detail(org.m1, r.id)).request.decisions.length, 0, 'refused bodies decide nothing');
    const review = { diffShown: false, filesViewed: 0, filesTotal: 1 };
    const { request } = expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, { review }), 200, RequestResponse);
    assert.deepEqual(request.decisions[0]!.review, review);
    assert.equal(request.decisions[0]!.reviewedDigest, undefined);
    assert.deepEqual((await detail(org.m2, r.id)).request.decisions[0]!.review, review, 'read back');
    const approval = (await auditFor(r.id)).find((e) => e.type === 'request.approval');
    assert.deepEqual((approval?.details as { review?: unknown } | undefined)?.review, review);
  });

  test('reject → 200 rejected; refusals apply to reject too', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const r = await org.request(org.m3, env.id, 'pending');
    expectError(await org.plain.api.post(`/api/requests/${r.id}/reject`, {}), 403, 'not_eligible');
    const { request } = expectOk(await org.m2.api.post(`/api/requests/${r.id}/reject`, { comment: 'not today' }), 200, RequestResponse);
    assert.equal(request.status, 'rejected');
    assert.equal(request.decisions[0]!.kind, 'reject');
    expectError(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 409, 'not_pending');
  });

  test('cancel: other member 403, requester 200, admin 200; cancelled is final', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const r1 = await org.request(org.m3, env.id, 'pending');
    const otherRes = await org.m1.api.post(`/api/requests/${r1.id}/cancel`);
    expectError(otherRes, 403);
    const mine = expectOk(await org.m3.api.post(`/api/requests/${r1.id}/cancel`), 200, RequestResponse).request;
    assert.equal(mine.status, 'cancelled');
    expectError(await org.m1.api.post(`/api/requests/${r1.id}/approve`, {}), 409, 'not_pending');
    expectError(await org.m3.api.post(`/api/requests/${r1.id}/cancel`), 409, 'not_pending');
    const r2 = await org.request(org.m3, env.id, 'pending');
    const byAdmin = expectOk(await org.admin.api.post(`/api/requests/${r2.id}/cancel`), 200, RequestResponse).request;
    assert.equal(byAdmin.status, 'cancelled');
    expectError(await org.admin.api.post('/api/requests/req_nope/cancel'), 404, 'not_found', 'request not found');
  });
});

describe('gates are snapshotted; bypass', () => {
  test('later policy edits and binding deletes do not touch a pending request', async () => {
    const env = await org.env();
    const { policyId, bindingId } = await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id, org.beta.id], minApprovals: 2 });
    const r = await org.request(org.plain, env.id, 'pending');
    expectOk(
      await org.owner.api.patch(`/api/policies/${policyId}`, { quorum: { minApprovals: 1 } }),
      200,
      (await import('../../shared/schemas/index.ts')).PolicyResponse,
    );
    assert.equal((await org.owner.api.del(`/api/bindings/${bindingId}`)).status, 200);
    const first = expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(first.status, 'pending', 'still needs the 2 approvals it was created with');
    assert.equal(first.gates[0]!.quorum.minApprovals, 2);
    const second = expectOk(await org.m3.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(second.status, 'approved');
    // a new request sees neither the policy nor the binding any more
    assert.equal((await org.request(org.plain, env.id, 'approved')).gates.length, 0);
  });

  test('adminBypass: an admin is approved at once with a warning; a member is not', async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], adminBypass: true });
    const byAdmin = await org.request(org.admin, env.id, 'approved');
    assert.ok(
      byAdmin.warnings.some((w) => /bypass/i.test(w)),
      `warnings: ${JSON.stringify(byAdmin.warnings)}`,
    );
    await org.request(org.m3, env.id, 'pending');
    // without adminBypass the admin waits like everyone else
    const env2 = await org.env();
    await org.policyOn(env2.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], adminBypass: false });
    await org.request(org.admin, env2.id, 'pending');
  });

  test('an org role approver (custom role) is eligible; quorum with requiredUserIds waits for that user', async () => {
    const env = await org.env();
    const policy = expectOk(
      await org.owner.api.post('/api/policies', {
        name: uniq('rm-gate'),
        actions: ['release.deploy'],
        approvers: { orgRoles: ['release-manager'], teamIds: [org.alpha.id] },
        quorum: { minApprovals: 1, requiredUserIds: [org.rm.id] },
      }),
      201,
      (await import('../../shared/schemas/index.ts')).PolicyResponse,
    ).policy;
    expectOk(
      await org.owner.api.post('/api/bindings', { policyId: policy.id, scope: 'environment', targetId: env.id }),
      201,
      (await import('../../shared/schemas/index.ts')).BindingResponse,
    );
    const r = await org.request(org.m3, env.id, 'pending');
    const afterM1 = expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(afterM1.status, 'pending', 'the required user has not approved yet');
    const d = await detail(org.rm, r.id);
    assert.equal(d.canApprove, true, 'release-manager role makes rm eligible');
    assert.ok(d.progress.gates[0]!.missing.length > 0, 'progress says what is missing');
    const afterRm = expectOk(await org.rm.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(afterRm.status, 'approved');
  });
});

describe('binding levels and conditions over HTTP', () => {
  async function policy(body: Record<string, unknown>, binding: { scope: string; targetId?: string }) {
    const { PolicyResponse, BindingResponse } = await import('../../shared/schemas/index.ts');
    const p = expectOk(
      await org.owner.api.post('/api/policies', { name: uniq('lvl'), approvers: { teamIds: [org.alpha.id] }, quorum: { minApprovals: 1 }, ...body }),
      201,
      PolicyResponse,
    ).policy;
    expectOk(await org.owner.api.post('/api/bindings', { policyId: p.id, ...binding }), 201, BindingResponse);
    return p.id;
  }
  const create = async (action: string, resource: Record<string, string>) =>
    expectOk(await org.m3.api.post('/api/requests', { action, resource, justification: 'levels' }), 201, RequestResponse).request;

  test('project, cluster and organization bindings (with an environments condition) gate exactly their resources', async () => {
    const { ClusterResponse } = await import('../../shared/schemas/index.ts');
    const p2 = await org.project();
    const c2 = expectOk(await org.owner.api.post('/api/clusters', { name: uniq('cls') }), 201, ClusterResponse).cluster.id;
    const envName = uniq('levels-prod');
    const e = await org.env({ projectId: p2, name: envName });
    // put the env on cluster c2 through the API
    const { EnvironmentResponse } = await import('../../shared/schemas/index.ts');
    const onCluster = expectOk(
      await org.owner.api.post('/api/environments', { projectId: p2, name: uniq('on-c2'), clusterId: c2 }),
      201,
      EnvironmentResponse,
    ).environment;
    const other = await org.env(); // in the fixture project, no cluster

    const projectPolicy = await policy({ actions: ['rollback.execute'] }, { scope: 'project', targetId: p2 });
    const clusterPolicy = await policy({ actions: ['manifest.apply', 'cluster.restart'] }, { scope: 'cluster', targetId: c2 });
    const orgPolicy = await policy({ actions: ['promotion.execute'], conditions: { environments: [envName] } }, { scope: 'organization' });

    const rb = await create('rollback.execute', { environmentId: e.id });
    assert.equal(rb.status, 'pending');
    assert.deepEqual(
      rb.gates.map((g) => g.policyId),
      [projectPolicy],
    );
    assert.equal((await create('rollback.execute', { environmentId: other.id })).status, 'approved', 'other project: not gated');

    const ma = await create('manifest.apply', { environmentId: onCluster.id });
    assert.equal(ma.status, 'pending', 'cluster binding reaches an env on that cluster');
    assert.deepEqual(
      ma.gates.map((g) => g.policyId),
      [clusterPolicy],
    );
    const restart = await create('cluster.restart', { clusterId: c2 });
    assert.equal(restart.status, 'pending', 'cluster binding reaches a cluster-only request');
    assert.equal((await create('manifest.apply', { environmentId: e.id })).status, 'approved', 'env not on that cluster');

    const pr = await create('promotion.execute', { environmentId: e.id });
    assert.equal(pr.status, 'pending');
    assert.deepEqual(
      pr.gates.map((g) => g.policyId),
      [orgPolicy],
    );
    assert.equal((await create('promotion.execute', { environmentId: other.id })).status, 'approved', 'environments condition: other names are not gated');
    // A deploy-like action must name its environment, so no environments condition can be walked around by leaving it out.
    expectError(
      await org.owner.api.post('/api/requests', { action: 'promotion.execute', resource: { projectId: p2 }, justification: 'x' }),
      400,
      'invalid_resource',
    );
  });

  test('hour windows and weekdays are honoured (UTC and another zone)', async () => {
    // The server runs on the same clock as this test (test/clock.ts). Don't straddle an hour
    // boundary between reading it and the server evaluating: past :59:50, wait for the next hour.
    if (testClock().getUTCMinutes() === 59 && testClock().getUTCSeconds() >= 50) {
      const next = (Math.floor(nowMs() / 3_600_000) + 1) * 3_600_000;
      await waitFor(async () => (nowMs() > next ? true : undefined), 15_000, 100);
    }
    const now = testClock();
    const hour = now.getUTCHours();
    const env = await org.env();
    const inside = await policy(
      { actions: ['release.deploy'], conditions: { startHour: hour, endHour: (hour + 1) % 24 } },
      { scope: 'environment', targetId: env.id },
    );
    const outside = await policy(
      { actions: ['release.deploy'], conditions: { startHour: (hour + 2) % 24, endHour: (hour + 3) % 24 } },
      { scope: 'environment', targetId: env.id },
    );
    const today = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][now.getUTCDay()]!;
    const notToday = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][(now.getUTCDay() + 3) % 7]!;
    const wdIn = await policy({ actions: ['release.deploy'], conditions: { weekdays: [today] } }, { scope: 'environment', targetId: env.id });
    const wdOut = await policy({ actions: ['release.deploy'], conditions: { weekdays: [notToday] } }, { scope: 'environment', targetId: env.id });
    // either-or: weekday not today, but hour window holds
    const either = await policy(
      { actions: ['release.deploy'], conditions: { weekdays: [notToday], startHour: hour, endHour: (hour + 1) % 24 } },
      { scope: 'environment', targetId: env.id },
    );
    // Tokyo is UTC+9 all year: the UTC hour window shifted by 9 holds there
    const tokyo = await policy(
      { actions: ['release.deploy'], conditions: { timezone: 'Asia/Tokyo', startHour: (hour + 9) % 24, endHour: (hour + 10) % 24 } },
      { scope: 'environment', targetId: env.id },
    );
    const tokyoOut = await policy(
      { actions: ['release.deploy'], conditions: { timezone: 'Asia/Tokyo', startHour: hour, endHour: (hour + 1) % 24 } },
      { scope: 'environment', targetId: env.id },
    );
    const r = await create('release.deploy', { environmentId: env.id });
    const gateIds = new Set(r.gates.map((g) => g.policyId));
    assert.ok(gateIds.has(inside), 'hour window containing now applies');
    assert.ok(!gateIds.has(outside), 'hour window not containing now does not apply');
    assert.ok(gateIds.has(wdIn), 'today applies');
    assert.ok(!gateIds.has(wdOut), 'another weekday does not apply');
    assert.ok(gateIds.has(either), 'weekdays OR hours');
    assert.ok(gateIds.has(tokyo), 'hours read in the policy timezone');
    assert.ok(!gateIds.has(tokyoOut), 'UTC hours are not Tokyo hours');
  });
});

describe('Idempotency-Key', () => {
  test('keys are per user: two approvers using the same key both count', async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id, org.beta.id], minApprovals: 2 });
    const r = await org.request(org.plain, env.id, 'pending');
    const key = uniq('shared');
    expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}, { 'idempotency-key': key }), 200, RequestResponse);
    const second = expectOk(await org.m3.api.post(`/api/requests/${r.id}/approve`, {}, { 'idempotency-key': key }), 200, RequestResponse).request;
    assert.equal(second.decisions.length, 2);
    assert.equal(second.status, 'approved');
  });

  test('same key + same body returns the identical first response and changes nothing; different body → 422', async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id, org.beta.id], minApprovals: 2 });
    const r = await org.request(org.plain, env.id, 'pending');
    const key = uniq('idem');
    const body = { comment: 'first look', reviewedDigest: r.digest };
    const first = await org.m1.api.post(`/api/requests/${r.id}/approve`, body, { 'idempotency-key': key });
    assert.equal(first.status, 200, first.text);
    const second = await org.m1.api.post(`/api/requests/${r.id}/approve`, body, { 'idempotency-key': key });
    assert.equal(second.status, 200, `retry: ${second.text}`);
    assert.deepEqual(second.body, first.body, 'identical first response');
    const d = await detail(org.owner, r.id);
    assert.equal(d.request.decisions.length, 1, 'one decision');
    assert.equal(d.request.status, 'pending');
    const approvals = (await auditFor(r.id)).filter((e) => e.type === 'request.approval');
    assert.equal(approvals.length, 1, 'one audit event');
    // same key, different body
    const reused = await org.m1.api.post(`/api/requests/${r.id}/approve`, { comment: 'changed my mind' }, { 'idempotency-key': key });
    expectError(reused, 422);
    // a retry after others moved the request on still gets the first answer
    expectOk(await org.m3.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse);
    const third = await org.m1.api.post(`/api/requests/${r.id}/approve`, body, { 'idempotency-key': key });
    assert.equal(third.status, 200);
    assert.deepEqual(third.body, first.body);
    assert.equal((await detail(org.owner, r.id)).request.decisions.length, 2);
  });

  test('concurrent retries with one key: identical answers, one decision, one request', async () => {
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id, org.beta.id], minApprovals: 2 });
    const r = await org.request(org.plain, env.id, 'pending');
    const key = uniq('burst');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => org.m1.api.post(`/api/requests/${r.id}/approve`, { comment: 'burst' }, { 'idempotency-key': key })),
    );
    for (const a of answers) {
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(a.body, answers[0]!.body);
    }
    assert.equal((await detail(org.owner, r.id)).request.decisions.length, 1);
    assert.equal((await auditFor(r.id)).filter((e) => e.type === 'request.approval').length, 1);

    const createKey = uniq('burst-create');
    const body = { action: 'release.deploy', resource: { environmentId: env.id }, justification: 'burst', payload: { revision: 'burst' } };
    const created = await Promise.all(Array.from({ length: 6 }, () => org.m3.api.post('/api/requests', body, { 'idempotency-key': createKey })));
    const ids = new Set(created.map((c) => (c.body as { request: { id: string } }).request.id));
    assert.equal(ids.size, 1, 'one request for one key');
    const list = expectOk(await org.m3.api.get(`/api/requests?environmentId=${env.id}&status=pending`), 200, RequestsResponse);
    assert.equal(list.requests.filter((x) => x.payload.revision === 'burst').length, 1);
  });

  test('idempotent request creation: a retried POST /api/requests creates one request', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const key = uniq('create');
    const body = { action: 'release.deploy', resource: { environmentId: env.id }, justification: 'x', payload: { revision: 'idem' } };
    const a = await org.m3.api.post('/api/requests', body, { 'idempotency-key': key });
    const b = await org.m3.api.post('/api/requests', body, { 'idempotency-key': key });
    assert.equal(a.status, 201);
    assert.deepEqual(b.body, a.body);
    assert.equal(b.status, 201);
    const list = expectOk(await org.m3.api.get(`/api/requests?environmentId=${env.id}`), 200, RequestsResponse);
    assert.equal(list.requests.length, 1);
  });

  test('an invalid Idempotency-Key header is 400', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const r = await org.request(org.m3, env.id, 'pending');
    expectError(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}, { 'idempotency-key': 'x'.repeat(201) }), 400, 'invalid_request');
  });
});

describe('20 racing approvals', () => {
  test('a 2-approval gate raced by 20 approvers: exactly two 200s (the 2nd approves), 18 × 409', async () => {
    const racers = await org.team(uniq('Racers2'));
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => org.user(`Racer2 ${i}`, 'member', { teamIds: [racers.id] })));
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [racers.id], minApprovals: 2 });
    const r = await org.request(org.plain, env.id, 'pending');
    const results = await Promise.all(users.map((u) => u.api.post(`/api/requests/${r.id}/approve`, {})));
    const ok = results.filter((x) => x.status === 200).map((x) => (x.body as { request: { status: string } }).request.status);
    assert.deepEqual(ok.sort(), ['approved', 'pending'], `statuses: ${results.map((x) => x.status).join(',')}`);
    assert.equal(results.filter((x) => x.status === 409).length, 18);
    const d = await detail(org.owner, r.id);
    assert.equal(d.request.status, 'approved');
    assert.equal(d.request.decisions.length, 2);
  });

  test('exactly one 200 and 19 × 409 not_pending; one decision recorded', async () => {
    const racers = await org.team(uniq('Racers'));
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => org.user(`Racer ${i}`, 'member', { teamIds: [racers.id] })));
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [racers.id], minApprovals: 1 });
    const r = await org.request(org.plain, env.id, 'pending');
    for (const u of users) assert.equal((await detail(u, r.id)).canApprove, true);
    const results = await Promise.all(users.map((u) => u.api.post(`/api/requests/${r.id}/approve`, { comment: 'go' })));
    const ok = results.filter((x) => x.status === 200);
    const conflicts = results.filter((x) => x.status === 409);
    assert.equal(ok.length, 1, `statuses: ${results.map((x) => x.status).join(',')}`);
    assert.equal(conflicts.length, 19);
    for (const c of conflicts) expectError(c, 409, 'not_pending');
    const d = await detail(org.owner, r.id);
    assert.equal(d.request.status, 'approved');
    assert.equal(d.request.decisions.length, 1);
    assert.equal((await auditFor(r.id)).filter((e) => e.type === 'request.approval').length, 1);
  });
});
