import type { FastifyRequest } from 'fastify';
import type { ServiceContext } from '../domain/context.ts';
import type { Reply } from '../domain/requests.ts';
import type { StoreTx } from '../store/types.ts';
import { mutate, readIdempotencyKey } from './idempotency.ts';

/**
 * Runs a route's mutation as one transaction, honouring its Idempotency-Key. The fingerprint
 * covers the zod-parsed body (null for routes that take none), never the raw untrusted JSON.
 */
export function mutation(ctx: ServiceContext, req: FastifyRequest, body: unknown, fn: (tx: StoreTx) => Promise<Reply>): Promise<Reply> {
  const key = readIdempotencyKey(req.headers['idempotency-key']);
  return mutate(ctx, req.user, key, { method: req.method, route: req.routeOptions.url ?? req.url, params: req.params, body }, fn);
}

export type IdParams = { Params: { id: string } };
