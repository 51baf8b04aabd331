// The outbox against the real backend: decisions queued while the backend is down are applied
// exactly once when it is back; a core process SIGKILLed with decisions queued (or mid-drain)
// loses nothing and applies nothing twice; every conflict status becomes a visible conflict entry
// carrying the server's message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupTempDirs, killAll, ROOT } from '../server/harness.ts';
import { Outbox, type OutboxOp } from '../../electron/core/outbox/index.ts';
import { MemorySyncStore, SyncEngine } from '../../electron/core/sync/index.ts';
import {
  assertDecidedOnce,
  clientFor,
  demoBackend,
  OLIVIA,
  pendingForRhea,
  restartSamePort,
  RHEA,
  SAM,
  StatusLog,
  until,
  type Backend,
  MemorySecrets,
} from './helpers.ts';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';
import { randomUUID } from 'node:crypto';

let b: Backend;
let rheaId: string;
/** Rhea on this backend: who queues and who drains here. */
const rhea = () => ({ userId: rheaId, userEmail: RHEA, serverUrl: b.url() });
const tmp = mkdtempSync(join(tmpdir(), 'gh-desk-outbox-'));
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

test('backend down → offline → decisions queued → backend back on the same port → each applied exactly once', async () => {
  const reqs = await pendingForRhea(b, 5);
  const prodEnv = await b.envId('staging');
  const client = clientFor(b, RHEA);
  const box = await Outbox.open(journal());
  const store = new MemorySyncStore();
  const log = new StatusLog();
  const drains: Promise<unknown>[] = [];
  const engine = new SyncEngine({
    client,
    store,
    baseUrl: b.url(),
    token: () => b.token(RHEA),
    reconnect: { baseMs: 100, maxMs: 500 },
    onStatus: (s) => {
      log.push(s);
      if (s.state === 'online') drains.push(box.drain(client, { identity: rhea() })); // what the app does on reconnect
    },
  });
  try {
    await engine.start();
    assert.equal(engine.status.state, 'online');
    await b.server.stop();
    await log.waitFor('offline', 5000);

    const entries = [];
    for (const r of reqs) entries.push(await box.enqueue({ type: 'approve', requestId: r.id, comment: 'offline approval', reviewedDigest: r.digest }, rhea()));
    entries.push(await box.enqueue({ type: 'freeze', environmentId: prodEnv, reason: 'incident while offline' }, rhea()));
    assert.equal(box.pendingCount, 6);
    // a drain while the backend is down changes nothing
    const r0 = await box.drain(client, { identity: rhea() });
    assert.equal(r0.sent, 0);
    assert.equal(r0.remaining, 6);
    assert.match(r0.stoppedBy ?? '', /refused|reset/);

    const since = log.all.length;
    await restartSamePort(b);
    await log.waitFor('online', 10_000, since);
    await until(() => box.pendingCount === 0, 10_000, 'outbox drained after reconnect');
    await Promise.all(drains);
    assert.equal(box.list().length, 0, JSON.stringify(box.list()));
    await assertDecidedOnce(
      b,
      reqs.map((r) => r.id),
      rheaId,
    );
    const env = await clientFor(b, RHEA).environment(prodEnv);
    assert.equal(env.protection, 'locked');
    assert.equal(env.freeze?.reason, 'incident while offline');
    // the synced store sees the decisions too
    await until(
      () => reqs.every((r) => (store.get('request', r.id) as { decisions: { userId: string }[] } | undefined)?.decisions.some((d) => d.userId === rheaId)),
      5000,
      'decisions synced back',
    );
    // replaying a key changes nothing
    const again = await client.approve(reqs[0]!.id, { comment: 'offline approval', reviewedDigest: reqs[0]!.digest }, entries[0]!.idempotencyKey);
    assert.equal(again.decisions.filter((d) => d.userId === rheaId).length, 1);
    await assertDecidedOnce(b, [reqs[0]!.id], rheaId);
    await clientFor(b, RHEA).unfreeze(prodEnv, {}, `unfreeze-${randomUUID()}`);
  } finally {
    await engine.stop();
    await box.close();
  }
});

function runWorker(
  input: object,
  onLine: (line: string, kill: () => void) => void,
): Promise<{ lines: string[]; signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/desktop/fixtures/outbox-worker.ts'], {
      cwd: ROOT,
      env: { ...process.env, GH_WORKER: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let buf = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        onLine(line, () => child.kill('SIGKILL'));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines, signal, code, stderr });
    });
  });
}

test('core SIGKILLed while enqueuing: every acknowledged decision survives, and each is applied once', async () => {
  const reqs = await pendingForRhea(b, 40);
  const file = journal();
  const ops: OutboxOp[] = reqs.map((r) => ({ type: 'approve', requestId: r.id, comment: 'crash test' }));
  let seen = 0;
  const run = await runWorker({ file, baseUrl: b.url(), token: b.token(RHEA), owner: rhea(), ops, mode: 'enqueue' }, (line, kill) => {
    if (line.startsWith('queued ') && ++seen === 20) kill();
  });
  assert.equal(run.signal, 'SIGKILL', run.stderr);
  const acknowledged = run.lines.filter((l) => l.startsWith('queued ')).map((l) => l.slice(7));
  assert.ok(acknowledged.length >= 20);

  const box = await Outbox.open(file);
  const ids = new Set(box.list().map((e) => e.id));
  for (const id of acknowledged) assert.ok(ids.has(id), `acknowledged ${id} survived the crash`);
  const queuedRequests = box.list().map((e) => (e.op as { requestId: string }).requestId);
  assert.equal(new Set(queuedRequests).size, queuedRequests.length, 'no duplicate entries');
  const r = await box.drain(clientFor(b, RHEA), { identity: rhea() });
  assert.equal(r.conflicts, 0);
  assert.equal(r.remaining, 0);
  await box.close();
  await assertDecidedOnce(b, queuedRequests, rheaId);
});

test('core SIGKILLed after the server answered but before the outbox recorded it: the retry (same key) applies nothing twice', async () => {
  const reqs = await pendingForRhea(b, 8);
  const file = journal();
  const ops: OutboxOp[] = reqs.map((r) => ({ type: 'approve', requestId: r.id, comment: 'mid-drain crash' }));
  const run = await runWorker({ file, baseUrl: b.url(), token: b.token(RHEA), owner: rhea(), ops, mode: 'drain-crash', crashAfter: 3 }, () => undefined);
  assert.equal(run.signal, 'SIGKILL', run.stderr);
  assert.ok(run.lines.includes('crashing after 3'), run.lines.join('\n'));

  const box = await Outbox.open(file);
  // the first two were recorded as done; the third was applied on the server but not recorded
  assert.deepEqual(
    box.list().map((e) => (e.op as { requestId: string }).requestId),
    reqs.slice(2).map((r) => r.id),
  );
  const r = await box.drain(clientFor(b, RHEA), { identity: rhea() });
  assert.deepEqual(r, { sent: 6, conflicts: 0, remaining: 0 });
  await box.close();
  await assertDecidedOnce(
    b,
    reqs.map((r) => r.id),
    rheaId,
  );
});

test('conflicts (403, 404, 409 already_reviewed / not_pending, 412) become visible entries with the server message', async () => {
  const [a, c, d] = await pendingForRhea(b, 3);
  // Rhea's own request: she may not approve it (requester)
  const env = await b.envId('production');
  const own = await b.api(RHEA).post('/api/requests', { action: 'release.deploy', resource: { environmentId: env }, justification: 'mine' });
  assert.equal(own.status, 201);
  // a cancelled one
  assert.equal((await b.api(SAM).post(`/api/requests/${c!.id}/cancel`, {})).status, 200);

  const box = await Outbox.open(journal());
  const ok = await box.enqueue({ type: 'approve', requestId: a!.id }, rhea());
  const twice = await box.enqueue({ type: 'approve', requestId: a!.id, comment: 'again' }, rhea());
  const forbidden = await box.enqueue({ type: 'approve', requestId: own.body.request.id }, rhea());
  const missing = await box.enqueue({ type: 'reject', requestId: 'req_doesnotexist' }, rhea());
  const notPending = await box.enqueue({ type: 'approve', requestId: c!.id }, rhea());
  const stale = await box.enqueue({ type: 'approve', requestId: d!.id, reviewedDigest: '0'.repeat(64) }, rhea());
  const r = await box.drain(clientFor(b, RHEA), { identity: rhea() });
  assert.deepEqual(r, { sent: 1, conflicts: 5, remaining: 0 });
  const byId = new Map(box.list().map((e) => [e.id, e]));
  assert.equal(byId.has(ok.id), false);
  const expect = (id: string, status: number, code: string, message?: string | RegExp) => {
    const e = byId.get(id);
    assert.ok(e, `conflict entry ${code}`);
    assert.equal(e.state, 'conflict');
    assert.equal(e.error?.status, status);
    assert.equal(e.error?.code, code);
    if (typeof message === 'string') assert.equal(e.error?.message, message);
    else if (message) assert.match(e.error?.message ?? '', message);
    else assert.ok((e.error?.message ?? '').length > 0);
  };
  expect(twice.id, 409, 'already_reviewed', 'already reviewed');
  expect(forbidden.id, 403, 'not_eligible', 'you are not an eligible approver for this request');
  expect(missing.id, 404, 'not_found', 'request not found');
  expect(notPending.id, 409, 'not_pending', /cancelled/);
  expect(stale.id, 412, 'stale_review');
  // kept across a restart, until dismissed
  const file = box.file;
  await box.close();
  const re = await Outbox.open(file);
  assert.equal(re.list().length, 5);
  assert.equal(await re.dismiss(stale.id), true);
  assert.equal(re.list().length, 4);
  await re.close();
  await assertDecidedOnce(b, [a!.id], rheaId);
});

// ---- the outbox belongs to the user and server that queued it (through the composed core) -----

async function coreAt(dataDir: string, server?: { url: string; token: string }): Promise<DesktopCore> {
  return createDesktopCore({
    mode: 'web',
    dataDir,
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications: { show: () => undefined, close: () => undefined },
    ...(server ? { server } : {}),
  });
}

async function ok(core: DesktopCore, channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.data;
}

async function decisionsOn(id: string): Promise<{ userId: string }[]> {
  const r = await b.api(OLIVIA).get(`/api/requests/${id}`);
  assert.equal(r.status, 200);
  return r.body.request.decisions;
}

test('the attack: a decision Rhea queued is not sent when Sam signs in; it shows as a conflict naming Rhea and her server', async () => {
  const [target] = await pendingForRhea(b, 1);
  const dataDir = mkdtempSync(join(tmp, 'core-'));
  let core = await coreAt(dataDir, { url: b.url(), token: b.token(RHEA) });
  try {
    await until(async () => (await ok(core, 'session.get')).user?.email === RHEA, 10_000, 'signed in as Rhea');
    await b.server.stop();
    const entry = await ok(core, 'outbox.enqueue', { type: 'approve', requestId: target!.id, comment: 'queued by Rhea' });
    assert.equal(entry.owner.userId, rheaId);
    assert.equal(entry.owner.serverUrl, b.url());
    await until(async () => (await ok(core, 'outbox.list')).queued === 1, 5000, 'queued while the backend is down');
    await core.close();
    await restartSamePort(b);

    // Next launch: nobody signed in (the token was not kept); Sam signs in on this machine.
    core = await coreAt(dataDir);
    assert.equal((await ok(core, 'session.get')).signedIn, false);
    await ok(core, 'session.signIn', { serverUrl: b.url(), token: b.token(SAM) });
    const list = await until(
      async () => {
        const l = await ok(core, 'outbox.list');
        return l.conflicts === 1 && l;
      },
      10_000,
      'the entry became a conflict',
    );
    assert.equal(list.queued, 0);
    const conflict = list.entries[0];
    assert.equal(conflict.id, entry.id);
    assert.deepEqual(conflict.error, {
      status: 0,
      code: 'other_identity',
      message: `queued by ${RHEA} for server ${b.url()}; not sent under another identity`,
    });
    assert.deepEqual(await decisionsOn(target!.id), [], 'nothing was applied, as Rhea or as Sam');
    // the user can dismiss it
    assert.equal((await ok(core, 'outbox.dismiss', { id: entry.id })).entries.length, 0);
  } finally {
    await core.close();
  }
});

test('sign-out sets queued decisions aside as conflicts: signing in again (as anyone) sends nothing', async () => {
  const [target] = await pendingForRhea(b, 1);
  const dataDir = mkdtempSync(join(tmp, 'core-'));
  const core = await coreAt(dataDir);
  try {
    await ok(core, 'session.signIn', { serverUrl: b.url(), token: b.token(RHEA) });
    await b.server.stop();
    const entry = await ok(core, 'outbox.enqueue', { type: 'approve', requestId: target!.id });
    await ok(core, 'session.signOut');
    const list = await ok(core, 'outbox.list');
    assert.equal(list.queued, 0);
    assert.equal(list.entries[0].error.code, 'signed_out');
    assert.match(list.entries[0].error.message, new RegExp(`queued by ${RHEA.replace(/\./g, '\\.')} for server .*; signed out before it was sent`));
    // nothing can be queued while signed out
    const refused = await core.dispatch('outbox.enqueue', { type: 'approve', requestId: target!.id });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'signed_out');
    await restartSamePort(b);
    await ok(core, 'session.signIn', { serverUrl: b.url(), token: b.token(SAM) });
    await ok(core, 'session.signIn', { serverUrl: b.url(), token: b.token(RHEA) });
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await decisionsOn(target!.id), []);
    assert.equal((await ok(core, 'outbox.list')).entries[0].id, entry.id);
  } finally {
    await core.close();
  }
});
