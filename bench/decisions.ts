// Figure 2: durable decisions per second, and their latency, with 50 concurrent HTTP clients
// against the real server (a child process, over loopback). Each decision is
// POST /api/requests/:id/approve with its own Idempotency-Key, by an approver who has not decided
// on that request yet; every one is one durable (fsync'd) commit. The requests need 1000
// approvals, so none of them ever leaves 'pending'.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Api, guarded, initData, percentile, round, startServer, type Benchmark } from './helpers.ts';
import { createOrg, createPendingRequest, inParallel, type BenchOrg } from './org.ts';
import { COMMIT_CEILING, measureCommitCeiling } from './sqlite-ceiling.ts';

export const CLIENTS = 50;
const APPROVERS = 60;
const WARMUP_S = 1;
const MEASURE_S = 5;

interface Sample {
  start: number;
  end: number;
}

export interface DecisionLoad {
  perSec: number;
  /** Latencies (ms) of the approvals that started and ended inside the measured window. */
  latencies: number[];
  maxLatency: number;
  /** The org the approvals were made in (its requests stay pending). */
  org: BenchOrg;
}

/**
 * Builds the org through `apis[0]`, pre-creates enough pending requests, then runs CLIENTS
 * approving clients, client i on apis[i mod n] (so several servers on one database share the 50
 * clients evenly), WARMUP_S s of warm-up and MEASURE_S s measured. `ceiling` (commits/s) sizes the
 * pre-created requests so that the clients cannot run out.
 */
export async function approveUnderLoad(log: (m: string) => void, apis: Api[], ownerToken: string, ceiling: number): Promise<DecisionLoad> {
  const api = apis[0]!;
  log(`creating the org (${APPROVERS} approvers)`);
  const org = await createOrg(api, ownerToken, { approvers: APPROVERS });

  // Enough (approver, request) pairs that the clients cannot run out even at the ceiling.
  const expected = Math.min(ceiling, 20_000) * (WARMUP_S + MEASURE_S) * 1.3;
  const requestCount = Math.max(CLIENTS * 2, Math.min(3000, Math.ceil(expected / APPROVERS)));
  log(`pre-creating ${requestCount} pending requests`);
  const requests = await inParallel(requestCount, 16, (i) => createPendingRequest(api, org, i));

  // Pair k: round u = ⌊k / R⌋, request r = k mod R, approver (u + r) mod A. Consecutive pairs
  // hit different requests with different approvers, and no pair repeats.
  const R = requests.length;
  const totalPairs = R * APPROVERS;
  let nextPair = 0;
  const runId = randomUUID();

  const samples: Sample[] = [];
  const approvedOn = new Array<number>(R).fill(0);
  let errors = 0;
  let firstError = '';
  let stopAt = Infinity;
  let exhausted = false;

  const client = async (_: unknown, i: number) => {
    const via = apis[i % apis.length]!;
    for (;;) {
      if (performance.now() >= stopAt) return;
      if (nextPair >= totalPairs) {
        exhausted = true;
        return;
      }
      const k = nextPair++;
      const r = k % R;
      const approver = org.approvers[(Math.floor(k / R) + r) % APPROVERS]!;
      const start = performance.now();
      const res = await via.request('POST', `/api/requests/${requests[r]!.id}/approve`, approver.token, {}, { 'idempotency-key': `bench-${runId}-${k}` });
      const end = performance.now();
      if (res.status !== 200) {
        errors++;
        firstError ||= `HTTP ${res.status}: ${res.text.slice(0, 300)}`;
        if (errors >= 20) return;
        continue;
      }
      samples.push({ start, end });
      approvedOn[r]!++;
    }
  };

  log(`${CLIENTS} clients approving over ${apis.length} server(s): ${WARMUP_S} s warm-up, then ${MEASURE_S} s measured`);
  const t0 = performance.now() + WARMUP_S * 1000;
  const t1 = t0 + MEASURE_S * 1000;
  stopAt = t1;
  let lastCount = 0;
  let tick = 0;
  const ticker = setInterval(() => {
    const phase = ++tick <= WARMUP_S ? 'warm-up' : 'measuring';
    log(`${phase}: ${samples.length - lastCount} approvals in the last second`);
    lastCount = samples.length;
  }, 1000);
  try {
    await Promise.all(Array.from({ length: CLIENTS }, client));
  } finally {
    clearInterval(ticker);
  }
  if (errors > 0) throw new Error(`${errors} approvals failed; first: ${firstError}`);

  const inWindow = samples.filter((s) => s.start >= t0 && s.end <= t1);
  const completed = samples.filter((s) => s.end >= t0 && s.end <= t1).length;
  let lastEnd = 0;
  for (const s of samples) lastEnd = Math.max(lastEnd, s.end);
  const windowS = (Math.min(t1, lastEnd) - t0) / 1000;
  if (exhausted) log(`warning: ran out of (approver, request) pairs after ${samples.length} approvals; the window is ${windowS.toFixed(2)} s`);
  if (inWindow.length === 0 || windowS <= 0) throw new Error('no approvals completed inside the measured window');
  const perSec = completed / windowS;
  const latencies = inWindow.map((s) => s.end - s.start);
  let maxLatency = 0;
  for (const l of latencies) maxLatency = Math.max(maxLatency, l);
  log(`${samples.length} approvals in all, ${completed} in the ${MEASURE_S} s window → ${Math.round(perSec)}/s`);

  // Spot check, on every server: the acknowledged decisions really are on the request, and it is still pending.
  for (const a of apis) {
    const probe = await a.call<{ request: { decisions: unknown[]; status: string } }>('GET', `/api/requests/${requests[0]!.id}`, org.requester.token);
    if (probe.request.status !== 'pending' || probe.request.decisions.length !== approvedOn[0]) {
      throw new Error(
        `request ${requests[0]!.id} is ${probe.request.status} with ${probe.request.decisions.length} decisions at ${a.base}; expected pending with ${approvedOn[0]}`,
      );
    }
  }
  return { perSec, latencies, maxLatency, org };
}

export const decisions: Benchmark = {
  name: 'decisions',
  async run(ctx) {
    let ceiling = ctx.figure(COMMIT_CEILING);
    if (ceiling === undefined) {
      ctx.log('no commit ceiling measured in this run: measuring it for 1 s first');
      ceiling = measureCommitCeiling(join(ctx.dir, 'ceiling.db'), 1).commitsPerSec;
    }

    const dataDir = join(ctx.dir, 'data');
    const ownerToken = await initData(dataDir);
    const server = await startServer(dataDir);
    const api = new Api(server.base, { maxSockets: CLIENTS });
    try {
      ctx.log(`server pid ${server.pid} at ${server.base}`);
      const { perSec, latencies, maxLatency } = await guarded(server, approveUnderLoad(ctx.log, [api], ownerToken, ceiling));
      return [
        { name: 'http.decisions_per_s', value: round(perSec, 0), unit: 'decisions/s', goal: null },
        { name: 'http.decisions_vs_ceiling', value: round(perSec / ceiling, 3), unit: 'ratio', goal: '>= 0.5' },
        { name: 'http.decision_p50_ms', value: round(percentile(latencies, 50)), unit: 'ms', goal: null },
        { name: 'http.decision_p99_ms', value: round(percentile(latencies, 99)), unit: 'ms', goal: '< 50' },
        { name: 'http.decision_max_ms', value: round(maxLatency), unit: 'ms', goal: null },
      ];
    } finally {
      api.close();
      await server.stop();
    }
  },
};

export default decisions;
