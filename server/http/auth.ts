// Bearer tokens: every route but the public ones needs one; only its SHA-256 is looked up. A
// token is refused once it is revoked (its row is gone), past its expiry, or when its user is
// deactivated. When a token was last used is recorded at most once a minute per token, so
// authentication stays a read.
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

export function registerBearerAuth(app: FastifyInstance, store: Store, now: Clock): void {
  app.decorateRequest('user', null as unknown as User);
  app.decorateRequest('token', null as unknown as ApiToken);
  const touched = new Map<string, number>();
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
      store.transact((tx) => tx.touchToken(found.token.id, at)).catch((err: unknown) => req.log.warn({ err }, 'could not record token use'));
    }
  });
  // Who may call the route, from the one table, before its body is even parsed.
  app.addHook('onRequest', async (req: FastifyRequest) => authorize(req));
}
