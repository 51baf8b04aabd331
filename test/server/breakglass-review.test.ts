// Break-glass review over HTTP: who may record a verdict on an ended session, when, with what, and
// what it leaves behind (the session's review, an audit event, a sync change).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuditResponse,
  BreakGlassSession,
  RequestsResponse,
  SessionResponse,
  SessionsResponse,
  SyncResponse,
  UsersResponse,
} from '../../shared/schemas/index.ts';
import { BREAKGLASS_OWN_REVIEW_REFUSAL, BREAKGLASS_REVIEW_AUTHORITY_REFUSAL } from '../../shared/policy/index.ts';
import { apiFor, demoDir, expectError, expectOk, startServer } from './harness.ts';
import { useOrgServer, type Org, type TestUser } from './fixtures.ts';

let org: Org;
let auditor: TestUser;

useOrgServer((_server, o) => (org = o));

const start = async (as: TestUser = org.bg) =>
  expectOk(
    await as.api.post('/api/breakglass', { reason: 'INC-77: checkout 500s, rolling back', scope: { actions: ['rollback.execute'] }, durationMinutes: 30 }),
    201,
    SessionResponse,
  ).session;

const ended = async (as: TestUser = org.bg) => {
  const s = await start(as);
  return expectOk(await as.api.post(`/api/breakglass/${s.id}/revoke`), 200, SessionResponse).session;
};

const verdict = { verdict: 'justified', notes: 'INC-77 was real; the rollback was the right call.' } as const;

async function pending(): Promise<BreakGlassSession[]> {
  return expectOk(await org.m1.api.get('/api/breakglass?review=pending'), 200, SessionsResponse).sessions;
}

describe('POST /api/breakglass/:id/review', () => {
  test('an auditor records a verdict: 200 {session} with review {by, at, verdict, notes}; it leaves review=pending', async () => {
    auditor ??= await org.user('Aisha Auditor', 'member', { roles: ['auditor'] });
    const s = await ended();
    assert.ok(
      (await pending()).some((p) => p.id === s.id),
      'an ended, unreviewed session awaits review',
    );
    const { session } = expectOk(await auditor.api.post(`/api/breakglass/${s.id}/review`, { ...verdict, notes: `  ${verdict.notes}  ` }), 200, SessionResponse);
    assert.equal(session.review?.by, auditor.id);
    assert.equal(session.review?.verdict, 'justified');
    assert.equal(session.review?.notes, verdict.notes, 'notes are stored trimmed');
    assert.ok(Number.isFinite(Date.parse(session.review?.at ?? '')));
    assert.equal(session.endedAt, s.endedAt, 'the review changes nothing else');
    assert.ok(!(await pending()).some((p) => p.id === s.id), 'reviewed: no longer pending');
    const listed = expectOk(await org.m1.api.get('/api/breakglass'), 200, SessionsResponse).sessions.find((p) => p.id === s.id);
    assert.deepEqual(listed?.review, session.review);
  });

  test('owners and admins may review; an unjustified verdict is recorded as such', async () => {
    const a = await ended();
    const b = await ended();
    assert.equal(expectOk(await org.owner.api.post(`/api/breakglass/${a.id}/review`, verdict), 200, SessionResponse).session.review?.by, org.owner.id);
    const r = expectOk(
      await org.admin.api.post(`/api/breakglass/${b.id}/review`, { verdict: 'unjustified', notes: 'No incident on record.' }),
      200,
      SessionResponse,
    );
    assert.equal(r.session.review?.verdict, 'unjustified');
  });

  test("403 for the session's own user, even an admin", async () => {
    const s = await ended(org.admin);
    expectError(await org.admin.api.post(`/api/breakglass/${s.id}/review`, verdict), 403, 'forbidden', BREAKGLASS_OWN_REVIEW_REFUSAL);
    const own = await ended();
    const bgAuditor = await org.user('Holder Auditor', 'member', { roles: ['breakglass', 'auditor'] });
    const hers = await ended(bgAuditor);
    expectError(await bgAuditor.api.post(`/api/breakglass/${hers.id}/review`, verdict), 403, 'forbidden', BREAKGLASS_OWN_REVIEW_REFUSAL);
    // The holder without the auditor role is refused by the table before the session is looked at.
    const res = await org.bg.api.post(`/api/breakglass/${own.id}/review`, verdict);
    expectError(res, 403, 'forbidden', BREAKGLASS_REVIEW_AUTHORITY_REFUSAL);
    assert.equal(
      (await pending()).some((p) => p.id === own.id),
      true,
      'nothing changed',
    );
  });

  test('403 for a member without the auditor role (release managers included), with requires: auditor', async () => {
    const s = await ended();
    for (const who of [org.m1, org.rm, org.plain]) {
      const err = expectError(await who.api.post(`/api/breakglass/${s.id}/review`, verdict), 403, 'forbidden', BREAKGLASS_REVIEW_AUTHORITY_REFUSAL);
      assert.deepEqual(err.details, { requires: 'auditor' });
    }
  });

  test('409 session_active while the session runs; 409 already_reviewed the second time', async () => {
    auditor ??= await org.user('Aisha Auditor', 'member', { roles: ['auditor'] });
    const s = await start();
    expectError(await auditor.api.post(`/api/breakglass/${s.id}/review`, verdict), 409, 'session_active', /still active/);
    assert.ok(!(await pending()).some((p) => p.id === s.id), 'an active session is not pending review');
    expectOk(await org.bg.api.post(`/api/breakglass/${s.id}/revoke`), 200, SessionResponse);
    expectOk(await auditor.api.post(`/api/breakglass/${s.id}/review`, verdict), 200, SessionResponse);
    expectError(
      await org.owner.api.post(`/api/breakglass/${s.id}/review`, { verdict: 'unjustified', notes: 'second opinion, too late' }),
      409,
      'already_reviewed',
      'break-glass session has already been reviewed',
    );
    const after = expectOk(await org.m1.api.get('/api/breakglass'), 200, SessionsResponse).sessions.find((p) => p.id === s.id);
    assert.equal(after?.review?.verdict, 'justified', 'the first verdict stands');
  });

  test('404 for an unknown session', async () => {
    expectError(await org.owner.api.post('/api/breakglass/bg_nope/review', verdict), 404, 'not_found', 'break-glass session not found');
  });

  test('400 for a bad verdict, missing, blank or short notes, notes over 2000, unknown keys; nothing changes', async () => {
    const s = await ended();
    const bad: unknown[] = [
      { verdict: 'fine', notes: verdict.notes },
      { notes: verdict.notes },
      { verdict: 'justified' },
      { verdict: 'justified', notes: '          ' },
      { verdict: 'justified', notes: '   short   ' },
      { verdict: 'justified', notes: 'x'.repeat(2001) },
      { ...verdict, extra: true },
      {},
    ];
    for (const body of bad)
      expectError(await org.owner.api.post(`/api/breakglass/${s.id}/review`, body), 400, 'invalid_request', undefined, JSON.stringify(body).slice(0, 80));
    assert.ok(
      (await pending()).some((p) => p.id === s.id),
      'still pending',
    );
    expectOk(await org.owner.api.post(`/api/breakglass/${s.id}/review`, { verdict: 'justified', notes: 'x'.repeat(2000) }), 200, SessionResponse);
  });

  test('the review is audited as breakglass.reviewed (subject the session, verdict and notes) and re-published through sync', async () => {
    auditor ??= await org.user('Aisha Auditor', 'member', { roles: ['auditor'] });
    const s = await ended();
    const before = expectOk(await org.m1.api.get('/api/sync?cursor=0&limit=5000'), 200, SyncResponse).cursor;
    expectOk(await auditor.api.post(`/api/breakglass/${s.id}/review`, { verdict: 'unjustified', notes: 'Rollback was not needed.' }), 200, SessionResponse);

    const events = [];
    for (let after = 0; ; ) {
      const page = expectOk(await org.owner.api.get(`/api/audit?after=${after}&limit=500`), 200, AuditResponse);
      events.push(...page.events);
      if (page.next === null || page.events.length === 0) break;
      after = page.next;
    }
    const reviewed = events.filter((e) => e.type === 'breakglass.reviewed' && e.subject === s.id);
    assert.equal(reviewed.length, 1);
    assert.equal(reviewed[0]!.actorId, auditor.id);
    assert.equal(reviewed[0]!.details.verdict, 'unjustified');
    assert.equal(reviewed[0]!.details.notes, 'Rollback was not needed.');
    assert.equal(reviewed[0]!.breakGlass, false, 'the review is not an action under the session');

    const sync = expectOk(await org.m1.api.get(`/api/sync?cursor=${before}`), 200, SyncResponse);
    const change = sync.changes.find((c) => c.entity === 'breakglass' && c.id === s.id);
    assert.ok(change, 'the session comes through sync again');
    assert.equal(BreakGlassSession.parse(change.data).review?.verdict, 'unjustified');
  });

  test('GET /api/breakglass?review=pending: unknown values are 400', async () => {
    expectError(await org.m1.api.get('/api/breakglass?review=done'), 400, 'invalid_request');
  });
});

describe('the demo organisation', () => {
  test('has an auditor, Aisha Rahman, and an ended session of Ines awaiting review with a rollback taken under it', async () => {
    const demo = await demoDir();
    const server = await startServer(demo.dir);
    try {
      const aisha = apiFor(server.url, demo.token('aisha.rahman@example.com'));
      const users = expectOk(await aisha.get('/api/users'), 200, UsersResponse).users;
      const me = users.find((u) => u.email === 'aisha.rahman@example.com');
      assert.deepEqual([me?.name, me?.orgRole, me?.roles, me?.teamIds], ['Aisha Rahman', 'member', ['auditor'], []]);
      const ines = users.find((u) => u.email === 'ines.duarte@example.com')!;
      const waiting = expectOk(await aisha.get('/api/breakglass?review=pending'), 200, SessionsResponse).sessions;
      assert.equal(waiting.length, 1);
      const s = waiting[0]!;
      assert.equal(s.userId, ines.id);
      assert.equal(s.endedBy, ines.id);
      assert.match(s.reason, /^INC-4471/);
      const under = expectOk(await aisha.get('/api/requests?limit=500'), 200, RequestsResponse).requests.filter((r) => r.breakGlassSessionId === s.id);
      assert.deepEqual(
        under.map((r) => [r.action, r.status]),
        [['rollback.execute', 'approved']],
      );
      assert.ok(under[0]!.warnings.length > 0, 'the bypassed gates are on the request');
      // Ines may not review her own session; Aisha may.
      expectError(
        await apiFor(server.url, demo.token('ines.duarte@example.com')).post(`/api/breakglass/${s.id}/review`, verdict),
        403,
        'forbidden',
        BREAKGLASS_REVIEW_AUTHORITY_REFUSAL,
      );
      expectOk(await aisha.post(`/api/breakglass/${s.id}/review`, verdict), 200, SessionResponse);
    } finally {
      await server.stop();
    }
  });
});
