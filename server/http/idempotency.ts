// Idempotency-Key: a retried mutation gets the first answer back and changes nothing. The check,
// the mutation and the saved answer share one transaction, so a crash can't split them.
import type { User } from '../../shared/schemas/index.ts';
import { canonicalJson } from '../audit/chain.ts';
import { sha256Hex } from '../domain/ids.ts';
import type { Reply } from './reply.ts';
import type { ServiceContext } from '../domain/context.ts';
import type { StoreTx } from '../store/types.ts';
import { HttpError } from './errors.ts';

const KEY = /^[\x21-\x7e]{1,200}$/;

export function readIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !KEY.test(header)) {
    throw new HttpError(400, 'invalid_request', 'Idempotency-Key must be 1 to 200 printable ASCII characters');
  }
  return header;
}

export async function mutate(
  ctx: ServiceContext,
  user: User,
  key: string | undefined,
  fingerprintOf: { method: string; route: string; params: unknown; body: unknown },
  /** `saved`, when given, is what a replay answers (the first answer may carry a secret that is never stored). */
  fn: (tx: StoreTx) => Promise<{ reply: Reply; saved?: Reply | undefined }>,
): Promise<Reply> {
  if (key === undefined) return ctx.store.transact(async (tx) => (await fn(tx)).reply);
  const fingerprint = sha256Hex(canonicalJson(fingerprintOf));
  return ctx.store.transact(async (tx) => {
    const seen = await tx.idempotent(user.id, key);
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request');
      }
      return { status: seen.status, body: JSON.parse(seen.body) as unknown };
    }
    const { reply, saved = reply } = await fn(tx);
    await tx.saveIdempotent(user.id, key, { fingerprint, status: saved.status, body: JSON.stringify(saved.body), createdAt: ctx.now().toISOString() });
    return reply;
  });
}
