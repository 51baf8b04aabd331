import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import WebSocket from 'ws';
import { createDispatcher, CoreError } from '../ipc/dispatch.ts';
import { request as httpRequest } from 'node:http';
import {
  IPC_PATH,
  SECRET_HEADER,
  SECRET_PROTOCOL_PREFIX,
  SESSION_PATH,
  cookieValue,
  refusal,
  requestPath,
  sessionCookieName,
  startWebHost,
  type WebHost,
} from './host.ts';

const channels = {
  'echo.upper': { input: z.strictObject({ text: z.string().min(1) }), output: z.object({ text: z.string() }), description: 'test' },
  'always.fails': { input: z.object({}), output: z.object({}), description: 'test' },
};
const dispatch = createDispatcher(channels, {
  'echo.upper': async ({ text }) => ({ text: text.toUpperCase() }),
  'always.fails': async () => {
    throw new CoreError('conflict', 'already reviewed', 409);
  },
});

let host: WebHost;
let dir: string;
const senders = new Set<(e: string, p: unknown) => void>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Gatehouse</title>');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'app.js'), 'export {};');
  host = await startWebHost({ dispatch, subscribe: (s) => (senders.add(s), () => senders.delete(s)), staticDir: dir });
});
after(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

function connect(opts: { secret?: string | null; origin?: string | null; host?: string; cookie?: string }): Promise<WebSocket> {
  const protocols = ['gatehouse', ...(opts.secret === null ? [] : [`${SECRET_PROTOCOL_PREFIX}${opts.secret ?? host.secret}`])];
  const headers: Record<string, string> = {};
  if (opts.cookie !== undefined) headers.cookie = opts.cookie;
  if (opts.origin !== null) headers.origin = opts.origin ?? host.url;
  if (opts.host) headers.host = opts.host;
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}${IPC_PATH}`, protocols, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(
  ws: WebSocket,
  id: number,
  channel: unknown,
  input: unknown,
): Promise<{ id: unknown; result: { ok: boolean; data?: unknown; error?: { code: string; message: string } } }> {
  return new Promise((resolve) => {
    const onMessage = (raw: WebSocket.RawData) => {
      const msg = JSON.parse(String(raw));
      if (msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, channel, input }));
  });
}

test('refuses a connection without the secret, with a wrong secret, a wrong Origin or a foreign Host', async () => {
  await assert.rejects(connect({ secret: null }), /refused 403/);
  await assert.rejects(connect({ secret: 'wrong' }), /refused 403/);
  await assert.rejects(connect({ origin: 'http://evil.example.com' }), /refused 403/);
  await assert.rejects(connect({ origin: null }), /refused 403/);
  await assert.rejects(connect({ host: `evil.example.com:${host.port}` }), /refused 403/);
  const ws = await connect({});
  ws.close();
});

test('the refusal table', () => {
  const ok = { host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000', 'sec-websocket-protocol': `gatehouse, ${SECRET_PROTOCOL_PREFIX}s3cret` };
  assert.equal(refusal({ headers: ok }, 5000, 's3cret'), undefined);
  assert.equal(refusal({ headers: { ...ok, host: 'localhost:5000', origin: 'http://localhost:5000' } }, 5000, 's3cret'), undefined);
  assert.equal(refusal({ headers: { ...ok, host: '127.0.0.1:5001' } }, 5000, 's3cret'), 'foreign Host');
  assert.equal(refusal({ headers: { ...ok, origin: 'https://127.0.0.1:5000' } }, 5000, 's3cret'), 'wrong Origin');
  assert.equal(refusal({ headers: { ...ok, 'sec-websocket-protocol': 'gatehouse' } }, 5000, 's3cret'), 'missing or wrong secret');
  assert.equal(refusal({ headers: { ...ok, 'sec-websocket-protocol': `${SECRET_PROTOCOL_PREFIX}s3cretX` } }, 5000, 's3cret'), 'missing or wrong secret');
});

test('calls go through the contract: results, field-naming input errors, handler errors, unknown channels', async () => {
  const ws = await connect({});
  try {
    assert.deepEqual((await call(ws, 1, 'echo.upper', { text: 'ok' })).result, { ok: true, data: { text: 'OK' } });
    const bad = (await call(ws, 2, 'echo.upper', { text: 42 })).result;
    assert.equal(bad.ok, false);
    assert.equal(bad.error!.code, 'invalid_input');
    assert.match(bad.error!.message, /^echo\.upper: text: /);
    const extra = (await call(ws, 3, 'echo.upper', { text: 'a', admin: true })).result;
    assert.match(extra.error!.message, /admin/);
    assert.deepEqual((await call(ws, 4, 'always.fails', {})).result, { ok: false, error: { code: 'conflict', message: 'already reviewed', status: 409 } });
    assert.equal((await call(ws, 5, '__proto__', {})).result.error!.code, 'unknown_channel');
    assert.equal((await call(ws, 6, 'constructor', {})).result.error!.code, 'unknown_channel');
  } finally {
    ws.close();
  }
});

test('events are pushed to connected sockets', async () => {
  const ws = await connect({});
  try {
    const got = new Promise((resolve) => ws.once('message', (raw) => resolve(JSON.parse(String(raw)))));
    for (const s of senders) s('connection.status', { state: 'online' });
    assert.deepEqual(await got, { event: 'connection.status', payload: { state: 'online' } });
  } finally {
    ws.close();
  }
});

test('static files: index with a CSP, path traversal refused, foreign Host refused', async () => {
  const res = await fetch(`${host.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.match(await res.text(), /Gatehouse/);
  const traversal = await fetch(`${host.url}/..%2f..%2f..%2fetc%2fpasswd`);
  const leaked = await traversal.text();
  assert.ok(traversal.status === 403 || !leaked.includes('root:'), `traversal answered ${traversal.status}`);
  const { request } = await import('node:http');
  const status = await new Promise<number>((resolve) => {
    request({ host: '127.0.0.1', port: host.port, path: '/', headers: { host: 'evil.example.com' } }, (r) => resolve(r.statusCode!)).end();
  });
  assert.equal(status, 421);
});

test('requestPath: decoded, or undefined for what no page of ours asks (never throws)', () => {
  assert.equal(requestPath('/assets/app.js?v=1#x'), '/assets/app.js');
  assert.equal(requestPath('/a%20b'), '/a b');
  for (const bad of ['/%E0%A4%A', '/%', '/%zz', '/a%00.js', '/..%5c..%5cwin.ini', 'assets/app.js', `/${'a'.repeat(3000)}`])
    assert.equal(requestPath(bad), undefined, bad);
});

test('malformed paths are 400 and the host keeps serving; a directory or a missing file falls back to the index', async () => {
  for (const path of ['/%E0%A4%A', '/%', '/x%00y']) assert.equal((await fetch(`${host.url}${path}`)).status, 400, path);
  const js = await fetch(`${host.url}/assets/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  for (const path of ['/assets', '/assets/', '/inbox']) assert.match(await (await fetch(`${host.url}${path}`)).text(), /Gatehouse/, path);
  assert.equal((await fetch(`${host.url}/`, { method: 'POST', body: 'x' })).status, 405);
});

test('socket messages of the wrong kind are answered with errors: binary, not JSON, not an object, a prototype-poisoned channel', async () => {
  const ws = await connect({});
  try {
    const next = () => new Promise<any>((resolve) => ws.once('message', (raw) => resolve(JSON.parse(String(raw)))));
    const cases: [string | Buffer, string][] = [
      [Buffer.from([1, 2, 3]), 'invalid_message'],
      ['{nope', 'invalid_message'],
      ['[1,2]', 'invalid_message'],
      ['42', 'invalid_message'],
      ['{"id":7,"channel":{"toString":1}}', 'unknown_channel'],
      [`{"id":"${'x'.repeat(500)}","channel":"nope"}`, 'unknown_channel'],
    ];
    for (const [data, code] of cases) {
      const got = next();
      ws.send(data, { binary: Buffer.isBuffer(data) });
      const msg = await got;
      assert.equal(msg.result.error.code, code, String(data));
      if (String(data).includes('xxxx')) assert.equal(msg.id, null, 'an overlong id is not echoed');
    }
  } finally {
    ws.close();
  }
});

/** POST /session as a page would (or would not) send it: the status and the Set-Cookie header. */
function exchange(headers: Record<string, string>, path = SESSION_PATH, method = 'POST'): Promise<{ status: number; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: host.port, path, method, headers: { 'content-length': '0', ...headers } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, setCookie: res.headers['set-cookie'] ?? [] });
    });
    req.once('error', reject);
    req.end();
  });
}
const pageHeaders = () => ({ origin: host.url, [SECRET_HEADER]: host.secret });
/** The cookie pair a Set-Cookie answer sets, as the browser sends it back. */
const cookiePair = (setCookie: string[]) => setCookie[0]!.split(';')[0]!;

test('session cookie: issued for the secret from our own page, HttpOnly, SameSite=Strict, Path=/, named for this port', async () => {
  const { status, setCookie } = await exchange(pageHeaders());
  assert.equal(status, 204);
  assert.equal(setCookie.length, 1);
  const [pair, ...attrs] = setCookie[0]!.split(';').map((p) => p.trim());
  assert.equal(pair!.split('=')[0], sessionCookieName(host.port));
  assert.deepEqual(attrs.sort(), ['HttpOnly', 'Path=/', 'SameSite=Strict']);
  assert.ok(!setCookie[0]!.includes(host.secret), 'the cookie is not the secret');
});

test('session cookie: a socket with it and no secret is accepted', async () => {
  const { setCookie } = await exchange(pageHeaders());
  const ws = await connect({ secret: null, cookie: cookiePair(setCookie) });
  const reply = await call(ws, 1, 'echo.upper', { text: 'cookie' });
  assert.deepEqual(reply.result, { ok: true, data: { text: 'COOKIE' } });
  ws.close();
});

test('session cookie: refused from a wrong Origin, with no Origin, or from a foreign Host', async () => {
  const cookie = cookiePair((await exchange(pageHeaders())).setCookie);
  await assert.rejects(connect({ secret: null, cookie, origin: 'http://evil.example.com' }), /refused 403/);
  await assert.rejects(connect({ secret: null, cookie, origin: `http://127.0.0.1:${host.port + 1}` }), /refused 403/);
  await assert.rejects(connect({ secret: null, cookie, origin: null }), /refused 403/);
  await assert.rejects(connect({ secret: null, cookie, host: `evil.example.com:${host.port}` }), /refused 403/);
});

test('session cookie: a forged, emptied, other-port or absent cookie is refused', async () => {
  const real = cookiePair((await exchange(pageHeaders())).setCookie);
  const value = real.split('=')[1]!;
  await assert.rejects(connect({ secret: null }), /refused 403/);
  await assert.rejects(connect({ secret: null, cookie: `${sessionCookieName(host.port)}=${'A'.repeat(value.length)}` }), /refused 403/);
  await assert.rejects(connect({ secret: null, cookie: `${sessionCookieName(host.port)}=` }), /refused 403/);
  await assert.rejects(connect({ secret: null, cookie: `${sessionCookieName(host.port)}=${host.secret}` }), /refused 403/, 'the secret is not a cookie');
  await assert.rejects(connect({ secret: null, cookie: `${sessionCookieName(host.port + 1)}=${value}` }), /refused 403/, "another port's name");
});

test('session cookie: never issued without the secret, from another Origin, or by any other method or path', async () => {
  const refused = [
    await exchange({ origin: host.url }),
    await exchange({ origin: host.url, [SECRET_HEADER]: 'wrong' }),
    await exchange({ origin: host.url, [SECRET_HEADER]: `${host.secret}x` }),
    await exchange({ [SECRET_HEADER]: host.secret }),
    await exchange({ origin: 'http://evil.example.com', [SECRET_HEADER]: host.secret }),
    await exchange({ origin: host.url, [SECRET_HEADER]: host.secret, host: `evil.example.com:${host.port}` }),
    await exchange(pageHeaders(), SESSION_PATH, 'GET'),
    await exchange(pageHeaders(), '/', 'POST'),
    await exchange(pageHeaders(), `${SESSION_PATH}x`, 'POST'),
  ];
  for (const r of refused) assert.deepEqual(r.setCookie, [], `status ${r.status}`);
  assert.deepEqual(
    refused.map((r) => r.status),
    [403, 403, 403, 403, 403, 421, 200, 405, 405],
  );
});

test('cookieValue and the refusal table with sessions', () => {
  assert.equal(cookieValue('a=1; gatehouse_session_5000=tok; b=2', 'gatehouse_session_5000'), 'tok');
  assert.equal(cookieValue('xgatehouse_session_5000=tok', 'gatehouse_session_5000'), undefined);
  assert.equal(cookieValue(undefined, 'x'), undefined);
  const ok = { host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000', 'sec-websocket-protocol': 'gatehouse', cookie: 'gatehouse_session_5000=tok' };
  const sessions = new Set(['tok']);
  assert.equal(refusal({ headers: ok }, 5000, 's3cret', sessions), undefined);
  assert.equal(refusal({ headers: ok }, 5000, 's3cret'), 'missing or wrong secret');
  assert.equal(refusal({ headers: { ...ok, origin: 'http://evil.example' } }, 5000, 's3cret', sessions), 'wrong Origin');
  assert.equal(refusal({ headers: { ...ok, cookie: 'gatehouse_session_5001=tok' } }, 5000, 's3cret', sessions), 'missing or wrong secret');
});
