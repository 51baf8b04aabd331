// Bearer tokens: every route but /healthz needs one; only its SHA-256 is looked up.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from '../../shared/schemas/index.ts';
import { hashToken } from '../domain/ids.ts';
import type { Store } from '../store/types.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: User;
  }
}

export function registerBearerAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest('user', null as unknown as User);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.url === '/healthz' || req.url.startsWith('/healthz?')) return;
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{1,512})\s*$/i.exec(header) : null;
    const user = match ? await store.userByTokenHash(hashToken(match[1]!)) : undefined;
    if (!user) throw new HttpError(401, 'unauthorized', header ? 'unknown bearer token' : 'missing bearer token (Authorization: Bearer <token>)');
    req.user = user;
  });
}
