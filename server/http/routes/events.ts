// Server-Sent Events: `event: change` with the new cursor after every commit, a heartbeat comment
// every 15 s. Clients pull /api/sync on each event, so a missed event costs nothing but latency.
// Built for thousands of open streams: each frame is serialised once, as bytes already framed for
// the wire, and written straight to every subscriber's socket (one write each, no per-stream
// encoding or chunk framing); one timer beats for all of them.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../domain/context.ts';
import { StreamLimiter } from '../rate-limits.ts';

/** One SSE frame, once, in both shapes a stream may need: as a chunk of chunked encoding, and raw. */
interface WireFrame {
  chunked: Buffer;
  raw: Buffer;
}

function wireFrame(text: string): WireFrame {
  const raw = Buffer.from(text, 'utf8');
  return { raw, chunked: Buffer.concat([Buffer.from(`${raw.length.toString(16)}\r\n`), raw, Buffer.from('\r\n')]) };
}

/**
 * Writes the frame to the stream's socket, bypassing ServerResponse.write (which would encode
 * and frame the same text again for every subscriber). The bytes are what res.write would have
 * sent: a chunk when the response is chunked (HTTP/1.1), the text itself otherwise.
 */
function send(res: ServerResponse, frame: WireFrame): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  socket.write(res.chunkedEncoding ? frame.chunked : frame.raw);
}

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
      const frame = wireFrame(`event: change\ndata: {"cursor":${latest}}\n\n`);
      for (const s of streams) send(s, frame);
    });
  });

  const heartbeatFrame = wireFrame(': heartbeat\n\n');
  const heartbeat = setInterval(() => {
    for (const s of streams) send(s, heartbeatFrame);
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
    // Through res: this first write also sends the head (and decides on chunked encoding).
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
