// Escalation on the real server, on pinned clocks: a request filed at 10:00 under a policy that
// escalates after 30 min to team Beta. The server is restarted on the same data dir with its clock
// at 10:31 and then 11:01, so the sweeper finds what is due from the database alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditResponse, BindingResponse, PolicyResponse, RequestDetailResponse, RequestResponse, type AuditEvent } from '../../shared/schemas/index.ts';
import { clockAt } from '../clock.ts';
import { cleanupTempDirs, expectError, expectOk, initDir, killAll, ServerProcess, uniq, waitFor } from './harness.ts';
import { setupOrg, type Org } from './fixtures.ts';

const FILED = '2026-03-09T10:00:00Z';
let dir: string;
let server: ServerProcess;
let org: Org;

/** Stops the server and starts it again on the same data dir with its clock at `instant`. */
async function restartAt(instant: string): Promise<void> {
  await server?.stop();
  server = await new ServerProcess(dir, ['--clock', clockAt(instant).flag]).start();
}

const detail = async (id: string) => expectOk(await org.owner.api.get(`/api/requests/${id}`), 200, RequestDetailResponse);

async function escalations(id: string): Promise<AuditEvent[]> {
  const events = expectOk(await org.owner.api.get('/api/audit?after=0&limit=5000'), 200, AuditResponse).events;
  return events.filter((e) => e.subject === id && e.type === 'request.escalated');
}

async function policy(envIds: string[], body: Record<string, unknown>): Promise<string> {
  const p = expectOk(await org.owner.api.post('/api/policies', { name: uniq('policy'), actions: ['release.deploy'], ...body }), 201, PolicyResponse).policy;
  for (const targetId of envIds) expectOk(await org.owner.api.post('/api/bindings', { policyId: p.id, scope: 'environment', targetId }), 201, BindingResponse);
  return p.id;
}

// filed at 10:00
let pending: string; // one gate, short of it: escalates at 10:30
let approved: string; // approved before the escalation was due
let gatePassed: string; // its escalating gate passed, a second gate still pending
let later: string; // escalates at 11:00
let escalation: { afterMinutes: number; approvers: { userIds: string[]; teamIds: string[]; orgRoles: string[] } };

before(async () => {
  const init = await initDir();
  dir = init.dir;
  await restartAt(FILED);
  org = await setupOrg(() => server.url, init.ownerToken);
  escalation = { afterMinutes: 30, approvers: { userIds: [], teamIds: [org.beta.id], orgRoles: [] } };
  const envA = await org.env();
  const envC = await org.env();
  const envE = await org.env();
  const alphaGate = { approvers: { teamIds: [org.alpha.id] }, quorum: { minApprovals: 1 } };
  await policy([envA.id, envC.id], { ...alphaGate, escalation });
  await policy([envC.id], { approvers: { userIds: [org.admin.id] }, quorum: { minApprovals: 1 } });
  await policy([envE.id], { ...alphaGate, escalation: { ...escalation, afterMinutes: 60 } });

  pending = (await org.request(org.rm, envA.id, 'pending')).id;
  approved = (await org.request(org.rm, envA.id, 'pending')).id;
  expectOk(await org.m1.api.post(`/api/requests/${approved}/approve`, {}), 200, RequestResponse);
  gatePassed = (await org.request(org.rm, envC.id, 'pending')).id;
  expectOk(await org.m1.api.post(`/api/requests/${gatePassed}/approve`, {}), 200, RequestResponse);
  later = (await org.request(org.rm, envE.id, 'pending')).id;
});
after(async () => {
  await server?.stop();
  killAll();
  cleanupTempDirs();
});

test('before afterMinutes the escalation approver is not eligible, and progress says what will happen', async () => {
  expectError(await org.m3.api.post(`/api/requests/${pending}/approve`, {}), 403, 'not_eligible');
  const d = await detail(pending);
  assert.equal(d.request.gates[0]!.escalatedAt, undefined);
  assert.match(d.progress.gates[0]!.escalation ?? '', /^after 30 min short of its quorum, team Beta may approve too$/);
  assert.ok(!d.progress.gates[0]!.canStillApprove.includes(org.m3.id));
  assert.deepEqual(await escalations(pending), []);
});

test('after afterMinutes (and a restart) the sweeper escalates; the escalation approver completes the gate', async () => {
  await restartAt('2026-03-09T10:31:00Z');
  const escalated = await waitFor(async () => {
    const d = await detail(pending);
    return d.request.gates[0]!.escalatedAt ? d : undefined;
  }, 10_000);
  assert.ok(escalated, 'escalated by the sweeper');
  const gate = escalated.request.gates[0]!;
  assert.ok(gate.approvers.teamIds.includes(org.alpha.id) && gate.approvers.teamIds.includes(org.beta.id), 'approvers widened, not replaced');
  assert.ok(Date.parse(gate.escalatedAt!) >= Date.parse('2026-03-09T10:31:00Z'));
  assert.match(escalated.progress.gates[0]!.escalation ?? '', /^escalated: after 30 min/);
  assert.equal(escalated.progress.gates[0]!.escalatedAt, gate.escalatedAt);
  assert.ok(escalated.progress.gates[0]!.canStillApprove.includes(org.m3.id));

  // the 60-minute escalation is not due yet
  expectError(await org.m3.api.post(`/api/requests/${later}/approve`, {}), 403, 'not_eligible');

  const events = await escalations(pending);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.actorId, 'system');
  assert.deepEqual(events[0]!.details, { gateId: gate.id, name: gate.name, approvers: escalation.approvers, afterMinutes: 30 });

  const r = expectOk(await org.m3.api.post(`/api/requests/${pending}/approve`, {}), 200, RequestResponse).request;
  assert.equal(r.status, 'approved');
});

test('an approved request and a gate that already passed are not escalated; a second restart escalates nothing twice', async () => {
  await restartAt('2026-03-09T11:01:00Z');
  // the 11:00 escalation firing shows the sweeper has run on this start
  const fired = await waitFor(async () => (await detail(later)).request.gates[0]!.escalatedAt !== undefined, 10_000);
  assert.ok(fired, 'the 60-minute escalation fired');
  expectOk(await org.m3.api.post(`/api/requests/${later}/approve`, {}), 200, RequestResponse);

  assert.deepEqual(await escalations(approved), []);
  assert.equal((await detail(approved)).request.gates[0]!.escalatedAt, undefined);
  const c = await detail(gatePassed);
  assert.equal(c.request.status, 'pending');
  assert.ok(c.request.gates.every((g) => g.escalatedAt === undefined));
  assert.ok(!c.request.gates.some((g) => g.approvers.teamIds.includes(org.beta.id)));
  assert.deepEqual(await escalations(gatePassed), []);
  assert.equal((await escalations(pending)).length, 1);
  assert.equal((await escalations(later)).length, 1);
});
