// Shared by the benchmarks: the figure type, percentiles, a keep-alive JSON client over node:http,
// and the real server as a child process (CLI `init` + `serve`), killed on every way out.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'server', 'cli.ts');

// ---- figures -------------------------------------------------------------------------------------

export interface Figure {
  /** Stable across runs, e.g. "http.decision_p99_ms". */
  name: string;
  value: number;
  unit: string;
  /** ">= 200000", "< 50", … or null when there is none. */
  goal: string | null;
}

export interface BenchContext {
  /** A fresh directory under os.tmpdir() for this benchmark only; removed after the run. */
  dir: string;
  /** A progress line (stderr). */
  log: (message: string) => void;
  /** A figure printed by an earlier benchmark in this run, if any. */
  figure: (name: string) => number | undefined;
}

export interface Benchmark {
  /** Short name for --only and progress lines. */
  name: string;
  run: (ctx: BenchContext) => Promise<Figure[]>;
}

/** Does `value` meet `goal` (">= 0.5", "< 50", …)? null when there is no goal. */
export function goalMet(value: number, goal: string | null): boolean | null {
  if (goal === null) return null;
  const m = /^\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(goal);
  if (!m) throw new Error(`unparseable goal "${goal}"`);
  const target = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return value >= target;
    case '<=':
      return value <= target;
    case '>':
      return value > target;
    default:
      return value < target;
  }
}

// ---- statistics ------------------------------------------------------------------------------------

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves with `p`, or rejects after `ms` with `what` timed out. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// ---- HTTP ----------------------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  body: unknown;
  text: string;
}

/** A JSON client for one server, over a keep-alive agent (no connection set-up per call). */
export class Api {
  readonly agent: http.Agent;
  readonly host: string;
  readonly port: number;

  constructor(
    readonly base: string,
    options: { maxSockets?: number } = {},
  ) {
    const url = new URL(base);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  }

  request(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolvePromise, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            resolvePromise({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.end(payload);
      else req.end();
    });
  }

  /** As request(), but any status other than `expect` is an error naming the call. */
  async call<T = any>(method: string, path: string, token: string, body?: unknown, expect = method === 'POST' ? 201 : 200): Promise<T> {
    const r = await this.request(method, path, token, body);
    if (r.status !== expect) throw new Error(`${method} ${path}: HTTP ${r.status} (expected ${expect}): ${r.text.slice(0, 500)}`);
    return r.body as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---- the server as a child process -----------------------------------------------------------------

const children = new Set<ChildProcess>();

function killAll(signal: NodeJS.Signals): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill(signal);
      } catch {
        // already gone
      }
    }
  }
}

// Whatever way this process ends, no server outlives it.
process.on('exit', () => killAll('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll('SIGKILL');
    process.stderr.write(`\nbench: interrupted (${signal})\n`);
    process.exit(130);
  });
}

const execFileP = promisify(execFile);

function cliArgs(args: string[], nodeFlags: string[] = []): string[] {
  return [...nodeFlags, '--import', 'tsx', CLI, ...args];
}

/**
 * Extra node flags for the server child only, e.g. BENCH_SERVER_NODE_FLAGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to profile the server under load (NODE_OPTIONS refuses --cpu-prof).
 */
function serverNodeFlags(): string[] {
  return (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/** `--database URL` when the data is in PostgreSQL, else nothing (the data dir's SQLite file). */
const databaseArgs = (database: string | undefined) => (database === undefined ? [] : ['--database', database]);

/**
 * `gatehouse init`: a fresh database in `dataDir` (or the empty PostgreSQL database `database`,
 * with the audit key in `dataDir`) with one owner; returns the owner's token.
 */
export async function initData(dataDir: string, ownerEmail = 'owner@bench.example', database?: string): Promise<string> {
  const { stdout } = await execFileP(process.execPath, cliArgs(['init', '--data', dataDir, '--owner-email', ownerEmail, ...databaseArgs(database)]), {
    cwd: REPO,
    timeout: 60_000,
  });
  const lines = stdout.trim().split('\n');
  const token = lines[lines.length - 1]!.trim();
  if (!/^\S+$/.test(token)) throw new Error(`gatehouse init printed no token:\n${stdout}`);
  return token;
}

export interface ServerProcess {
  base: string;
  pid: number;
  /** Rejects if the server dies before stop() is called. */
  died: Promise<never>;
  stop(): Promise<void>;
}

/**
 * `work`, failing as soon as the server dies; when `work` fails on its own (ECONNRESET, …) and the
 * server died at about the same time, the server's death (with its stderr) is the error reported.
 */
export async function guarded<T>(server: ServerProcess, work: Promise<T>): Promise<T> {
  try {
    return await Promise.race([server.died, work]);
  } catch (err) {
    const death = await Promise.race([
      server.died.then(
        () => undefined,
        (e: unknown) => e,
      ),
      sleep(500).then(() => undefined),
    ]);
    throw death ?? err;
  }
}

/**
 * `gatehouse serve --port 0 --log-level silent` on `dataDir` (or on `options.port`); resolves once it listens. The
 * benchmarks measure throughput and fan-out as a few users, far past the per-user rate limits
 * (120 writes a minute, 10 streams), so those are raised here: the figures are the server's, not
 * the limiter's. So is the pace of new event streams, unless `streamOpensPerSecond` is given (the
 * reconnect storm measures the server with its pacing, as deployed). With `database`, the data is
 * in that PostgreSQL database (several servers may share it and the one data dir's audit key).
 */
export async function startServer(dataDir: string, options: { port?: number; streamOpensPerSecond?: number; database?: string } = {}): Promise<ServerProcess> {
  const limits = ['--max-writes-per-minute', '100000000', '--max-streams-per-user', '100000'];
  limits.push('--max-stream-opens-per-second', String(options.streamOpensPerSecond ?? 100_000_000));
  const port = String(options.port ?? 0); // a restart reuses the port its clients know
  const child = spawn(
    process.execPath,
    cliArgs(['serve', '--data', dataDir, ...databaseArgs(options.database), '--port', port, '--log-level', 'silent', ...limits], serverNodeFlags()),
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  let stopping = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      r({ code, signal });
    }),
  );
  const died = exited.then(({ code, signal }) => {
    if (stopping) return new Promise<never>(() => undefined);
    throw new Error(`server (pid ${child.pid}) exited unexpectedly (code ${code}, signal ${signal}):\n${stderr}`);
  });
  died.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection

  const base = await withTimeout(
    new Promise<string>((resolvePromise, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolvePromise(m[1]!);
      });
      child.once('error', reject);
      died.catch(reject);
    }),
    30_000,
    'server start',
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });

  return {
    base,
    pid: child.pid!,
    died,
    /** SIGTERM (the server drains and exits 0), SIGKILL after 5 s; rejects on an unclean exit. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill('SIGTERM');
      const graceful = await Promise.race([exited, sleep(5000).then(() => undefined)]);
      if (!graceful) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`server (pid ${child.pid}) did not exit within 5 s of SIGTERM; killed`);
      }
      if (graceful.code !== 0)
        throw new Error(`server (pid ${child.pid}) exited with code ${graceful.code} (signal ${graceful.signal}) on SIGTERM:\n${stderr}`);
    },
  };
}

/** A process's resident set in KiB, from /proc (Linux): the server's memory as the OS sees it. */
export function rssKb(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the RSS of pid ${pid} (/proc/${pid}/status: ${(err as Error).message}); this figure needs Linux`);
  }
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(m[1]);
}
