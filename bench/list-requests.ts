// Figure: the server's filtered inbox query with 100,000 requests in its database. The org (4
// projects × 5 environments) is made through the API; the requests are then written straight
// through the store in one transaction with the server stopped (100k HTTP calls would take
// minutes and measure something else; org.ts seedRequests), and the server is started again on that data. Then one
// client, one call at a time, runs the queries the console's inbox filters make, newest first,
// 100 a page: status=pending with an environment, a project or an action, the same without the
// status, each status alone, no filter, and the second page of each (its nextCursor).
import { join } from 'node:path';
import { ACTIONS } from '../shared/schemas/index.ts';
import { Api, guarded, initData, percentile, round, startServer, type Benchmark } from './helpers.ts';
import { createStoreOrg, seedRequests } from './org.ts';

const REQUESTS = 100_000;
const PROJECTS = 4;
const ENVS_PER_PROJECT = 5;
/** One in 50 still pending, as in an org whose year of requests is mostly decided. */
const PENDING_SHARE = 0.02;
const ROUNDS = 4;

export const listRequests: Benchmark = {
  name: 'list-requests',
  async run(ctx) {
    const dataDir = join(ctx.dir, 'data');
    const ownerToken = await initData(dataDir);
    const org = await createStoreOrg(dataDir, ownerToken, { projects: PROJECTS, environmentsPerProject: ENVS_PER_PROJECT });

    const t0 = performance.now();
    await seedRequests(dataDir, org, { requests: REQUESTS, pendingShare: PENDING_SHARE, seed: 17 }, ctx.log);
    ctx.log(`written in ${((performance.now() - t0) / 1000).toFixed(1)} s; starting the server on it`);

    const server = await startServer(dataDir);
    const api = new Api(server.base, { maxSockets: 1 });
    try {
      return await guarded(server, measure());
    } finally {
      api.close();
      await server.stop();
    }

    async function measure() {
      const queries: string[] = [];
      for (const env of org.envIds) queries.push(`status=pending&environmentId=${env}`, `environmentId=${env}`);
      for (const project of org.projectIds) queries.push(`status=pending&projectId=${project}`, `projectId=${project}`);
      for (const action of ACTIONS) queries.push(`status=pending&action=${action}`);
      for (const status of ['pending', 'approved', 'rejected', 'expired', 'cancelled']) queries.push(`status=${status}`);
      queries.push('');
      const get = async (query: string) => {
        const t = performance.now();
        const page = await api.call<{ requests: unknown[]; nextCursor: string | null }>(
          'GET',
          `/api/requests?limit=100${query ? `&${query}` : ''}`,
          ownerToken,
        );
        return { ms: performance.now() - t, page };
      };
      // Warm-up: the first call of each shape compiles its statement and pages the indexes in.
      const cursors = new Map<string, string>();
      for (const q of queries) {
        const { page } = await get(q);
        if (page.nextCursor) cursors.set(q, page.nextCursor);
      }
      ctx.log(`${queries.length} query shapes (+ ${cursors.size} second pages) × ${ROUNDS} rounds`);
      const samples: number[] = [];
      const slowest = new Map<string, number>();
      const sample = async (q: string) => {
        const { ms } = await get(q);
        samples.push(ms);
        slowest.set(q, Math.max(ms, slowest.get(q) ?? 0));
      };
      for (let round = 0; round < ROUNDS; round++) {
        for (const q of queries) {
          await sample(q);
          const next = cursors.get(q);
          if (next) await sample(`${q}${q ? '&' : ''}cursor=${next}`);
        }
      }
      const worst = [...slowest].sort((a, b) => b[1] - a[1]).slice(0, 3);
      ctx.log(`slowest: ${worst.map(([q, ms]) => `${q || '(no filter)'} ${ms.toFixed(1)} ms`).join('; ')}`);
      return [
        { name: 'http.list_requests_p50_ms_100k', value: round2(percentile(samples, 50)), unit: 'ms', goal: null },
        { name: 'http.list_requests_p99_ms_100k', value: round2(percentile(samples, 99)), unit: 'ms', goal: '< 50' },
      ];
    }
  },
};

const round2 = (v: number) => round(v, 2);

export default listRequests;
