// Freeze / unfreeze (incl. timed auto-unfreeze) and break-glass sessions over HTTP.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditResponse, EnvironmentResponse, RequestResponse, SessionResponse, SessionsResponse } from '../../shared/schemas/index.ts';
import { expectError, expectOk, uniq, waitFor } from './harness.ts';
import { useOrgServer, type Org } from './fixtures.ts';
import { nowMs } from '../clock.ts';

let org: Org;

useOrgServer((_server, o) => (org = o));

async function allAudit() {
  const events = [];
  let after = 0;
  for (;;) {
    const page = expectOk(await org.owner.api.get(`/api/audit?after=${after}&limit=500`), 200, AuditResponse);
    events.push(...page.events);
    if (page.next === null || page.events.length === 0) return events;
    after = page.next;
  }
}

describe('freeze / unfreeze', () => {
  test('owner freezes: 200 locked with freeze {by, at, reason, until, previousProtection}; 409 already_frozen; unfreeze restores; 409 not_frozen', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const until = new Date(nowMs() + 3600_000).toISOString();
    const before = nowMs();
    const { environment } = expectOk(
      await org.owner.api.post(`/api/environments/${env.id}/freeze`, { reason: 'incident INC-7', until }),
      200,
      EnvironmentResponse,
    );
    assert.equal(environment.protection, 'locked');
    assert.ok(environment.freeze, 'freeze recorded');
    assert.equal(environment.freeze.by, org.owner.id);
    assert.equal(environment.freeze.reason, 'incident INC-7');
    assert.equal(Date.parse(environment.freeze.until!), Date.parse(until));
    assert.equal(environment.freeze.previousProtection, 'restricted');
    assert.ok(Math.abs(Date.parse(environment.freeze.at) - before) < 60_000);
    // GET reflects it
    const got = expectOk(await org.m1.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment;
    assert.equal(got.protection, 'locked');
    expectError(await org.owner.api.post(`/api/environments/${env.id}/freeze`, { reason: 'again' }), 409, 'already_frozen');

    const un = expectOk(await org.owner.api.post(`/api/environments/${env.id}/unfreeze`, { reason: 'resolved' }), 200, EnvironmentResponse).environment;
    assert.equal(un.protection, 'restricted', 'previous protection restored');
    assert.equal(un.freeze, undefined);
    expectError(await org.owner.api.post(`/api/environments/${env.id}/unfreeze`, {}), 409, 'not_frozen');
  });

  test('a plain member with no freeze policy bound: 403; release-manager may freeze and unfreeze', async () => {
    const env = await org.env({ protection: 'none' });
    expectError(await org.plain.api.post(`/api/environments/${env.id}/freeze`, { reason: 'I want to' }), 403);
    expectError(await org.m1.api.post(`/api/environments/${env.id}/freeze`, { reason: 'I want to' }), 403);
    assert.equal(expectOk(await org.owner.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment.protection, 'none');
    const { environment } = expectOk(await org.rm.api.post(`/api/environments/${env.id}/freeze`, { reason: 'release freeze' }), 200, EnvironmentResponse);
    assert.equal(environment.protection, 'locked');
    assert.equal(environment.freeze?.by, org.rm.id);
    assert.equal(environment.freeze?.previousProtection, 'none');
    expectError(await org.plain.api.post(`/api/environments/${env.id}/unfreeze`, {}), 403);
    const un = expectOk(await org.rm.api.post(`/api/environments/${env.id}/unfreeze`, {}), 200, EnvironmentResponse).environment;
    assert.equal(un.protection, 'none');
  });

  test('a policy gating environment.freeze: 202 {request}; approval applies the freeze', async () => {
    const env = await org.env({ protection: 'none' });
    await org.policyOn(env.id, { actions: ['environment.freeze'], userIds: [org.admin.id], minApprovals: 1 });
    const res = await org.rm.api.post(`/api/environments/${env.id}/freeze`, { reason: 'needs review' });
    const { request } = expectOk(res, 202, RequestResponse);
    assert.equal(request.status, 'pending');
    assert.equal(request.action, 'environment.freeze');
    assert.equal(expectOk(await org.owner.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment.protection, 'none');
    expectOk(await org.admin.api.post(`/api/requests/${request.id}/approve`, {}), 200, RequestResponse);
    const frozen = expectOk(await org.owner.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment;
    assert.equal(frozen.protection, 'locked');
    assert.equal(frozen.freeze?.by, org.rm.id);
  });

  test('a policy gating environment.unfreeze: 202 {request}; the env stays locked until approved', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    await org.policyOn(env.id, { actions: ['environment.unfreeze'], userIds: [org.admin.id], adminBypass: false });
    expectOk(await org.rm.api.post(`/api/environments/${env.id}/freeze`, { reason: 'incident' }), 200, EnvironmentResponse);
    const { request } = expectOk(await org.owner.api.post(`/api/environments/${env.id}/unfreeze`, { reason: 'all clear' }), 202, RequestResponse);
    assert.equal(request.action, 'environment.unfreeze');
    assert.equal(request.status, 'pending');
    assert.equal(expectOk(await org.m1.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment.protection, 'locked');
    expectOk(await org.admin.api.post(`/api/requests/${request.id}/approve`, {}), 200, RequestResponse);
    const after = expectOk(await org.m1.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment;
    assert.equal(after.protection, 'restricted', 'previous protection restored on approval');
    assert.equal(after.freeze, undefined);
  });

  test('bad freeze bodies: 400 (missing or one-letter reason, until in the past); unknown env 404', async () => {
    const env = await org.env();
    expectError(await org.owner.api.post(`/api/environments/${env.id}/freeze`, {}), 400, 'invalid_request');
    expectError(await org.owner.api.post(`/api/environments/${env.id}/freeze`, { reason: '  ' }), 400, 'invalid_request');
    expectError(await org.owner.api.post(`/api/environments/${env.id}/freeze`, { reason: 'x' }), 400, 'invalid_request', /at least 3 characters/);
    expectError(await org.owner.api.post(`/api/environments/${env.id}/freeze`, { reason: 'maintenance', until: 'tomorrow' }), 400, 'invalid_request');
    expectError(
      await org.owner.api.post(`/api/environments/${env.id}/freeze`, { reason: 'maintenance', until: new Date(nowMs() - 60_000).toISOString() }),
      400,
      'invalid_request',
    );
    expectError(await org.owner.api.post('/api/environments/env_nope/freeze', { reason: 'maintenance' }), 404, 'not_found');
  });

  test('`until` a couple of seconds ahead: the environment unfreezes by itself', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const until = new Date(nowMs() + 2000).toISOString();
    const frozen = expectOk(
      await org.owner.api.post(`/api/environments/${env.id}/freeze`, { reason: 'short freeze', until }),
      200,
      EnvironmentResponse,
    ).environment;
    assert.equal(frozen.protection, 'locked');
    const restored = await waitFor(
      async () => {
        const e = expectOk(await org.m1.api.get(`/api/environments/${env.id}`), 200, EnvironmentResponse).environment;
        return e.protection !== 'locked' ? e : undefined;
      },
      5500,
      200,
    );
    assert.ok(restored, 'auto-unfrozen within ~5 s');
    assert.equal(restored.protection, 'restricted');
    assert.equal(restored.freeze, undefined);
    const events = (await allAudit()).filter((e) => e.subject === env.id && e.type === 'environment.unfrozen');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actorId, 'system');
  });
});

describe('break-glass', () => {
  const validBody = (envIds?: string[]) => ({
    reason: 'INC-1234: payments down, rolling back',
    scope: { actions: ['release.deploy', 'rollback.execute'], ...(envIds ? { environmentIds: envIds } : {}) },
    durationMinutes: 60,
  });

  test('validation: reason ≥ 10 chars, duration 30–240 → 400', async () => {
    expectError(await org.bg.api.post('/api/breakglass', { ...validBody(), reason: 'too short' }), 400, 'invalid_request');
    expectError(await org.bg.api.post('/api/breakglass', { ...validBody(), durationMinutes: 29 }), 400, 'invalid_request');
    expectError(await org.bg.api.post('/api/breakglass', { ...validBody(), durationMinutes: 241 }), 400, 'invalid_request');
    expectError(await org.bg.api.post('/api/breakglass', { ...validBody(), scope: { actions: [] } }), 400, 'invalid_request');
    expectError(
      await org.bg.api.post('/api/breakglass', { ...validBody(), scope: { actions: ['release.deploy'], environmentIds: ['env_nope'] } }),
      400,
      'invalid_request',
    );
  });

  test('403 for a member without the breakglass role', async () => {
    expectError(await org.m1.api.post('/api/breakglass', validBody()), 403);
    expectError(await org.rm.api.post('/api/breakglass', validBody()), 403);
  });

  test('session lifecycle: 201, 409 second, listed active, passes a lock in scope (audited), revoke', async () => {
    const locked = await org.env({ protection: 'none', name: uniq('bg-prod') });
    const outside = await org.env({ protection: 'none', name: uniq('bg-other') });
    for (const e of [locked, outside])
      expectOk(await org.owner.api.post(`/api/environments/${e.id}/freeze`, { reason: 'incident freeze' }), 200, EnvironmentResponse);
    const { policyId } = await org.policyOn(locked.id, { actions: ['release.deploy'], userIds: [org.admin.id] });
    const lockedMsg = `Environment "${locked.name}" is locked. Only Admins and Owners can deploy.`;
    // before the session: locked out like any member
    expectError(await org.deploy(org.bg, locked.id), 423, 'environment_locked', lockedMsg);

    const { session } = expectOk(await org.bg.api.post('/api/breakglass', validBody([locked.id])), 201, SessionResponse);
    assert.equal(session.userId, org.bg.id);
    assert.equal(session.endedAt, undefined);
    assert.deepEqual(session.scope.environmentIds, [locked.id]);
    const minutes = (Date.parse(session.expiresAt) - Date.parse(session.startedAt)) / 60_000;
    assert.equal(minutes, 60);

    expectError(await org.bg.api.post('/api/breakglass', validBody()), 409);

    const active = expectOk(await org.m1.api.get('/api/breakglass?active=true'), 200, SessionsResponse).sessions;
    assert.ok(
      active.some((s) => s.id === session.id),
      'listed as active',
    );

    // in scope: passes the lock, approved at once
    const { request } = expectOk(await org.deploy(org.bg, locked.id), 201, RequestResponse);
    assert.equal(request.status, 'approved');
    assert.equal(request.breakGlassSessionId, session.id);
    // out of scope (other env): still locked
    expectError(await org.deploy(org.bg, outside.id), 423, 'environment_locked');
    // someone else's session does not help a plain member
    expectError(await org.deploy(org.m1, locked.id), 423, 'environment_locked', lockedMsg);

    const created = (await allAudit()).find((e) => e.subject === request.id && e.type === 'request.created');
    assert.ok(created, 'audit event for the break-glass request');
    assert.equal(created.breakGlass, true);
    assert.equal(created.breakGlassSessionId, session.id);
    const bypassed = created.details.bypassed as { gateId: string; by: string }[];
    assert.ok(
      Array.isArray(bypassed) && bypassed.some((b) => b.gateId === policyId && b.by === 'breakglass'),
      `the audit names the bypassed gate: ${JSON.stringify(created.details)}`,
    );
    assert.ok(
      request.warnings.some((w) => w.includes(session.id)),
      'the request records the break-glass use',
    );
    const startedEvent = (await allAudit()).find((e) => e.subject === session.id && e.type === 'breakglass.started');
    assert.ok(startedEvent?.breakGlass, 'session start audited as break-glass');

    // revoke: another member 403, the holder 200 with endedAt
    expectError(await org.m1.api.post(`/api/breakglass/${session.id}/revoke`), 403);
    const revoked = expectOk(await org.bg.api.post(`/api/breakglass/${session.id}/revoke`), 200, SessionResponse).session;
    assert.ok(revoked.endedAt, 'endedAt set');
    assert.equal(revoked.endedBy, org.bg.id);
    const stillActive = expectOk(await org.m1.api.get('/api/breakglass?active=true'), 200, SessionsResponse).sessions;
    assert.ok(!stillActive.some((s) => s.id === session.id), 'no longer active');
    const all = expectOk(await org.m1.api.get('/api/breakglass'), 200, SessionsResponse).sessions;
    assert.ok(all.some((s) => s.id === session.id && s.endedAt));
    // after revoke: locked again
    expectError(await org.deploy(org.bg, locked.id), 423, 'environment_locked', lockedMsg);

    // a new session can be started after the first ended; an admin may revoke it
    const second = expectOk(await org.bg.api.post('/api/breakglass', validBody()), 201, SessionResponse).session;
    const byAdmin = expectOk(await org.admin.api.post(`/api/breakglass/${second.id}/revoke`), 200, SessionResponse).session;
    assert.ok(byAdmin.endedAt);
    assert.equal(byAdmin.endedBy, org.admin.id);
  });

  test('owners and admins may start sessions; unknown session revoke is 404', async () => {
    const s = expectOk(await org.admin.api.post('/api/breakglass', validBody()), 201, SessionResponse).session;
    expectOk(await org.admin.api.post(`/api/breakglass/${s.id}/revoke`), 200, SessionResponse);
    expectError(await org.admin.api.post('/api/breakglass/bg_nope/revoke'), 404, 'not_found');
  });
});
