// The audit log is a hash chain: each event's hash covers the previous hash and the event's
// canonical JSON, so editing, deleting or reordering any event breaks every hash after it.
import { createHash } from 'node:crypto';
import { auditHashInput, canonicalJson, GENESIS_HASH, type HashedAuditFields } from '../../shared/audit-chain.ts';
import type { AuditEvent } from '../../shared/schemas/index.ts';

export { canonicalJson, GENESIS_HASH };

export function hashEvent(prevHash: string, event: HashedAuditFields): string {
  return createHash('sha256').update(prevHash).update(auditHashInput(event)).digest('hex');
}

/** Where a walk starts: before the first event, or at an event already trusted (a checkpoint). */
export interface ChainPoint {
  seq: number;
  hash: string;
}
export const GENESIS: ChainPoint = { seq: 0, hash: GENESIS_HASH };

/**
 * Walks the events that follow `from`: each must take the next seq, link to the previous hash and
 * recompute to its own. The checkpoints' part of the story is in checkpoint.ts (verifyAudit).
 */
export async function verifyChain(
  events: AsyncIterable<AuditEvent> | Iterable<AuditEvent>,
  from: ChainPoint = GENESIS,
): Promise<{ ok: true; count: number; head: ChainPoint } | { ok: false; brokenAt: number }> {
  let prev = from.hash;
  let expectedSeq = from.seq + 1;
  let count = 0;
  for await (const e of events) {
    if (e.seq !== expectedSeq || e.prevHash !== prev || hashEvent(prev, e) !== e.hash) {
      return { ok: false, brokenAt: e.seq };
    }
    prev = e.hash;
    expectedSeq++;
    count++;
  }
  return { ok: true, count, head: { seq: expectedSeq - 1, hash: prev } };
}
