// Web mode must never crash: any page the user visits can make their browser send it requests
// (an <img>, a form, a fetch with no-cors), and any local process can open a socket to it. A real
// `npm run web` process (embedded demo backend) gets the attacks seen so far, then 10,000 generated
// malformed HTTP requests over raw sockets (bad request lines, percent-encodings, methods,
// versions, headers, Host and Origin, upgrades with and without the secret) and 10,000 socket
// frames on an authenticated connection (non-JSON, wrong shapes, unknown and prototype channels,
// binary, oversized, floods, malformed WebSocket framing). Afterwards it must still answer a good
// request and a good IPC call. Seeded, so failures reproduce (FUZZ_SEED, FUZZ_RUNS).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import WebSocket from 'ws';
import { IPC_PATH, SECRET_PROTOCOL_PREFIX } from '../../electron/core/web/host.ts';
import { ipcCall, openWebSocket } from './helpers.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const CONCURRENCY = 24;

let child: ChildProcess;
let dir: string;
let port: number;
let secret: string;
let stderr = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-webfuzz-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'electron/web.ts', '--data', dir, '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('web mode did not print its address in 60 s')), 60_000);
    lines.on('line', (l) => {
      if (l.startsWith('open ')) {
        clearTimeout(timer);
        resolve(l);
      }
    });
    child.once('exit', (code) => reject(new Error(`web mode exited with ${code}\n${stderr}`)));
  });
  const m = /^open http:\/\/127\.0\.0\.1:(\d+)\/#(.+)$/.exec(line);
  assert.ok(m, line);
  port = Number(m[1]);
  secret = m[2]!;
});

after(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

function alive(): void {
  assert.equal(child.exitCode, null, `web mode died:\n${stderr.slice(-3000)}`);
  assert.equal(child.signalCode, null, `web mode died:\n${stderr.slice(-3000)}`);
}

/** Writes `bytes` on a fresh connection, half-closes, and collects the answer until the server closes (or 3 s). */
function raw(bytes: Buffer | string, keepOpenMs = 0): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, 3000);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes, () => {
      if (keepOpenMs === 0) socket.end();
      else setTimeout(() => socket.end(), keepOpenMs);
    });
  });
}

async function goodRequest(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  const text = await res.text();
  // 200 with the built renderer; 503 "not built" without it: both are the host serving.
  assert.ok(res.status === 200 || (res.status === 503 && /not built/.test(text)), `${res.status} ${text.slice(0, 200)}`);
}

const open = () => openWebSocket(port, secret, { maxPayload: 64 * 1024 * 1024 });
const call = ipcCall;

async function goodCall(): Promise<void> {
  const ws = await open();
  try {
    const r = await call(ws, 'session.get', {});
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.data.mode, 'web');
  } finally {
    ws.close();
  }
}

test('the attacks seen so far: a broken percent-encoding, a channel whose toString is not a function', async () => {
  const answer = await raw(`GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 400 /, answer.slice(0, 200));
  await new Promise((r) => setTimeout(r, 200));
  alive();
  await goodRequest();

  const ws = await open();
  try {
    // Events the core pushes (status, outbox, sync) may come first: wait for the answer to call 1.
    const answered = new Promise<any>((resolve) => {
      const onMessage = (d: WebSocket.RawData) => {
        const msg = JSON.parse(String(d));
        if (msg.id !== 1) return;
        ws.off('message', onMessage);
        resolve(msg);
      };
      ws.on('message', onMessage);
    });
    ws.send(JSON.stringify({ id: 1, channel: { toString: 1 }, input: {} }));
    const msg = await answered;
    assert.equal(msg.result.ok, false);
    assert.equal(msg.result.error.code, 'unknown_channel');
  } finally {
    ws.close();
  }
  await new Promise((r) => setTimeout(r, 200));
  alive();
  await goodCall();
});

// ---- generated HTTP requests ------------------------------------------------------------------

const hex = fc.constantFrom(...'0123456789abcdefABCDEFgxZ%'.split(''));
const percentJunk = fc
  .array(
    fc.oneof(
      fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`),
      hex.map((a) => `%${a}`),
      fc.constant('%'),
      fc.constantFrom('%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF%FE', '%00', '%2e%2e', '%2f', '%5c', '..', '/', '\\', '?', '#', ';'),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => `/${parts.join('')}`);
const target = fc.oneof(
  percentJunk,
  fc.constantFrom(
    '/',
    '*',
    '',
    '/ipc',
    '/ipc?x=%E0',
    'http://evil.example/',
    '//evil.example/x',
    '/index.html%00.js',
    '/assets/../../../etc/passwd',
    '/assets/',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `/${s}`),
  fc.nat({ max: 70_000 }).map((n) => `/${'a'.repeat(n)}`),
);
const method = fc.oneof(
  fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PATCH', 'PRI', 'get', 'G ET', ''),
  fc.string({ maxLength: 10 }),
);
const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.1 x', 'HTTP/1.', 'http/1.1', '', 'HTTP/1.1\x00');
const hostValue = () =>
  fc.oneof(
    fc.constantFrom(
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      'evil.example',
      `evil.example:${port}`,
      '',
      `127.0.0.1:${port} `,
      `[::1]:${port}`,
    ),
    fc.string({ maxLength: 30 }),
  );
const originValue = () =>
  fc.oneof(
    fc.constantFrom(`http://127.0.0.1:${port}`, `http://localhost:${port}`, 'null', 'http://evil.example', `https://127.0.0.1:${port}`, ''),
    fc.string({ maxLength: 30 }),
  );
const headerLine = () =>
  fc.oneof(
    hostValue().map((h) => `Host: ${h}`),
    originValue().map((o) => `Origin: ${o}`),
    fc.constantFrom(
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Upgrade: h2c',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Version: 99',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Key: x',
      'Sec-WebSocket-Protocol: gatehouse',
      `Sec-WebSocket-Protocol: gatehouse, ${SECRET_PROTOCOL_PREFIX}wrong`,
      `Sec-WebSocket-Protocol: ${SECRET_PROTOCOL_PREFIX}`,
      'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=99',
      'Content-Length: -1',
      'Content-Length: 99999999999999999999',
      'Content-Length: 5',
      'Content-Length: 1, 2',
      'Transfer-Encoding: chunked',
      'Transfer-Encoding: gzip, chunked',
      'Expect: 100-continue',
      ' folded: header',
      'no colon here',
      ': empty name',
      'X\x00Bad: nul',
      'Range: bytes=999999-',
      'If-None-Match: *',
      'Cookie: a=%E0%A4%A',
    ),
    fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })).map(([k, v]) => `${k}: ${v}`),
    fc.nat({ max: 20_000 }).map((n) => `X-Big: ${'b'.repeat(n)}`),
  );
const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r');
const body = fc.oneof(fc.constant(''), fc.string({ maxLength: 200 }), fc.constantFrom('0\r\n\r\n', 'zz\r\nbad\r\n', 'ffffffffffffffff\r\n'));
const httpRequest = () =>
  fc
    .record({ method, target, version, headers: fc.array(headerLine(), { maxLength: 8 }), eol, body, withSecret: fc.boolean() })
    .map(({ method: m, target: t, version: v, headers, eol: nl, body: b, withSecret }) => {
      const all = withSecret ? [...headers, `Sec-WebSocket-Protocol: gatehouse, ${SECRET_PROTOCOL_PREFIX}${secret}`] : headers;
      return `${m} ${t} ${v}${nl}${all.map((h) => `${h}${nl}`).join('')}${nl}${b}`;
    });

test(`${RUNS} generated malformed HTTP requests: each answered or closed, and web mode keeps serving`, { timeout: 600_000 }, async () => {
  const requests = fc.sample(httpRequest(), { numRuns: RUNS, seed: SEED });
  let next = 0;
  const statuses = new Map<string, number>();
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      const answer = await raw(requests[i]!);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? (answer === '' ? 'closed' : 'other');
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (i % 500 === 0) alive();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  alive();
  // No request reaches a handler that fails: a 500 would be a bug we swallowed.
  assert.equal(statuses.get('500') ?? 0, 0, JSON.stringify(Object.fromEntries(statuses)));
  assert.ok((statuses.get('400') ?? 0) > 0, JSON.stringify(Object.fromEntries(statuses)));
  await goodRequest();
  await goodCall();
});

// ---- generated socket frames ------------------------------------------------------------------

const CHANNELS = [
  'session.get',
  'status.get',
  'inbox.query',
  'outbox.list',
  'settings.get',
  'directory.get',
  'request.get',
  'preview.action',
  'outbox.dismiss',
];
const channel = fc.oneof(
  fc.constantFrom(...CHANNELS, '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'no.such.channel', ''),
  fc.string({ maxLength: 30 }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant({ toString: 1 }),
  fc.constant({ valueOf: null, toString: null }),
);
type Frame = { kind: 'text'; data: string } | { kind: 'binary'; data: Uint8Array } | { kind: 'flood'; count: number } | { kind: 'huge'; bytes: number };
const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 200 }).map((data) => ({ kind: 'text' as const, data })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: 'text' as const, data: JSON.stringify(v) ?? 'null' })) },
  {
    weight: 6,
    arbitrary: fc
      .record(
        { id: fc.oneof(fc.integer(), fc.string({ maxLength: 300 }), fc.jsonValue({ maxDepth: 2 })), channel, input: fc.jsonValue({ maxDepth: 4 }) },
        { requiredKeys: [] },
      )
      .map((m) => ({ kind: 'text' as const, data: JSON.stringify(m) })),
  },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((data) => ({ kind: 'binary' as const, data })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('{"id":1,"channel":"session.get"', '\u0000', '{"__proto__":{"ok":true}}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[')
      .map((data) => ({ kind: 'text' as const, data })),
  },
);

test(`${RUNS} generated socket frames on an authenticated connection: errors, never a crash`, { timeout: 600_000 }, async () => {
  const frames = fc.sample(frame, { numRuns: RUNS, seed: SEED + 1 });
  // a few floods and oversized messages among them
  for (let i = 0; i < 5; i++) frames.splice((i + 1) * 1500, 0, { kind: 'flood', count: 2000 });
  frames.splice(2500, 0, { kind: 'huge', bytes: 5 * 1024 * 1024 });
  frames.splice(7500, 0, { kind: 'huge', bytes: 64 * 1024 * 1024 });
  let ws = await open();
  let answers = 0;
  let closes = 0;
  const watch = (s: WebSocket) => {
    s.on('message', () => void answers++);
    s.on('error', () => undefined);
  };
  watch(ws);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (ws.readyState !== WebSocket.OPEN) {
      closes++;
      ws = await open();
      watch(ws);
    }
    switch (f.kind) {
      case 'text':
        ws.send(f.data);
        break;
      case 'binary':
        ws.send(f.data, { binary: true });
        break;
      case 'flood':
        for (let k = 0; k < f.count; k++) ws.send(JSON.stringify({ id: k, channel: 'status.get', input: {} }));
        break;
      case 'huge': {
        const s = ws;
        const closed = new Promise((r) => s.once('close', r));
        s.send(`{"id":1,"channel":"session.get","input":"${'x'.repeat(f.bytes)}"}`);
        await closed; // refused: the host closes the connection (1009) and keeps serving
        break;
      }
    }
    if (i % 200 === 0) {
      // let the answers flow back now and then (a client that never reads is tested below)
      await new Promise((r) => setTimeout(r, 5));
      alive();
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  ws.close();
  alive();
  assert.ok(answers > RUNS / 2, `answers: ${answers}, reconnects: ${closes}`);
  await goodRequest();
  await goodCall();
});

/** A WebSocket frame as a client would send it (masked), with every field under the test's control. */
function wsFrame(o: { fin?: boolean; rsv?: number; opcode: number; payload: Buffer; masked?: boolean; lengthOverride?: bigint }): Buffer {
  const len = o.lengthOverride ?? BigInt(o.payload.length);
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | o.opcode];
  const maskBit = (o.masked ?? true) ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (len < 126n) head.push(maskBit | Number(len));
  else if (len < 65536n) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(len));
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(len);
  }
  const mask = (o.masked ?? true) ? randomBytes(4) : Buffer.alloc(0);
  const payload = Buffer.from(o.payload);
  if (o.masked ?? true) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return Buffer.concat([Buffer.from(head), ext, mask, payload]);
}

const rawFrame = fc.record({
  fin: fc.boolean(),
  rsv: fc.integer({ min: 0, max: 7 }),
  opcode: fc.integer({ min: 0, max: 15 }),
  payload: fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.constantFrom(Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0x03, 0xe8, 0xff]), Buffer.from([0x00, 0x01])),
  ),
  masked: fc.boolean(),
  lengthOverride: fc.option(fc.constantFrom(0n, 5n, 125n, 65_536n, 2n ** 63n - 1n, 2n ** 64n - 1n), { nil: undefined }),
});

test('malformed WebSocket framing (opcodes, reserved bits, unmasked, bad UTF-8, lying lengths): the host closes that socket and keeps serving', {
  timeout: 300_000,
}, async () => {
  const cases = fc.sample(rawFrame, { numRuns: 400, seed: SEED + 2 });
  const handshake =
    `GET ${IPC_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Protocol: gatehouse, ${SECRET_PROTOCOL_PREFIX}${secret}\r\n\r\n`;
  let next = 0;
  let upgraded = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const answer = await raw(Buffer.concat([Buffer.from(handshake), wsFrame(c)]), 50);
      if (answer.startsWith('HTTP/1.1 101')) upgraded++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  alive();
  assert.ok(upgraded > cases.length / 2, `upgraded ${upgraded}`);
  // a client that floods and never reads what comes back
  const flood = Buffer.concat(
    Array.from({ length: 20_000 }, (_, k) => wsFrame({ opcode: 1, payload: Buffer.from(JSON.stringify({ id: k, channel: 'outbox.list', input: {} })) })),
  );
  await raw(Buffer.concat([Buffer.from(handshake), flood]), 2000);
  alive();
  await goodRequest();
  await goodCall();
});
