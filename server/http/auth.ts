// Bearer tokens: every route but the public ones needs one; only its SHA-256 is looked up. A
// token is refused once it is revoked (its row is gone), past its expiry, or when its user is
// deactivated. When a token was last used is recorded at most once a minute per token, so
// authentication stays a read; and those records are written together, one transaction per
// TOUCH_FLUSH_MS, not one durable commit each: after a restart every desktop's first call touches
// its token, and 2,000 fsyncs in a row would stall every other call behind them.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../shared/clock.ts';
import type { ApiToken, User } from '../../shared/schemas/index.ts';
import { hashToken } from '../domain/ids.ts';
import type { Store } from '../store/types.ts';
import { authorize, isPublicRoute } from './authorization.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: User;
    token: ApiToken;
  }
}

const TOUCH_INTERVAL_MS = 60_000;
const TOUCH_FLUSH_MS = 200;

export function registerBearerAuth(app: FastifyInstance, store: Store, now: Clock): void {
  app.decorateRequest('user', null as unknown as User);
  app.decorateRequest('token', null as unknown as ApiToken);
  const touched = new Map<string, number>();
  /** Token id → when it was used, waiting for the next flush. */
  const toTouch = new Map<string, Date>();
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = async () => {
    flushTimer = undefined;
    if (toTouch.size === 0) return;
    const batch = [...toTouch];
    toTouch.clear();
    try {
      await store.transact(async (tx) => {
        for (const [id, at] of batch) await tx.touchToken(id, at);
      });
    } catch (err) {
      app.log.warn({ err }, 'could not record token use');
    }
  };
  // A stop writes what is waiting (the store closes after this hook).
  app.addHook('onClose', async () => {
    if (flushTimer) clearTimeout(flushTimer);
    await flush();
  });
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (isPublicRoute(req)) return;
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,512})\s*$/i.exec(header) : null;
    const found = match ? await store.tokenByHash(hashToken(match[1]!)) : undefined;
    if (!found) throw new HttpError(401, 'unauthorized', header ? 'unknown bearer token' : 'missing bearer token (Authorization: Bearer <token>)');
    const at = now();
    if (found.token.expiresAt !== undefined && Date.parse(found.token.expiresAt) <= at.getTime()) {
      throw new HttpError(401, 'unauthorized', 'this token has expired');
    }
    if (found.user.active === false) throw new HttpError(401, 'unauthorized', 'this user is deactivated');
    req.user = found.user;
    req.token = found.token;
    const last = touched.get(found.token.id);
    if (last === undefined || at.getTime() - last >= TOUCH_INTERVAL_MS) {
      touched.set(found.token.id, at.getTime());
      toTouch.set(found.token.id, at);
      flushTimer ??= setTimeout(() => void flush(), TOUCH_FLUSH_MS);
    }
  });
  // Who may call the route, from the one table, before its body is even parsed.
  app.addHook('onRequest', async (req: FastifyRequest) => authorize(req));
}
