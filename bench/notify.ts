// Notifications: how soon a committed request reaches its webhooks, and how many deliveries the
// server sends a second. The receiver is the suites' own (test/server/receivers.ts), so every
// request it counts was checked: signature, timestamp, headers, no id answered twice.
// - notify.webhook_latency_p99_ms: 100 requests with 10 webhook channels subscribed (1000
//   deliveries), each filed once the previous one's deliveries have all arrived, so this is the
//   fan-out of one commit and not a backlog (the throughput figure is that); each delivery's
//   latency is from the moment its request's POST was sent (the commit is inside that call, so
//   this slightly overstates it) until the receiver has read the whole delivery.
// - notify.deliveries_per_s: 40 more channels (50 in all), 20 requests filed 8 at a time (1000
//   deliveries); deliveries over the time from the first POST sent to the last delivery received.
import { join } from 'node:path';
import { WebhookReceiver } from '../test/server/receivers.ts';
import { Api, guarded, initData, percentile, round, sleep, startServer, type Benchmark, type Figure } from './helpers.ts';
import { createOrg, createPendingRequest, inParallel, type BenchOrg } from './org.ts';

const LATENCY_CHANNELS = 10;
const LATENCY_REQUESTS = 100;
const THROUGHPUT_CHANNELS = 50;
const THROUGHPUT_REQUESTS = 20;
const DRAIN_TIMEOUT_MS = 30_000;

export const notify: Benchmark = {
  name: 'notify',
  async run(ctx) {
    const dataDir = join(ctx.dir, 'data');
    const ownerToken = await initData(dataDir);
    const server = await startServer(dataDir);
    const api = new Api(server.base, { maxSockets: 16 });
    const hook = await WebhookReceiver.start();
    try {
      return await guarded(server, body());
    } finally {
      api.close();
      await hook.close();
      await server.stop();
    }

    async function body(): Promise<Figure[]> {
      const org = await createOrg(api, ownerToken, { approvers: 1 });
      const addChannels = (n: number) =>
        inParallel(n, 4, async (i) => {
          const url = hook.url(`bench-${i}`);
          const secret = `bench-secret-${i}-${'x'.repeat(16)}`;
          hook.trust(url, secret);
          await api.call('POST', '/api/channels', ownerToken, {
            kind: 'webhook',
            name: `bench ${url}`,
            url,
            secret,
            events: ['request.pending'],
            environmentIds: [org.environmentId],
          });
        });

      await addChannels(LATENCY_CHANNELS);
      // One request through the whole path first: the worker, the receiver's sockets and the JIT warm up.
      await fileAndDrain(org, 1, 1, 0, LATENCY_CHANNELS);
      const samples: number[] = [];
      for (let i = 0; i < LATENCY_REQUESTS; i++) {
        const sentAt = performance.now();
        for (const h of await fileAndDrain(org, 1, 1, 1 + i, LATENCY_CHANNELS)) samples.push(h.receivedAt - sentAt);
      }
      const p50 = round(percentile(samples, 50), 1);
      const p99 = round(percentile(samples, 99), 1);
      ctx.log(
        `latency: ${samples.length} deliveries (${LATENCY_REQUESTS} requests × ${LATENCY_CHANNELS} channels) p50 ${p50} ms, p99 ${p99} ms, max ${round(Math.max(...samples), 1)} ms`,
      );

      await addChannels(THROUGHPUT_CHANNELS - LATENCY_CHANNELS);
      const t0 = performance.now();
      const burst = await fileAndDrain(org, THROUGHPUT_REQUESTS, 8, 1 + LATENCY_REQUESTS, THROUGHPUT_CHANNELS);
      const seconds = (Math.max(...burst.map((h) => h.receivedAt)) - t0) / 1000;
      const perSecond = Math.round(burst.length / seconds);
      ctx.log(`throughput: ${burst.length} deliveries (${THROUGHPUT_REQUESTS} requests × ${THROUGHPUT_CHANNELS} channels) in ${round(seconds, 2)} s`);

      if (hook.problems.length > 0) throw new Error(`the webhook receiver found problems: ${hook.problems.slice(0, 5).join('; ')}`);
      return [
        { name: 'notify.webhook_latency_p99_ms', value: p99, unit: 'ms', goal: '< 500' },
        { name: 'notify.deliveries_per_s', value: perSecond, unit: 'deliveries/s', goal: '>= 500' },
      ];
    }

    /** Files `count` requests, `concurrency` at a time; resolves with their deliveries once every channel has each. */
    async function fileAndDrain(org: BenchOrg, count: number, concurrency: number, first: number, channels: number) {
      const ids = new Set<string>();
      await inParallel(count, concurrency, async (i) => {
        ids.add((await createPendingRequest(api, org, first + i)).id);
      });
      const want = count * channels;
      const deadline = performance.now() + DRAIN_TIMEOUT_MS;
      for (;;) {
        const got = hook.hits.filter((h) => h.status < 300 && ids.has(h.body?.data?.request?.id));
        if (got.length >= want) return got;
        if (performance.now() > deadline) throw new Error(`only ${got.length} of ${want} deliveries arrived within ${DRAIN_TIMEOUT_MS / 1000} s`);
        await sleep(5);
      }
    }
  },
};

export default notify;
