// Signing the audit chain's head and verifying the whole log against the signed checkpoints. The
// checkpoint of every hundredth event is written by the store in that event's transaction; these
// cover the rest: the head once a minute when new events came, at start, at shutdown, and before
// an export, each in a transaction of its own over events already committed.
import type { AuditCheckpoint } from '../../shared/schemas/index.ts';
import { nextCheckpoint, verifyAudit, type AuditKey, type AuditVerdict, type CheckpointDecision } from '../audit/checkpoint.ts';
import type { Store } from '../store/types.ts';
import type { ServiceContext } from './context.ts';

/** Signs the head unless it is signed already or the chain no longer extends the last checkpoint. */
export function checkpointHead(ctx: ServiceContext, key: AuditKey): Promise<CheckpointDecision> {
  return ctx.store.transact(async (tx) => {
    const decision = await nextCheckpoint(tx, key, ctx.now().toISOString());
    if ('checkpoint' in decision) await tx.addCheckpoint(decision.checkpoint);
    return decision;
  });
}

/** The whole log against every checkpoint, as of the moment it is called. */
export async function verifyAuditLog(store: Store, key: AuditKey): Promise<AuditVerdict> {
  // The last checkpoint before the head: anything appended meanwhile is past both bounds.
  const last: AuditCheckpoint | undefined = await store.lastCheckpoint();
  const head = await store.auditHead();
  return verifyAudit(store.auditEvents(undefined, undefined, head.seq), store.allCheckpoints(Math.max(head.seq, last?.seq ?? 0)), key);
}
