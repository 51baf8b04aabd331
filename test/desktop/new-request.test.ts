// New requests through the outbox against the real backend: filed offline, they wait on disk and
// arrive once (with diff and cost) when the server is back, a resend with the same key filing
// nothing new; a refusal on replay (400 / 422 / 423) becomes a conflict carrying the server's
// words; through the composed core, `request.create` files online, queues offline, and a refusal
// while online is thrown with nothing left queued.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { cleanupTempDirs, killAll } from '../server/harness.ts';
import { Outbox } from '../../electron/core/outbox/index.ts';
import { clientFor, demoBackend, MemorySecrets, OLIVIA, restartSamePort, RHEA, until, type Backend } from './helpers.ts';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';

let b: Backend;
let rheaId: string;
const rhea = () => ({ userId: rheaId, userEmail: RHEA, serverUrl: b.url() });
const tmp = mkdtempSync(join(tmpdir(), 'gh-desk-new-request-'));
let n = 0;
const journal = () => join(tmp, `outbox-${++n}.jsonl`);

before(async () => {
  b = await demoBackend();
  rheaId = (await clientFor(b, RHEA).me()).id;
});

after(async () => {
  await b?.server.stop();
  killAll();
  cleanupTempDirs();
  rmSync(tmp, { recursive: true, force: true });
});

/** Requests on one environment filed by Rhea, as the server has them. */
async function rheasOn(environmentId: string): Promise<{ id: string; justification: string; payload: Record<string, unknown>; digest: string }[]> {
  const r = await b.api(OLIVIA).get(`/api/requests?environmentId=${environmentId}&limit=500`);
  assert.equal(r.status, 200);
  return r.body.requests.filter((x: { requesterId: string }) => x.requesterId === rheaId);
}

/** A fresh environment in a fresh project (so no demo policy gates it), made by the owner. */
async function freshEnv(protection: 'none' | 'restricted' | 'locked'): Promise<{ id: string; projectId: string }> {
  const owner = b.api(OLIVIA);
  const project = await owner.post('/api/projects', { name: `new-request-${randomUUID().slice(0, 8)}` });
  assert.equal(project.status, 201, project.text);
  const env = await owner.post('/api/environments', { projectId: project.body.project.id, name: 'sandbox', protection });
  assert.equal(env.status, 201, env.text);
  return { id: env.body.environment.id, projectId: project.body.project.id };
}

test('filed while the backend is down: queued on disk, sent once with its diff and cost when it is back; the same key files nothing new', async () => {
  const env = await freshEnv('none');
  const box = await Outbox.open(journal());
  try {
    await b.server.stop();
    const diff = 'diff --git a/app.yaml b/app.yaml\n--- a/app.yaml\n+++ b/app.yaml\n@@ -1 +1 @@\n-image: v2\n+image: v1\n';
    const cost = { totalMonthlyCost: 420, monthlyCostDiff: -35.5, currency: 'EUR' };
    const entry = await box.enqueue(
      {
        type: 'request.create',
        action: 'rollback.execute',
        resource: { environmentId: env.id },
        justification: 'v2 breaks checkout',
        payload: { revision: 'app@v1', diff, cost },
      },
      rhea(),
    );
    const down = await box.drain(clientFor(b, RHEA), { identity: rhea() });
    assert.equal(down.sent, 0);
    assert.equal(down.remaining, 1);

    // it survives a restart of the desktop
    const file = box.file;
    await box.close();
    const again = await Outbox.open(file);
    assert.equal(again.get(entry.id)?.op.type, 'request.create');

    await restartSamePort(b);
    const applied: unknown[] = [];
    again.onApplied((e, result) => e.id === entry.id && applied.push(result));
    const r = await again.drain(clientFor(b, RHEA), { identity: rhea() });
    assert.deepEqual(r, { sent: 1, conflicts: 0, remaining: 0 });
    await again.close();
    const filed = await rheasOn(env.id);
    assert.equal(filed.length, 1);
    assert.equal(filed[0]!.justification, 'v2 breaks checkout');
    assert.deepEqual(filed[0]!.payload.cost, cost);
    assert.equal(filed[0]!.payload.diffLines, 6);
    assert.equal((applied[0] as { id: string }).id, filed[0]!.id, 'the listener hears the filed request');
    const text = await clientFor(b, RHEA).diff(filed[0]!.id);
    assert.equal(text.text, diff);

    // a resend after a lost answer (same Idempotency-Key) is answered, not filed twice
    const { type: _t, ...body } = entry.op as Extract<typeof entry.op, { type: 'request.create' }>;
    const resent = await clientFor(b, RHEA).createRequest({ ...body, justification: body.justification ?? '' }, entry.idempotencyKey);
    assert.equal(resent.id, filed[0]!.id);
    assert.equal((await rheasOn(env.id)).length, 1);
  } finally {
    if (b.server.running === false) await restartSamePort(b);
  }
});

test('refusals on replay become conflicts with the server’s words: 423 locked, 422 reason required, 400 inconsistent resource', async () => {
  const locked = await freshEnv('locked');
  const reasoned = await freshEnv('none');
  const owner = b.api(OLIVIA);
  const policy = await owner.post('/api/policies', {
    name: `Reason required ${randomUUID().slice(0, 6)}`,
    actions: ['rollback.execute'],
    approvers: { orgRoles: ['admin'] },
    quorum: { minApprovals: 1 },
    conditions: { requireReason: true },
  });
  assert.equal(policy.status, 201, policy.text);
  const binding = await owner.post('/api/bindings', { policyId: policy.body.policy.id, scope: 'environment', targetId: reasoned.id });
  assert.equal(binding.status, 201, binding.text);
  const other = await freshEnv('none');

  const box = await Outbox.open(journal());
  try {
    const lockedEntry = await box.enqueue(
      { type: 'request.create', action: 'rollback.execute', resource: { environmentId: locked.id }, justification: 'urgent' },
      rhea(),
    );
    const noReason = await box.enqueue({ type: 'request.create', action: 'rollback.execute', resource: { environmentId: reasoned.id } }, rhea());
    const mismatch = await box.enqueue(
      { type: 'request.create', action: 'rollback.execute', resource: { environmentId: other.id, projectId: locked.projectId }, justification: 'x' },
      rhea(),
    );
    const r = await box.drain(clientFor(b, RHEA), { identity: rhea() });
    assert.deepEqual(r, { sent: 0, conflicts: 3, remaining: 0 });
    const error = (id: string) => box.get(id)?.error;
    assert.equal(error(lockedEntry.id)?.status, 423);
    assert.equal(error(lockedEntry.id)?.code, 'environment_locked');
    assert.match(error(lockedEntry.id)?.message ?? '', /locked/);
    assert.equal(error(noReason.id)?.status, 422);
    assert.equal(error(noReason.id)?.code, 'policy_violations');
    assert.match(error(noReason.id)?.message ?? '', /requires a reason/);
    assert.equal(error(mismatch.id)?.status, 400);
    assert.equal(error(mismatch.id)?.code, 'invalid_resource');
    assert.match(error(mismatch.id)?.message ?? '', /resource\.projectId/);
    for (const env of [locked, reasoned, other]) assert.deepEqual(await rheasOn(env.id), [], 'nothing filed');
  } finally {
    await box.close();
  }
});

// ---- request.create through the composed core ----------------------------------------------------

async function coreAt(dataDir: string, server: { url: string; token: string }): Promise<DesktopCore> {
  return createDesktopCore({
    mode: 'web',
    dataDir,
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications: { show: () => undefined, close: () => undefined },
    server,
  });
}

async function ok(core: DesktopCore, channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.data;
}

test('request.create: online it files and the request is in the cache at once; a refusal is thrown and nothing stays queued; offline it queues, then arrives', async () => {
  const open = await freshEnv('none');
  const locked = await freshEnv('locked');
  const core = await coreAt(mkdtempSync(join(tmp, 'core-')), { url: b.url(), token: b.token(RHEA) });
  try {
    await until(async () => (await ok(core, 'status.get')).state === 'online', 10_000, 'online');
    const filed = await ok(core, 'request.create', {
      action: 'rollback.execute',
      resource: { environmentId: open.id },
      justification: 'online filing',
      payload: { cost: { totalMonthlyCost: 1, monthlyCostDiff: 1 } },
    });
    assert.equal(filed.queued, undefined);
    assert.equal(filed.request.justification, 'online filing');
    assert.deepEqual((await ok(core, 'request.get', { id: filed.request.id })).request.payload.cost, { totalMonthlyCost: 1, monthlyCostDiff: 1 });

    const refused = await core.dispatch('request.create', { action: 'rollback.execute', resource: { environmentId: locked.id }, justification: 'x' });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'environment_locked');
    assert.equal(!refused.ok && refused.error.status, 423);
    assert.deepEqual((await ok(core, 'outbox.list')).entries, [], 'the refusal left nothing in the outbox');

    const bad = await core.dispatch('request.create', {
      action: 'rollback.execute',
      resource: { environmentId: open.id },
      payload: { cost: { totalMonthlyCost: -1, monthlyCostDiff: 0 } },
    });
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error.message : '', /totalMonthlyCost/);

    await b.server.stop();
    await until(async () => (await ok(core, 'status.get')).state === 'offline', 10_000, 'offline');
    const queued = await ok(core, 'request.create', { action: 'rollback.execute', resource: { environmentId: open.id }, justification: 'offline filing' });
    assert.equal(queued.request, undefined);
    assert.equal(queued.queued.op.type, 'request.create');
    assert.equal((await ok(core, 'outbox.list')).queued, 1);
    await restartSamePort(b);
    await until(async () => (await ok(core, 'outbox.list')).entries.length === 0, 20_000, 'the queued request was sent');
    const mine = await rheasOn(open.id);
    assert.deepEqual(mine.map((r) => r.justification).sort(), ['offline filing', 'online filing']);
  } finally {
    await core.close();
    if (b.server.running === false) await restartSamePort(b);
  }
});
