// Server-Sent Events: `event: change` with the new cursor after every commit, a heartbeat comment
// every 15 s. Clients pull /api/sync on each event, so a missed event costs nothing but latency.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../domain/context.ts';
import { StreamLimiter } from '../rate-limits.ts';

export function registerEventRoutes(app: FastifyInstance, ctx: ServiceContext, options: { heartbeatMs: number; streamsPerUser: number }): void {
  const streams = new Set<ServerResponse>();
  const limiter = new StreamLimiter(options.streamsPerUser);
  let latest = 0;
  let scheduled = false;

  // Commits in one tick are coalesced into one event carrying the newest cursor.
  const unsubscribe = ctx.store.onCommit((cursor) => {
    latest = cursor;
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const frame = `event: change\ndata: {"cursor":${latest}}\n\n`;
      for (const s of streams) s.write(frame);
    });
  });

  const heartbeat = setInterval(() => {
    for (const s of streams) s.write(': heartbeat\n\n');
  }, options.heartbeatMs);
  heartbeat.unref();

  app.get('/api/events', async (req, reply) => {
    const release = limiter.open(req.user.id, reply);
    req.raw.on('close', release);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\nevent: change\ndata: {"cursor":${await ctx.store.currentSeq()}}\n\n`);
    streams.add(res);
    const opened = performance.now();
    req.raw.on('close', () => {
      streams.delete(res);
      req.log.info({ method: 'GET', url: '/api/events', status: 200, ms: Math.round(performance.now() - opened), user: req.user.id }, 'request');
    });
  });

  app.addHook('preClose', async () => {
    unsubscribe();
    clearInterval(heartbeat);
    for (const s of streams) s.end();
    streams.clear();
  });
}
