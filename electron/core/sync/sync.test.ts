import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionStatus } from '../contracts.ts';
import type { SyncResponse } from '../../../shared/schemas/index.ts';
import { MemorySyncStore, SyncEngine, sseReader } from './index.ts';

test('SSE frames: events split anywhere, CRLF, comments, multi-line data', () => {
  const comments: string[] = [];
  const read = sseReader((c) => comments.push(c));
  const text = 'retry: 2000\r\nevent: change\r\ndata: {"cursor":1}\r\n\r\n: heartbeat\n\nevent: change\ndata: {"cursor":\ndata: 2}\n\ndata: plain\n\n';
  const events = [];
  for (let i = 0; i < text.length; i += 3) events.push(...read(text.slice(i, i + 3)));
  assert.deepEqual(events, [
    { event: 'change', data: '{"cursor":1}' },
    { event: 'change', data: '{"cursor":\n2}' },
    { event: 'message', data: 'plain' },
  ]);
  assert.deepEqual(comments, ['heartbeat']);
});

/** A fake backend: an event stream we push frames into, and /api/sync over a list of changes. */
function fakeBackend(totalChanges: number) {
  let seq = totalChanges;
  const syncCalls: number[] = [];
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let connects = 0;
  let refuse = false;
  let serverId: string | undefined;
  const enc = new TextEncoder();
  const send = (text: string) => {
    try {
      controller?.enqueue(enc.encode(text));
    } catch {
      // that stream is closed; the next connection's first frame carries the cursor
    }
  };
  const fetchImpl = (async (_url: string | URL | Request, init?: RequestInit) => {
    connects++;
    if (refuse) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        c.enqueue(enc.encode(`retry: 2000\nevent: change\ndata: {"cursor":${seq}}\n\n`));
        init?.signal?.addEventListener('abort', () => {
          try {
            c.error(new DOMException('aborted', 'AbortError'));
          } catch {
            /* closed */
          }
        });
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }) as typeof fetch;
  const client = {
    async sync(cursor: number, limit = 1000): Promise<SyncResponse> {
      syncCalls.push(cursor);
      await new Promise((r) => setTimeout(r, 5));
      const end = Math.min(seq, cursor + limit);
      const changes = [];
      for (let s = cursor + 1; s <= end; s++) changes.push({ seq: s, entity: 'request' as const, id: `req_${s}`, op: 'upsert' as const, data: { n: s } });
      return { changes, cursor: Math.max(end, cursor), hasMore: end < seq, ...(serverId ? { serverId } : {}) };
    },
  };
  return {
    fetchImpl,
    client,
    syncCalls,
    get connects() {
      return connects;
    },
    commit(k = 1) {
      seq += k;
      send(`event: change\ndata: {"cursor":${seq}}\n\n`);
    },
    heartbeat: () => send(': heartbeat\n\n'),
    end: () => controller?.close(),
    setRefuse: (v: boolean) => (refuse = v),
    resetTo(n: number) {
      seq = n;
    },
    setServerId: (id: string) => (serverId = id),
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('engine: bootstrap in pages with progress, coalesced delta pulls, reconnect after the stream ends', async () => {
  const fb = fakeBackend(2500);
  const store = new MemorySyncStore();
  const statuses: ConnectionStatus[] = [];
  const engine = new SyncEngine({
    client: fb.client,
    store,
    baseUrl: 'https://x',
    token: () => 't',
    fetch: fb.fetchImpl,
    onStatus: (s) => statuses.push(s),
    reconnect: { baseMs: 20, maxMs: 40 },
  });
  await engine.start();
  assert.equal(store.cursor(), 2500);
  assert.deepEqual(
    statuses.filter((s) => s.state === 'syncing').map((s) => s.progress?.done),
    [0, 1000, 2000, 2500],
  );
  assert.equal(statuses.at(-1)?.state, 'online');
  // 20 commits in a burst while pulls are slow: far fewer than 20 pulls, and all applied
  const before = fb.syncCalls.length;
  for (let i = 0; i < 20; i++) fb.commit();
  await wait(100);
  assert.equal(store.cursor(), 2520);
  assert.ok(fb.syncCalls.length - before <= 3, `coalesced: ${fb.syncCalls.length - before} pulls`);
  // the stream ends: offline, then reconnect and resume from the cursor
  fb.end();
  await wait(10);
  assert.ok(statuses.some((s) => s.state === 'offline'));
  fb.commit(5);
  await wait(150);
  assert.equal(store.cursor(), 2525);
  assert.equal(engine.status.state, 'online');
  assert.ok(fb.connects >= 2);
  assert.equal(store.resets, 0);
  // the server's data was reset behind our cursor: reset and bootstrap again
  fb.resetTo(10);
  fb.end();
  await wait(150);
  assert.equal(store.resets, 1);
  assert.equal(store.cursor(), 10);
  await engine.stop();
});

test("engine: a catch-up fetches the next page while it applies one, in slices; the cursor moves with a page's last slice", async () => {
  const fb = fakeBackend(2500);
  const applied: { n: number; cursor: number; more: boolean | undefined; storeCursorBefore: number; callsSoFar: number }[] = [];
  const store = new MemorySyncStore();
  const apply = store.applyChanges.bind(store);
  store.applyChanges = (changes, cursor, options) => {
    applied.push({ n: changes.length, cursor, more: options?.more, storeCursorBefore: store.cursor(), callsSoFar: fb.syncCalls.length });
    apply(changes, cursor, options);
  };
  const engine = new SyncEngine({ client: fb.client, store, baseUrl: 'https://x', token: () => 't', fetch: fb.fetchImpl, applySlice: 400 });
  await engine.start();
  assert.equal(store.cursor(), 2500);
  // pages of 1000, 1000, 500 in slices of 400: 400 400 200 | 400 400 200 | 400 100
  assert.deepEqual(
    applied.map((a) => a.n),
    [400, 400, 200, 400, 400, 200, 400, 100],
  );
  // the cursor stays where the page started until its last slice
  assert.deepEqual(
    applied.map((a) => a.cursor),
    [0, 0, 1000, 1000, 1000, 2000, 2000, 2500],
  );
  // every slice but the very last says more follows (nothing to save until then)
  assert.deepEqual(
    applied.map((a) => a.more),
    [true, true, true, true, true, true, true, false],
  );
  // the next page was asked for before the first slice of this one was applied
  assert.deepEqual(fb.syncCalls.slice(0, 3), [0, 1000, 2000]);
  assert.equal(applied[0]!.callsSoFar, 2);
  assert.equal(applied[3]!.callsSoFar, 3);
  await engine.stop();
});

test('engine: offline with backoff while refused; stop() during a backoff ends promptly with no timers left', async () => {
  const fb = fakeBackend(3);
  fb.setRefuse(true);
  const statuses: ConnectionStatus[] = [];
  const engine = new SyncEngine({
    client: fb.client,
    store: new MemorySyncStore(),
    baseUrl: 'https://x',
    token: () => 't',
    fetch: fb.fetchImpl,
    onStatus: (s) => statuses.push(s),
    reconnect: { baseMs: 10, maxMs: 60_000 },
  });
  await engine.start();
  assert.equal(engine.status.state, 'offline');
  assert.equal(engine.status.error, 'connection refused');
  await wait(200);
  const attempts = fb.connects;
  assert.ok(attempts >= 3 && attempts < 12, `exponential backoff: ${attempts} attempts in 200 ms`);
  const t = performance.now();
  await engine.stop();
  assert.ok(performance.now() - t < 50);
  await wait(50);
  assert.equal(fb.connects, attempts, 'no attempt after stop');
});

test('engine: a silent stream (no heartbeat) is treated as dead', async () => {
  const fb = fakeBackend(1);
  const statuses: ConnectionStatus[] = [];
  const engine = new SyncEngine({
    client: fb.client,
    store: new MemorySyncStore(),
    baseUrl: 'https://x',
    token: () => 't',
    fetch: fb.fetchImpl,
    onStatus: (s) => statuses.push(s),
    heartbeatTimeoutMs: 60,
    reconnect: { baseMs: 1000, maxMs: 1000 },
  });
  await engine.start();
  fb.heartbeat();
  await wait(40);
  fb.heartbeat();
  await wait(40);
  assert.equal(engine.status.state, 'online', 'heartbeats keep it alive');
  await wait(80);
  assert.equal(engine.status.state, 'offline');
  assert.match(engine.status.error ?? '', /no event or heartbeat/);
  await engine.stop();
});

test('engine: another server behind the same address (a new serverId) resets the store even when its cursor is ahead', async () => {
  const fb = fakeBackend(50);
  fb.setServerId('db-one');
  const store = new MemorySyncStore();
  const engine = new SyncEngine({
    client: fb.client,
    store,
    baseUrl: 'https://x',
    token: () => 't',
    fetch: fb.fetchImpl,
    reconnect: { baseMs: 20, maxMs: 40 },
  });
  await engine.start();
  assert.equal(store.cursor(), 50);
  assert.equal(store.serverId(), 'db-one');
  assert.equal(store.get('request', 'req_7') !== undefined, true);
  // A different database whose cursor is already past ours: cursors alone can't tell.
  fb.setServerId('db-two');
  fb.resetTo(80);
  fb.end();
  await wait(200);
  assert.equal(store.resets, 1);
  assert.equal(store.serverId(), 'db-two');
  assert.equal(store.cursor(), 80);
  assert.equal(store.count('request'), 80, 'everything came again from the new server, from its beginning');
  await engine.stop();
});

test('attack: the event stream over plain http to another host (the token in clear) → offline with the refusal, nothing fetched', async () => {
  const fb = fakeBackend(3);
  let fetched = 0;
  const fetchImpl = ((...args: Parameters<typeof fetch>) => (fetched++, fb.fetchImpl(...args))) as typeof fetch;
  const engine = new SyncEngine({
    client: fb.client,
    store: new MemorySyncStore(),
    baseUrl: 'http://gatehouse.example.com',
    token: () => 't',
    fetch: fetchImpl,
    reconnect: { baseMs: 1000, maxMs: 1000 },
  });
  try {
    await engine.start();
    assert.equal(engine.status.state, 'offline');
    assert.match(engine.status.error ?? '', /refusing plain http to gatehouse\.example\.com/);
    assert.equal(fetched, 0);
  } finally {
    await engine.stop();
  }
});

test('engine: a refusal with Retry-After (a server pacing a reconnect storm) is waited out, plus up to 1 s of jitter, instead of the backoff', async () => {
  const fb = fakeBackend(2);
  let busy: string | null | undefined = '3';
  let refused = 0;
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    if (busy === undefined) return fb.fetchImpl(url, init);
    refused++;
    const body = JSON.stringify({ error: { code: 'unavailable', message: 'the server is taking on new event streams at 200 a second; try again in 3 s' } });
    return new Response(body, { status: 503, headers: { 'content-type': 'application/json', ...(busy !== null ? { 'retry-after': busy } : {}) } });
  }) as typeof fetch;
  const engine = new SyncEngine({
    client: fb.client,
    store: new MemorySyncStore(),
    baseUrl: 'https://x',
    token: () => 't',
    fetch: fetchImpl,
    reconnect: { baseMs: 10, maxMs: 60_000 },
    random: () => 0.25,
  });
  try {
    await engine.start();
    assert.equal(engine.status.state, 'offline');
    assert.match(engine.status.error ?? '', /HTTP 503 unavailable/);
    assert.equal(engine.stats.lastDelayMs, 3250, '3 s asked + 0.25 of a second of jitter');
    await wait(100);
    assert.equal(refused, 1, 'no retry inside the Retry-After (the 10 ms backoff would have retried)');

    // A Retry-After that is not delta-seconds is ignored: the ordinary backoff applies.
    busy = 'soon';
    engine.reconnectNow();
    await wait(50);
    assert.ok(refused >= 2);
    assert.ok(engine.stats.lastDelayMs <= 10 * 2 ** refused, `backoff, not a Retry-After: ${engine.stats.lastDelayMs} ms`);

    busy = undefined;
    engine.reconnectNow();
    const state = () => engine.status.state; // read afresh: narrowing would pin the earlier 'offline'
    for (let i = 0; i < 100 && state() !== 'online'; i++) await wait(10);
    assert.equal(state(), 'online');
  } finally {
    await engine.stop();
  }
});
