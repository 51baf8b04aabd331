// Per-user limits on what one token can make the server do (docs/operations.md "Rate limits"):
// writes (POST, PATCH, DELETE) per minute, through @fastify/rate-limit keyed by the authenticated
// user (never the client address: users behind one proxy or NAT don't share a budget), and open
// event streams, counted here (a stream is long-lived, so its limit is concurrency, not a rate).
// Refusals are 429 `rate_limited` with Retry-After in seconds, in the usual error shape.
// And for the server as a whole, new event streams are paced (StreamAdmission): after a restart
// every desktop reconnects at once; past the pace they get 503 `unavailable` with a Retry-After
// that gives each its own later second, so they come back spread out, not in one stampede.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

export interface RateLimits {
  /** Writes per user per minute (default 120). */
  writesPerMinute: number;
  /** Concurrent GET /api/events streams per user (default 10). */
  streamsPerUser: number;
  /** New GET /api/events streams per second, all users together (default 200). */
  streamOpensPerSecond: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { writesPerMinute: 120, streamsPerUser: 10, streamOpensPerSecond: 200 };

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

/**
 * Paces new event streams: a token bucket of `perSecond` a second (holding a tenth of a second's
 * worth, so a burst stays short enough not to stall other calls). A caller refused is told to come
 * back at the next second nobody has been promised yet (each refusal books 1/perSecond of it), so
 * 2,000 desktops reconnecting together are told 1, 2, … 10 s and return at about the pace; the
 * desktop adds up to 1 s of jitter to its whole-second Retry-After.
 */
export class StreamAdmission {
  readonly #intervalMs: number;
  readonly #capacity: number;
  #tokens: number;
  #refilledAt: number | undefined;
  /** Until when return slots have been handed out. */
  #bookedUntil = 0;

  constructor(readonly perSecond: number) {
    if (!Number.isFinite(perSecond) || perSecond <= 0) throw new Error(`stream opens per second must be positive, got ${perSecond}`);
    this.#intervalMs = 1000 / perSecond;
    this.#capacity = Math.max(1, Math.ceil(perSecond / 10));
    this.#tokens = this.#capacity;
  }

  /** undefined: take the stream; else the Retry-After in whole seconds (at least 1). */
  admit(nowMs: number): number | undefined {
    if (this.#refilledAt !== undefined) {
      const elapsedMs = nowMs - this.#refilledAt;
      // A clock set back is no time gone by and no debt either: the bookings move back with it.
      if (elapsedMs < 0) this.#bookedUntil += elapsedMs;
      else this.#tokens = Math.min(this.#capacity, this.#tokens + elapsedMs / this.#intervalMs);
    }
    this.#refilledAt = nowMs;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return undefined;
    }
    this.#bookedUntil = Math.max(this.#bookedUntil, nowMs) + this.#intervalMs;
    return Math.max(1, Math.ceil((this.#bookedUntil - nowMs) / 1000));
  }
}
