// The composed desktop core (what main and web mode run) against the real backend: offline
// decisions through the contract, a truncated cache rebuilt with the outbox kept, notifications.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';
import { tempDir, killAll, cleanupTempDirs } from '../server/harness.ts';
import { RHEA, SAM, assertDecidedOnce, demoBackend, pendingForRhea, restartSamePort, until, type Backend, MemorySecrets, RecordingSink } from './helpers.ts';

let b: Backend;
before(async () => {
  b = await demoBackend();
});
after(() => {
  killAll();
  cleanupTempDirs();
});

async function open(dataDir: string, sink = new RecordingSink()): Promise<{ core: DesktopCore; sink: RecordingSink }> {
  // On the servers' clock: a core a month behind them would see every new request as expired.
  const core = await createDesktopCore({
    mode: 'web',
    dataDir,
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications: sink,
    server: { url: b.url(), token: b.token(RHEA) },
  });
  return { core, sink };
}

async function call(core: DesktopCore, channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.data;
}

const pendingTotal = async (core: DesktopCore) => (await call(core, 'inbox.query', { status: 'pending' })).total as number;

test('offline decisions survive a truncated cache: the cache is rebuilt from the server, the outbox kept and applied once', async () => {
  const dataDir = tempDir('gh-core-');
  const [target] = await pendingForRhea(b, 1);
  let { core } = await open(dataDir);
  const expected = await until(
    async () => {
      const n = await pendingTotal(core);
      return n >= 14 && n;
    },
    15_000,
    'first sync',
  );
  await core.close();

  // Backend down: the decision is queued durably through the contract.
  await b.server.stop();
  ({ core } = await open(dataDir));
  const statusNow = await call(core, 'status.get');
  assert.equal(statusNow.state, 'offline');
  const entry = await call(core, 'outbox.enqueue', { type: 'approve', requestId: target!.id, comment: 'approved on the train' });
  assert.equal(entry.state, 'queued');
  assert.equal((await call(core, 'outbox.list')).queued, 1);
  const row = (await call(core, 'inbox.query', { status: 'pending', limit: 500 })).rows.find((r: any) => r.request.id === target!.id);
  assert.equal(row.queued, true, 'the inbox row shows its decision as queued');
  await core.close();

  // The cache file is torn (a crash of some other kind); the outbox journal is untouched.
  const cacheFile = join(dataDir, 'cache.sqlite');
  truncateSync(cacheFile, Math.floor(statSync(cacheFile).size / 3));

  await restartSamePort(b);
  ({ core } = await open(dataDir));
  assert.ok(
    readdirSync(dataDir).some((f) => f.startsWith('cache.sqlite.corrupt-')),
    'the torn cache was moved aside',
  );
  await until(async () => (await call(core, 'outbox.list')).entries.length === 0, 15_000, 'outbox drained');
  await assertDecidedOnce(b, [target!.id], (await call(core, 'session.get')).user.id);
  await until(async () => (await pendingTotal(core)) >= expected - 1 && (await call(core, 'directory.get')).users.length > 0, 15_000, 'cache rebuilt');
  await core.close();
  assert.ok(existsSync(join(dataDir, 'outbox.jsonl')));
});

test('a conflict from the server is visible with its message, and can be dismissed', async () => {
  const dataDir = tempDir('gh-core-');
  const { core } = await open(dataDir);
  try {
    await until(async () => (await pendingTotal(core)) > 0, 15_000, 'sync');
    await call(core, 'outbox.enqueue', { type: 'approve', requestId: 'req_nonexistent0000' });
    const summary = await until(
      async () => {
        const s = await call(core, 'outbox.list');
        return s.conflicts === 1 && s;
      },
      10_000,
      'conflict',
    );
    assert.deepEqual(summary.entries[0].error, { status: 404, code: 'not_found', message: 'request not found' });
    const after = await call(core, 'outbox.dismiss', { id: summary.entries[0].id });
    assert.equal(after.entries.length, 0);
  } finally {
    await core.close();
  }
});

test('a new request I can approve raises a notification, withdrawn once it is decided', async () => {
  const dataDir = tempDir('gh-core-');
  const { core, sink } = await open(dataDir);
  try {
    await until(async () => (await call(core, 'status.get')).state === 'online', 15_000, 'online');
    const [req] = await pendingForRhea(b, 1);
    const shown = await until(
      () => sink.shown.find((n) => n.id === `request:${req!.id}` || /awaiting your approval/.test(n.title + n.body)),
      10_000,
      'notification shown',
    );
    assert.ok(shown);
    assert.equal(core.notificationTarget(shown.id)?.kind === 'request' || core.notificationTarget(shown.id)?.kind === 'inbox', true);
    const cancel = await b.api(SAM).post(`/api/requests/${req!.id}/cancel`);
    assert.equal(cancel.status, 200);
    await until(() => sink.closed.includes(shown.id), 10_000, 'notification withdrawn');
  } finally {
    await core.close();
  }
});

test('a token the system cannot store safely: the console is told why it must sign in at each launch', async () => {
  const { chooseSecretStore } = await import('../../electron/core/settings/index.ts');
  const { secrets, notice } = await chooseSecretStore({ platform: 'linux', encryptionAvailable: true, backend: 'basic_text' }, new MemorySecrets());
  const core = await createDesktopCore({
    mode: 'desktop',
    dataDir: tempDir('gh-core-'),
    clock: testClock,
    secrets,
    tokenNotice: notice,
    notifications: new RecordingSink(),
  });
  try {
    const session = await call(core, 'session.get');
    assert.equal(session.signedIn, false);
    assert.match(session.tokenNotice, /basic_text/);
    await call(core, 'session.signIn', { serverUrl: b.url(), token: b.token(RHEA) });
    assert.equal(await secrets.get(), b.token(RHEA), 'kept for this run');
    assert.match((await call(core, 'session.get')).tokenNotice, /sign in at each launch/);
  } finally {
    await core.close();
  }
});
