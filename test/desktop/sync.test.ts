// The sync engine against the real backend: bootstrap of thousands of requests, live changes
// through SSE, a server whose data was reset, and the real sql.js cache as the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiFor, cleanupTempDirs, killAll, ServerProcess, demoDir } from '../server/harness.ts';
import { MemorySyncStore, SyncEngine } from '../../electron/core/sync/index.ts';
import type { SyncChange } from '../../shared/schemas/index.ts';
import { clientFor, createRequests, demoBackend, OLIVIA, restartSamePort, RHEA, StatusLog, until, type Backend } from './helpers.ts';

let b: Backend;
const COUNT = 2500;
let created: { id: string }[] = [];
const engines: SyncEngine[] = [];

before(async () => {
  b = await demoBackend();
  const dev = await b.envId('dev');
  created = await createRequests(b.api(OLIVIA), COUNT, (i) => ({
    action: 'release.deploy',
    resource: { environmentId: dev },
    justification: `bulk ${i}`,
    payload: { revision: `bulk-${i}`, summary: 'bulk' },
  }));
});

after(async () => {
  for (const e of engines) await e.stop();
  await b?.server.stop();
  killAll();
  cleanupTempDirs();
});

function engineFor(
  store: import('../../electron/core/contracts.ts').SyncStore,
  log: StatusLog,
  onChanges?: (c: readonly SyncChange[], info: { bootstrap: boolean }) => void,
  token: () => string = () => b.token(RHEA),
) {
  const e = new SyncEngine({
    client: clientFor(b, RHEA, { token }),
    store,
    baseUrl: b.url(),
    token,
    onStatus: log.push,
    ...(onChanges ? { onChanges } : {}),
    reconnect: { baseMs: 100, maxMs: 1000 },
  });
  engines.push(e);
  return e;
}

test('bootstrap: thousands of requests through /api/sync pages, syncing → online; a new request arrives through SSE', async () => {
  const store = new MemorySyncStore();
  const log = new StatusLog();
  const pages: { n: number; bootstrap: boolean }[] = [];
  const engine = engineFor(store, log, (c, info) => pages.push({ n: c.length, bootstrap: info.bootstrap }));
  const t0 = performance.now();
  await engine.start();
  const ms = performance.now() - t0;
  assert.equal(engine.status.state, 'online', JSON.stringify(log.all));
  const states = log.all.map((s) => s.state);
  assert.equal(states[0], 'syncing');
  assert.equal(states[states.length - 1], 'online');
  assert.ok(!states.includes('offline'), states.join(' → '));
  const progress = log.all.filter((s) => s.state === 'syncing').map((s) => s.progress?.done ?? -1);
  assert.ok(progress.length >= 3, 'progress reported per page');
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! >= progress[i - 1]!, 'progress grows');
  for (const r of created) assert.ok(store.get('request', r.id), `request ${r.id} synced`);
  // everything the server lists is in the store
  let total = 0;
  let cursor: string | null = null;
  const client = clientFor(b, OLIVIA);
  do {
    const page = await client.listRequests({ limit: 500, ...(cursor ? { cursor } : {}) });
    total += page.requests.length;
    for (const r of page.requests) assert.ok(store.get('request', r.id), `listed ${r.id} synced`);
    cursor = page.nextCursor;
  } while (cursor);
  assert.equal(store.count('request'), total);
  assert.ok(total >= COUNT);
  assert.ok(store.count('user') >= 10 && store.count('environment') >= 9);
  assert.ok(pages.length >= 3 && pages.every((p) => p.bootstrap));
  process.stderr.write(`# bootstrap of ${total} requests: ${Math.round(ms)} ms, ${pages.length} pages\n`);

  // live: a change on the server reaches the store through SSE
  const dev = await b.envId('dev');
  const t1 = performance.now();
  const [fresh] = await createRequests(b.api(OLIVIA), 1, () => ({ action: 'release.deploy', resource: { environmentId: dev }, justification: 'live' }));
  await until(() => store.get('request', fresh!.id), 3000, 'new request in the store');
  process.stderr.write(`# SSE delta: ${Math.round(performance.now() - t1)} ms\n`);
  assert.equal(pages[pages.length - 1]!.bootstrap, false);
  assert.equal(engine.status.state, 'online');

  // a burst of changes: pulls are coalesced and the store catches up with all of them
  const pullsBefore = engine.stats.pulls;
  const burst = await createRequests(
    b.api(OLIVIA),
    200,
    (i) => ({ action: 'release.deploy', resource: { environmentId: dev }, justification: `burst ${i}` }),
    16,
  );
  await until(() => burst.every((r) => store.get('request', r.id)), 5000, 'burst synced');
  assert.ok(engine.stats.pulls - pullsBefore < 200, `pulls coalesced (${engine.stats.pulls - pullsBefore} for 200 changes)`);
  await engine.stop();
});

test('stream lost → offline → reconnects and resumes from the stored cursor (no re-bootstrap)', async () => {
  const store = new MemorySyncStore();
  const log = new StatusLog();
  const engine = engineFor(store, log);
  await engine.start();
  const cursorBefore = store.cursor();
  const pagesBefore = store.pages;
  await b.server.stop();
  await log.waitFor('offline', 5000);
  // Gone mid-stream, refused, or (a reconnect that lands while it drains) told it is shutting down.
  assert.match(log.last!.error ?? '', /closed|refused|lost|reset|shutting down/);
  // a change made while we are away
  await restartSamePort(b);
  const dev = await b.envId('dev');
  const [r] = await createRequests(b.api(OLIVIA), 1, () => ({ action: 'release.deploy', resource: { environmentId: dev }, justification: 'while away' }));
  await until(() => store.get('request', r!.id), 8000, 'change made while offline synced after reconnect');
  await log.waitFor('online', 5000);
  assert.equal(store.resets, 0);
  assert.ok(store.cursor() > cursorBefore);
  assert.ok(store.pages - pagesBefore <= 3, `resumed with a delta, not a bootstrap (${store.pages - pagesBefore} pages)`);
  await engine.stop();
});

test('a server whose cursor is behind ours (data reset) → store reset and bootstrapped again', async () => {
  const store = new MemorySyncStore();
  const log = new StatusLog();
  let token = b.token(RHEA);
  const engine = engineFor(store, log, undefined, () => token);
  await engine.start();
  assert.ok(store.count('request') > COUNT);
  // swap the backend for a fresh demo on the same port: its cursor is far behind ours
  const port = new URL(b.url()).port;
  const other = await demoDir();
  await b.server.stop();
  token = other.token(RHEA); // the same user on the new server has a new token
  const fresh = await new ServerProcess(other.dir, ['--port', port]).start();
  try {
    await until(() => store.resets === 1 && engine.status.state === 'online', 10_000, 'reset and re-bootstrap');
    // The fresh demo's own count (the demo's month of history varies with the day it is built).
    const freshCount = (await apiFor(fresh.url, token).get('/api/requests?limit=500')).body.requests.length as number;
    assert.ok(freshCount < COUNT);
    assert.equal(store.count('request'), freshCount, "only the fresh server's requests remain");
    assert.equal(engine.stats.resets, 1);
  } finally {
    await engine.stop();
    await fresh.stop();
    await restartSamePort(b);
  }
});

test('the real sql.js Cache as the SyncStore', async () => {
  const { Cache } = await import('../../electron/core/cache/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'gh-desk-cache-'));
  try {
    const { cache } = await Cache.open({ file: join(dir, 'cache.sqlite') });
    const log = new StatusLog();
    const engine = engineFor(cache, log);
    await engine.start();
    assert.equal(engine.status.state, 'online');
    for (const r of created.slice(0, 50)) assert.ok(cache.get('request', r.id));
    const dev = await b.envId('dev');
    const [r] = await createRequests(b.api(OLIVIA), 1, () => ({ action: 'release.deploy', resource: { environmentId: dev }, justification: 'to the cache' }));
    await until(() => cache.get('request', r!.id), 3000, 'SSE change into the cache');
    await engine.stop();
    await cache.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
