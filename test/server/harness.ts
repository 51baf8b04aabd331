// Test harness for the HTTP integration suite: runs the REAL `gatehouse` CLI as child processes
// (init / demo / serve / deploy) on fresh temp data dirs, and talks to the server over HTTP.
// Every child is tracked so `killAll()` (and, as a last resort, process exit) leaves none behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { ErrorBody } from '../../shared/schemas/index.ts';
import type { z } from 'zod';
import { gatehouseCli } from '../commands.ts';
import { databaseOf, testStore } from '../postgres.ts';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = gatehouseCli();

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const tempDirs: string[] = [];
export function tempDir(prefix = 'gatehouse-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}
export function cleanupTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * On PostgreSQL, `init`/`demo --data DIR` get a fresh database for DIR and `serve --data DIR` the
 * one DIR got, passed as --database, so every test runs unchanged on either store. A command that
 * names its own --database, or a serve on a DIR never initialised, is left as it is.
 */
async function withDatabase(args: string[]): Promise<string[]> {
  const command = args[0];
  if (testStore() !== 'postgres' || !['init', 'demo', 'serve'].includes(command ?? '') || args.includes('--database')) return args;
  const i = args.indexOf('--data');
  const dir = i >= 0 ? args[i + 1] : undefined;
  if (dir === undefined || dir.startsWith('--')) return args;
  const url = await databaseOf(dir, command !== 'serve');
  return url === undefined ? args : [...args, '--database', url];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse <args>` to completion (bounded by timeoutMs). */
export interface CliOptions {
  timeoutMs?: number;
  onStdout?: (chunk: string, child: ChildProcess) => void;
  onStderr?: (chunk: string, child: ChildProcess) => void;
  env?: NodeJS.ProcessEnv;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return withDatabase(args).then((argv) => spawnCli(argv, args, opts));
}

function spawnCli(argv: string[], args: string[], opts: CliOptions): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [...CLI, ...argv], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      opts.onStdout?.(c, child);
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      opts.onStderr?.(c, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`gatehouse ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      res({ code, signal, stdout, stderr });
    });
  });
}

/** A fresh data dir with one owner; returns the owner's token (the last stdout line). */
export async function initDir(email = 'owner@example.com'): Promise<{ dir: string; ownerToken: string }> {
  const dir = tempDir();
  const r = await runCli(['init', '--data', dir, '--owner-email', email]);
  assert.equal(r.code, 0, `init failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const ownerToken = lines[lines.length - 1]!.trim();
  assert.match(ownerToken, /^\S+$/);
  return { dir, ownerToken };
}

export interface DemoUser {
  email: string;
  orgRole: string;
  token: string;
}
export async function demoDir(extraArgs: string[] = []): Promise<{ dir: string; users: DemoUser[]; token: (email: string) => string }> {
  const dir = tempDir();
  const r = await runCli(['demo', '--data', dir, ...extraArgs]);
  assert.equal(r.code, 0, `demo failed: ${r.stderr}`);
  const users = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length === 3)
    .map(([email, orgRole, token]) => ({ email: email!, orgRole: orgRole!, token: token! }));
  assert.ok(users.length >= 5, 'demo printed users');
  const token = (email: string) => {
    const u = users.find((x) => x.email === email);
    assert.ok(u, `demo user ${email}`);
    return u.token;
  };
  return { dir, users, token };
}

/**
 * The suites burst writes (the fuzz sends 3000 bodies as four users, durability and decisions
 * hundreds) and open many event streams, far past what one person does: every server they start
 * gets these raised per-user limits first. The product defaults (120 writes a minute, 10 streams)
 * are tested by test/server/transport.test.ts, with `raisedRateLimits` false or its own flags (a
 * later flag wins).
 */
export const TEST_RATE_LIMIT_ARGS = ['--max-writes-per-minute', '1000000', '--max-streams-per-user', '10000', '--max-stream-opens-per-second', '100000'];

export class ServerProcess {
  url = '';
  proc!: ChildProcess;
  stderr = '';
  exit!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly dir: string,
    readonly extraArgs: string[] = [],
    /** false: the product's default rate limits instead of TEST_RATE_LIMIT_ARGS. */
    readonly raisedRateLimits = true,
  ) {}

  async start(): Promise<this> {
    this.stderr = '';
    const argv = await withDatabase([
      'serve',
      '--data',
      this.dir,
      '--port',
      '0',
      '--log-level',
      'warn',
      ...(this.raisedRateLimits ? TEST_RATE_LIMIT_ARGS : []),
      ...this.extraArgs,
    ]);
    const child = spawn(process.execPath, [...CLI, ...argv], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = child;
    children.add(child);
    this.exit = new Promise((res) =>
      child.on('exit', (code, signal) => {
        children.delete(child);
        res({ code, signal });
      }),
    );
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    let out = '';
    this.url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`server did not start in 20 s; stderr: ${this.stderr}`)), 20_000);
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const m = /listening on (https?:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(m[1]!);
        }
      });
      void this.exit.then(({ code, signal }) => {
        clearTimeout(timer);
        rej(new Error(`server exited before listening (code ${code}, signal ${signal}); stderr: ${this.stderr}`));
      });
    });
    return this;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM and wait; returns the exit. */
  async stop(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exit;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const r = await this.exit;
    clearTimeout(t);
    return r;
  }

  /** kill -9: no chance to flush or close anything. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGKILL');
    await this.exit;
  }

  /** Start again on the same data dir (new port). */
  async restart(): Promise<this> {
    if (this.running) await this.stop();
    return this.start();
  }
}

export async function startServer(dir: string, extraArgs: string[] = []): Promise<ServerProcess> {
  return new ServerProcess(dir, extraArgs).start();
}

export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

// ---- HTTP -----------------------------------------------------------------------------------------

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  headers?: Record<string, string>;
  /** Raw body text (sent as is); otherwise `json` is JSON-stringified. */
  raw?: string | Buffer;
  json?: unknown;
  contentType?: string;
}

export async function call(base: string, token: string | undefined, method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...opts.headers };
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.json !== undefined) body = JSON.stringify(opts.json);
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(new URL(path, base), { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('application/json') && text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

export interface Api {
  get(path: string, headers?: Record<string, string>): Promise<ApiResponse>;
  post(path: string, json?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  patch(path: string, json?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  del(path: string, headers?: Record<string, string>): Promise<ApiResponse>;
  call(method: string, path: string, opts?: CallOptions): Promise<ApiResponse>;
}

export function apiFor(base: string | (() => string), token: string | undefined): Api {
  const b = () => (typeof base === 'function' ? base() : base);
  return {
    get: (path, headers) => call(b(), token, 'GET', path, headers ? { headers } : {}),
    post: (path, json, headers) => call(b(), token, 'POST', path, { json: json ?? {}, ...(headers ? { headers } : {}) }),
    patch: (path, json, headers) => call(b(), token, 'PATCH', path, { json: json ?? {}, ...(headers ? { headers } : {}) }),
    del: (path, headers) => call(b(), token, 'DELETE', path, headers ? { headers } : {}),
    call: (method, path, opts) => call(b(), token, method, path, opts),
  };
}

/** Asserts the status, parses the body with the zod response schema, returns the parsed body. */
export function expectOk<S extends z.ZodType>(res: ApiResponse, status: number, schema: S, what = ''): z.infer<S> {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  const parsed = schema.safeParse(res.body);
  assert.ok(parsed.success, `${what} body does not match schema: ${parsed.success ? '' : parsed.error.message}\n${res.text.slice(0, 500)}`);
  return parsed.data;
}

/** Asserts an error status, the `{error: {code, message}}` shape, and optionally code/message. */
export function expectError(res: ApiResponse, status: number, code?: string, message?: string | RegExp, what = ''): ErrorBody['error'] {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  const parsed = ErrorBody.safeParse(res.body);
  assert.ok(parsed.success, `${what} error body shape {error:{code,message}}: ${res.text.slice(0, 300)}`);
  if (code !== undefined) assert.equal(parsed.data.error.code, code, `${what} error code (message: ${parsed.data.error.message})`);
  if (message !== undefined) {
    if (typeof message === 'string') assert.equal(parsed.data.error.message, message, `${what} error message`);
    else assert.match(parsed.data.error.message, message, `${what} error message`);
  }
  return parsed.data.error;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 100): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > deadline) return undefined;
    await sleep(intervalMs);
  }
}

let counter = 0;
export const uniq = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;

/**
 * A request over a raw TCP socket that reads the answer while it uploads, so it still sees the
 * reply when the server answers before the body is fully sent (a 413 for an oversized upload):
 * fetch reports that as "fetch failed", while curl and browsers show the 413. Only for small
 * responses with content-length (error bodies).
 */
export function rawHttp(base: string, method: string, path: string, headers: Record<string, string>, body: Buffer | string = ''): Promise<ApiResponse> {
  const url = new URL(path, base);
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const head =
    `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\ncontent-length: ${payload.length}\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  return new Promise((res, rej) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      const raw = Buffer.concat(chunks).toString('utf8');
      const sep = raw.indexOf('\r\n\r\n');
      if (sep === -1) {
        if (err) return ((settled = true), rej(err));
        return ((settled = true), rej(new Error(`no HTTP response: ${JSON.stringify(raw.slice(0, 200))}`)));
      }
      const lines = raw.slice(0, sep).split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? 0);
      const h = new Headers();
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        if (c > 0) h.append(l.slice(0, c).trim(), l.slice(c + 1).trim());
      }
      const len = Number(h.get('content-length') ?? NaN);
      let text = raw.slice(sep + 4);
      if (!Number.isNaN(len)) {
        const bytes = Buffer.from(text, 'utf8');
        if (bytes.length < len && !err && !socket.destroyed) return; // wait for more
        text = bytes.subarray(0, len).toString('utf8');
      }
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      settled = true;
      socket.destroy();
      res({ status, body: parsed, headers: h, text });
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      finish();
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('connection closed')));
    socket.setTimeout(60_000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', async () => {
      socket.write(head);
      // A server that refuses on content-length answers right after the head: give it a moment
      // before uploading (what Expect: 100-continue clients do), then stream the body.
      const t0 = performance.now();
      while (chunks.length === 0 && !settled && performance.now() - t0 < 500) await new Promise((r) => setTimeout(r, 10));
      const step = 64 * 1024;
      for (let i = 0; i < payload.length && !settled && !socket.destroyed && chunks.length === 0; i += step) {
        // Let 'data' run between chunks: once the server has answered, stop uploading (as curl does).
        await new Promise((r) => setImmediate(r));
        if (chunks.length > 0) break;
        if (!socket.write(payload.subarray(i, i + step)))
          await new Promise((r) => {
            socket.once('drain', r);
            socket.once('close', r);
          });
      }
    });
  });
}
