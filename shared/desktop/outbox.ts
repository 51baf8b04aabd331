// What the desktop queues while it waits for the server: decisions and other mutations, each sent
// later with its idempotency key. Field limits are the server's body schemas', so a queued op is
// one the server accepts. Shared so the IPC contract and the outbox use one definition.
import { z } from 'zod';
import { ApproveBody, BreakGlassScope, FreezeBody, Id, IsoTime, RejectBody, StartBreakGlassBody, UnfreezeBody } from '../schemas/index.ts';

export const ApproveOp = z.strictObject({ type: z.literal('approve'), requestId: Id, ...ApproveBody.shape });
export const RejectOp = z.strictObject({ type: z.literal('reject'), requestId: Id, ...RejectBody.shape });
export const CancelOp = z.strictObject({ type: z.literal('cancel'), requestId: Id });
export const FreezeOp = z.strictObject({ type: z.literal('freeze'), environmentId: Id, ...FreezeBody.shape });
export const UnfreezeOp = z.strictObject({ type: z.literal('unfreeze'), environmentId: Id, ...UnfreezeBody.shape });
export const BreakGlassStartOp = z.strictObject({
  type: z.literal('breakglass.start'),
  ...StartBreakGlassBody.shape,
  scope: BreakGlassScope.strict(),
});
export const BreakGlassRevokeOp = z.strictObject({ type: z.literal('breakglass.revoke'), sessionId: Id });

export const OutboxOp = z.discriminatedUnion('type', [ApproveOp, RejectOp, CancelOp, FreezeOp, UnfreezeOp, BreakGlassStartOp, BreakGlassRevokeOp]);
export type OutboxOp = z.infer<typeof OutboxOp>;
export type OutboxOpType = OutboxOp['type'];

export const OutboxConflict = z.object({ status: z.number().int(), code: z.string(), message: z.string() });
export type OutboxConflict = z.infer<typeof OutboxConflict>;

export const OutboxState = z.enum(['queued', 'sending', 'conflict']);
export type OutboxState = z.infer<typeof OutboxState>;

export const OutboxEntry = z.object({
  id: z.string(),
  /** Sent as Idempotency-Key: a resend after a crash is answered, not applied twice. */
  idempotencyKey: z.string(),
  op: OutboxOp,
  queuedAt: IsoTime,
  state: OutboxState,
  /** Set when state is 'conflict': the server's answer, shown until dismissed. */
  error: OutboxConflict.optional(),
  /** The last transient failure (network, 5xx, 401) while it stays queued. */
  lastError: z.string().optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;
