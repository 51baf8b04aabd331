// The one shape of every mutating route: parse the body, run the service in a transaction under
// the request's Idempotency-Key, send what the result says.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ServiceContext } from '../domain/context.ts';
import type { Result } from '../domain/result.ts';
import type { StoreTx } from '../store/types.ts';
import { mutate, readIdempotencyKey } from './idempotency.ts';
import { replyFor } from './reply.ts';
import { parse } from './validate.ts';

export type IdParams = { Params: { id: string } };

type BodyOf<S> = S extends z.ZodType ? z.infer<S> : null;

/**
 * A route handler for one mutation. `schema` is null for routes that take no body. The
 * idempotency fingerprint covers the zod-parsed body (null without one), never the raw untrusted
 * JSON; `present` names the value in the answer's body.
 */
export function mutationRoute<S extends z.ZodType | null, T, P = unknown>(
  ctx: ServiceContext,
  schema: S,
  run: (tx: StoreTx, body: BodyOf<S>, req: FastifyRequest<{ Params: P }>) => Promise<Result<T>>,
  present: (value: T) => unknown,
  /** What an Idempotency-Key replay answers instead of `present`: for answers carrying a secret, which is never stored. */
  replay?: (value: T) => unknown,
) {
  return async (req: FastifyRequest<{ Params: P }>, reply: FastifyReply): Promise<FastifyReply> => {
    const body = (schema === null ? null : parse(schema, req.body, 'body')) as BodyOf<S>;
    const key = readIdempotencyKey(req.headers['idempotency-key']);
    const fingerprintOf = { method: req.method, route: req.routeOptions.url ?? req.url, params: req.params, body };
    const answer = await mutate(ctx, req.user, key, fingerprintOf, async (tx) => {
      const result = await run(tx, body, req);
      return { reply: replyFor(result, present), saved: replay ? replyFor(result, replay) : undefined };
    });
    return reply.status(answer.status).send(answer.body);
  };
}
