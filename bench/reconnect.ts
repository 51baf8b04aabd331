// Figures: a server restart under a company's desktops. 2,000 users each hold GET /api/events
// open and have synced /api/sync to the head, through the desktop's own sync engine
// (electron/core/sync: its backoff, its catch-up pull; a MemorySyncStore instead of the sql.js
// cache, which is the desktop's cost, not the server's). The server is stopped (SIGTERM: it drains
// and ends every stream), REQUESTS_WHILE_DOWN requests are written into its database while it is
// down (what the desktops missed), and it is started again on the same data dir and port.
// - sync.reconnect_storm_2000_s: from the SIGTERM until every engine is online again with the
//   new head (stream reopened, missed pages pulled).
// - sync.reconnect_storm_p99_ms: meanwhile, from the moment the new server listens until all
//   are resynced, PROBES other clients call GET /api/requests (the inbox's pending page) in a
//   loop: the p99 of their latency (refused connections before it listens are not samples).
// The 2,000 engines run in this process, so their JSON and zod parsing shares the 2 cores with
// the server: the storm's duration is an upper bound on the server's.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createBackendClient } from '../electron/core/client/index.ts';
import { MemorySyncStore, SyncEngine } from '../electron/core/sync/index.ts';
import { makeRequest, type Org } from '../electron/core/cache/fixtures.ts';
import { DB_FILE, DEFAULT_RATE_LIMITS, openSqliteStore } from '../server/index.ts';
import { Api, guarded, initData, percentile, round, startServer, withTimeout, type Benchmark, type ServerProcess } from './helpers.ts';
import { createOrg, createPendingRequest, inParallel } from './org.ts';

const CLIENTS = 2_000;
const PROBES = 4;
const REQUESTS_BEFORE = 50;
const REQUESTS_WHILE_DOWN = 10;

/**
 * The probe clients (plain JS: a worker has no tsx): each GETs `path` in a loop, 20 ms apart;
 * after 'sample' it records the latency of each 200 (other statuses count as errors, refused
 * connections as nothing); on 'stop' it posts {samples, errors}.
 */
const PROBE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const url = new URL(workerData.base);
let sampling = false, stopped = false, errors = 0;
const samples = [];
const get = (agent, token) => new Promise((resolve) => {
  const t = performance.now();
  const req = http.get({ host: url.hostname, port: Number(url.port), path: workerData.path, agent, headers: { authorization: 'Bearer ' + token } }, (res) => {
    res.resume();
    res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t }));
    res.on('error', () => resolve(null));
  });
  req.on('error', () => resolve(null));
});
const loop = async (token) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  while (!stopped) {
    const r = await get(agent, token);
    if (r && sampling) r.status === 200 ? samples.push(r.ms) : errors++;
    await new Promise((w) => setTimeout(w, 20));
  }
  agent.destroy();
};
const loops = workerData.tokens.map(loop);
parentPort.on('message', async (m) => {
  if (m === 'sample') sampling = true;
  if (m === 'stop') { stopped = true; await Promise.all(loops); parentPort.postMessage({ samples, errors }); }
});
`;

interface Desktop {
  engine: SyncEngine;
  store: MemorySyncStore;
  /** performance.now() of the last time it went online. */
  onlineAt: number;
}

export const reconnect: Benchmark = {
  name: 'reconnect',
  async run(ctx) {
    const dataDir = join(ctx.dir, 'data');
    const ownerToken = await initData(dataDir);
    // The pace of new streams as deployed: it is what spreads the storm.
    const paced = { streamOpensPerSecond: DEFAULT_RATE_LIMITS.streamOpensPerSecond };
    let server: ServerProcess = await startServer(dataDir, paced);
    const port = Number(new URL(server.base).port);
    const api = new Api(server.base, { maxSockets: 16 });
    const desktops: Desktop[] = [];
    try {
      return await body();
    } finally {
      await Promise.all(desktops.map((d) => d.engine.stop()));
      api.close();
      await server.stop();
    }

    async function body() {
      ctx.log(`server pid ${server.pid}; creating ${CLIENTS} users with tokens and ${REQUESTS_BEFORE} requests`);
      const org = await guarded(server, createOrg(api, ownerToken, { approvers: 2 }));
      const users = await guarded(
        server,
        inParallel(CLIENTS, 16, (i) =>
          api.call<{ user: { id: string }; token: string }>('POST', '/api/users', ownerToken, {
            name: `Desktop ${i}`,
            email: `desktop${i}@bench.example`,
            orgRole: 'member',
          }),
        ),
      );
      await guarded(
        server,
        inParallel(REQUESTS_BEFORE, 8, (i) => createPendingRequest(api, org, i)),
      );

      // Every desktop has synced before: one bootstrap's pages, applied to each store (the same
      // objects, so 2,000 copies cost nothing), instead of 2,000 bootstraps of the whole org.
      const seedClient = createBackendClient({ baseUrl: server.base, token: () => ownerToken });
      const pages: Awaited<ReturnType<typeof seedClient.sync>>[] = [];
      for (let cursor = 0; ; ) {
        const page = await guarded(server, seedClient.sync(cursor, 1000));
        pages.push(page);
        cursor = page.cursor;
        if (!page.hasMore) break;
      }
      ctx.log(`starting ${CLIENTS} desktop sync engines, each synced to cursor ${pages[pages.length - 1]!.cursor}`);
      const offlineReasons = new Map<string, number>();
      let online = 0;
      let onAllOnline: (() => void) | undefined;
      let targetCursor = 0;
      for (const u of users) {
        const store = new MemorySyncStore();
        for (const page of pages) {
          if (page.serverId !== undefined) store.setServerId(page.serverId);
          store.applyChanges(page.changes, page.cursor);
        }
        const d: Desktop = { store, onlineAt: 0, engine: undefined as unknown as SyncEngine };
        const client = createBackendClient({ baseUrl: server.base, token: () => u.token });
        d.engine = new SyncEngine({
          client,
          store,
          baseUrl: server.base,
          token: () => u.token,
          onStatus: (s) => {
            if (s.state === 'offline' && s.error) {
              const reason = s.error.replace(/\d+/g, 'N');
              offlineReasons.set(reason, (offlineReasons.get(reason) ?? 0) + 1);
            }
            if (s.state !== 'online' || store.cursor() < targetCursor || d.onlineAt > 0) return;
            d.onlineAt = performance.now();
            if (++online === CLIENTS) onAllOnline?.();
          },
        });
        desktops.push(d);
      }
      const allOnline = () => new Promise<void>((r) => (onAllOnline = r));
      let waiting = allOnline();
      const t0 = performance.now();
      for (const d of desktops) void d.engine.start();
      const startProgress = setInterval(() => ctx.log(`${online} of ${CLIENTS} online`), 2000);
      try {
        await guarded(server, withTimeout(waiting, 120_000, `${CLIENTS} engines online (${online} are)`));
      } finally {
        clearInterval(startProgress);
      }
      ctx.log(`all ${CLIENTS} online in ${((performance.now() - t0) / 1000).toFixed(1)} s (cursor ${targetCursor}); restarting the server`);

      // The probes: another few clients' inbox calls, all along, in a worker thread: in this
      // thread they would wait behind the 2,000 engines' parsing and measure that instead.
      const probes = new Worker(PROBE_WORKER, {
        eval: true,
        workerData: { base: server.base, tokens: users.slice(0, PROBES).map((u) => u.token), path: '/api/requests?status=pending&limit=100' },
      });
      const probeResult = new Promise<{ samples: number[]; errors: number }>((resolvePromise, reject) => {
        probes.once('message', resolvePromise);
        probes.once('error', reject);
      });

      online = 0;
      targetCursor = Number.POSITIVE_INFINITY; // no engine counts until it has what was written while down
      for (const d of desktops) d.onlineAt = 0;
      const tStop = performance.now();
      await server.stop();
      const stopS = (performance.now() - tStop) / 1000;

      // What the desktops missed: requests written while the server is down, through the store.
      const store = openSqliteStore(join(dataDir, DB_FILE));
      try {
        const fixtureOrg: Org = {
          changes: [],
          userIds: [org.requester.id],
          envIds: [org.environmentId],
          projectIds: [org.projectId],
          envProject: new Map([[org.environmentId, org.projectId]]),
        };
        await store.transact(async (tx) => {
          for (let i = 0; i < REQUESTS_WHILE_DOWN; i++)
            await tx.insertRequest(
              { ...makeRequest(fixtureOrg, 1_000_000 + i, { status: 'approved' }), expiresAt: '2999-01-01T00:00:00.000Z' },
              undefined,
              undefined,
            );
        });
        targetCursor = await store.currentSeq();
      } finally {
        await store.close();
      }
      waiting = allOnline();
      server = await startServer(dataDir, { ...paced, port });
      const tUp = performance.now();
      probes.postMessage('sample');
      ctx.log(
        `stopped in ${stopS.toFixed(1)} s, listening again ${((tUp - tStop) / 1000).toFixed(1)} s after the SIGTERM; waiting for ${CLIENTS} to resync to ${targetCursor}`,
      );
      let lastReport = performance.now();
      const progress = setInterval(() => {
        if (performance.now() - lastReport < 2000) return;
        lastReport = performance.now();
        ctx.log(`${online} of ${CLIENTS} resynced`);
      }, 500);
      try {
        await guarded(server, withTimeout(waiting, 180_000, `${CLIENTS} engines resyncing (${online} did)`));
      } finally {
        clearInterval(progress);
        probes.postMessage('stop');
      }
      const { samples, errors: probeErrors } = await withTimeout(probeResult, 10_000, 'the probe worker');
      await probes.terminate();
      const done = Math.max(...desktops.map((d) => d.onlineAt));
      const stormS = (done - tStop) / 1000;
      const connects = desktops.reduce((n, d) => n + d.engine.stats.connects, 0);
      ctx.log(
        `resynced ${((done - tUp) / 1000).toFixed(1)} s after the server listened; ${connects} stream connects in all; ${samples.length} probe samples, ${probeErrors} probe errors`,
      );
      ctx.log(`offline reasons: ${[...offlineReasons].map(([r, n]) => `${n}× ${r}`).join('; ')}`);
      if (samples.length < 20) throw new Error(`only ${samples.length} probe calls succeeded during the storm`);
      return [
        { name: 'sync.reconnect_storm_2000_s', value: round(stormS, 1), unit: 's', goal: '< 30' },
        { name: 'sync.reconnect_storm_p50_ms', value: round(percentile(samples, 50)), unit: 'ms', goal: null },
        { name: 'sync.reconnect_storm_p99_ms', value: round(percentile(samples, 99)), unit: 'ms', goal: '< 100' },
      ];
    }
  },
};

export default reconnect;
