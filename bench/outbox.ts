// Figures 5 and 6, the desktop core's own:
// - outbox.enqueue_{1k,10k,50k}_ms: how long one decision takes to be durably queued (enqueue()
//   resolved: its journal line written and fsynced) while the sql.js cache file of the desktop —
//   holding 1k / 10k / 50k requests — lives in the same directory, and the decision is also applied
//   to that cache as an optimistic update (the cache's coalesced background saves run meanwhile,
//   as they would in the app). The median of SAMPLES decisions, one at a time.
// - sync.bootstrap_10k_ms: a fresh desktop bootstrapping 10k requests from the real server
//   (/api/sync pages of 1000 over HTTP, zod-parsed) into the sql.js cache, from start() to online.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { ApprovalRequest, SyncChange } from '../shared/schemas/index.ts';
import type { SyncStore } from '../electron/core/contracts.ts';
import { createBackendClient } from '../electron/core/client/index.ts';
import { Outbox } from '../electron/core/outbox/index.ts';
import { MemorySyncStore, SyncEngine } from '../electron/core/sync/index.ts';
import { Api, guarded, initData, percentile, round, startServer, withTimeout, type Benchmark, type Figure } from './helpers.ts';
import { createOrg, createPendingRequest, inParallel } from './org.ts';
import { systemClock } from '../shared/clock.ts';

const SIZES = [
  { label: '1k', n: 1_000 },
  { label: '10k', n: 10_000 },
  { label: '50k', n: 50_000 },
];
const SAMPLES = 100;
const BOOTSTRAP_REQUESTS = 10_000;

type CacheModule = typeof import('../electron/core/cache/index.ts');

async function loadCache(): Promise<CacheModule | undefined> {
  try {
    const m = (await import('../electron/core/cache/index.ts')) as CacheModule;
    return typeof m.Cache?.open === 'function' ? m : undefined;
  } catch {
    return undefined;
  }
}

function fakeRequest(i: number): ApprovalRequest {
  const at = new Date(Date.UTC(2024, 5, 1) + i * 1000).toISOString();
  return {
    id: `req_bench${String(i).padStart(8, '0')}`,
    action: 'release.deploy',
    resource: { projectId: 'prj_bench', environmentId: `env_bench${i % 10}` },
    requesterId: `usr_bench${i % 50}`,
    justification: `benchmark deployment ${i}: ship the thing`,
    payload: { revision: `rev-${i}`, summary: 'benchmark deployment', diffBytes: 1234, diffLines: 56 },
    digest: `${i}`.padStart(64, 'a'),
    gates: [],
    decisions: [],
    status: 'pending',
    warnings: [],
    nudges: [],
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(Date.parse(at) + 7 * 86400_000).toISOString(),
  };
}

async function enqueueFigures(ctx: Parameters<Benchmark['run']>[0], cacheMod: CacheModule | undefined): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const { label, n } of SIZES) {
    const dir = join(ctx.dir, `enqueue-${label}`);
    mkdirSync(dir);
    let cache: Awaited<ReturnType<CacheModule['Cache']['open']>>['cache'] | undefined;
    if (cacheMod) {
      ({ cache } = await cacheMod.Cache.open({ file: join(dir, 'cache.sqlite') }));
      for (let i = 0; i < n; i += 1000) {
        const changes: SyncChange[] = [];
        for (let j = i; j < Math.min(n, i + 1000); j++)
          changes.push({ seq: j + 1, entity: 'request', id: fakeRequest(j).id, op: 'upsert', data: fakeRequest(j) });
        cache.applyChanges(changes, Math.min(n, i + 1000));
      }
      await cache.flush();
    }
    const box = await Outbox.open(join(dir, 'outbox.jsonl'));
    const samples: number[] = [];
    for (let s = 0; s < SAMPLES + 5; s++) {
      const target = fakeRequest((s * 7919) % n);
      const t0 = performance.now();
      await box.enqueue(
        { type: 'approve', requestId: target.id, comment: 'lgtm', reviewedDigest: target.digest },
        { userId: 'usr_me', serverUrl: 'http://127.0.0.1:8787' },
      );
      if (cache) {
        // the optimistic update: the request shows my approval before the server confirms it
        const current = cache.get('request', target.id) ?? target;
        const optimistic = { ...current, decisions: [...current.decisions, { userId: 'usr_me', kind: 'approve' as const, at: systemClock().toISOString() }] };
        cache.applyChanges([{ seq: cache.cursor(), entity: 'request', id: target.id, op: 'upsert', data: optimistic }], cache.cursor());
      }
      const ms = performance.now() - t0;
      if (s >= 5) samples.push(ms); // the first few warm the file and the JIT
      await new Promise((r) => setTimeout(r, 2)); // one decision at a time, as a user clicks
    }
    await box.close();
    await cache?.close();
    const p50 = round(percentile(samples, 50), 2);
    ctx.log(
      `enqueue with ${label} requests: p50 ${p50} ms, p95 ${round(percentile(samples, 95), 2)} ms, max ${round(Math.max(...samples), 2)} ms — ` +
        (cache ? `sql.js cache file of ${n} requests alongside + optimistic update` : `journal alone (electron/core/cache not available)`),
    );
    figures.push({ name: `outbox.enqueue_${label}_ms`, value: p50, unit: 'ms', goal: '< 10' });
  }
  return figures;
}

async function bootstrapFigure(ctx: Parameters<Benchmark['run']>[0], cacheMod: CacheModule | undefined): Promise<Figure> {
  const dataDir = join(ctx.dir, 'server');
  const ownerToken = await initData(dataDir);
  const server = await startServer(dataDir);
  const api = new Api(server.base, { maxSockets: 64 });
  try {
    return await guarded(server, body());
  } finally {
    api.close();
    await server.stop();
  }

  async function body(): Promise<Figure> {
    const t0 = performance.now();
    const org = await createOrg(api, ownerToken, { approvers: 1 });
    await inParallel(BOOTSTRAP_REQUESTS, 48, (i) => createPendingRequest(api, org, i));
    ctx.log(`setup: ${BOOTSTRAP_REQUESTS} requests created over the API in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const run = async (store: SyncStore): Promise<number> => {
      const client = createBackendClient({ baseUrl: server.base, token: () => ownerToken, timeoutMs: 30_000 });
      const engine = new SyncEngine({ client, store, baseUrl: server.base, token: () => ownerToken });
      const t = performance.now();
      await withTimeout(engine.start(), 60_000, 'bootstrap');
      const ms = performance.now() - t;
      const state = engine.status.state;
      await engine.stop();
      if (state !== 'online') throw new Error(`bootstrap ended ${state}: ${engine.status.error}`);
      return ms;
    };

    const mem = new MemorySyncStore();
    const memMs = await run(mem);
    if (mem.count('request') < BOOTSTRAP_REQUESTS) throw new Error(`bootstrap synced ${mem.count('request')} requests`);
    ctx.log(`bootstrap into an in-memory store: ${Math.round(memMs)} ms (HTTP + zod + SSE, no cache)`);
    if (!cacheMod) {
      ctx.log('electron/core/cache not available: sync.bootstrap_10k_ms is into the in-memory store');
      return { name: 'sync.bootstrap_10k_ms', value: Math.round(memMs), unit: 'ms', goal: '< 3000' };
    }
    const dir = join(ctx.dir, 'desktop');
    mkdirSync(dir);
    const { cache } = await cacheMod.Cache.open({ file: join(dir, 'cache.sqlite') });
    const ms = await run(cache);
    const synced = cache.list('request').length;
    await cache.close();
    if (synced < BOOTSTRAP_REQUESTS) throw new Error(`bootstrap synced ${synced} requests into the cache`);
    ctx.log(`bootstrap into the sql.js cache: ${synced} requests in ${Math.round(ms)} ms`);
    return { name: 'sync.bootstrap_10k_ms', value: Math.round(ms), unit: 'ms', goal: '< 3000' };
  }
}

export const outbox: Benchmark = {
  name: 'outbox',
  async run(ctx) {
    const cacheMod = await loadCache();
    const figures = await enqueueFigures(ctx, cacheMod);
    figures.push(await bootstrapFigure(ctx, cacheMod));
    return figures;
  },
};

export default outbox;
