// Figure 3: how long after a new request is sent its change event reaches the desktop clients
// subscribed to GET /api/events: first with 500 of them (the team-sized baseline), then with 5,000
// (a company's desktops), and how much server memory each subscriber holds. Requests are created
// one at a time; each one's latency, per subscriber, is from the moment its POST was sent until
// that subscriber receives an `event: change` whose cursor is at least the sync cursor of the new
// request. The subscribers all live in this one process, so at 5,000 the figure includes this
// process reading 5,000 sockets: an upper bound on the server's own fan-out time.
// sse.rss_per_subscriber_kb is the server's resident set growth (/proc) from 500 to 5,000 open
// streams, divided by the 4,500 added: sockets, the stream's objects, kernel buffers it touches.
import http from 'node:http';
import { join } from 'node:path';
import { Api, guarded, initData, percentile, round, rssKb, sleep, startServer, withTimeout, type Benchmark, type Figure } from './helpers.ts';
import { createOrg, createPendingRequest } from './org.ts';

const BASELINE = 500;
const LARGE = 5_000;
const WARMUP_EVENTS = 3;
const EVENTS = 50;
const LARGE_EVENTS = 20;
/** Streams opened at once: a burst far past the listen backlog would measure SYN retries instead. */
const CONNECT_BATCH = 250;

interface Subscriber {
  req: http.ClientRequest;
  /** Cursors of the change events received after the initial one, with their arrival times. */
  cursors: number[];
  times: number[];
  maxCursor: number;
  connected: boolean;
}

export const sse: Benchmark = {
  name: 'sse',
  async run(ctx) {
    const dataDir = join(ctx.dir, 'data');
    const ownerToken = await initData(dataDir);
    const server = await startServer(dataDir);
    const api = new Api(server.base);
    const streamAgent = new http.Agent({ keepAlive: true, maxSockets: LARGE + 10 });
    const subscribers: Subscriber[] = [];
    try {
      return await guarded(server, body());
    } finally {
      for (const s of subscribers) s.req.destroy();
      streamAgent.destroy();
      api.close();
      await server.stop();
    }

    async function body(): Promise<Figure[]> {
      const org = await createOrg(api, ownerToken, { approvers: 10 });
      const tokens = [ownerToken, org.requester.token, ...org.approvers.map((a) => a.token)];
      const url = new URL(server.base);

      // Waiting for every subscriber to reach a cursor.
      let target = Infinity;
      let reached = 0;
      let onAllReached: (() => void) | undefined;
      let connectedCount = 0;
      let connectTarget = 0;
      let onAllConnected: (() => void) | undefined;
      let streamError: Error | undefined;

      const onChange = (s: Subscriber, cursor: number) => {
        if (!s.connected) {
          // The event every stream starts with: the cursor at connect time, not a change.
          s.connected = true;
          s.maxCursor = cursor;
          if (++connectedCount === connectTarget) onAllConnected?.();
          return;
        }
        const now = performance.now();
        s.cursors.push(cursor);
        s.times.push(now);
        if (cursor >= target && s.maxCursor < target && ++reached === subscribers.length) onAllReached?.();
        if (cursor > s.maxCursor) s.maxCursor = cursor;
      };

      const subscribe = (i: number) => {
        const s: Subscriber = { req: undefined as unknown as http.ClientRequest, cursors: [], times: [], maxCursor: 0, connected: false };
        s.req = http.get(
          {
            host: url.hostname,
            port: Number(url.port),
            path: '/api/events',
            agent: streamAgent,
            headers: { authorization: `Bearer ${tokens[i % tokens.length]}`, accept: 'text/event-stream' },
          },
          (res) => {
            if (res.statusCode !== 200) {
              streamError ??= new Error(`GET /api/events: HTTP ${res.statusCode}`);
              res.resume();
              return;
            }
            res.setEncoding('utf8');
            let buffer = '';
            res.on('data', (chunk: string) => {
              buffer += chunk;
              let end: number;
              while ((end = buffer.indexOf('\n\n')) !== -1) {
                const frame = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                if (!/^event: change$/m.test(frame)) continue; // comments (heartbeats), retry hints
                const data = /^data: (.*)$/m.exec(frame);
                const cursor = data ? (JSON.parse(data[1]!) as { cursor?: unknown }).cursor : undefined;
                if (typeof cursor !== 'number') {
                  streamError ??= new Error(`a change event without a numeric cursor: ${JSON.stringify(frame)}`);
                  continue;
                }
                onChange(s, cursor);
              }
            });
            res.on('end', () => void (streamError ??= new Error('an event stream ended early')));
          },
        );
        s.req.on('error', (err) => void (streamError ??= err));
        subscribers.push(s);
      };

      /** Opens streams until `total` are connected, CONNECT_BATCH at a time. */
      const connectUpTo = async (total: number) => {
        while (subscribers.length < total) {
          connectTarget = Math.min(total, subscribers.length + CONNECT_BATCH);
          const connected = new Promise<void>((r) => (onAllConnected = r));
          for (let i = subscribers.length; i < connectTarget; i++) subscribe(i);
          await withTimeout(connected, 30_000, `connecting subscribers ${connectedCount + 1}…${connectTarget}`);
          if (streamError) throw streamError;
        }
      };

      let lastCursor = 0;
      let k = 0;
      /** Creates requests one at a time; the latency samples of the last `events` (subscriber × event). */
      const measure = async (warmup: number, events: number) => {
        const sent: { at: number; cursor: number }[] = [];
        for (let e = 0; e < warmup + events; e++, k++) {
          reached = 0;
          target = Infinity;
          const allReached = new Promise<void>((r) => (onAllReached = r));
          const at = performance.now();
          const request = await createPendingRequest(api, org, k);
          // The sync cursor of this commit: the seq of the new request's change.
          const page = await api.call<{ changes: { seq: number; entity: string; id: string }[] }>(
            'GET',
            `/api/sync?cursor=${lastCursor}&limit=5000`,
            ownerToken,
          );
          const change = page.changes.find((c) => c.entity === 'request' && c.id === request.id);
          if (!change) throw new Error(`request ${request.id} is not in /api/sync after cursor ${lastCursor}`);
          lastCursor = change.seq;
          target = change.seq;
          for (const s of subscribers) if (s.maxCursor >= target) reached++;
          if (reached < subscribers.length) await withTimeout(allReached, 20_000, `all subscribers seeing cursor ${target} (${reached} did)`);
          if (streamError) throw streamError;
          if (e >= warmup) sent.push({ at, cursor: target });
        }
        const latencies: number[] = [];
        for (const s of subscribers) {
          let j = 0;
          while (s.cursors[j]! < sent[0]!.cursor) j++;
          for (const ev of sent) {
            while (s.cursors[j]! < ev.cursor) j++; // cursors only grow; every subscriber reached every target
            latencies.push(s.times[j]! - ev.at);
          }
        }
        ctx.log(`${latencies.length} subscriber × event samples`);
        return latencies;
      };
      const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), 0);

      ctx.log(`server pid ${server.pid}; connecting ${BASELINE} subscribers to /api/events`);
      await connectUpTo(BASELINE);
      ctx.log(`${BASELINE} subscribers connected; creating ${WARMUP_EVENTS} + ${EVENTS} requests one at a time`);
      const base = await measure(WARMUP_EVENTS, EVENTS);
      await sleep(500); // let the server's heap settle before reading its RSS
      const rssAtBaseline = rssKb(server.pid);

      ctx.log(`connecting ${LARGE - BASELINE} more (server RSS ${Math.round(rssAtBaseline / 1024)} MiB at ${BASELINE})`);
      await connectUpTo(LARGE);
      await sleep(500);
      const rssAtLarge = rssKb(server.pid);
      ctx.log(`${LARGE} subscribers connected (server RSS ${Math.round(rssAtLarge / 1024)} MiB); creating ${WARMUP_EVENTS} + ${LARGE_EVENTS} requests`);
      const large = await measure(WARMUP_EVENTS, LARGE_EVENTS);

      return [
        { name: 'sse.change_latency_p50_ms', value: round(percentile(base, 50)), unit: 'ms', goal: null },
        { name: 'sse.change_latency_p99_ms', value: round(percentile(base, 99)), unit: 'ms', goal: '< 200' },
        { name: 'sse.change_latency_max_ms', value: round(max(base)), unit: 'ms', goal: null },
        { name: 'sse.change_latency_p50_ms_5000', value: round(percentile(large, 50)), unit: 'ms', goal: null },
        { name: 'sse.change_latency_p99_ms_5000', value: round(percentile(large, 99)), unit: 'ms', goal: '< 200' },
        { name: 'sse.change_latency_max_ms_5000', value: round(max(large)), unit: 'ms', goal: null },
        { name: 'sse.rss_per_subscriber_kb', value: round((rssAtLarge - rssAtBaseline) / (LARGE - BASELINE), 1), unit: 'KiB', goal: '< 50' },
      ];
    }
  },
};

export default sse;
