// Per-user limits on what one token can make the server do (docs/operations.md "Rate limits"):
// writes (POST, PATCH, DELETE) per minute, through @fastify/rate-limit keyed by the authenticated
// user (never the client address: users behind one proxy or NAT don't share a budget), and open
// event streams, counted here (a stream is long-lived, so its limit is concurrency, not a rate).
// Refusals are 429 `rate_limited` with Retry-After in seconds, in the usual error shape.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

export interface RateLimits {
  /** Writes per user per minute (default 120). */
  writesPerMinute: number;
  /** Concurrent GET /api/events streams per user (default 10). */
  streamsPerUser: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { writesPerMinute: 120, streamsPerUser: 10 };

/** Seconds a client refused a stream is told to wait before trying again. */
export const STREAM_RETRY_AFTER_S = 10;

const WRITES = new Set(['POST', 'PATCH', 'DELETE', 'PUT']);

/** Must run after bearer auth has set `req.user` (it is registered after it, as an onRequest hook). */
export async function registerWriteRateLimit(app: FastifyInstance, limits: RateLimits): Promise<void> {
  await app.register(rateLimit, { global: false });
  const limiter = app.rateLimit({
    max: limits.writesPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => `user:${req.user.id}`,
    errorResponseBuilder: (_req, ctx) =>
      new HttpError(429, 'rate_limited', `too many writes: at most ${ctx.max} a minute per user; try again in ${Math.ceil(ctx.ttl / 1000)} s`),
  });
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!WRITES.has(req.method) || !req.user) return;
    await limiter.call(app, req, reply);
  });
}

/** Counts open streams per user; the function `open` returns releases the slot (once). */
export class StreamLimiter {
  readonly #open = new Map<string, number>();
  constructor(readonly max: number) {}

  /** Takes a slot for the user, or sets Retry-After and throws 429 `rate_limited`. */
  open(userId: string, reply: FastifyReply): () => void {
    const n = this.#open.get(userId) ?? 0;
    if (n >= this.max) {
      void reply.header('retry-after', String(STREAM_RETRY_AFTER_S));
      throw new HttpError(
        429,
        'rate_limited',
        `too many open event streams: at most ${this.max} per user; close one or try again in ${STREAM_RETRY_AFTER_S} s`,
      );
    }
    this.#open.set(userId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(userId) ?? 1) - 1;
      if (left <= 0) this.#open.delete(userId);
      else this.#open.set(userId, left);
    };
  }
}
