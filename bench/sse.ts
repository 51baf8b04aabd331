// Figure 3: how long after a new request is sent its change event reaches the desktop clients,
// with 500 of them subscribed to GET /api/events. Requests are created one at a time; each one's
// latency, per subscriber, is from the moment its POST was sent until that subscriber receives an
// `event: change` whose cursor is at least the sync cursor of the new request.
import http from 'node:http';
import { join } from 'node:path';
import { Api, guarded, initData, percentile, round, startServer, withTimeout, type Benchmark } from './helpers.ts';
import { createOrg, createPendingRequest } from './org.ts';

const SUBSCRIBERS = 500;
const WARMUP_EVENTS = 3;
const EVENTS = 50;

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
    const streamAgent = new http.Agent({ keepAlive: true, maxSockets: SUBSCRIBERS + 10 });
    const subscribers: Subscriber[] = [];
    try {
      return await guarded(server, body());
    } finally {
      for (const s of subscribers) s.req.destroy();
      streamAgent.destroy();
      api.close();
      await server.stop();
    }

    async function body() {
      const org = await createOrg(api, ownerToken, { approvers: 10 });
      const tokens = [ownerToken, org.requester.token, ...org.approvers.map((a) => a.token)];
      const url = new URL(server.base);

      // Waiting for every subscriber to reach a cursor.
      let target = Infinity;
      let reached = 0;
      let onAllReached: (() => void) | undefined;
      let connectedCount = 0;
      let onAllConnected: (() => void) | undefined;
      let streamError: Error | undefined;

      const onChange = (s: Subscriber, cursor: number) => {
        if (!s.connected) {
          // The event every stream starts with: the cursor at connect time, not a change.
          s.connected = true;
          s.maxCursor = cursor;
          if (++connectedCount === SUBSCRIBERS) onAllConnected?.();
          return;
        }
        const now = performance.now();
        s.cursors.push(cursor);
        s.times.push(now);
        if (cursor >= target && s.maxCursor < target && ++reached === SUBSCRIBERS) onAllReached?.();
        if (cursor > s.maxCursor) s.maxCursor = cursor;
      };

      ctx.log(`server pid ${server.pid}; connecting ${SUBSCRIBERS} subscribers to /api/events`);
      const connected = new Promise<void>((r) => (onAllConnected = r));
      for (let i = 0; i < SUBSCRIBERS; i++) {
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
      }
      await withTimeout(connected, 30_000, `connecting ${SUBSCRIBERS} subscribers`);
      if (streamError) throw streamError;
      ctx.log(`${SUBSCRIBERS} subscribers connected; creating ${WARMUP_EVENTS} + ${EVENTS} requests one at a time`);

      const sent: { at: number; cursor: number }[] = [];
      let lastCursor = 0;
      for (let k = 0; k < WARMUP_EVENTS + EVENTS; k++) {
        reached = 0;
        target = Infinity;
        const allReached = new Promise<void>((r) => (onAllReached = r));
        const at = performance.now();
        const request = await createPendingRequest(api, org, k);
        // The sync cursor of this commit: the seq of the new request's change.
        const page = await api.call<{ changes: { seq: number; entity: string; id: string }[] }>('GET', `/api/sync?cursor=${lastCursor}&limit=5000`, ownerToken);
        const change = page.changes.find((c) => c.entity === 'request' && c.id === request.id);
        if (!change) throw new Error(`request ${request.id} is not in /api/sync after cursor ${lastCursor}`);
        lastCursor = change.seq;
        target = change.seq;
        for (const s of subscribers) if (s.maxCursor >= target) reached++;
        if (reached < SUBSCRIBERS) await withTimeout(allReached, 10_000, `all subscribers seeing cursor ${target} (${reached} did)`);
        if (streamError) throw streamError;
        if (k >= WARMUP_EVENTS) sent.push({ at, cursor: target });
      }

      const latencies: number[] = [];
      for (const s of subscribers) {
        let j = 0;
        for (const e of sent) {
          while (s.cursors[j]! < e.cursor) j++; // cursors only grow; every subscriber reached every target
          latencies.push(s.times[j]! - e.at);
        }
      }
      ctx.log(`${latencies.length} subscriber × event samples`);
      let max = 0;
      for (const l of latencies) max = Math.max(max, l);
      return [
        { name: 'sse.change_latency_p50_ms', value: round(percentile(latencies, 50)), unit: 'ms', goal: null },
        { name: 'sse.change_latency_p99_ms', value: round(percentile(latencies, 99)), unit: 'ms', goal: '< 200' },
        { name: 'sse.change_latency_max_ms', value: round(max), unit: 'ms', goal: null },
      ];
    }
  },
};

export default sse;
