import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, NetworkError, backoffDelay, createBackendClient } from './index.ts';

const user = { id: 'usr_1', name: 'A', email: 'a@example.com', orgRole: 'member', roles: [], teamIds: [] };
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function fakeFetch(answers: (() => Response | Promise<Response>)[]) {
  const calls: Request[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init);
    calls.push(req);
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return next();
  }) as typeof fetch;
  return { f, calls };
}
const refused = () => {
  throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
};
const client = (f: typeof fetch, extra = {}) =>
  createBackendClient({ baseUrl: 'https://gh.test/', token: () => 'tok', fetch: f, sleep: async () => undefined, ...extra });

test('GET parses with the schema and sends the bearer token', async () => {
  const { f, calls } = fakeFetch([() => json(200, { user })]);
  const me = await client(f).me();
  assert.equal(me.email, 'a@example.com');
  assert.equal(calls[0]!.url, 'https://gh.test/api/me');
  assert.equal(calls[0]!.headers.get('authorization'), 'Bearer tok');
});

test('error bodies become ApiError with status, code, message and details', async () => {
  const { f } = fakeFetch([() => json(409, { error: { code: 'already_reviewed', message: 'already reviewed', details: { x: 1 } } })]);
  await assert.rejects(client(f).approve('req_1', {}, 'k1'), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 409);
    assert.equal(e.code, 'already_reviewed');
    assert.equal(e.message, 'already reviewed');
    assert.deepEqual(e.details, { x: 1 });
    return true;
  });
});

test('a body that does not match the schema is invalid_response', async () => {
  const { f } = fakeFetch([() => json(200, { user: { id: 1 } })]);
  await assert.rejects(client(f).me(), (e: unknown) => e instanceof ApiError && e.code === 'invalid_response' && e.status === 200);
});

test('GETs are retried on network errors and 5xx, then succeed', async () => {
  const { f, calls } = fakeFetch([refused, () => json(503, { error: { code: 'unavailable', message: 'x' } }), () => json(200, { user })]);
  assert.equal((await client(f).me()).id, 'usr_1');
  assert.equal(calls.length, 3);
});

test('retries stop at the limit with a NetworkError (offline)', async () => {
  const { f, calls } = fakeFetch([refused, refused, refused, refused]);
  await assert.rejects(
    client(f, { retry: { limit: 2 } }).me(),
    (e: unknown) => e instanceof NetworkError && e.kind === 'offline' && e.message === 'connection refused',
  );
  assert.equal(calls.length, 3);
});

test('POST with an Idempotency-Key is retried with the same key; without one, never', async () => {
  const req = { id: 'req_1' };
  void req;
  const a = fakeFetch([
    refused,
    () => json(500, { error: { code: 'internal', message: 'boom' } }),
    () => json(404, { error: { code: 'not_found', message: 'request not found' } }),
  ]);
  await assert.rejects(client(a.f).approve('req_1', { comment: 'ok' }, 'key-1'), (e: unknown) => e instanceof ApiError && e.status === 404);
  assert.equal(a.calls.length, 3);
  assert.deepEqual(
    a.calls.map((c) => c.headers.get('idempotency-key')),
    ['key-1', 'key-1', 'key-1'],
  );
  const b = fakeFetch([refused, () => json(201, {})]);
  await assert.rejects(client(b.f).createRequest({ action: 'release.deploy', resource: {} }), NetworkError);
  assert.equal(b.calls.length, 1);
});

test('4xx is never retried, even for GETs', async () => {
  const { f, calls } = fakeFetch([() => json(429, { error: { code: 'slow_down', message: 'x' } }), () => json(200, { user })]);
  await assert.rejects(client(f).me(), (e: unknown) => e instanceof ApiError && e.status === 429);
  assert.equal(calls.length, 1);
});

test('timeouts become NetworkError(timeout)', async () => {
  const f = ((_i: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((_, rej) => {
      const signal = init?.signal ?? (_i instanceof Request ? _i.signal : undefined);
      signal?.addEventListener('abort', () => rej(signal.reason));
    })) as typeof fetch;
  await assert.rejects(client(f, { timeoutMs: 50, retry: { limit: 0 } }).me(), (e: unknown) => e instanceof NetworkError && e.kind === 'timeout');
});

test('diff returns the text and the ETag without quotes; freeze maps 200 and 202', async () => {
  const env = { id: 'env_1', projectId: 'prj_1', name: 'production', protection: 'locked', reviewers: { userIds: [], teamIds: [] } };
  const { f, calls } = fakeFetch([
    () => new Response('--- a\n+++ b\n', { status: 200, headers: { etag: '"abc"', 'content-type': 'text/plain' } }),
    () => json(200, { environment: env }),
  ]);
  const c = client(f);
  assert.deepEqual(await c.diff('req_1'), { text: '--- a\n+++ b\n', etag: 'abc' });
  const r = await c.freeze('env_1', { reason: 'incident' }, 'k');
  assert.equal(r.status, 200);
  assert.equal(calls[1]!.url, 'https://gh.test/api/environments/env_1/freeze');
});

test('backoff grows exponentially, is capped, and jitters within [ceiling/2, ceiling]', () => {
  assert.equal(
    backoffDelay(0, 100, 1000, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(3, 100, 1000, () => 1),
    800,
  );
  assert.equal(
    backoffDelay(10, 100, 1000, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(10, 100, 1000, () => 0),
    500,
  );
});

test('attack: a server URL of plain http to another host (the token in clear) → every call refused before any byte is sent', async () => {
  const { f, calls } = fakeFetch([() => json(200, { user })]);
  const insecure = createBackendClient({ baseUrl: 'http://gatehouse.example.com:8787', token: () => 'tok', fetch: f, sleep: async () => undefined });
  await assert.rejects(insecure.me(), (e: unknown) => {
    assert.ok(e instanceof NetworkError);
    assert.match(e.message, /refusing plain http to gatehouse\.example\.com:8787.*https:\/\/gatehouse\.example\.com:8787.*--allow-insecure-http/);
    return true;
  });
  await assert.rejects(insecure.approve('req_1', {}, 'k1'), NetworkError);
  assert.equal(calls.length, 0, 'nothing was sent');
  const allowed = createBackendClient({ baseUrl: 'http://gatehouse.example.com:8787', token: () => 'tok', fetch: f, allowInsecureHttp: true });
  assert.equal((await allowed.me()).id, 'usr_1', 'allowed when the user said so');
});

test('plain http to this machine (127.0.0.0/8, ::1, localhost) is allowed without the flag', async () => {
  for (const baseUrl of ['http://127.0.0.1:8787', 'http://127.3.4.5', 'http://[::1]:8787', 'http://localhost:1', 'https://remote.example']) {
    const { f, calls } = fakeFetch([() => json(200, { user })]);
    await createBackendClient({ baseUrl, token: () => 'tok', fetch: f }).me();
    assert.equal(calls.length, 1, baseUrl);
  }
});

test("a 503 or 429's Retry-After: a GET waits it out (plus jitter) when it is within the backoff cap; a longer one is the caller's, on the ApiError", async () => {
  const sleeps: number[] = [];
  const busy = (seconds: string) => () => json(503, { error: { code: 'unavailable', message: 'busy' } }, { 'retry-after': seconds });
  const { f, calls } = fakeFetch([busy('2'), () => json(200, { user })]);
  const c = client(f, { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5, retry: { maxMs: 5000 } });
  assert.equal((await c.me()).id, 'usr_1');
  assert.equal(calls.length, 2);
  assert.deepEqual(sleeps, [2500], '2 s asked + half of the 1 s jitter');

  const long = fakeFetch([busy('30')]);
  await assert.rejects(
    client(long.f, { sleep: async (ms: number) => void sleeps.push(ms), retry: { maxMs: 5000 } }).me(),
    (e: unknown) => e instanceof ApiError && e.status === 503 && e.retryAfterMs === 30_000,
  );
  assert.equal(long.calls.length, 1, 'not retried: 30 s is past the 5 s cap');

  const limited = fakeFetch([() => json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '99999999' })]);
  await assert.rejects(client(limited.f).me(), (e: unknown) => e instanceof ApiError && e.retryAfterMs === 300_000, 'capped at 5 minutes');
  const dated = fakeFetch([() => json(429, { error: { code: 'rate_limited', message: 'x' } }, { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' })]);
  await assert.rejects(client(dated.f).me(), (e: unknown) => e instanceof ApiError && e.retryAfterMs === undefined, 'an HTTP-date is ignored');
});
