// What the desktop queues while it waits for the server: decisions and other mutations, each sent
// later with its idempotency key. Shared so the IPC contract and the outbox use one definition.
import { z } from 'zod';
import { BreakGlassScope, Id, IsoTime } from '../schemas/domain.ts';
import { BREAKGLASS_MAX_MINUTES, BREAKGLASS_MIN_MINUTES } from '../schemas/api.ts';

const Comment = z.string().max(10_000);

export const OutboxOp = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('approve'), requestId: Id, comment: Comment.optional(), reviewedDigest: z.string().max(200).optional() }),
  z.strictObject({ kind: z.literal('reject'), requestId: Id, comment: Comment.optional() }),
  z.strictObject({ kind: z.literal('cancel'), requestId: Id }),
  z.strictObject({ kind: z.literal('freeze'), environmentId: Id, reason: z.string().trim().min(1, 'a reason is required').max(2000), until: IsoTime.optional() }),
  z.strictObject({ kind: z.literal('unfreeze'), environmentId: Id, reason: z.string().max(2000).optional() }),
  z.strictObject({
    kind: z.literal('breakglass.start'),
    reason: z.string().trim().min(10, 'reason must be at least 10 characters').max(2000),
    scope: BreakGlassScope.strict(),
    durationMinutes: z.number().int().min(BREAKGLASS_MIN_MINUTES).max(BREAKGLASS_MAX_MINUTES),
  }),
  z.strictObject({ kind: z.literal('breakglass.revoke'), sessionId: Id }),
]);
export type OutboxOp = z.infer<typeof OutboxOp>;
export type OutboxOpKind = OutboxOp['kind'];

export const OutboxState = z.enum(['queued', 'sending', 'conflict']);
export type OutboxState = z.infer<typeof OutboxState>;

export const OutboxEntry = z.object({
  id: z.string(),
  /** Sent as Idempotency-Key: a resend after a crash is answered, not applied twice. */
  key: z.string(),
  op: OutboxOp,
  queuedAt: IsoTime,
  state: OutboxState,
  attempts: z.number().int().min(0),
  /** The server's refusal, shown to the user until dismissed. */
  error: z.object({ status: z.number().int(), code: z.string(), message: z.string() }).optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;
