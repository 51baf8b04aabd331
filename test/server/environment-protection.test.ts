// Who may change an environment's protection and reviewers (PATCH /api/environments/:id, the
// action environment.policyUpdate): owners and admins outright (policies permitting), release
// managers only through an owner's or admin's approval, nobody else at all.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditResponse, EnvironmentResponse, RequestResponse, RequestsResponse, SessionResponse } from '../../shared/schemas/index.ts';
import { expectError, expectOk } from './harness.ts';
import { useOrgServer, type Org } from './fixtures.ts';

let org: Org;

useOrgServer((_server, o) => (org = o));

const restricted = () => org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
const current = async (id: string) => expectOk(await org.owner.api.get(`/api/environments/${id}`), 200, EnvironmentResponse).environment;

describe('PATCH /api/environments/:id: the attack side', () => {
  test('a member without release-manager → 403 forbidden, nothing changes, no request is filed', async () => {
    const env = await restricted();
    for (const who of [org.m1, org.plain, org.bg]) {
      const refused = expectError(await who.api.patch(`/api/environments/${env.id}`, { protection: 'none' }), 403, 'forbidden');
      assert.equal(refused.message, 'only owners, admins and release managers can change an environment');
      expectError(await who.api.patch(`/api/environments/${env.id}`, { reviewers: { userIds: [who.id], teamIds: [] } }), 403, 'forbidden');
    }
    assert.deepEqual(await current(env.id), env);
  });

  test("a release manager's change never applies at once, even with no policy at all: 202 {request} held for an owner or admin", async () => {
    const env = await restricted();
    const { request } = expectOk(await org.rm.api.patch(`/api/environments/${env.id}`, { protection: 'none' }), 202, RequestResponse);
    assert.equal(request.status, 'pending');
    assert.equal(request.action, 'environment.policyUpdate');
    assert.equal(request.requesterId, org.rm.id);
    assert.deepEqual(
      request.gates.map((g) => [g.kind, g.name, g.approvers.orgRoles, g.quorum.minApprovals, g.requesterCanApprove]),
      [['authority', 'Owner or admin approval', ['owner', 'admin'], 1, false]],
    );
    assert.deepEqual(await current(env.id), env, 'unchanged while pending');
  });

  test('the release manager approving their own change → 403 not_eligible; another release manager or a reviewer likewise', async () => {
    const env = await restricted();
    const { request } = expectOk(await org.rm.api.patch(`/api/environments/${env.id}`, { protection: 'none' }), 202, RequestResponse);
    expectError(await org.rm.api.post(`/api/requests/${request.id}/approve`, {}), 403, 'not_eligible');
    const rm2 = await org.user('Ray Release', 'member', { roles: ['release-manager'], teamIds: [org.alpha.id] });
    expectError(await rm2.api.post(`/api/requests/${request.id}/approve`, {}), 403, 'not_eligible');
    expectError(await org.m1.api.post(`/api/requests/${request.id}/approve`, {}), 403, 'not_eligible');
    assert.equal((await current(env.id)).protection, 'restricted');
  });

  test('a policy that lets the release manager approve their own change does not lift the owner-or-admin gate', async () => {
    const env = await restricted();
    await org.policyOn(env.id, { actions: ['environment.policyUpdate'], userIds: [org.rm.id], requesterCanApprove: true });
    const { request } = expectOk(await org.rm.api.patch(`/api/environments/${env.id}`, { protection: 'none' }), 202, RequestResponse);
    assert.deepEqual(
      request.gates.map((g) => g.kind),
      ['authority', 'policy'],
    );
    const afterOwn = expectOk(await org.rm.api.post(`/api/requests/${request.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(afterOwn.status, 'pending', 'the policy gate is met, the owner-or-admin gate is not');
    assert.equal((await current(env.id)).protection, 'restricted');
    const approved = expectOk(await org.admin.api.post(`/api/requests/${request.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(approved.status, 'approved');
    assert.equal((await current(env.id)).protection, 'none');
  });

  test('a rejection by an owner leaves the environment as it was', async () => {
    const env = await restricted();
    const { request } = expectOk(
      await org.rm.api.patch(`/api/environments/${env.id}`, { reviewers: { userIds: [org.rm.id], teamIds: [] } }),
      202,
      RequestResponse,
    );
    const rejected = expectOk(await org.owner.api.post(`/api/requests/${request.id}/reject`, { comment: 'no' }), 200, RequestResponse).request;
    assert.equal(rejected.status, 'rejected');
    assert.deepEqual(await current(env.id), env);
  });

  test('bad input from a release manager is refused before anything is held: restricted without reviewers → 400, frozen → 409', async () => {
    const env = await org.env({ protection: 'none' });
    expectError(await org.rm.api.patch(`/api/environments/${env.id}`, { protection: 'restricted' }), 400, 'invalid_request');
    expectError(await org.rm.api.patch(`/api/environments/${env.id}`, { reviewers: { userIds: ['usr_nope'], teamIds: [] } }), 400, 'invalid_request');
    expectOk(await org.rm.api.post(`/api/environments/${env.id}/freeze`, { reason: 'release week' }), 200, EnvironmentResponse);
    expectError(await org.rm.api.patch(`/api/environments/${env.id}`, { protection: 'none' }), 409, 'frozen');
    const pending = expectOk(await org.rm.api.get('/api/requests?status=pending'), 200, RequestsResponse).requests;
    assert.ok(!pending.some((r) => r.resource.environmentId === env.id), 'no request was filed');
  });
});

describe('PATCH /api/environments/:id: what is allowed', () => {
  test("an admin's change with no policy gating it applies at once (200)", async () => {
    const env = await restricted();
    const { environment } = expectOk(await org.admin.api.patch(`/api/environments/${env.id}`, { protection: 'none' }), 200, EnvironmentResponse);
    assert.equal(environment.protection, 'none');
    assert.equal((await current(env.id)).protection, 'none');
    // A member's deploy then goes straight through.
    const deployed = expectOk(await org.deploy(org.m3, env.id), 201, RequestResponse).request;
    assert.equal(deployed.status, 'approved');
  });

  test("a release manager's change, once an admin approves it, applies (effect environment.update) and names the request in the audit", async () => {
    const env = await restricted();
    const reviewers = { userIds: [org.m3.id], teamIds: [org.beta.id] };
    const { request } = expectOk(await org.rm.api.patch(`/api/environments/${env.id}`, { reviewers }), 202, RequestResponse);
    const approved = expectOk(await org.admin.api.post(`/api/requests/${request.id}/approve`, {}), 200, RequestResponse).request;
    assert.equal(approved.status, 'approved');
    const after = await current(env.id);
    assert.deepEqual(after.reviewers, reviewers);
    assert.equal(after.protection, 'restricted');
    const events = expectOk(await org.owner.api.get(`/api/audit?subject=${env.id}&limit=500`), 200, AuditResponse).events;
    const updated = events.find((e) => e.type === 'environment.updated');
    assert.ok(updated, 'environment.updated audited');
    assert.equal(updated.actorId, org.rm.id, 'the change is the requester’s');
    assert.equal((updated.details as { requestId?: string }).requestId, request.id);
  });

  test("a release manager's active break-glass session covering environment.policyUpdate bypasses the gate, and the audit names it", async () => {
    const env = await restricted();
    const rmbg = await org.user('Rita Release', 'member', { roles: ['release-manager', 'breakglass'] });
    const session = expectOk(
      await rmbg.api.post('/api/breakglass', {
        reason: 'INC-77: reviewers on leave, prod deploys blocked',
        scope: { actions: ['environment.policyUpdate'], environmentIds: [env.id] },
        durationMinutes: 30,
      }),
      201,
      SessionResponse,
    ).session;
    const { environment } = expectOk(await rmbg.api.patch(`/api/environments/${env.id}`, { protection: 'none' }), 200, EnvironmentResponse);
    assert.equal(environment.protection, 'none');
    const events = expectOk(await org.owner.api.get(`/api/audit?subject=${env.id}&limit=500`), 200, AuditResponse).events;
    const updated = events.find((e) => e.type === 'environment.updated');
    assert.ok(updated);
    assert.equal(updated.breakGlassSessionId, session.id);
    assert.match(JSON.stringify(updated.details), /Owner or admin approval/);
  });
});
