// The PostgreSQL store (issue 16), on a throw-away cluster of its own (test/postgres.ts: initdb in
// a temp dir, fsync=on, synchronous_commit=on), so the figures are this machine's disk:
// 1. pg.commit_ceiling_per_s: pgbench, 1 client, a one-row INSERT per BEGIN … COMMIT, back to back
//    (or, without pgbench, the same loop over `pg`): the durable commits a single connection gets.
// 2. pg.decisions_*: as bench/decisions.ts, 50 clients approving, first against 1 `serve`
//    process, then against 2 on the one database (25 clients each), compared with that ceiling.
// 3. pg.cross_process_change_p99_ms: an SSE subscriber on process A, requests created one at a
//    time through process B; each sample is from the moment B's POST is sent until A's stream
//    delivers a change whose cursor is at least the new request's sync seq (so it includes B's
//    HTTP handling, its COMMIT, NOTIFY, A's LISTEN connection and A's fan-out: an upper bound).
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresBinDir, startCluster, type PgCluster } from '../test/postgres.ts';
import { approveUnderLoad, CLIENTS } from './decisions.ts';
import {
  Api,
  guarded,
  initData,
  percentile,
  round,
  startServer,
  withTimeout,
  type Benchmark,
  type BenchContext,
  type Figure,
  type ServerProcess,
} from './helpers.ts';
import { createPendingRequest, type BenchOrg } from './org.ts';

export const PG_COMMIT_CEILING = 'pg.commit_ceiling_per_s';
const CEILING_S = 3;
const CEILING_CLIENTS = 1;
const CHANGE_WARMUP = 5;
const CHANGE_SAMPLES = 200;

const execFileP = promisify(execFile);

/** The cluster's own pgbench (same version as the server), else Debian's /usr/bin/pgbench. */
function pgbenchPath(): string | undefined {
  const bin = postgresBinDir();
  for (const p of [bin && join(bin, 'pgbench'), '/usr/bin/pgbench']) if (p && existsSync(p)) return p;
  return undefined;
}

const CEILING_TABLE = 'CREATE TABLE t (id bigserial PRIMARY KEY, at timestamptz NOT NULL, data text NOT NULL)';

async function commitCeiling(ctx: BenchContext, cluster: PgCluster): Promise<number> {
  const url = await cluster.createDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(CEILING_TABLE);
    const pgbench = pgbenchPath();
    if (pgbench) {
      const script = join(ctx.dir, 'commit.sql');
      writeFileSync(script, "BEGIN;\nINSERT INTO t (at, data) VALUES (now(), repeat('x', 200));\nCOMMIT;\n");
      const name = new URL(url).pathname.slice(1);
      ctx.log(`${pgbench}: ${CEILING_CLIENTS} client, one-row INSERT … COMMIT for ${CEILING_S} s (fsync on)`);
      const { stdout } = await execFileP(
        pgbench,
        [
          '-n',
          '-c',
          String(CEILING_CLIENTS),
          '-j',
          '1',
          '-T',
          String(CEILING_S),
          '-f',
          script,
          '-h',
          '127.0.0.1',
          '-p',
          String(cluster.port),
          '-U',
          'postgres',
          name,
        ],
        { timeout: (CEILING_S + 30) * 1000 },
      );
      const m = /^tps = ([\d.]+)/m.exec(stdout);
      const tx = /number of transactions actually processed: (\d+)/.exec(stdout);
      if (!m) throw new Error(`pgbench printed no tps:\n${stdout}`);
      ctx.log(`pgbench: ${tx?.[1] ?? '?'} transactions → ${Math.round(Number(m[1]))} commits/s`);
      return Number(m[1]);
    }
    // No pgbench: the same transaction, one round trip each, back to back on one connection.
    ctx.log(`no pgbench: ${CEILING_CLIENTS} pg connection, one-row INSERT … COMMIT for ${CEILING_S} s (fsync on)`);
    const one = () => client.query("BEGIN; INSERT INTO t (at, data) VALUES (now(), repeat('x', 200)); COMMIT");
    for (let i = 0; i < 50; i++) await one(); // warm-up
    const start = performance.now();
    const end = start + CEILING_S * 1000;
    let commits = 0;
    let now = start;
    while (now < end) {
      await one();
      commits++;
      now = performance.now();
    }
    const perSec = commits / ((now - start) / 1000);
    ctx.log(`${commits} commits → ${Math.round(perSec)} commits/s`);
    return perSec;
  } finally {
    await client.end();
  }
}

/** `processes` serve processes on one fresh database (one data dir: the audit key they share). */
async function startServers(ctx: BenchContext, cluster: PgCluster, processes: number): Promise<{ servers: ServerProcess[]; ownerToken: string }> {
  const database = await cluster.createDatabase();
  const dataDir = join(ctx.dir, `data-${processes}`);
  const ownerToken = await initData(dataDir, 'owner@bench.example', database);
  const servers: ServerProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) servers.push(await startServer(dataDir, { database }));
  } catch (err) {
    await Promise.allSettled(servers.map((s) => s.stop()));
    throw err;
  }
  ctx.log(`${processes} serve process(es) on one database: ${servers.map((s) => `pid ${s.pid} at ${s.base}`).join(', ')}`);
  return { servers, ownerToken };
}

/** `work`, failing as soon as any of the servers dies. */
function guardedAll<T>(servers: ServerProcess[], work: Promise<T>): Promise<T> {
  return servers.reduce((w, s) => guarded(s, w), work);
}

/** Latency samples (ms) of changes committed through `b` until `a`'s event stream has them. */
async function crossProcessChange(ctx: BenchContext, a: Api, b: Api, org: BenchOrg, token: string): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true });
  const arrivals: { cursor: number; at: number }[] = [];
  let first: number | undefined;
  let streamError: Error | undefined;
  let wake: (() => void) | undefined;
  const req = http.get(
    { host: a.host, port: a.port, path: '/api/events', agent, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
    (res) => {
      if (res.statusCode !== 200) {
        streamError = new Error(`GET /api/events on A: HTTP ${res.statusCode}`);
        res.resume();
        wake?.();
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!/^event: change$/m.test(frame)) continue; // heartbeats, retry hints
          const data = /^data: (.*)$/m.exec(frame);
          const cursor = data ? (JSON.parse(data[1]!) as { cursor?: unknown }).cursor : undefined;
          if (typeof cursor !== 'number') streamError ??= new Error(`a change event without a numeric cursor: ${JSON.stringify(frame)}`);
          else if (first === undefined)
            first = cursor; // the cursor at connect time, not a change
          else arrivals.push({ cursor, at });
        }
        wake?.();
      });
      res.on('end', () => {
        streamError ??= new Error("A's event stream ended early");
        wake?.();
      });
    },
  );
  req.on('error', (err) => {
    streamError ??= err;
    wake?.();
  });
  /** Resolves with the first arrival at or past `cursor`. */
  const arrivalOf = async (cursor: number) => {
    for (;;) {
      if (streamError) throw streamError;
      const hit = arrivals.find((x) => x.cursor >= cursor);
      if (hit) return hit;
      await new Promise<void>((r) => (wake = r));
    }
  };
  try {
    await withTimeout(
      (async () => {
        while (first === undefined) {
          if (streamError) throw streamError;
          await new Promise<void>((r) => (wake = r));
        }
      })(),
      10_000,
      "A's first change event",
    );
    let lastCursor = first!;
    const samples: number[] = [];
    ctx.log(`${CHANGE_WARMUP + CHANGE_SAMPLES} requests created one at a time through B, each awaited on A's event stream`);
    for (let k = 0; k < CHANGE_WARMUP + CHANGE_SAMPLES; k++) {
      const sent = performance.now();
      const request = await createPendingRequest(b, org, 1_000_000 + k);
      const page = await b.call<{ changes: { seq: number; entity: string; id: string }[] }>('GET', `/api/sync?cursor=${lastCursor}&limit=5000`, token);
      const change = page.changes.find((c) => c.entity === 'request' && c.id === request.id);
      if (!change) throw new Error(`request ${request.id} is not in B's /api/sync after cursor ${lastCursor}`);
      lastCursor = change.seq;
      const hit = await withTimeout(arrivalOf(change.seq), 5_000, `A's change event for seq ${change.seq}`);
      if (k >= CHANGE_WARMUP) samples.push(hit.at - sent);
      arrivals.length = 0;
    }
    return samples;
  } finally {
    req.destroy();
    agent.destroy();
  }
}

export const postgres: Benchmark = {
  name: 'pg',
  async run(ctx) {
    ctx.log('starting a throw-away PostgreSQL cluster (fsync=on, synchronous_commit=on)');
    const cluster = await startCluster();
    try {
      const figures: Figure[] = [];
      const ceiling = await commitCeiling(ctx, cluster);
      figures.push({ name: PG_COMMIT_CEILING, value: round(ceiling, 0), unit: 'commits/s', goal: null });

      for (const processes of [1, 2]) {
        const { servers, ownerToken } = await startServers(ctx, cluster, processes);
        const apis = servers.map((s) => new Api(s.base, { maxSockets: CLIENTS }));
        try {
          const { perSec, latencies, maxLatency, org } = await guardedAll(servers, approveUnderLoad(ctx.log, apis, ownerToken, ceiling));
          const suffix = `_${processes}p`;
          figures.push(
            { name: `pg.decisions_per_s${suffix}`, value: round(perSec, 0), unit: 'decisions/s', goal: null },
            { name: `pg.decisions_vs_ceiling${suffix}`, value: round(perSec / ceiling, 3), unit: 'ratio', goal: '>= 0.5' },
            { name: `pg.decisions_p50_ms${suffix}`, value: round(percentile(latencies, 50)), unit: 'ms', goal: null },
            { name: `pg.decisions_p99_ms${suffix}`, value: round(percentile(latencies, 99)), unit: 'ms', goal: '< 50' },
            { name: `pg.decisions_max_ms${suffix}`, value: round(maxLatency), unit: 'ms', goal: null },
          );
          if (processes === 2) {
            const samples = await guardedAll(servers, crossProcessChange(ctx, apis[0]!, apis[1]!, org, ownerToken));
            figures.push(
              { name: 'pg.cross_process_change_p50_ms', value: round(percentile(samples, 50)), unit: 'ms', goal: null },
              { name: 'pg.cross_process_change_p99_ms', value: round(percentile(samples, 99)), unit: 'ms', goal: '< 100' },
            );
          }
        } finally {
          for (const a of apis) a.close();
          await Promise.all(servers.map((s) => s.stop()));
        }
      }
      return figures;
    } finally {
      cluster.stop();
    }
  },
};

export default postgres;
